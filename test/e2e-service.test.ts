/**
 * The program as a system service: quiet under cron, syslog lines from a real run through the
 * real logger(1) to a loopback listener, a log file, progress on a terminal only, the man
 * page agreeing with every command's --help, and the Debian version matching package.json.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, ROOT, sandbox } from './helpers.js';

function udpListener(): Promise<{ port: number; messages: string[]; waitFor(n: number): Promise<string[]>; close(): void }> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const messages: string[] = [];
    const waiters: Array<{ n: number; r: (m: string[]) => void }> = [];
    sock.on('message', (m) => {
      messages.push(m.toString('utf8'));
      for (const w of waiters) if (messages.length >= w.n) w.r(messages);
    });
    sock.bind(0, '127.0.0.1', () =>
      resolve({
        port: sock.address().port,
        messages,
        waitFor: (n) => (messages.length >= n ? Promise.resolve(messages) : new Promise((r) => waiters.push({ n, r }))),
        close: () => sock.close(),
      }),
    );
  });
}

test('under cron: run --skip-empty-mail --quiet prints nothing on success; syslog gets the summary and each change', async () => {
  const l = await udpListener();
  const sb = sandbox(undefined, `[log.syslog]\nenabled = true\nfacility = local5\nper_change = true\nserver = 127.0.0.1:${l.port}\n`);
  try {
    fs.writeFileSync(path.join(sb.tree, 'a.conf'), 'one\n');
    const first = sb.run('run', '--skip-empty-mail', '--quiet');
    assert.deepEqual([first.code, first.stdout, first.stderr], [0, '', '']);
    const [baseline, chainStart] = await l.waitFor(2);
    assert.match(baseline!, /^<174>1 \S+ \S+ syschangemon - summary .*session [0-9a-f-]{36}: baseline, \d+ items, 0 errors$/);
    // The session's digest; the first of a chain at notice (local5 = 21: 21*8+5).
    assert.match(chainStart!, /^<173>1 .* session [0-9a-f-]{36} started \S+ digest [0-9a-f]{64} starts a new chain \(new database\), unsigned$/);

    fs.writeFileSync(path.join(sb.tree, 'a.conf'), 'two, longer\n');
    fs.writeFileSync(path.join(sb.tree, 'b.conf'), 'new\n');
    const second = sb.run('run', '--skip-empty-mail', '--quiet');
    assert.deepEqual([second.code, second.stdout, second.stderr], [0, '', '']);
    const [report] = sb.json<Array<{ uuid: string; new_session_uuid?: string }>>('list-reports', '--format', 'json');
    const sessions = sb.json<Array<{ uuid: string }>>('list-sessions', '--format', 'json');
    const got = await l.waitFor(2 + 1);
    // local5 = 21: notice = 21*8+5.
    const summary = got.find((m) => m.startsWith('<173>1 ') && m.includes(' added, '));
    assert.ok(summary, got.join('\n'));
    assert.ok(summary.endsWith(`session ${sessions[0]!.uuid}: 2 added, 0 removed, 2 changed, 0 errors; report ${report!.uuid}`), summary);
    const changes = await l.waitFor(2 + 1 + 4 + 1);
    assert.ok(changes.some((m) => m.startsWith('<174>1 ') && m.includes(`session ${sessions[0]!.uuid} started `) && / digest [0-9a-f]{64} prev [0-9a-f]{64}, unsigned$/.test(m)), changes.join('\n'));
    // Change lines: MSGID change, their structured data, then the text; the syslog severity follows the change's.
    const changeLine = /^<17[0-7]>1 \S+ \S+ syschangemon - change (?:\[(?:[^\]\\]|\\.)*\])+ (.*)$/;
    const keys = changes.map((m) => changeLine.exec(m)?.[1]).filter((t): t is string => t !== undefined && t.includes(`; report ${report!.uuid}`));
    assert.equal(keys.length, 4, changes.join('\n'));
    assert.ok(keys.some((k) => k.startsWith(`added file://${sb.tree}/b.conf`)), keys.join('\n'));
    assert.ok(keys.some((k) => k.startsWith(`changed file://${sb.tree}/a.conf (`)), keys.join('\n'));
  } finally {
    l.close();
    sb.cleanup();
  }
});

test('a syslog server that refuses is one warning; the run still exits 0', () => {
  const sb = sandbox(undefined, `[log.syslog]\nenabled = true\nserver = 127.0.0.1:1\nprotocol = tcp\n`);
  try {
    const r = sb.run('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const warn = sb.run('run');
    assert.equal(warn.code, 0);
    assert.match(warn.stderr, /^syschangemon: warn: syslog: logger exited with 1/m);
  } finally {
    sb.cleanup();
  }
});

test('under systemd (INVOCATION_ID) the summary goes to stderr with an sd-daemon prefix', () => {
  const sb = sandbox(undefined, `[log.syslog]\nenabled = true\n`);
  try {
    const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'run', '--quiet'], {
      encoding: 'utf8',
      env: { ...process.env, SYSCHANGEMON_CONFIG: '', INVOCATION_ID: '0123456789abcdef' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^<6>session [0-9a-f-]{36}: baseline, \d+ items, 0 errors\n<5>session [0-9a-f-]{36} started \S+ digest [0-9a-f]{64} starts a new chain \(new database\), unsigned\n$/);
  } finally {
    sb.cleanup();
  }
});

test('[log.logging] file: debug records of a run, with rotation', () => {
  const sb = sandbox(undefined, `[log.logging]\nfile = scm.log\nlevel = debug\nrotate = true\nmax_bytes = 1M\n`);
  try {
    assert.equal(sb.run('collect', '--quiet').code, 0);
    const log = fs.readFileSync(path.join(sb.etc, 'scm.log'), 'utf8');
    assert.match(log, /syschangemon\[\d+\]: DEBUG: session [0-9a-f-]{36}: \d+ items, 0 errors\n/);
    assert.equal(fs.statSync(path.join(sb.etc, 'scm.log')).mode & 0o777, 0o600);
  } finally {
    sb.cleanup();
  }
});

test('collect shows progress on a terminal only: nothing in a pipe, a progress line under a pty', (t) => {
  const sb = sandbox();
  try {
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`);
    const piped = sb.run('collect');
    assert.deepEqual([piped.code, piped.stdout, piped.stderr], [0, '', '']);
    const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
    if (!hasScript) return t.skip('script(1) is not installed');
    // script(1) gives the program a pseudo-terminal; its output is what a terminal would show.
    const cmd = [process.execPath, CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect'].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, SYSCHANGEMON_CONFIG: '' } });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /collect file: \d+ items/);
    const quiet = spawnSync('script', ['-qec', `${cmd} --quiet`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, SYSCHANGEMON_CONFIG: '' } });
    assert.equal(quiet.status, 0);
    assert.doesNotMatch(quiet.stdout, /collect file/);
  } finally {
    sb.cleanup();
  }
});

/** The man page as plain text: roff escapes and font changes removed. */
function manText(): string {
  return fs
    .readFileSync(path.join(ROOT, 'man', 'syschangemon.8'), 'utf8')
    .replace(/\\f[BIRP]/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\&/g, '')
    .replace(/\\e/g, '\\');
}

