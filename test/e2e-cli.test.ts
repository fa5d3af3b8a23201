/**
 * The command line as scripts of the Python tool used it, run with the real program: export
 * with the kept texts, list order, what diff and cleanup say, option checks, per-command help,
 * and reset's question on a terminal (a real pty from script(1)).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, sandbox, type Sandbox } from './helpers.js';

/** CSV parsed by Python's csv module, as the Python tool's users read its export. */
function pythonCsv(text: string): Record<string, string>[] {
  const r = spawnSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin))))'], { input: text, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>[];
}

/** The program under a pseudo-terminal (script(1)), `input` typed into it. */
function onTerminal(sb: Sandbox, args: string[], input: string): { code: number; output: string } {
  const cmd = [process.execPath, CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // Bounded: a question nobody answers must fail the test, not hang it.
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', env: { ...process.env, SYSCHANGEMON_CONFIG: '' } });
  return { code: r.status ?? -1, output: r.stdout };
}

describe('export carries the kept texts', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
    fs.writeFileSync(path.join(sb.tree, 'app.conf'), 'listen = 8080\n');
    fs.writeFileSync(path.join(sb.tree, 'token.secret'), 'hunter2-not-exported\n');
    sb.writePlugin('command', `[command]\nenable_plugin = true\ncommand.echo = echo "stdout value"; echo "stderr value" >&2\ncommand.fails = echo out; exit 3\n`);
    const r = sb.run('collect');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => sb.cleanup());

  test('CSV: one column per text, read back by Python csv', () => {
    const r = sb.run('export');
    assert.equal(r.code, 0, r.stderr);
    const rows = pythonCsv(r.stdout);
    const header = r.stdout.split('\n')[0]!.split(',');
    for (const col of ['key', 'plugin', 'exit_code', 'sha256', 'size', 'content', 'stdout', 'stderr', 'error']) assert.ok(header.includes(col), col);
    const echo = rows.find((x) => x.key === 'command://echo')!;
    assert.deepEqual([echo.plugin, echo.exit_code, echo.stdout, echo.stderr], ['command', '0', 'stdout value\n', 'stderr value\n']);
    assert.equal(rows.find((x) => x.key === 'command://fails')!.exit_code, '3');
    const conf = rows.find((x) => x.key === `conffile://${sb.tree}/app.conf`)!;
    assert.equal(conf.content, 'listen = 8080\n');
    assert.equal(rows.find((x) => x.key === `file://${sb.tree}/app.conf`)!.content, '', 'file items keep no text');
    assert.ok(!r.stdout.includes('hunter2'), 'an excluded file is not stored, so not exported');
  });

  test('JSON: texts beside the content hashes', () => {
    const json = sb.json('export', '--format', 'json');
    const echo = json.items.find((i: { key: string }) => i.key === 'command://echo');
    assert.deepEqual(echo.texts, { stdout: 'stdout value\n', stderr: 'stderr value\n' });
    assert.match(echo.contents.stdout, /^[0-9a-f]{64}$/);
    const conf = json.items.find((i: { key: string }) => i.key === `conffile://${sb.tree}/app.conf`);
    assert.equal(conf.texts.content, 'listen = 8080\n');
    assert.equal(conf.attributes.sha256, conf.contents.content);
  });
});

