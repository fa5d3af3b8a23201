/**
 * mysql_users end to end: the built CLI against a real MariaDB the test starts (temporary
 * datadir, private socket). A new account with an empty password and a new grant are reported;
 * no password or hash reaches the database or any report.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { haveMariadb, TestMariadb } from '../src/collectors/mysql_users/testdata/mariadb.js';

const PW = 'E2e-pw-3b9d44';

function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) parts.push(fs.readFileSync(path.join(e.parentPath ?? (e as any).path, e.name)));
  }
  return Buffer.concat(parts);
}

describe('mysql_users end to end', { skip: !haveMariadb() && 'needs root and mariadb-server' }, () => {
  let db: TestMariadb;
  let sb: Sandbox;
  before(async () => {
    db = await TestMariadb.start();
    db.sql(`CREATE USER app@localhost IDENTIFIED BY '${PW}'; GRANT SELECT ON mysql.* TO app@localhost;`);
    sb = sandbox({});
    const cnf = path.join(sb.dir, 'client.cnf');
    fs.writeFileSync(cnf, `[client]\nuser = app\npassword = ${PW}\n`, { mode: 0o600 });
    sb.writePlugin('mysql_users', `[mysql_users]\nenable_plugin = true\nsocket = ${db.socket}\ndefaults_file = ${cnf}\n`);
    const r = sb.run('collect');
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await db?.stop();
    sb?.cleanup();
  });

  test('an account with an empty password and a new grant are reported; no secret is stored', () => {
    db.sql(`CREATE USER intruder@'%'; GRANT ALL ON *.* TO intruder@'%' WITH GRANT OPTION; GRANT INSERT ON mysql.* TO app@localhost; ALTER USER app@localhost IDENTIFIED BY '${PW}';`);
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    const report = sb.json('print-report', '--format', 'json');
    const ours = report.changes.filter((c: any) => c.plugin === 'mysql_users');
    assert.deepEqual(ours.map((c: any) => [c.key, c.change]).sort(), [['mysql_users://app@localhost', 'changed'], ['mysql_users://intruder@%25', 'added']]);
    const added = ours.find((c: any) => c.change === 'added');
    assert.equal(added.attributes.empty_password.new, true);
    assert.deepEqual([added.severity, added.severity_reason], ['critical', 'intruder@%25 has an empty password']);
    assert.equal(report.summary.severity, 'critical');
    assert.equal(added.attributes.grants.new, 'GRANT ALL PRIVILEGES ON *.* TO `intruder`@`%` WITH GRANT OPTION');
    const app = ours.find((c: any) => c.change === 'changed');
    assert.deepEqual(Object.keys(app.attributes), ['grants']);
    assert.equal(app.severity, 'medium');
    assert.match(app.attributes.grants.new, /GRANT SELECT, INSERT ON `mysql`\.\* TO `app`@`localhost`/);
    const text = sb.run('print-report', '--format', 'text').stdout;
    assert.match(text, /\+ mysql_users:\/\/intruder@%25/);
    const html = sb.run('print-report', '--format', 'html').stdout;
    const hash = db.sql("SELECT authentication_string FROM mysql.user WHERE User = 'app'").trim();
    assert.match(hash, /^\*[0-9A-F]{40}$/);
    const everything = Buffer.concat([allBytes(sb.storage), Buffer.from(text + html + r.stdout + r.stderr)]);
    for (const s of [PW, hash, hash.slice(1, 16)]) assert.equal(everything.indexOf(s), -1, `${s} leaked`);
  });

  test('the server stopped: a note, and the accounts are kept, not reported removed', async () => {
    await db.stop();
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    const report = sb.json('print-report', '--format', 'json');
    assert.deepEqual(report.changes.filter((c: any) => c.plugin === 'mysql_users'), []);
    assert.ok(report.notes.some((n: string) => /mysql_users: .*does not exist; no server answers, the last \d+ accounts kept/.test(n)), JSON.stringify(report.notes));
  });
});
