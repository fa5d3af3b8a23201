/**
 * Every broken database can be reset, and nothing foreign is touched: a malformed database or
 * an unusable lock is moved aside by `reset` (named), which takes the new baseline before it
 * drops the old sessions; a foreign SQLite file is refused before any change; a failed write on
 * a full disk gives its WAL space back; a read-only storage directory can still be read.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, type Sandbox, sandbox } from '../helpers.js';

const isRoot = process.getuid?.() === 0;
const sqlite = (db: string, sql: string) => execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
const oneLine = (s: string) => s.trim().split('\n').length === 1;

function filled(): Sandbox {
  const sb = sandbox();
  for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`.repeat(50));
  return sb;
}

const sessions = (sb: Sandbox) => sb.json('list-sessions', '--format', 'json') as { uuid: string }[];

test('a malformed database: the error names reset, and reset moves it aside (named) and takes a new baseline', () => {
  const sb = filled();
  try {
    assert.equal(sb.run('collect').code, 0);
    assert.equal(sb.run('collect').code, 0);
    const db = path.join(sb.storage, 'db.sqlite');
    sqlite(db, 'PRAGMA wal_checkpoint(TRUNCATE)');
    const bad = Buffer.from(fs.readFileSync(db));
    for (let i = 8192; i < Math.min(bad.length, 8192 * 6); i++) bad[i] = (i * 7919) & 0xff;
    fs.writeFileSync(db, bad);
    const c = sb.run('collect');
    assert.equal(c.code, 1);
    assert.ok(oneLine(c.stderr), c.stderr);
    assert.match(c.stderr, /malformed.*run 'syschangemon reset'/);
    const r = sb.run('reset');
    assert.equal(r.code, 0, r.stderr);
    const moved = r.stdout.match(/^moved (\S+) aside to (\S+) \((.*)\)$/m);
    assert.ok(moved, r.stdout);
    assert.equal(moved[1], db);
    assert.ok(fs.readFileSync(path.join(sb.storage, moved[2]!)).equals(bad), 'the broken file is kept as it was');
    assert.equal(sessions(sb).length, 1, 'a new baseline');
    assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sb.run('collect').code, 0, 'and collect works again');
  } finally {
    sb.cleanup();
  }
});

test('an unusable lock and a planted WAL symlink: reset moves them aside and works', () => {
  const sb = filled();
  try {
    assert.equal(sb.run('collect').code, 0);
    const lock = path.join(sb.storage, 'lock');
    fs.writeFileSync(lock, 'not a lock '.repeat(1000));
    const c = sb.run('collect');
    assert.equal(c.code, 1);
    assert.ok(oneLine(c.stderr), c.stderr);
    assert.match(c.stderr, /lock/);
    fs.symlinkSync('/nonexistent/elsewhere', path.join(sb.storage, 'db.sqlite-wal'));
    const r = sb.run('reset');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^moved ${lock} aside to lock\\.broken-`, 'm'));
    assert.match(r.stdout, /^moved \S+\/db\.sqlite-wal aside to db\.sqlite-wal\.broken-.*symlink/m);
    assert.equal(sessions(sb).length, 1);
    assert.ok(!fs.existsSync('/nonexistent/elsewhere'));
  } finally {
    sb.cleanup();
  }
});

test('reset takes the new baseline before dropping the old sessions: a reset killed midway leaves them', async () => {
  const marker = `sleep ${400 + (process.pid % 500)}.7`;
  const sb = sandbox();
  try {
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    assert.equal(sb.run('collect').code, 0);
    assert.equal(sb.run('collect').code, 0);
    const before = sessions(sb).map((s) => s.uuid);
    assert.equal(before.length, 2);
    // A slow command keeps the reset inside its collect.
    sb.writePlugin('command', `[command]\nenable_plugin = true\ntimeout = 120\ncommand.slow = ${marker}\n`);
    const child = spawn(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'reset'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const slowPid = () => {
      const line = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').find((l) => l.trim().endsWith(marker));
      return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
    };
    let pid: number | undefined;
    for (let i = 0; i < 600 && !(pid = slowPid()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pid, 'the reset is collecting');
    child.kill('SIGKILL');
    await exited;
    process.kill(pid, 'SIGKILL');
    assert.deepEqual(sessions(sb).map((s) => s.uuid), before, 'the old sessions are all there');
    // A reset that finishes keeps only its baseline.
    sb.writePlugin('command', '[command]\nenable_plugin = false\n');
    assert.equal(sb.run('reset').code, 0);
    const after = sessions(sb);
    assert.equal(after.length, 1);
    assert.ok(!before.includes(after[0]!.uuid));
    assert.equal(sb.json('list-reports', '--format', 'json').length, 0);
  } finally {
    sb.cleanup();
  }
});

test('a foreign SQLite file is refused before any change: no chmod, no WAL, the bytes as they were', () => {
  const sb = filled();
  try {
    fs.mkdirSync(sb.storage, { mode: 0o700 });
    const db = path.join(sb.storage, 'db.sqlite');
    sqlite(db, 'CREATE TABLE accounts (name TEXT); INSERT INTO accounts VALUES (\'alice\');');
    fs.chmodSync(db, 0o644);
    const bytes = fs.readFileSync(db);
    for (const cmd of ['collect', 'run', 'list-sessions', 'export', 'cleanup']) {
      const r = sb.run(cmd);
      assert.equal(r.code, 1, cmd);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.match(r.stderr, /not a syschangemon database \(a foreign SQLite file\)/);
    }
    assert.equal(fs.statSync(db).mode & 0o777, 0o644, 'not chmodded');
    assert.ok(fs.readFileSync(db).equals(bytes), 'not changed');
    assert.deepEqual(fs.readdirSync(sb.storage).filter((n) => n.startsWith('db.sqlite')), ['db.sqlite'], 'no -wal or -shm made');
    assert.equal(sqlite(db, 'PRAGMA journal_mode'), 'delete');
    // reset moves it aside, unchanged.
    const r = sb.run('reset');
    assert.equal(r.code, 0, r.stderr);
    const aside = fs.readdirSync(sb.storage).find((n) => n.startsWith('db.sqlite.broken-') && !n.includes('-wal') && !n.includes('-shm'))!;
    assert.ok(fs.readFileSync(path.join(sb.storage, aside)).equals(bytes));
  } finally {
    sb.cleanup();
  }
});

test('a write that fills the disk gives the WAL space back', { skip: !isRoot && 'needs root to mount a tmpfs' }, (t) => {
  const sb = sandbox();
  const mnt = path.join(sb.dir, 'small');
  fs.mkdirSync(mnt);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status !== 0) {
    sb.cleanup();
    t.skip('cannot mount a tmpfs here');
    return;
  }
  try {
    fs.writeFileSync(path.join(sb.etc, 'syschangemon.conf'), `[syschangemon]\n[storage]\ndir = ${mnt}/state\n`);
    fs.writeFileSync(path.join(sb.tree, 'small'), 'x\n');
    assert.equal(sb.run('collect').code, 0);
    const free = () => fs.statfsSync(mnt).bavail;
    const freeBefore = free();
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(sb.tree, `big${i}`), `${i}`.repeat(90_000));
    const r = sb.run('collect');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /full/);
    const wal = path.join(mnt, 'state', 'db.sqlite-wal');
    assert.ok(!fs.existsSync(wal) || fs.statSync(wal).size === 0, 'the WAL is truncated');
    assert.equal(free(), freeBefore, 'the space is returned');
  } finally {
    spawnSync('umount', [mnt]);
    sb.cleanup();
  }
});

test('on a read-only storage directory list-sessions, list-reports, print-report and export still work', { skip: !isRoot && 'needs root for a read-only bind mount' }, (t) => {
  const sb = filled();
  let mounted = false;
  try {
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.writeFileSync(path.join(sb.tree, 'f1'), 'changed\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const want = {
      sessions: sb.run('list-sessions', '--format', 'json').stdout,
      report: sb.run('print-report', '--format', 'json').stdout,
      export: sb.run('export', '--format', 'json').stdout,
    };
    mounted =
      spawnSync('mount', ['--bind', sb.storage, sb.storage]).status === 0 &&
      spawnSync('mount', ['-o', 'remount,bind,ro', sb.storage]).status === 0;
    if (!mounted) {
      t.skip('cannot make a read-only bind mount here');
      return;
    }
    assert.throws(() => fs.writeFileSync(path.join(sb.storage, 'probe'), 'x'), /EROFS/);
    assert.equal(sb.run('list-sessions', '--format', 'json').stdout, want.sessions);
    assert.equal(sb.run('print-report', '--format', 'json').stdout, want.report);
    assert.equal(sb.run('export', '--format', 'json').stdout, want.export);
    for (const args of [['list-sessions'], ['list-reports'], ['print-report'], ['print-report', '--format', 'html'], ['export', '--format', 'csv']]) {
      const r = sb.run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stdout.length > 0);
    }
    const c = sb.run('collect');
    assert.equal(c.code, 1);
    assert.ok(oneLine(c.stderr), c.stderr);
  } finally {
    if (mounted) spawnSync('umount', [sb.storage]);
    sb.cleanup();
  }
});