test('the man page is generated from docs/syschangemon.8.md and is up to date', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scm-man-')), 'syschangemon.8');
  const r = spawnSync(process.execPath, ['scripts/gen-man.mjs', 'docs/syschangemon.8.md', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), fs.readFileSync(path.join(ROOT, 'man', 'syschangemon.8'), 'utf8'), 'run: node scripts/gen-man.mjs');
  fs.rmSync(path.dirname(out), { recursive: true });
});

test('every command and option in --help is in the man page, and every command in the man page exists', () => {
  const man = manText();
  const help = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')} --help: ${r.stderr}`);
    return r.stdout;
  };
  const top = help();
  const commands = [...top.matchAll(/^ {2}syschangemon ([a-z-]+)/gm)].map((m) => m[1]!);
  assert.ok(commands.length >= 10, top);
  const section = man.slice(man.indexOf('.SH COMMANDS'), man.indexOf('.SH OPTIONS'));
  const manCommands = [...section.matchAll(/^\.TP\n([a-z-]+)\n/gm)].map((m) => m[1]!);
  assert.deepEqual([...manCommands].sort(), [...commands].sort(), 'COMMANDS section lists exactly the commands');
  for (const cmd of ['', ...commands]) {
    const text = cmd ? help(cmd) : top;
    for (const [, short, long] of text.matchAll(/^ {2}(?:(-[A-Za-z]), )? *(--[a-z][a-z-]*)/gm)) {
      assert.ok(man.includes(long!), `${cmd || 'syschangemon'}: ${long} missing from the man page`);
      if (short) assert.ok(man.includes(`${short}, ${long}`), `${cmd || 'syschangemon'}: ${short}, ${long} missing from the man page`);
    }
    for (const [, formats] of text.matchAll(/\[--format ([a-z|\s]+)\]/g)) {
      for (const f of formats!.replace(/\s+/g, '').split('|')) assert.match(man, new RegExp(`\\b${f}\\b`), `${cmd}: format ${f}`);
    }
  }
});

test('debian/changelog carries the version of package.json; the cron job matches the man page', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const first = fs.readFileSync(path.join(ROOT, 'debian', 'changelog'), 'utf8').split('\n')[0]!;
  const m = /^syschangemon \(([^)]+)\)/.exec(first);
  assert.ok(m, first);
  // A Debian revision (-1) or native version: the upstream part must match.
  assert.equal(m[1]!.replace(/-[^-]+$/, ''), pkg.version);
  const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
  assert.equal(v.stdout.trim(), pkg.version);
  const cron = fs.readFileSync(path.join(ROOT, 'cron.d', 'syschangemon'), 'utf8');
  const job = cron.split('\n').find((l) => /^[0-9*]/.test(l));
  assert.ok(job?.includes('/usr/sbin/syschangemon run --skip-empty-mail --quiet'), job);
});
