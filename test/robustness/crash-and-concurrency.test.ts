/**
 * Crashes, a full disk and concurrent runs: the database stays intact, no incomplete session is
 * ever used, and the next run reports correctly against the last complete session.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, type Sandbox, sandbox } from '../helpers.js';

const isRoot = process.getuid?.() === 0;

function sqlite(db: string, sql: string): string {
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
}

function spawnCli(sb: Sandbox, ...args: string[]) {
  return spawn(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), ...args], { stdio: 'ignore' });
}

/** A deterministic pseudo-random sequence. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('kill -9 at random moments of collect and run, many times', async () => {
  const sb = sandbox();
  try {
    // Enough files that a collect takes a noticeable time.
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(sb.tree, `d${d}`));
      for (let f = 0; f < 150; f++) fs.writeFileSync(path.join(sb.tree, `d${d}`, `f${f}`), `${d}/${f}\n`.repeat(20));
    }
    assert.equal(sb.run('collect').code, 0);
    const db = path.join(sb.storage, 'db.sqlite');
    const complete = () => Number(sqlite(db, 'SELECT count(*) FROM sessions WHERE complete = 1'));
    const rand = prng(42);
    for (let i = 0; i < 16; i++) {
      fs.writeFileSync(path.join(sb.tree, 'd0', 'f0'), `iteration ${i}\n`);
      const child = spawnCli(sb, i % 2 ? 'run' : 'collect', '--quiet');
      // Listen at once: a run that ends before the kill has already exited when we wait.
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise((r) => setTimeout(r, 80 + Math.floor(rand() * 700)));
      child.kill('SIGKILL');
      await exited;
      assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok', `iteration ${i}`);
      assert.equal(Number(sqlite(db, 'SELECT count(*) FROM sessions WHERE complete = 0')), 0, 'no incomplete session is kept');
    }
    const before = complete();
    fs.writeFileSync(path.join(sb.tree, 'd1', 'f1'), 'the change after the crashes\n');
    const r = sb.run('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(complete(), Math.min(before + 1, 5));
    const report = sb.json('print-report', '--format', 'json');
    const keys = report.changes.map((c: { key: string }) => c.key);
    assert.ok(keys.includes(`file://${sb.tree}/d1/f1`), 'the change is reported against the last complete session');
    assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
  } finally {
    sb.cleanup();
  }
});

test('two, then five simultaneous runs: exactly one works, the others exit 75 at once', async () => {
  const sb = sandbox();
  try {
    sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.slow = sleep 2\n');
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    for (const n of [2, 5]) {
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: n }, () =>
          new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
            const child = spawn(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'run', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
            let stderr = '';
            child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
            child.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started }));
          }),
        ),
      );
      // Exactly one exit 0: a loser that had waited for the lock would have run after the winner.
      const ok = results.filter((r) => r.code === 0);
      const locked = results.filter((r) => r.code === 75);
      assert.equal(ok.length, 1, JSON.stringify(results));
      assert.equal(locked.length, n - 1, JSON.stringify(results));
      for (const l of locked) {
        assert.equal(l.stderr.trim().split('\n').length, 1);
        assert.match(l.stderr, /another syschangemon run holds the lock/);
      }
    }
  } finally {
    sb.cleanup();
  }
});

test("a killed lock holder's lock is free at once", async () => {
  const sb = sandbox();
  try {
    sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.slow = sleep 30\n');
    const holder = spawnCli(sb, 'collect', '--quiet');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sb.run('collect', '--quiet').code, 75);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.on('exit', r));
    sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.fast = true\n');
    const r = sb.run('collect', '--quiet');
    assert.equal(r.code, 0, r.stderr);
  } finally {
    sb.cleanup();
  }
});

test('a full disk: a clear error, and the previous sessions intact', { skip: !isRoot && 'needs root to mount a tmpfs' }, () => {
  const sb = sandbox();
  const mnt = path.join(sb.dir, 'small');
  fs.mkdirSync(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  if (mount.status !== 0) {
    sb.cleanup();
    return;
  }
  try {
    fs.writeFileSync(path.join(sb.etc, 'syschangemon.conf'), `[syschangemon]\n[storage]\ndir = ${mnt}/state\n`);
    fs.writeFileSync(path.join(sb.tree, 'small'), 'x\n');
    assert.equal(sb.run('collect').code, 0);
    const db = path.join(mnt, 'state', 'db.sqlite');
    const sessionsBefore = sqlite(db, 'SELECT uuid FROM sessions ORDER BY id');
    // Texts that cannot fit: 3 MB of distinct conffile contents.
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(sb.tree, `big${i}`), `${i}`.repeat(90_000));
    const r = sb.run('collect');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /full|SQLITE_FULL|ENOSPC/i);
    assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sqlite(db, 'SELECT uuid FROM sessions ORDER BY id'), sessionsBefore);
    for (let i = 0; i < 40; i++) fs.unlinkSync(path.join(sb.tree, `big${i}`));
    assert.equal(sb.run('collect').code, 0, 'works again once there is room');
  } finally {
    spawnSync('umount', [mnt]);
    sb.cleanup();
  }
});

test('database and directory stay private under umask 000, WAL files included', () => {
  const sb = sandbox();
  try {
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    const r = spawnSync('sh', ['-c', `umask 000; exec "${process.execPath}" "${CLI}" -c "${sb.etc}/syschangemon.conf" run --quiet`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync(sb.storage).mode & 0o777, 0o700);
    for (const name of fs.readdirSync(sb.storage)) {
      assert.equal(fs.statSync(path.join(sb.storage, name)).mode & 0o077, 0, `${name} is private`);
    }
  } finally {
    sb.cleanup();
  }
});

test('read-only commands polling during a collect never break it (the WAL index stays the writer\'s)', async () => {
  // Opening and closing a descriptor of db.sqlite or its -shm in the writing process drops
  // SQLite's fcntl locks; a reader then took the WAL index as its own and reset it under the
  // writer, which died of SIGBUS. list-sessions is what an administrator runs meanwhile.
  const sb = sandbox();
  try {
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`);
    sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.slow = sleep 2\n');
    for (let round = 0; round < 2; round++) {
      const writer = spawn(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      writer.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const done = new Promise<{ code: number | null; signal: string | null }>((r) => writer.on('exit', (code, signal) => r({ code, signal })));
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited) await sb.runAsync('list-sessions');
      const { code, signal } = await done;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    }
    assert.equal(sb.json('list-sessions', '--format', 'json').length, 2);
  } finally {
    sb.cleanup();
  }
});
