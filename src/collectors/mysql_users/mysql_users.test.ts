/**
 * mysql_users: the parsers, then the collector against a real MariaDB started by the test in a
 * temporary datadir on a private socket (never the system service): plugins, empty and set
 * passwords, roles, grants; the credentials file's checks (mode, owner, symlink); no password
 * or hash in anything recorded; a missing server is a note.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectMysqlUsers, mysqlUserKey, mysqlUsersOptions } from './index.js';
import { normaliseGrant, parseOptionFile, passwordState } from './parse.js';
import { haveMariadb, TestMariadb } from './testdata/mariadb.js';

test('SHOW GRANTS lines are normalised and lose the IDENTIFIED clause', () => {
  assert.equal(
    normaliseGrant("GRANT USAGE ON *.* TO `bob`@`localhost` IDENTIFIED BY PASSWORD '*041441720269709DCB4B477A14DB6B9E280B856A'"),
    'GRANT USAGE ON *.* TO `bob`@`localhost`',
  );
  assert.equal(
    normaliseGrant("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION"),
    'GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION',
  );
  assert.equal(normaliseGrant("GRANT  SELECT ON `db`.* TO 'al''x'@'10.%' IDENTIFIED BY PASSWORD 'x WITH y' REQUIRE SSL"), "GRANT SELECT ON `db`.* TO `al'x`@`10.%` REQUIRE SSL");
  assert.equal(normaliseGrant('GRANT `dba` TO `bob`@`localhost` WITH ADMIN OPTION'), 'GRANT `dba` TO `bob`@`localhost` WITH ADMIN OPTION');
});

test('option files: the client sections, quoting, problems by line only', () => {
  const r = parseOptionFile('# c\n[mysqld]\nuser = mysql\n[client]\nhost = localhost\nuser = debian-sys-maint\npassword = "p\\"w#1"\npassword\nsocket=/run/x.sock\n');
  assert.deepEqual(r.creds, { user: 'debian-sys-maint', password: 'p"w#1', socket: '/run/x.sock' });
  assert.deepEqual(r.problems, [{ line: 8, message: 'password without a value (the client would ask for one); ignored' }]);
});

test('password state', () => {
  assert.equal(passwordState([{ plugin: 'mysql_native_password', auth: 'empty' }], false), 'empty');
  assert.equal(passwordState([{ plugin: 'mysql_native_password', auth: 'hash' }], false), 'set');
  assert.equal(passwordState([{ plugin: 'mysql_native_password', auth: 'invalid' }, { plugin: 'unix_socket', auth: 'empty' }], false), 'invalid');
  assert.equal(passwordState([{ plugin: 'unix_socket', auth: 'empty' }], false), 'none');
  assert.equal(passwordState([{ plugin: 'caching_sha2_password', auth: 'other' }], false), 'set');
  assert.equal(passwordState([], true), 'none');
  assert.equal(mysqlUserKey('a@b', '%'), 'mysql_users://a%40b@%25');
});

test('a missing server is a note, not an error', async () => {
  const ctx = new TestContext('mysql_users');
  await collectMysqlUsers(ctx, mysqlUsersOptions({ socket: path.join(os.tmpdir(), 'no-such-mysqld.sock') }));
  assert.equal(ctx.items.length, 0);
  assert.equal(ctx.errors.length, 0);
  assert.match(ctx.notes[0]!, /no-such-mysqld\.sock: does not exist; no server answers, nothing recorded/);
});

const PW = 'Bob-pw-8f3e1c';
const MONITOR_PW = 'Mon-pw-71ad0e';

describe('mysql_users against a real MariaDB', { skip: !haveMariadb() && 'needs root and mariadb-server' }, () => {
  let db: TestMariadb;
  let dir: string;
  let hash: string;
  const tmpFiles = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('syschangemon-mysql-'));
  before(async () => {
    db = await TestMariadb.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-mysql-users-'));
    db.sql(`CREATE USER bob@localhost IDENTIFIED BY '${PW}';
      CREATE USER eve@'%';
      CREATE USER sock@localhost IDENTIFIED VIA unix_socket;
      CREATE USER 'o''neil'@'10.%' IDENTIFIED BY 'x';
      CREATE USER locked@localhost IDENTIFIED BY 'y' ACCOUNT LOCK;
      CREATE ROLE dba;
      GRANT ALL ON *.* TO dba;
      GRANT dba TO bob@localhost;
      GRANT SELECT, INSERT ON mysql.* TO bob@localhost;
      CREATE USER monitor@localhost IDENTIFIED BY '${MONITOR_PW}';
      GRANT SELECT ON mysql.* TO monitor@localhost;`);
    hash = db.sql("SELECT authentication_string FROM mysql.user WHERE User = 'bob'").trim();
    assert.match(hash, /^\*[0-9A-F]{40}$/);
  });
  after(async () => {
    await db?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cnf = (name: string, text: string, mode = 0o600) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode });
    fs.chmodSync(p, mode);
    return p;
  };

  test('accounts, plugins, passwords, roles and grants, with credentials from a 0600 file', async () => {
    const before = tmpFiles();
    const ctx = new TestContext('mysql_users');
    const defaults_file = cnf('monitor.cnf', `[client]\nuser = monitor\npassword = ${MONITOR_PW}\n`);
    await collectMysqlUsers(ctx, mysqlUsersOptions({ socket: db.socket, defaults_file }));
    assert.deepEqual(ctx.errors, []);
    const by = new Map(ctx.items.map((i) => [i.key, i.attributes]));
    const bob = by.get('mysql_users://bob@localhost')!;
    assert.equal(bob.plugin, 'mysql_native_password');
    assert.equal(bob.password, 'set');
    assert.equal(bob.empty_password, false);
    assert.equal(bob.grants, ['GRANT SELECT, INSERT ON `mysql`.* TO `bob`@`localhost`', 'GRANT USAGE ON *.* TO `bob`@`localhost`', 'GRANT `dba` TO `bob`@`localhost`'].join('\n'));
    const eve = by.get('mysql_users://eve@%25')!;
    assert.equal(eve.password, 'empty');
    assert.equal(eve.empty_password, true);
    assert.equal(eve.host, '%');
    assert.deepEqual([by.get('mysql_users://sock@localhost')!.plugin, by.get('mysql_users://sock@localhost')!.password], ['unix_socket', 'none']);
    const root = by.get('mysql_users://root@localhost')!;
    assert.equal(root.plugin, 'mysql_native_password,unix_socket');
    assert.equal(root.password, 'invalid');
    assert.match(String(root.grants), /^GRANT ALL PRIVILEGES ON \*\.\* TO `root`@`localhost` WITH GRANT OPTION$/m);
    const dba = by.get('mysql_users://dba@')!;
    assert.deepEqual([dba.role, dba.password, dba.grants], [true, 'none', 'GRANT ALL PRIVILEGES ON *.* TO `dba`']);
    assert.equal(by.get("mysql_users://o'neil@10.%25")!.grants, "GRANT USAGE ON *.* TO `o'neil`@`10.%`");
    assert.equal(by.get('mysql_users://locked@localhost')!.locked, true);
    assert.equal(bob.locked, false);
    const all = JSON.stringify([ctx.items, ctx.notes, ctx.errors, ctx.debugs]);
    for (const secret of [hash, hash.slice(1, 20), PW, MONITOR_PW]) assert.ok(!all.includes(secret), `${secret} leaked`);
    assert.deepEqual(tmpFiles(), before, 'the private option file is removed');
  });

  test('without a credentials file: root on the socket (unix_socket authentication)', async () => {
    const ctx = new TestContext('mysql_users');
    await collectMysqlUsers(ctx, mysqlUsersOptions({ socket: db.socket, defaults_file: path.join(dir, 'absent.cnf') }));
    assert.deepEqual(ctx.errors, []);
    assert.ok(ctx.items.some((i) => i.key === 'mysql_users://eve@%25'));
  });

  test('a credentials file others can read, owned by another user or behind a symlink is not used', async () => {
    const cases: [string, RegExp][] = [];
    cases.push([cnf('open.cnf', `[client]\nuser = monitor\npassword = ${MONITOR_PW}\n`, 0o644), /mode 0644 lets group or others read it/]);
    const other = cnf('other.cnf', `[client]\nuser = monitor\npassword = ${MONITOR_PW}\n`);
    fs.chownSync(other, 65534, 65534);
    cases.push([other, /owned by uid 65534, not root/]);
    const link = path.join(dir, 'link.cnf');
    fs.symlinkSync(path.join(dir, 'monitor.cnf'), link);
    cases.push([link, /ELOOP|symlink/]);
    fs.mkdirSync(path.join(dir, 'real'));
    cnf('real/in.cnf', '[client]\nuser = monitor\n');
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'linkdir'));
    cases.push([path.join(dir, 'linkdir', 'in.cnf'), /a symlink on the path leads to/]);
    for (const [file, re] of cases) {
      const ctx = new TestContext('mysql_users');
      await assert.rejects(collectMysqlUsers(ctx, mysqlUsersOptions({ socket: db.socket, defaults_file: file })), re, file);
      assert.equal(ctx.items.length, 0);
    }
  });

  test('a wrong password is an error that does not hold it', async () => {
    const ctx = new TestContext('mysql_users');
    const f = cnf('wrong.cnf', '[client]\nuser = monitor\npassword = Wrong-pw-5521\n');
    await assert.rejects(collectMysqlUsers(ctx, mysqlUsersOptions({ socket: db.socket, defaults_file: f })), (err: Error) => {
      assert.match(err.message, /connecting as monitor: ERROR 1045 .*Access denied/);
      assert.ok(!err.message.includes('Wrong-pw-5521'));
      return true;
    });
  });
});
