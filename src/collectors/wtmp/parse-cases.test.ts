/** Table-driven cases of the wtmp parser: testdata/<case>/input (binary wtmp) → expected (JSON). */
import { fileURLToPath } from 'node:url';
import { tableCases } from '../common/test-cases.js';
import { parseWtmp } from './parse.js';

tableCases('wtmp parse', fileURLToPath(new URL('./testdata/', import.meta.url)), (input) => parseWtmp(input));
