/**
 * The users collector end to end: the built CLI on passwd/shadow fixtures. A changed password
 * shows as metadata only; no byte of a hash reaches the database or any output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { fixture, HASH, HASH2 } from '../src/collectors/users/testdata/fixture.js';

/** Every byte stored under a directory (database, WAL, anything else), as one buffer. */
function allBytes(dir: string): Buffer {
  const out: Buffer[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? (e as any).path, e.name);
    if (e.isFile()) out.push(fs.readFileSync(p));
  }
  return Buffer.concat(out);
}

describe('users end to end: a changed password and a new uid 0 account', () => {
  let sb: Sandbox;
  let outputs: string;
  let report: any;
  before(() => {
    sb = sandbox({});
    const f = fixture(sb.dir);
    sb.writePlugin('users', `[users]\nenable_plugin = true\npasswd_path = ${f.passwd}\nshadow_path = ${f.shadow}\n`);
    const first = sb.run('collect');
    assert.equal(first.code, 0, first.stderr);
    // root's password changes (another hash), alice is unlocked, a second uid 0 account appears.
    fs.writeFileSync(f.shadow, fs.readFileSync(f.shadow, 'utf8').replace(`root:${HASH}:19000`, `root:${HASH2}:19001`).replace(`alice:!${HASH}`, `alice:${HASH}`) + `\nevil::19001:0:99999:7:::\n`);
    fs.appendFileSync(f.passwd, 'evil:x:0:0::/root:/bin/bash\n');
    const run = sb.run('run');
    assert.equal(run.code, 0, run.stderr);
    report = sb.json('print-report', '--format', 'json');
    outputs = [first.stdout, first.stderr, run.stdout, run.stderr,
      sb.run('print-report', '--format', 'text').stdout, sb.run('print-report', '--format', 'html').stdout, JSON.stringify(report)].join('\n');
  });
  after(() => sb.cleanup());

  test('the report says what changed', () => {
    const ch = (k: string) => report.changes.find((c: any) => c.key === k);
    assert.deepEqual(ch('users://root').attributes, { last_change: { old: '2022-01-08', new: '2022-01-09' } });
    assert.deepEqual(ch('users://alice').attributes, { password: { old: 'locked', new: 'set' } });
    assert.equal(ch('users://evil').change, 'added');
    assert.equal(ch('users://evil').attributes.uid.new, 0);
    assert.equal(ch('users://evil').attributes.password.new, 'empty');
  });

  test('the hash bytes are in neither the database nor any output', () => {
    const stored = allBytes(sb.storage);
    assert.ok(stored.length > 0);
    for (const h of [HASH, HASH2]) {
      for (const part of h.split('$').filter((p) => p.length > 3)) {
        assert.equal(stored.indexOf(part), -1, `stored: ${part}`);
        assert.ok(!outputs.includes(part), `output: ${part}`);
      }
    }
    assert.ok(outputs.includes('users://evil'), 'the outputs were read');
  });
});

