/**
 * `gather <collector>` end to end: a collector's current items printed as JSON (keyed by item),
 * text and HTML, escaped for the terminal and for HTML, with nothing stored.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { fixture, HASH } from '../src/collectors/users/testdata/fixture.js';
import { listen, type Listener } from '../src/collectors/ports/testdata/listener.js';

describe('gather', () => {
  let sb: Sandbox;
  let l: Listener;
  before(async () => {
    sb = sandbox({});
    const f = fixture(sb.dir);
    fs.appendFileSync(f.passwd, 'odd:x:1500:1500:<script>alert(1)</script>\x1b]0;pwned\x07:/home/odd:/bin/sh\n');
    sb.writePlugin('users', `[users]\nenable_plugin = false\npasswd_path = ${f.passwd}\nshadow_path = ${f.shadow}\n`);
    sb.writePlugin('ports', '[ports]\nenable_plugin = true\n');
    l = await listen('tcp', '127.0.0.1', 0, 'scm-gather');
  });
  after(async () => {
    await l.stop();
    sb.cleanup();
  });

  test('json: an object keyed by item, attributes inside; nothing is stored', () => {
    const users = sb.json('gather', 'users');
    assert.equal(users['users://root'].uid, 0);
    assert.equal(users['users://nopw'].password, 'empty');
    assert.deepEqual(Object.keys(users).sort(), Object.keys(users).slice().sort());
    assert.ok(!JSON.stringify(users).includes(HASH.split('$')[3]!));
    const ports = sb.json('gather', 'ports', '--format', 'json');
    const mine = ports[`ports://tcp/127.0.0.1/${l.port}`];
    assert.equal(mine.program, 'scm-gather');
    assert.equal(mine.pid, l.child.pid);
    assert.ok(!fs.existsSync(path.join(sb.storage, 'db.sqlite')), 'no database written');
  });

  test('text is safe for a terminal; HTML is escaped', () => {
    const text = sb.run('gather', 'users', '--format', 'text');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^users:\/\/odd\n {4}uid: 1500\n/m);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(text.stdout), 'no control characters');
    assert.match(text.stdout, /gecos: <script>alert\(1\)<\/script>\\x1b\]0;pwned\\x07/);
    const page = sb.run('gather', 'users', '--format', 'html');
    assert.equal(page.code, 0, page.stderr);
    assert.ok(page.stdout.startsWith('<!DOCTYPE html>'));
    assert.ok(!page.stdout.includes('<script>'));
    assert.match(page.stdout, /&#60;script&#62;alert\(1\)/);
  });

  test('an unknown collector or format is a usage error', () => {
    const r = sb.run('gather', 'nosuch');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown collector 'nosuch'; expected one of: .*users/);
    assert.equal(sb.run('gather', 'users', '--format', 'csv').code, 2);
  });
});
