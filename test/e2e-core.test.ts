/**
 * The core end to end, as a user runs it: the built CLI on a temporary tree, config and
 * database.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, type Sandbox, sandbox } from './helpers.js';

const isRoot = process.getuid?.() === 0;

describe('collect → change everything → run', () => {
  let sb: Sandbox;
  let report: any;
  const badName = Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);

  before(() => {
    sb = sandbox();
    const t = sb.tree;
    fs.writeFileSync(path.join(t, 'hosts'), '127.0.0.1 localhost\n');
    fs.writeFileSync(path.join(t, 'modes'), 'x\n');
    fs.writeFileSync(path.join(t, 'owned'), 'y\n');
    fs.writeFileSync(path.join(t, 'doomed'), 'z\n');
    fs.symlinkSync('hosts', path.join(t, 'link'));
    const first = sb.run('collect');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, '', 'collect prints nothing when not on a terminal');

    fs.writeFileSync(path.join(t, 'hosts'), '127.0.0.1 localhost\n10.0.0.1 evil\n');
    fs.chmodSync(path.join(t, 'modes'), 0o4755);
    if (isRoot) fs.chownSync(path.join(t, 'owned'), 65534, 65534);
    fs.writeFileSync(path.join(t, 'new-file'), 'fresh\n');
    fs.unlinkSync(path.join(t, 'doomed'));
    fs.unlinkSync(path.join(t, 'link'));
    fs.symlinkSync('modes', path.join(t, 'link'));
    execFileSync('mkfifo', [path.join(t, 'fifo')]);
    fs.writeFileSync(Buffer.concat([Buffer.from(`${t}/`), badName]), 'bytes\n');

    const run = sb.run('run', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', '--quiet prints nothing');
    report = sb.json('print-report', '--format', 'json');
  });
  after(() => sb.cleanup());

  const change = (suffix: string, plugin = 'file') =>
    report.changes.find((c: any) => c.plugin === plugin && c.key === `${plugin}://${sb.tree}/${suffix}`);

  test('the report has the DESIGN.md shape', () => {
    for (const k of ['uuid', 'created_at', 'hostname', 'old_session', 'new_session', 'summary', 'changes', 'logins', 'errors']) {
      assert.ok(k in report, `missing ${k}`);
    }
    assert.deepEqual(Object.keys(report.summary).slice(0, 4), ['added', 'removed', 'changed', 'errors']);
    assert.equal(typeof report.new_session.item_count, 'number');
  });

  test('content change with a unified diff', () => {
    const c = change('hosts');
    assert.equal(c.change, 'changed');
    assert.ok(c.attributes.sha256.old !== c.attributes.sha256.new);
    assert.equal(c.attributes.size.new, 34);
    const cf = change('hosts', 'conffile');
    assert.match(cf.diff, /^\+10\.0\.0\.1 evil$/m);
    assert.match(cf.diff, /^ 127\.0\.0\.1 localhost$/m);
  });

  test('chmod shows the old and new mode as octal strings', () => {
    assert.deepEqual(change('modes').attributes.mode, { old: '0644', new: '4755' });
  });

  test('chown shows uid, gid and names', { skip: !isRoot && 'needs root' }, () => {
    const c = change('owned');
    assert.deepEqual(c.attributes.uid, { old: 0, new: 65534 });
    assert.equal(c.attributes.user.new, 'nobody');
  });

  test('added, removed, retargeted symlink, FIFO, non-UTF-8 name', () => {
    assert.equal(change('new-file').change, 'added');
    assert.equal(change('doomed').change, 'removed');
    assert.deepEqual(change('link').attributes.target, { old: 'hosts', new: 'modes' });
    assert.equal(change('fifo').change, 'added');
    assert.equal(change('fifo').attributes.type.new, 'fifo');
    const bad = report.changes.find((c: any) => c.plugin === 'file' && c.key.endsWith('/bad-%FF%FE.txt'));
    assert.ok(bad, 'the non-UTF-8 name is a distinct, exact key');
    assert.equal(bad.change, 'added');
  });

  test('summary counts match the changes', () => {
    const count = (k: string) => report.changes.filter((c: any) => c.change === k).length;
    assert.equal(report.summary.added, count('added'));
    assert.equal(report.summary.removed, count('removed'));
    assert.equal(report.summary.changed, count('changed'));
  });

  test('text and HTML renderings name the changes', () => {
    const text = sb.run('print-report');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /hosts/);
    const html = sb.run('print-report', '--format', 'html');
    assert.equal(html.code, 0, html.stderr);
    assert.match(html.stdout, /<html/i);
  });

  test('list-sessions and list-reports', () => {
    const sessions = sb.json('list-sessions', '--format', 'json');
    assert.equal(sessions.length, 2);
    assert.equal(sessions[0].uuid, report.new_session.uuid);
    const reports = sb.json('list-reports', '--format', 'json');
    assert.equal(reports[0].uuid, report.uuid);
    assert.equal(sb.run('list-sessions').stdout.split('\n')[0]?.startsWith('uuid'), true);
  });

  test('-o and -u choose the sessions; diff of the same pair again is empty of nothing', () => {
    const sessions = sb.json('list-sessions', '--format', 'json');
    const r = sb.run('diff', '-o', sessions[1].uuid, '-u', sessions[0].uuid);
    assert.equal(r.code, 0, r.stderr);
    const again = sb.json('print-report', '--format', 'json');
    assert.equal(again.old_session.uuid, sessions[1].uuid);
    assert.equal(again.changes.length, report.changes.length);
    const swapped = sb.run('diff', '-o', sessions[0].uuid, '-u', sessions[1].uuid);
    assert.equal(swapped.code, 2);
  });

  test('export csv has a header and neutralises formulas', () => {
    fs.writeFileSync(path.join(sb.tree, '=cmd|calc'), 'x');
    assert.equal(sb.run('collect').code, 0);
    const csv = sb.run('export', '--format', 'csv');
    assert.equal(csv.code, 0, csv.stderr);
    const [header] = csv.stdout.split('\n');
    assert.match(header!, /^key,plugin,/);
    for (const col of ['type', 'mode', 'uid', 'gid', 'sha256', 'mtime']) assert.ok(header!.split(',').includes(col), col);
    assert.ok(csv.stdout.includes(`file://${sb.tree}/=cmd|calc`), 'keys are not neutralised mid-cell');
    const json = sb.json('export', '--format', 'json');
    assert.ok(json.items.some((i: any) => i.key === `file://${sb.tree}/hosts`));
  });

  test('the database and its directory are private', () => {
    assert.equal(fs.statSync(sb.storage).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(sb.storage, 'db.sqlite')).mode & 0o777, 0o600);
  });
});

describe('run, cleanup and reset', () => {
  test('first run takes a baseline; unchanged runs report nothing; cleanup keeps session_keep', () => {
    const sb = sandbox();
    try {
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      const first = sb.run('run');
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /baseline/);
      for (let i = 0; i < 6; i++) assert.equal(sb.run('run', '--quiet').code, 0);
      const r = sb.json('print-report', '--format', 'json');
      assert.deepEqual(r.changes, []);
      assert.equal(sb.json('list-sessions', '--format', 'json').length, 5);
      assert.equal(sb.json('list-reports', '--format', 'json').length, 5);
      const reset = sb.run('reset');
      assert.equal(reset.code, 0, reset.stderr);
      assert.equal(sb.json('list-sessions', '--format', 'json').length, 1);
      assert.equal(sb.json('list-reports', '--format', 'json').length, 0);
    } finally {
      sb.cleanup();
    }
  });

  test('a session that changed nothing adds no item rows', () => {
    const sb = sandbox();
    try {
      for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`);
      assert.equal(sb.run('collect').code, 0);
      const count = () =>
        Number(execFileSync('sqlite3', [path.join(sb.storage, 'db.sqlite'), 'SELECT count(*) FROM items'], { encoding: 'utf8' }).trim());
      const before = count();
      assert.equal(sb.run('collect').code, 0);
      assert.equal(count(), before);
      fs.writeFileSync(path.join(sb.tree, 'f1'), 'changed\n');
      assert.equal(sb.run('collect').code, 0);
      assert.ok(count() > before);
    } finally {
      sb.cleanup();
    }
  });
});

describe('failures', () => {
  test('a second run while one holds the lock exits 75 at once', async () => {
    const sb = sandbox();
    try {
      // A command that sleeps keeps the first run inside collect.
      sb.writePlugin('command', '[command]\nenable_plugin = true\ncommand.slow = sleep 8\n');
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      const first = spawn(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'run', '--quiet'], {
        stdio: 'ignore',
      });
      // Wait until the first run holds the lock (its file appears when it is taken), however
      // slowly the machine starts node.
      for (let i = 0; i < 200 && !fs.existsSync(path.join(sb.storage, 'lock')); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      const second = sb.run('run', '--quiet');
      assert.equal(second.code, 75, second.stderr);
      assert.match(second.stderr, /lock/);
      assert.equal(second.stderr.trim().split('\n').length, 1);
      const code = await new Promise((r) => first.on('exit', r));
      assert.equal(code, 0);
    } finally {
      sb.cleanup();
    }
  });

  test('a foreign or truncated database is named, never overwritten', () => {
    const sb = sandbox();
    try {
      fs.mkdirSync(sb.storage, { recursive: true, mode: 0o700 });
      const db = path.join(sb.storage, 'db.sqlite');
      fs.writeFileSync(db, 'this is not a database at all, just text');
      const r = sb.run('collect');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /db\.sqlite/);
      assert.match(r.stderr, /reset/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.equal(fs.readFileSync(db, 'utf8'), 'this is not a database at all, just text');
      execFileSync('sqlite3', [`${db}.foreign`, 'CREATE TABLE t(x); INSERT INTO t VALUES (1);']);
      fs.renameSync(`${db}.foreign`, db);
      const f = sb.run('collect');
      assert.equal(f.code, 1);
      assert.match(f.stderr, /not a syschangemon database/);
      const reset = sb.run('reset');
      assert.equal(reset.code, 0, reset.stderr);
      assert.ok(fs.readdirSync(sb.storage).some((n) => n.startsWith('db.sqlite.broken-')), 'moved aside');
    } finally {
      sb.cleanup();
    }
  });

  test('a bad config value exits 2 naming file and line', () => {
    const sb = sandbox();
    try {
      sb.writePlugin('conffile', '[conffile]\nenable_plugin = true\nsize_limit = lots\n');
      const r = sb.run('collect');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /conffile\.conf:3/);
      assert.ok(!fs.existsSync(path.join(sb.storage, 'db.sqlite')), 'nothing written');
    } finally {
      sb.cleanup();
    }
  });

  test('usage errors exit 2; print-report without reports exits 1 with one line', () => {
    const sb = sandbox();
    try {
      assert.equal(sb.run('no-such-command').code, 2);
      assert.equal(sb.run('list-sessions', '--format', 'xml').code, 2);
      assert.equal(sb.run('collect').code, 0);
      const r = sb.run('print-report');
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      sb.cleanup();
    }
  });

  test('options may stand before or after the command; --version and | head', () => {
    const sb = sandbox();
    try {
      assert.equal(sb.run('collect').code, 0);
      assert.equal(sb.run('--format', 'json', 'list-sessions').code, 0);
      const v = sb.run('--version');
      assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+/);
      const piped = execFileSync('sh', ['-c', `"${process.execPath}" dist/cli.js -c "${sb.etc}/syschangemon.conf" export --format csv | head -1`], {
        cwd: path.join(import.meta.dirname, '..'),
        encoding: 'utf8',
      });
      assert.match(piped, /^key,plugin/);
    } finally {
      sb.cleanup();
    }
  });
});

describe('the Python tool configuration', () => {
  test('its syschangemon.conf and plugins.d load unchanged and a collect runs', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-python-'));
    try {
      fs.cpSync(path.join(import.meta.dirname, 'fixtures', 'config', 'python-tool'), tmp, { recursive: true });
      // Only the storage directory is moved into the temporary directory.
      const storage = path.join(tmp, 'plugins.d', 'storage.conf');
      fs.writeFileSync(storage, fs.readFileSync(storage, 'utf8').replace('/var/tmp/SysChangeMon/storage', path.join(tmp, 'state')));
      const r = spawnSync(process.execPath, [CLI, '-c', tmp, 'collect'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const s = spawnSync(process.execPath, [CLI, '-c', tmp, 'export', '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const items = JSON.parse(s.stdout).items as { key: string; plugin: string }[];
      assert.ok(items.some((i) => i.key === 'file:///etc/passwd'), 'file: /etc/*');
      assert.ok(items.some((i) => i.key === 'conffile:///etc/passwd'), 'conffile');
      assert.ok(items.some((i) => i.key === 'command://ip_route'), 'command');
      assert.ok(items.some((i) => i.plugin === 'sysinfo'), 'sysinfo');
      assert.ok(!items.some((i) => i.key === 'conffile:///etc/shadow'), 'shadow content never stored');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

test('a fatal error is one line on stderr and a record in the log file', () => {
  const sb = sandbox(undefined, '[log.logging]\nfile = LOGFILE\n');
  try {
    const log = path.join(sb.dir, 'syschangemon.log');
    const conf = path.join(sb.etc, 'syschangemon.conf');
    fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('LOGFILE', log));
    const r = sb.run('print-report');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(fs.readFileSync(log, 'utf8'), /ERROR: print-report: no database at /);
  } finally {
    sb.cleanup();
  }
});
