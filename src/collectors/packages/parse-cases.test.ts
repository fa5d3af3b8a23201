/** Table-driven cases of the dpkg.log parser: testdata/<case>/input (log text) → expected (JSON). */
import { fileURLToPath } from 'node:url';
import { tableCases } from '../common/test-cases.js';
import { parseDpkgLog } from './parse.js';

tableCases('dpkg.log parse', fileURLToPath(new URL('./testdata/', import.meta.url)), (input) => parseDpkgLog(input.toString('utf8')));
