import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectUsers, usersOptions } from './index.js';
import { classifyPassword, parsePasswd, parseShadow } from './parse.js';
import { fixture, HASH, HASH2, SALT } from './testdata/fixture.js';

test('password fields are classified, never kept', () => {
  assert.equal(classifyPassword(HASH), 'set');
  assert.equal(classifyPassword('abJnggxhB/yWI'), 'set');
  assert.equal(classifyPassword(''), 'empty');
  assert.equal(classifyPassword(`!${HASH}`), 'locked');
  assert.equal(classifyPassword(`!!${HASH}`), 'locked');
  for (const f of ['*', '!', '!!', '!*', 'x', '*LK*', 'NP']) assert.equal(classifyPassword(f), 'none', f);
  const s = parseShadow(`a:${HASH}:1:2:3:4:5:6:\nbad\n`);
  assert.deepEqual(s.problems, [{ line: 2, message: 'expected 9 colon-separated fields, found 1' }]);
  assert.ok(!JSON.stringify(s).includes(SALT));
  const p = parsePasswd('a:x:1:2:g:/h:/bin/sh\n+nis\n# c\nb:x:1\n');
  assert.equal(p.entries.length, 1);
  assert.deepEqual(p.problems, [{ line: 4, message: 'expected 7 colon-separated fields, found 3' }]);
});

describe('users on fixture files', () => {
  let dir: string;
  let ctx: TestContext;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-users-'));
    const f = fixture(dir);
    ctx = new TestContext('users');
    collectUsers(ctx, usersOptions({ passwd_path: f.passwd, shadow_path: f.shadow }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('accounts with shadow metadata', () => {
    assert.deepEqual(ctx.item('users://root')?.attributes, {
      uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash', login: true,
      password: 'set', last_change: '2022-01-08', min: 0, max: 99999, warn: 7, inactive: null, expire: null,
    });
    assert.deepEqual(ctx.item('users://alice')?.attributes, {
      uid: 1000, gid: 1000, gecos: 'Alice A,,,', home: '/home/alice', shell: '/bin/bash', login: true,
      password: 'locked', last_change: '2023-05-23', min: 1, max: 90, warn: 14, inactive: 30, expire: '2024-10-04',
    });
    assert.equal(ctx.item('users://daemon')?.attributes.login, false);
    assert.equal(ctx.item('users://daemon')?.attributes.password, 'none');
    assert.equal(ctx.item('users://toor')?.attributes.uid, 0);
    assert.equal(ctx.item('users://toor')?.attributes.password, 'none');
    const nopw = ctx.item('users://nopw')!.attributes;
    assert.equal(nopw.password, 'empty');
    assert.equal(nopw.login, true, 'an empty shell is /bin/sh');
    assert.equal(nopw.last_change, 'must change');
    const legacy = ctx.item('users://legacy')!.attributes;
    assert.equal(legacy.password, 'set');
    assert.equal(legacy.password_in_passwd, true);
    assert.equal(legacy.login, false);
  });

  test('bad lines and orphans are notes naming file:line, without the line', () => {
    assert.equal(ctx.item('users://broken'), undefined);
    assert.ok(ctx.notes.includes(`users: ${dir}/passwd:7: uid and gid must be numbers; line skipped`), ctx.notes.join('\n'));
    assert.ok(ctx.notes.includes(`users: ${dir}/shadow: entry for ghost has no account in ${dir}/passwd`));
  });

  test('no part of a hash in any item or note', () => {
    const all = JSON.stringify([ctx.items, ctx.notes, ctx.errors, ctx.debugs]);
    for (const h of [HASH, HASH2]) for (const part of h.split('$').filter((p) => p.length > 3)) assert.ok(!all.includes(part), part);
  });

  test('an unreadable shadow is a note and no password metadata; the accounts are still there', () => {
    const c = new TestContext('users');
    collectUsers(c, usersOptions({ passwd_path: path.join(dir, 'passwd'), shadow_path: path.join(dir, 'absent') }));
    assert.deepEqual(c.notes.filter((n) => n.includes('absent')), [`users: ${dir}/absent: does not exist; password metadata not recorded`]);
    assert.equal(c.item('users://root')?.attributes.password, undefined);
    assert.equal(c.item('users://root')?.attributes.uid, 0);
    assert.equal(c.item('users://legacy')?.attributes.password, 'set');
  });

  test('a missing passwd is one error item', () => {
    const c = new TestContext('users');
    collectUsers(c, usersOptions({ passwd_path: path.join(dir, 'nope'), shadow_path: path.join(dir, 'shadow') }));
    assert.deepEqual(c.errors, [{ key: `users://${dir}/nope`, message: `${dir}/nope: does not exist` }]);
  });
});

const isRoot = process.getuid?.() === 0;

describe('users on this machine: a real account made by useradd', { skip: !isRoot && 'needs root' }, () => {
  const name = `scmt${process.pid % 100000}`;
  let ctx: TestContext;
  let hash: string;
  before(() => {
    hash = execFileSync('openssl', ['passwd', '-6', '-salt', 'scmSaltXy', 'pw'], { encoding: 'utf8' }).trim();
    execFileSync('useradd', ['-M', '-s', '/bin/bash', '-p', hash, '-e', '2030-01-02', name]);
    ctx = new TestContext('users');
    collectUsers(ctx, usersOptions({}));
  });
  after(() => {
    spawnSync('userdel', [name]);
  });

  test('the account is recorded from /etc/passwd and /etc/shadow', () => {
    const a = ctx.item(`users://${name}`)?.attributes;
    assert.ok(a, 'item');
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    assert.equal(a.uid, uid);
    assert.equal(a.password, 'set');
    assert.equal(a.login, true);
    assert.equal(a.expire, '2030-01-02');
    assert.equal(ctx.item('users://root')?.attributes.uid, 0);
    assert.ok(!JSON.stringify(ctx.items).includes('scmSaltXy'));
    execFileSync('usermod', ['-L', name]);
    const c2 = new TestContext('users');
    collectUsers(c2, usersOptions({}));
    assert.equal(c2.item(`users://${name}`)?.attributes.password, 'locked');
  });
});
