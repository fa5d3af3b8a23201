/**
 * Bad command-line and config input is one line on stderr and exit 2 before anything is
 * written; the Python tool's own sandbox configuration loads and runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, sandbox } from '../helpers.js';

const PY_SANDBOX = fileURLToPath(new URL('../fixtures/config/python-sandbox/etc', import.meta.url));

function cli(args: string[], opts: { cwd?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd,
    timeout: opts.timeout ?? 60_000,
    env: { ...process.env, SYSCHANGEMON_CONFIG: '' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const oneLine = (s: string) => s.trim() !== '' && !s.trim().includes('\n');

test('-c twice, empty, a FIFO or /dev/zero: one line, exit 2, nothing written', () => {
  const sb = sandbox();
  try {
    const conf = path.join(sb.etc, 'syschangemon.conf');
    const fifo = path.join(sb.dir, 'fifo.conf');
    spawnSync('mkfifo', [fifo]);
    const cases: [string[], RegExp][] = [
      [['-c', conf, '-c', conf, 'collect'], /^syschangemon: -c\/--config given 2 times \(.*\): give one config file or directory$/],
      [['-c', '', 'collect'], /^syschangemon: -c\/--config needs a config file or directory$/],
      [['-c', fifo, 'collect'], /^syschangemon: cannot read config file .*fifo\.conf: not a regular file \(a FIFO\)$/],
      [['-c', '/dev/zero', 'collect'], /^syschangemon: cannot read config file \/dev\/zero: not a regular file \(a character device\)$/],
    ];
    for (const [args, expected] of cases) {
      const r = cli(args, { timeout: 20_000 });
      assert.equal(r.signal, null, `${args.join(' ')} did not hang`);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.match(r.stderr.trim(), expected);
      assert.ok(!fs.existsSync(sb.storage), 'no state written');
    }
  } finally {
    sb.cleanup();
  }
});

test('empty dir, port 99999, a missing template_dir, a FIFO in plugins.d: file:line, exit 2, nothing written', () => {
  const cases: [string, string | undefined, RegExp][] = [
    ['[storage]\ndir =\n', undefined, /syschangemon\.conf:\d+: bad value for 'dir' in \[storage\]: expected a directory, got an empty value$/],
    ['[mail.smtp]\nport = 99999\n', undefined, /syschangemon\.conf:\d+: bad value for 'port' in \[mail\.smtp\]: expected a port from 1 to 65535$/],
    ['[syschangemon]\ntemplate_dir = /nonexistent/templates\n', undefined, /syschangemon\.conf:\d+: template_dir \/nonexistent\/templates: no such directory$/],
    ['', 'fifo', /plugins\.d\/zz\.conf: not a regular file \(a FIFO\)$/],
  ];
  for (const [extra, special, expected] of cases) {
    const sb = sandbox();
    try {
      const conf = path.join(sb.etc, 'syschangemon.conf');
      // Appended sections replace nothing: [storage] gets a second block, so write it whole.
      const main = fs.readFileSync(conf, 'utf8');
      const text = extra.startsWith('[storage]') ? main.replace(/\[storage\]\ndir = .*\n/, extra) : extra.startsWith('[syschangemon]') ? main.replace('[syschangemon]\n', extra) : main + extra;
      fs.writeFileSync(conf, text);
      if (special === 'fifo') spawnSync('mkfifo', [path.join(sb.etc, 'plugins.d', 'zz.conf')]);
      const r = cli(['-c', conf, 'run'], { timeout: 20_000 });
      assert.equal(r.code, 2, `${extra}: ${r.stderr}`);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.match(r.stderr.trim(), expected);
      assert.ok(!fs.existsSync(sb.storage), 'no state written');
      assert.ok(!fs.existsSync(path.join(sb.etc, 'db.sqlite')), 'nothing in the config dir');
    } finally {
      sb.cleanup();
    }
  }
});

test('the Python tool\'s tests/sandbox/etc configuration loads and runs, relative paths from the current directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-pysandbox-'));
  try {
    fs.cpSync(PY_SANDBOX, path.join(dir, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'files'));
    fs.mkdirSync(path.join(dir, 'log'));
    fs.writeFileSync(path.join(dir, 'files', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    fs.writeFileSync(path.join(dir, 'files', 'passwd.bak'), 'old\n');
    fs.writeFileSync(path.join(dir, 'files', 'conffile'), 'conffile content');
    fs.writeFileSync(path.join(dir, 'log', 'wtmp'), '');
    const etc = path.join(dir, 'etc');
    for (const step of ['cleanup', 'collect', 'collect', 'cleanup']) {
      const r = cli(['-c', etc, step], { cwd: dir });
      assert.equal(r.code, 0, `${step}: ${r.stderr}`);
    }
    const r = cli(['-c', etc, 'export', '--format', 'json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const keys = new Set((JSON.parse(r.stdout) as { items: { key: string }[] }).items.map((i) => i.key));
    assert.ok(keys.has(`file://${dir}/files/passwd`), 'include = files/** from the current directory');
    assert.ok(keys.has(`file://${dir}/files/conffile`));
    assert.ok(keys.has(`conffile://${dir}/files/conffile`));
    assert.ok(!keys.has(`file://${dir}/files/passwd.bak`), 'exclude = **.bak');
    assert.ok([...keys].some((k) => k.startsWith('command://echo')), 'the command ran');
    assert.ok([...keys].some((k) => k.startsWith('sysinfo://')));
    // session_keep = 2: after a third collect and cleanup two sessions are left.
    assert.equal(cli(['-c', etc, 'collect'], { cwd: dir }).code, 0);
    assert.equal(cli(['-c', etc, 'cleanup'], { cwd: dir }).code, 0);
    const sessions = JSON.parse(cli(['-c', etc, 'list-sessions', '--format', 'json'], { cwd: dir }).stdout) as unknown[];
    assert.equal(sessions.length, 2);
    // The relative paths are named once each in the log (to_console = false), with the fix.
    const log = fs.readFileSync(path.join(etc, 'syschangemon.log'), 'utf8');
    assert.match(log, /file\.conf:17: \[file\] include: 'files\/\*\*' is relative: resolved against the current directory .* write an absolute path/);
    assert.match(log, /wtmp\.conf:4: \[wtmp\] wtmp_path: 'log\/wtmp' is relative/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a command name with a space, session_keep = 1 and an int as Python reads it run as in the Python tool', () => {
  const sb = sandbox({ command: '[command]  # commands\nenable_plugin = True\ncommand.disk usage = echo used\n' });
  try {
    const conf = path.join(sb.etc, 'syschangemon.conf');
    fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('session_keep = 5', 'session_keep = 1').replace('report_keep = 5', 'report_keep = 1_0'));
    for (const step of ['collect', 'collect', 'cleanup']) {
      const r = cli(['-c', conf, step]);
      assert.equal(r.code, 0, `${step}: ${r.stderr}`);
    }
    const r = cli(['-c', conf, 'export', '--format', 'json']);
    const items = (JSON.parse(r.stdout) as { items: { key: string; contents?: { stdout?: string } }[] }).items;
    assert.ok(items.some((i) => i.key === 'command://disk usage'), 'the item of command.disk usage');
    const sessions = JSON.parse(cli(['-c', conf, 'list-sessions', '--format', 'json']).stdout) as unknown[];
    assert.equal(sessions.length, 1, 'session_keep = 1 keeps one');
  } finally {
    sb.cleanup();
  }
});
