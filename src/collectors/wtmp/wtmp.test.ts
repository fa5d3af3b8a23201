import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { TestContext } from '../common/test-context.js';
import { decodePath, splitKey } from '../../keys.js';
import { parseWtmp, RECORD_SIZE, UT } from './parse.js';
import { pairSessions } from './sessions.js';
import { wtmpdbSessions } from './wtmpdb.js';
import { collectWtmp, sessionKey, wtmpOptions, type WtmpOptions } from './index.js';
import { isoMicros, isoToMicros } from './time.js';
import { wtmpBytes } from './testdata/utmpdump.js';

// The shared fixtures stand beside the repository (../shared).
const FIXTURE = fileURLToPath(new URL('../../../../shared/fixtures/wtmp/wtmp.fixture', import.meta.url));
const T = (iso: string) => isoToMicros(iso);

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'scm-wtmp-'));
}

function opts(dir: string, extra: Partial<WtmpOptions> = {}): WtmpOptions {
  return { ...wtmpOptions({}), wtmpPath: path.join(dir, 'wtmp'), wtmpdbPath: path.join(dir, 'wtmp.db'), ...extra };
}

const NOW = T('2024-05-20T00:00:00Z');

test('parses the real fixture: login, logout and boot', () => {
  const { records, skipped } = parseWtmp(fs.readFileSync(FIXTURE));
  assert.equal(skipped, 0);
  assert.deepEqual(records.map((r) => [r.type, r.user, r.line, r.host, isoMicros(r.time)]), [
    [7, 'alice', 'pts/0', '192.0.2.10', '2024-05-01T10:00:00.000000Z'],
    [8, '', 'pts/0', '', '2024-05-01T11:00:00.000000Z'],
    [2, 'reboot', '~', '6.1.0-21-amd64', '2024-05-01T09:00:00.000000Z'],
  ]);
  assert.equal(records[0]!.addr, '192.0.2.10');
  assert.equal(records[0]!.pid, 12345);
});

test('a login/logout pair is one closed session; microseconds are kept', () => {
  const buf = wtmpBytes([
    { type: UT.USER_PROCESS, user: 'bob', line: 'pts/1', host: 'h.example', time: '2024-05-02T08:00:00.123456Z' },
    { type: UT.DEAD_PROCESS, line: 'pts/1', time: '2024-05-02T09:30:00Z' },
  ]);
  const { records, skipped } = parseWtmp(buf);
  assert.equal(skipped, 0);
  assert.deepEqual(pairSessions(records), [
    { user: 'bob', line: 'pts/1', host: 'h.example', login: T('2024-05-02T08:00:00.123456Z'), logout: T('2024-05-02T09:30:00Z'), end: 'logout' },
  ]);
});

test('a boot with sessions open ends them as crash; a shutdown as reboot; later logins stay open', () => {
  const buf = wtmpBytes([
    { type: UT.USER_PROCESS, user: 'alice', line: 'pts/0', time: '2024-05-02T08:00:00Z' },
    { type: UT.USER_PROCESS, user: 'bob', line: 'tty1', time: '2024-05-02T08:05:00Z' },
    { type: UT.BOOT_TIME, user: 'reboot', line: '~', host: '6.1.0', time: '2024-05-02T09:00:00Z' },
    { type: UT.USER_PROCESS, user: 'carol', line: 'pts/0', time: '2024-05-02T10:00:00Z' },
    { type: UT.RUN_LVL, user: 'shutdown', line: '~', time: '2024-05-02T11:00:00Z' },
    { type: UT.BOOT_TIME, user: 'reboot', line: '~', time: '2024-05-02T11:01:00Z' },
    { type: UT.USER_PROCESS, user: 'dave', line: 'pts/3', time: '2024-05-02T12:00:00Z' },
    { type: UT.DEAD_PROCESS, line: 'pts/9', time: '2024-05-02T12:30:00Z' },
  ]);
  const sessions = pairSessions(parseWtmp(buf).records);
  assert.deepEqual(sessions.map((s) => [s.user, s.end, s.logout === null ? null : isoMicros(s.logout)]), [
    ['alice', 'crash', '2024-05-02T09:00:00.000000Z'],
    ['bob', 'crash', '2024-05-02T09:00:00.000000Z'],
    ['carol', 'reboot', '2024-05-02T11:00:00.000000Z'],
    ['dave', null, null],
  ]);
});

