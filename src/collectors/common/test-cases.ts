/**
 * Table-driven parser tests, one folder per case: `<dir>/<case>/input` (the bytes the parser
 * reads) and `<dir>/<case>/expected` (the parser's result as JSON, or `{ "error": "…" }` when
 * it throws). Each case is one test. A missing or different `expected` fails, unless
 * `UPDATE_GOLDEN=1` is set: then it is written, to be reviewed as a diff like a golden file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The case folders under `dir` (those holding an `input`), sorted. */
export function caseNames(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'input')))
    .map((e) => e.name)
    .sort();
}

/** Register one test per case of `dir`, named `<label>: <case>`. */
export function tableCases(label: string, dir: string, parse: (input: Buffer, name: string) => unknown): void {
  const names = caseNames(dir);
  test(`${label}: the case folder holds cases`, () => assert.ok(names.length > 0, `${dir}: no <case>/input`));
  for (const name of names) {
    test(`${label}: ${name}`, () => {
      const input = fs.readFileSync(path.join(dir, name, 'input'));
      let result: unknown;
      try {
        result = parse(input, name);
      } catch (err) {
        result = { error: err instanceof Error ? err.message : String(err) };
      }
      const actual = `${JSON.stringify(result, null, 2)}\n`;
      const file = path.join(dir, name, 'expected');
      if (UPDATE) {
        fs.writeFileSync(file, actual);
        return;
      }
      assert.ok(fs.existsSync(file), `${file} is missing; write it with UPDATE_GOLDEN=1 and review it`);
      assert.equal(actual, fs.readFileSync(file, 'utf8'), `${file} differs; review, then UPDATE_GOLDEN=1 if the new result is right`);
    });
  }
}
