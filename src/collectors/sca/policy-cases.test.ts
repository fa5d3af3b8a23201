/**
 * Table-driven cases of the SCA policy parser: testdata/<case>/input (a policy in Wazuh's SCA
 * format) → expected (JSON): the parsed policy, every rule with its targets and tests (a
 * compiled pattern shown by its source), or the one error line naming case:line and check.
 */
import { fileURLToPath } from 'node:url';
import { tableCases } from '../common/test-cases.js';
import { loadPolicy } from './policy.js';
import { Regex } from './regex.js';

tableCases('sca policy parse', fileURLToPath(new URL('./testdata/', import.meta.url)), (input, name) =>
  JSON.parse(JSON.stringify(loadPolicy(name, input), (_k, v: unknown) => (v instanceof Regex ? { pattern: v.source, dialect: v.dialect } : v))),
);
