/**
 * The wtmp collector end to end: the built CLI reads a wtmp file made by `utmpdump -r`, and the
 * report names who was logged in between the runs and when a watched file changed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, sandbox } from './helpers.js';
import { wtmpBytes } from '../src/collectors/wtmp/testdata/utmpdump.js';

const iso = (ms: number) => new Date(ms).toISOString();

function plugins(tree: string, wtmp: string, dir: string): Record<string, string> {
  return {
    file: `[file]\nenable_plugin = true\ninclude =\n  ${tree}/**\n`,
    wtmp: `[wtmp]\nenable_plugin = true\nwtmp_path = ${wtmp}\nwtmpdb_path = ${dir}/no-wtmp.db\nmax_age = 7d\n`,
  };
}

describe('wtmp: a login between two runs', () => {
  let sb: Sandbox;
  let report: any;
  let loginIso: string;

  before(() => {
    sb = sandbox({});
    const wtmp = path.join(sb.dir, 'wtmp');
    for (const [name, text] of Object.entries(plugins(sb.tree, wtmp, sb.dir))) sb.writePlugin(name, text);
    const now = Date.now();
    fs.writeFileSync(wtmp, wtmpBytes([
      { type: 2, user: 'reboot', line: '~', host: '6.1.0-21-amd64', time: iso(now - 3 * 86400_000) },
      { type: 7, user: 'old', line: 'pts/5', host: '198.51.100.1', time: iso(now - 2 * 86400_000) },
      { type: 8, line: 'pts/5', time: iso(now - 2 * 86400_000 + 60_000) },
    ]));
    fs.writeFileSync(path.join(sb.tree, 'watched'), 'a\n');
    const first = sb.run('collect');
    assert.equal(first.code, 0, first.stderr);

    // Two seconds back so the file's ctime (a coarse kernel clock) is surely after the login.
    loginIso = iso(Date.now() - 2000);
    fs.appendFileSync(wtmp, wtmpBytes([{ type: 7, user: 'mallory', line: 'pts/7', host: '203.0.113.9', time: loginIso }]));
    fs.writeFileSync(path.join(sb.tree, 'watched'), 'b\n');

    const run = sb.run('run', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    report = sb.json('print-report', '--format', 'json');
  });
  after(() => sb.cleanup());

  const mallory = () => ({ user: 'mallory', line: 'pts/7', host: '203.0.113.9', login: loginIso.replace('Z', '000Z'), logout: null });

  test('report.logins has the new session and not the one that ended before the first run', () => {
    assert.deepEqual(report.logins, [mallory()]);
  });

  test('the changed file names the session open when it changed', () => {
    const c = report.changes.find((x: any) => x.key === `file://${sb.tree}/watched`);
    assert.ok(c, 'file change present');
    assert.deepEqual(c.logins, [mallory()]);
  });

  test('the session itself is an added wtmp item', () => {
    const c = report.changes.find((x: any) => x.plugin === 'wtmp');
    assert.equal(c?.key, `wtmp://mallory@pts/7/${mallory().login}`);
    assert.equal(c?.change, 'added');
    assert.equal(c?.attributes.login?.new, mallory().login);
    assert.equal(c?.attributes.logout?.new, null);
    assert.equal(c?.attributes.end?.new, null);
  });
});

describe('wtmp: a missing file', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox({});
    for (const [name, text] of Object.entries(plugins(sb.tree, path.join(sb.dir, 'absent'), sb.dir))) sb.writePlugin(name, text);
  });
  after(() => sb.cleanup());

  test('is a note in the report, not an error', () => {
    assert.equal(sb.run('collect').code, 0);
    const run = sb.run('run', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    const report = sb.json('print-report', '--format', 'json');
    assert.deepEqual(report.errors, []);
    assert.ok(report.notes.includes(`wtmp: ${path.join(sb.dir, 'absent')} does not exist`), JSON.stringify(report.notes));
  });
});
