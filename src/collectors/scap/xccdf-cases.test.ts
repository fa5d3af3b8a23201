/**
 * Table-driven cases of the XCCDF results parser: testdata/<case>/input (results or ARF XML)
 * → expected (JSON; `{ "error": … }` for input it must refuse with one clean line). The input
 * is fed in 7-character chunks, so element and entity boundaries fall between chunks.
 */
import { fileURLToPath } from 'node:url';
import { tableCases } from '../common/test-cases.js';
import { parseXccdfChunks } from './xccdf.js';

tableCases('xccdf parse', fileURLToPath(new URL('./testdata/', import.meta.url)), (input, name) =>
  parseXccdfChunks(input.toString('utf8').match(/[^]{1,7}/g) ?? [], name),
);