test('a garbage record and a truncated tail are skipped and counted', () => {
  const good = fs.readFileSync(FIXTURE);
  const junk = Buffer.alloc(RECORD_SIZE, 0x41);
  junk.writeInt32LE(77, 0); // type out of range
  const ctrl = Buffer.from(good.subarray(0, RECORD_SIZE));
  ctrl[44] = 0x07; // a control byte in ut_user
  const random = Buffer.from(Array.from({ length: RECORD_SIZE }, (_, i) => (i * 131 + 7) % 256));
  random.writeInt32LE(-5, 0);
  const buf = Buffer.concat([good, junk, ctrl, random, good.subarray(0, 100)]);
  const { records, skipped } = parseWtmp(buf);
  assert.equal(records.length, 3);
  assert.equal(skipped, 4);
});

test('arbitrary bytes never throw and every record read is plausible', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: RECORD_SIZE * 4 + 50 }), fc.boolean(), (bytes, withGood) => {
      const buf = withGood ? Buffer.concat([fs.readFileSync(FIXTURE), Buffer.from(bytes)]) : Buffer.from(bytes);
      const { records, skipped } = parseWtmp(buf);
      assert.equal(records.length + skipped, Math.ceil(buf.length / RECORD_SIZE));
      for (const r of records) {
        assert.ok(r.type >= 0 && r.type <= 9);
        assert.doesNotMatch(r.user + r.line + r.host, /[\0-\x1f\x7f]/);
      }
      pairSessions(records);
    }),
    { numRuns: 300 },
  );
});