describe('lists, diff and cleanup as scripts read them', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
  });
  after(() => sb.cleanup());

  test('diff with fewer than two sessions says so, exit 0; --quiet says nothing', () => {
    assert.deepEqual(sb.run('diff'), { code: 0, stdout: 'no previous state - exiting without diff\n', stderr: '' });
    assert.equal(sb.run('collect').code, 0);
    assert.deepEqual(sb.run('diff'), { code: 0, stdout: 'no previous state - exiting without diff\n', stderr: '' });
    assert.deepEqual(sb.run('diff', '--quiet'), { code: 0, stdout: '', stderr: '' });
  });

  test('diff and cleanup say what they did', () => {
    fs.writeFileSync(path.join(sb.tree, 'new'), 'x\n');
    assert.equal(sb.run('collect').code, 0);
    const d = sb.run('diff');
    assert.equal(d.code, 0, d.stderr);
    const [report] = sb.json('list-reports', '--format', 'json');
    const [newS, oldS] = sb.json('list-sessions', '--format', 'json');
    assert.equal(d.stdout, `report ${report.uuid} saved: 2 added, 0 removed, 0 changed, 0 errors (session ${oldS.uuid} -> ${newS.uuid})\n`);
    for (let i = 0; i < 5; i++) assert.equal(sb.run('collect').code, 0);
    const c = sb.run('cleanup');
    assert.deepEqual([c.code, c.stdout], [0, 'cleanup: removed 2 sessions and 0 reports; kept 5 sessions (session_keep = 5) and 1 report (report_keep = 5)\n']);
    assert.deepEqual(sb.run('cleanup', '--quiet'), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(sb.run('diff', '--quiet'), { code: 0, stdout: '', stderr: '' });
  });

  test('list-sessions and list-reports text: oldest first, tail -1 is the newest', () => {
    const sessions = sb.json('list-sessions', '--format', 'json') as { uuid: string }[];
    const lines = sb.run('list-sessions').stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^uuid /);
    assert.deepEqual(lines.slice(1).map((l) => l.split(' ')[0]), sessions.map((s) => s.uuid).reverse());
    assert.equal(sb.run('diff').code, 0);
    const reports = sb.json('list-reports', '--format', 'json') as { uuid: string }[];
    assert.ok(reports.length >= 2);
    const rl = sb.run('list-reports').stdout.trimEnd().split('\n');
    assert.deepEqual(rl.slice(1).map((l) => l.split(' ')[0]), reports.map((r) => r.uuid).reverse());
  });
});

describe('options', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    assert.equal(sb.run('collect').code, 0);
    assert.equal(sb.run('collect').code, 0);
    assert.equal(sb.run('diff', '--quiet').code, 0);
  });
  after(() => sb.cleanup());

  const usage = (args: string[], message: RegExp) => {
    const r = sb.run(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
  };

  test('-r: empty, too short, not hex, twice; a unique 4-character prefix works', () => {
    usage(['print-report', '-r', ''], /^syschangemon: print-report: -r\/--report-uuid: empty value; name a report by its uuid or a unique prefix of at least 4 characters/);
    usage(['print-report', '--report-uuid='], /-r\/--report-uuid: empty value/);
    usage(['print-report', '-r'], /^syschangemon: -r\/--report-uuid needs a value$/m);
    const [report] = sb.json('list-reports', '--format', 'json');
    usage(['print-report', '-r', report.uuid.slice(0, 3)], new RegExp(`-r/--report-uuid "${report.uuid.slice(0, 3)}": prefix too short: at least 4`));
    usage(['print-report', '-r', 'xyz\u001b[2J'], /-r\/--report-uuid "xyz\\u001b\[2J": not a uuid/);
    usage(['print-report', '-r', report.uuid, '-r', report.uuid], /given 2 times/);
    usage(['diff', '-u', ''], /^syschangemon: diff: -u\/--session-uuid: empty value/);
    const ok = sb.run('print-report', '--format', 'json', '-r', report.uuid.slice(0, 4));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).uuid, report.uuid);
    const before = sb.run('-r', report.uuid.slice(0, 4), 'print-report', '--format', 'json');
    assert.equal(JSON.parse(before.stdout).uuid, report.uuid, 'options may stand before the command');
  });

  test('an unknown option or command is named, also before the command', () => {
    usage(['--bogus', 'list-sessions'], /^syschangemon: unknown option "--bogus" before the command; see 'syschangemon --help'$/m);
    usage(['-x', 'run'], /unknown option "-x" before the command/);
    usage(['list-sessions', '--bogus'], /^syschangemon: unknown option "--bogus" for list-sessions; see 'syschangemon list-sessions --help'$/m);
    usage(['lst-sessions'], /^syschangemon: unknown command "lst-sessions"; did you mean list-sessions\?/);
    usage(['-r', 'abcd', 'list-sessions'], /^syschangemon: list-sessions does not use -r\/--report-uuid \(email-report, print-report(, [a-z-]+)* do\)/);
    usage(['collect', '--format', 'json'], /collect does not use --format/);
    usage(['--yes', 'run'], /run does not use -y\/--yes \(reset does\)/);
  });

  test("each command's --help lists only the options it uses", () => {
    const help = (cmd: string) => {
      const r = sb.run(cmd, '--help');
      assert.equal(r.code, 0, r.stderr);
      return new Set([...r.stdout.matchAll(/^\s+(?:-\w, )?\s*(--[\w-]+)/gm)].map((m) => m[1]));
    };
    const common = ['--config', '--debug', '--quiet', '--version', '--help'];
    const expect: Record<string, string[]> = {
      cleanup: [],
      collect: ['--full', '--rescan'],
      diff: ['--old-session-uuid', '--session-uuid', '--exit-status'],
      'email-report': ['--report-uuid', '--skip-empty-mail', '--html', '--min-severity'],
      export: ['--session-uuid', '--format'],
      'list-sessions': ['--format'],
      'print-report': ['--report-uuid', '--html', '--format', '--min-severity', '--output'],
      reset: ['--yes'],
      run: ['--skip-empty-mail', '--html', '--format', '--full', '--rescan', '--exit-status'],
    };
    for (const [cmd, own] of Object.entries(expect)) assert.deepEqual([...help(cmd)].sort(), [...common, ...own].sort(), cmd);
    const top = sb.run('--help');
    assert.doesNotMatch(top.stdout, /--report-uuid/);
  });
});

