/**
 * A local user cannot make root read another tree through a directory it owns (issue 13.1).
 * A user created by the test owns directories in the watched tree and, while 30 runs walk,
 * hash and store it, swaps them for symlinks to a root-only directory holding a look-alike
 * file: timed by inotify (`mv d d.real; ln -s /victim d` when root opens d), in a tight loop,
 * and with renameat2(RENAME_EXCHANGE) (test/robustness/race/swap.c, compiled here with cc).
 * The look-alike's bytes must never be in the database (with its WAL), a report, an export
 * or a mail.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from '../helpers.js';
import { startSmtp } from '../../src/mail/test-smtp.js';
import { everyOutput, storageBytes } from './outputs.js';

const isRoot = process.getuid?.() === 0;
const hasCc = spawnSync('cc', ['--version']).status === 0;
const hasUseradd = spawnSync('useradd', ['--help']).status === 0;

test('directory swaps by a local user (inotify-timed mv + ln -s, a loop, RENAME_EXCHANGE) never make root store another tree', {
  skip: (!isRoot && 'needs root (creates a user)') || (!hasCc && 'needs cc') || (!hasUseradd && 'needs useradd'),
  timeout: 600_000,
}, async () => {
  const server = await startSmtp();
  const user = `scmrace${process.pid % 100000}`;
  const sb = sandbox(undefined, `[mail.smtp]\nto_addr = ops@example.com\nhost = 127.0.0.1\nport = ${server.port}\ntimeout = 5\n`);
  const attackers: ChildProcess[] = [];
  const outputs: string[] = [];
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    fs.chmodSync(sb.dir, 0o755);
    fs.chmodSync(sb.tree, 0o755);
    const swap = path.join(sb.dir, 'swap');
    execFileSync('cc', ['-O2', '-o', swap, path.join(import.meta.dirname, 'race', 'swap.c')]);

    // The root-only directory with the look-alike file, outside the watched tree.
    const lookalike = `LOOKALIKE${randomBytes(12).toString('hex').toUpperCase()}`;
    const victim = path.join(sb.dir, 'victim');
    fs.mkdirSync(victim, { mode: 0o700 });
    fs.writeFileSync(path.join(victim, 'shadow'), `root:${lookalike}:19000:0:99999:7:::\n`, { mode: 0o600 });
    fs.mkdirSync(path.join(victim, 'sub'), { mode: 0o700 });
    fs.writeFileSync(path.join(victim, 'sub', 'shadow'), `root:${lookalike}:19000:0:99999:7:::\n`, { mode: 0o600 });

    // The user's home in the watched tree: three directories, each with files of the same names.
    const home = path.join(sb.tree, 'home', user);
    fs.mkdirSync(home, { recursive: true });
    const own = `USERTEXT${randomBytes(8).toString('hex').toUpperCase()}`;
    for (const d of ['d1', 'd2', 'd3']) {
      fs.mkdirSync(path.join(home, d, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(home, d, 'shadow'), `${own} ${d}\n`);
      fs.writeFileSync(path.join(home, d, 'sub', 'shadow'), `${own} ${d}/sub\n`);
    }
    execFileSync('chown', ['-R', `${uid}:${gid}`, home]);

    assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
    for (const [mode, d] of [['inotify', 'd1'], ['loop', 'd2'], ['exchange', 'd3']] as const) {
      const child = spawn(swap, [mode, path.join(home, d), victim], { uid, gid, cwd: home, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.on('close', () => outputs.push(`${mode} ${out.trim()}`));
      attackers.push(child);
    }
    let observed = 0;
    for (let i = 0; i < 30; i++) {
      const r = await sb.runAsync('run', '--quiet');
      assert.ok(r.code === 0 || r.code === 3, `run ${i + 1} exited ${r.code}: ${r.stderr}`);
      const json = await sb.runAsync('print-report', '--format', 'json');
      if (/replaced while reading|"symlink"/.test(json.stdout)) observed++;
      for (const [where, bytes] of [['print-report json', json.stdout], ['the database files', storageBytes(sb.storage)]] as const) {
        assert.ok(!bytes.includes(lookalike), `the look-alike's bytes found in ${where} after run ${i + 1}`);
      }
    }
    for (const a of attackers) a.kill('SIGTERM');
    await Promise.all(attackers.map((a) => new Promise((r) => (a.exitCode !== null ? r(null) : a.on('close', r)))));

    const places = await everyOutput(sb, server);
    const stored = places[0]![1];
    for (const [where, bytes] of places) assert.ok(!bytes.includes(lookalike), `the look-alike's bytes found in ${where}`);
    // The search works (the user's own texts are stored), the attackers really swapped, and
    // the runs saw it.
    assert.ok(stored.includes(own), "the user's own file texts are stored");
    assert.ok(server.received.length > 0, 'changes were mailed');
    assert.equal(outputs.length, 3, outputs.join('; '));
    for (const o of outputs) assert.ok(Number(o.split(' ')[1]) > 0, `attacker made no swap: ${o}`);
    assert.ok(observed > 0, 'some run saw a swapped directory');
  } finally {
    for (const a of attackers) if (a.exitCode === null) a.kill('SIGKILL');
    await server.close();
    spawnSync('userdel', [user]);
    sb.cleanup();
  }
});