test('collect: items keyed wtmp://user@line/login, exact and reversible', () => {
  const dir = tmpdir();
  try {
    fs.copyFileSync(FIXTURE, path.join(dir, 'wtmp'));
    const ctx = new TestContext('wtmp');
    collectWtmp(ctx, opts(dir), NOW);
    assert.deepEqual(ctx.errors, []);
    assert.deepEqual(ctx.notes, []);
    assert.deepEqual(ctx.items, [{
      key: 'wtmp://alice@pts/0/2024-05-01T10:00:00.000000Z',
      attributes: { user: 'alice', line: 'pts/0', host: '192.0.2.10', login: '2024-05-01T10:00:00.000000Z', logout: '2024-05-01T11:00:00.000000Z', end: 'logout' },
    }]);
    const odd = sessionKey({ user: 'a%b', line: 'pts/\n', login: 0 });
    assert.equal(odd, 'wtmp://a%25b@pts/%0A/1970-01-01T00:00:00.000000Z');
    assert.equal(decodePath(splitKey(odd).rest).toString(), 'a%b@pts/\n/1970-01-01T00:00:00.000000Z');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('collect: a missing wtmp is a note, garbage is a note, max_age drops old closed sessions', () => {
  const dir = tmpdir();
  try {
    let ctx = new TestContext('wtmp');
    collectWtmp(ctx, opts(dir), NOW);
    assert.deepEqual(ctx.notes, [`wtmp: ${path.join(dir, 'wtmp')} does not exist`]);
    assert.deepEqual(ctx.errors, []);
    assert.equal(ctx.items.length, 0);

    fs.writeFileSync(path.join(dir, 'wtmp'), Buffer.concat([
      wtmpBytes([
        { type: UT.USER_PROCESS, user: 'old', line: 'pts/0', time: '2024-03-01T00:00:00Z' },
        { type: UT.DEAD_PROCESS, line: 'pts/0', time: '2024-03-01T01:00:00Z' },
        { type: UT.USER_PROCESS, user: 'stay', line: 'tty1', time: '2024-03-02T00:00:00Z' },
        { type: UT.USER_PROCESS, user: 'new', line: 'pts/0', time: '2024-05-10T00:00:00Z' },
      ]),
      Buffer.alloc(10, 0xff),
    ]));
    ctx = new TestContext('wtmp');
    collectWtmp(ctx, opts(dir), NOW);
    assert.deepEqual(ctx.notes, [`wtmp: ${path.join(dir, 'wtmp')}: skipped 1 invalid record`]);
    assert.deepEqual(ctx.items.map((i) => i.attributes.user), ['stay', 'new'], 'open sessions are kept whatever their age');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('collect: rotated wtmp.1 + wtmp pair across files; rotated-away sessions are carried, open ones closed later', () => {
  const dir = tmpdir();
  try {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(`${wtmp}.1`, wtmpBytes([
      { type: UT.USER_PROCESS, user: 'ann', line: 'pts/0', time: '2024-05-01T08:00:00Z' },
      { type: UT.DEAD_PROCESS, line: 'pts/0', time: '2024-05-01T09:00:00Z' },
      { type: UT.USER_PROCESS, user: 'ben', line: 'pts/1', time: '2024-05-01T10:00:00Z' },
    ]));
    fs.writeFileSync(wtmp, wtmpBytes([
      { type: UT.USER_PROCESS, user: 'cat', line: 'pts/2', time: '2024-05-03T08:00:00Z' },
    ]));
    const first = new TestContext('wtmp');
    collectWtmp(first, opts(dir), NOW);
    assert.deepEqual(first.items.map((i) => [i.attributes.user, i.attributes.end]), [['ann', 'logout'], ['ben', null], ['cat', null]]);
    const withoutRotated = new TestContext('wtmp');
    collectWtmp(withoutRotated, opts(dir, { rotated: false }), NOW);
    assert.deepEqual(withoutRotated.items.map((i) => i.attributes.user), ['cat']);

    // logrotate: wtmp → wtmp.1, the old wtmp.1 is gone; ben logs out in the new wtmp.
    fs.renameSync(wtmp, `${wtmp}.1`);
    fs.writeFileSync(wtmp, wtmpBytes([{ type: UT.DEAD_PROCESS, line: 'pts/1', time: '2024-05-04T08:00:00Z' }]));
    const second = new TestContext('wtmp');
    for (const i of first.asStored()) second.prev.set(i.key, i);
    collectWtmp(second, opts(dir), NOW);
    // ann's rotated-away session is carried; ben's, carried too, is replaced by its closed state.
    assert.deepEqual([...second.carried].map((k) => second.attrs(k)?.user), ['ann']);
    const ben = second.item('wtmp://ben@pts/1/2024-05-01T10:00:00.000000Z');
    assert.equal(ben?.attributes.logout, '2024-05-04T08:00:00.000000Z', 'the carried open session is closed by the later logout');
    assert.equal(ben?.attributes.end, 'logout');
    assert.deepEqual(second.items.map((i) => i.attributes.user), ['ben', 'cat']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('wtmpdb: a real SQLite file, sessions closed by logout, shutdown and crash', () => {
  const dir = tmpdir();
  try {
    const db = new Database(path.join(dir, 'wtmp.db'));
    db.exec('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;');
    const ins = db.prepare('INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES (?,?,?,?,?,?,?)');
    const us = (iso: string) => BigInt(T(iso));
    ins.run(1, 'reboot', us('2024-05-05T08:00:00Z'), us('2024-05-05T12:00:00Z'), '~', '6.12.48+deb13-amd64', null);
    ins.run(3, 'alice', us('2024-05-05T09:00:00.123456Z'), us('2024-05-05T10:00:00Z'), 'pts/0', '192.0.2.15', 'sshd');
    ins.run(3, 'root', us('2024-05-05T09:30:00Z'), null, 'tty1', null, 'login');
    ins.run(1, 'reboot', us('2024-05-05T12:05:00Z'), null, '~', '6.12.48+deb13-amd64', null);
    ins.run(3, 'eve', us('2024-05-05T13:00:00Z'), null, 'pts/1', '2001:db8::7', 'sshd');
    ins.run(1, 'reboot', us('2024-05-05T14:00:00Z'), null, '~', '6.12.48+deb13-amd64', null);
    ins.run(3, 'deploy', us('2024-05-05T15:00:00Z'), null, 'pts/2', '2001:db8::8', 'sshd');
    db.close();
    const ctx = new TestContext('wtmp');
    collectWtmp(ctx, opts(dir), NOW);
    assert.deepEqual(ctx.errors, []);
    assert.deepEqual(ctx.notes, [], 'no wtmp file is fine when wtmpdb exists');
    assert.deepEqual(ctx.items.map((i) => [i.key, i.attributes.host, i.attributes.logout, i.attributes.end]), [
      ['wtmp://alice@pts/0/2024-05-05T09:00:00.123456Z', '192.0.2.15', '2024-05-05T10:00:00.000000Z', 'logout'],
      ['wtmp://root@tty1/2024-05-05T09:30:00.000000Z', '', '2024-05-05T12:00:00.000000Z', 'reboot'],
      ['wtmp://eve@pts/1/2024-05-05T13:00:00.000000Z', '2001:db8::7', '2024-05-05T14:00:00.000000Z', 'crash'],
      ['wtmp://deploy@pts/2/2024-05-05T15:00:00.000000Z', '2001:db8::8', null, null],
    ]);
    assert.equal(wtmpdbSessions([]).length, 0);

    fs.writeFileSync(path.join(dir, 'wtmp.db'), 'not a database, just text\n'.repeat(40));
    const bad = new TestContext('wtmp');
    collectWtmp(bad, opts(dir), NOW);
    assert.equal(bad.errors.length, 1);
    assert.equal(bad.errors[0]!.key, `wtmp://${path.join(dir, 'wtmp.db')}`);
    assert.match(bad.errors[0]!.message, /^wtmpdb: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