describe('reset asks on a terminal', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    assert.equal(sb.run('collect').code, 0);
    assert.equal(sb.run('collect').code, 0);
  });
  after(() => sb.cleanup());
  const count = () => (sb.json('list-sessions', '--format', 'json') as unknown[]).length;

  test('no: nothing changes, exit 1', () => {
    const r = onTerminal(sb, ['reset'], 'n\n');
    assert.match(r.output, /drop every session and report in .*db\.sqlite and take a new baseline\? \[y\/N\]/);
    assert.match(r.output, /reset: not confirmed; nothing was changed/);
    assert.equal(r.code, 1);
    assert.equal(count(), 2);
  });

  test('yes: a new baseline', () => {
    const r = onTerminal(sb, ['reset'], 'y\n');
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /new baseline: session /);
    assert.equal(count(), 1);
  });

  test('--yes on a terminal, and no terminal (cron, scripts): no question', () => {
    assert.equal(sb.run('collect').code, 0);
    const r = onTerminal(sb, ['reset', '--yes'], '');
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /\[y\/N\]/);
    assert.equal(count(), 1);
    assert.equal(sb.run('collect').code, 0);
    const piped = sb.run('reset');
    assert.deepEqual([piped.code, piped.stderr], [0, '']);
    assert.doesNotMatch(piped.stdout, /\[y\/N\]/);
    assert.equal(count(), 1);
  });
});

test('a log file that cannot be written is said once per run on stderr, also with --quiet; the run goes on', () => {
  const sb = sandbox(undefined, '[log.logging]\nlevel = debug\n');
  try {
    const blocker = path.join(sb.dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    const conf = path.join(sb.etc, 'syschangemon.conf');
    fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('level = debug', `level = debug\nfile = ${blocker}/scm.log`));
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    for (let i = 0; i < 2; i++) {
      const r = sb.run('run', '--quiet');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^syschangemon: warn: log file .*not-a-dir\/scm\.log: .*ENOTDIR.*logging to it stopped\n$/);
    }
  } finally {
    sb.cleanup();
  }
});

test("an error raised by a collector's own checks names the file and line of the option", () => {
  const sb = sandbox();
  try {
    sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.echo = echo hi\n\ntimeout.nosuch = 5\n');
    const r = sb.run('collect');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `syschangemon: ${path.join(sb.etc, 'plugins.d', 'command.conf')}:5: [command] timeout.nosuch names no command command.nosuch\n`);
    // The same option set in the main file, which wins over plugins.d, is named there.
    sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.echo = echo hi\n');
    const conf = path.join(sb.etc, 'syschangemon.conf');
    fs.writeFileSync(conf, `${fs.readFileSync(conf, 'utf8')}[command]\ntimeout.other = 5\n`);
    const lines = fs.readFileSync(conf, 'utf8').split('\n');
    const main = sb.run('collect');
    assert.equal(main.code, 2);
    assert.equal(main.stderr, `syschangemon: ${conf}:${lines.indexOf('timeout.other = 5') + 1}: [command] timeout.other names no command command.other\n`);
    const ls = sb.run('list-sessions');
    assert.ok(ls.code === 1 || ls.stdout === 'no sessions yet\n', `nothing was written: ${ls.stdout}${ls.stderr}`);
  } finally {
    sb.cleanup();
  }
});
