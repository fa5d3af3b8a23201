/**
 * Strange files: special files are never opened, strange names stay exact and safe in every
 * output, files that change under the walk never crash a run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, sandbox } from '../helpers.js';

const isRoot = process.getuid?.() === 0;

test('FIFOs, sockets, devices, loops and dangling links: recorded, never opened, never blocking', async () => {
  const sb = sandbox();
  const server = net.createServer();
  try {
    const t = sb.tree;
    execFileSync('mkfifo', [path.join(t, 'fifo')]);
    await new Promise<void>((r) => server.listen(path.join(t, 'sock'), r));
    if (isRoot) {
      execFileSync('mknod', [path.join(t, 'null'), 'c', '1', '3']);
      execFileSync('mknod', [path.join(t, 'loopdev'), 'b', '7', '200']);
    }
    fs.symlinkSync('loop-b', path.join(t, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(t, 'loop-b'));
    fs.symlinkSync('/nonexistent/target', path.join(t, 'dangling'));
    fs.mkdirSync(path.join(t, 'dir'));
    fs.symlinkSync('..', path.join(t, 'dir', 'up'));
    const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const items = sb.json('export', '--format', 'json').items as { key: string; attributes: Record<string, unknown>; error: string | null }[];
    const byName = (n: string) => items.find((i) => i.key === `file://${t}/${n}`)!;
    assert.equal(byName('fifo').attributes.type, 'fifo');
    assert.equal(byName('sock').attributes.type, 'socket');
    if (isRoot) {
      assert.equal(byName('null').attributes.type, 'chardev');
      assert.equal(byName('loopdev').attributes.type, 'blockdev');
    }
    assert.equal(byName('loop-a').attributes.target, 'loop-b');
    assert.equal(byName('dangling').attributes.type, 'symlink');
    assert.equal(byName('dir/up').attributes.target, '..');
    assert.ok(!items.some((i) => i.key.includes('/dir/up/')), 'a symlinked directory is not followed');
    for (const i of items) assert.equal(i.attributes.sha256 === undefined, i.attributes.type !== 'file', i.key);
  } finally {
    server.close();
    sb.cleanup();
  }
});

test('hostile names: exact distinct keys, safe in JSON, CSV, text and HTML', () => {
  const sb = sandbox();
  try {
    const names: Buffer[] = [
      Buffer.from('new\nline'),
      Buffer.from('back\\slash'),
      Buffer.from('-rf'),
      Buffer.from('--help'),
      Buffer.from('<script>alert(1)<\\script>'),
      Buffer.from('=HYPERLINK("http:\\\\x")'),
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]),
      Buffer.from([0x62, 0x61, 0x64, 0xc3]),
      Buffer.from('tab\there'),
      Buffer.from('100%'),
    ];
    assert.equal(sb.run('collect').code, 0);
    for (const n of names) fs.writeFileSync(Buffer.concat([Buffer.from(`${sb.tree}/`), n]), 'x\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const report = sb.json('print-report', '--format', 'json');
    const fileKeys = report.changes.filter((c: { plugin: string }) => c.plugin === 'file').map((c: { key: string }) => c.key);
    assert.equal(new Set(fileKeys).size, names.length, 'each name is one distinct key');
    assert.ok(fileKeys.includes(`file://${sb.tree}/new%0Aline`));
    assert.ok(fileKeys.includes(`file://${sb.tree}/bad%FF%FE`));
    assert.ok(fileKeys.includes(`file://${sb.tree}/bad%C3`));
    assert.ok(fileKeys.includes(`file://${sb.tree}/100%25`));
    assert.ok(fileKeys.includes(`file://${sb.tree}/tab%09here`));

    const text = sb.run('print-report');
    assert.equal(text.code, 0);
    assert.ok(!/[\x00-\x08\x0b-\x1f]/.test(text.stdout), 'no control characters reach the terminal');
    const html = sb.run('print-report', '--format', 'html').stdout;
    assert.ok(!html.includes('<script>alert'), 'escaped in HTML');
    assert.ok(html.includes('&lt;script&gt;alert(1)'));

    const csv = sb.run('export', '--format', 'csv');
    assert.equal(csv.code, 0);
    // Parse the CSV back with Python's csv module: every row has the header's width.
    const check = spawnSync('python3', ['-c', 'import csv,sys\nrows=list(csv.reader(sys.stdin))\nw=len(rows[0])\nassert all(len(r)==w for r in rows), "ragged"\nprint(len(rows)-1)\nfor r in rows[1:]:\n  assert not r[0][:1] in "=+-@", r[0]\n'], { input: csv.stdout, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  } finally {
    sb.cleanup();
  }
});

test('files deleted, replaced and growing while the walk runs: no crash', async () => {
  const sb = sandbox();
  try {
    for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`.repeat(200));
    fs.writeFileSync(path.join(sb.tree, 'growing'), '');
    // A shell loop that deletes, replaces (file → FIFO → dir) and appends while we collect.
    const churn = spawn('sh', ['-c', `cd "${sb.tree}"; i=0; while true; do i=$((i+1)); n=$((i % 2000)); rm -f f$n; mkfifo f$n 2>/dev/null; rm -f f$n; mkdir f$n 2>/dev/null; rmdir f$n 2>/dev/null; echo x > f$n; head -c 65536 /dev/zero >> growing; done`], { stdio: 'ignore', detached: true });
    const stopped = new Promise((r) => churn.on('exit', r));
    try {
      for (let round = 0; round < 3; round++) {
        const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'run', '--quiet'], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
      }
    } finally {
      // The whole process group: a command the loop started must not write after cleanup.
      process.kill(-churn.pid!, 'SIGKILL');
      await stopped;
    }
  } finally {
    sb.cleanup();
  }
});

test('100k entries in one directory', () => {
  const sb = sandbox({ file: '' });
  try {
    const dir = path.join(sb.tree, 'many');
    fs.mkdirSync(dir);
    for (let i = 0; i < 100_000; i++) fs.closeSync(fs.openSync(path.join(dir, `e${i}`), 'w'));
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${sb.tree}/**\nassume_nochange = mtime, ctime, size\n`);
    const r = sb.run('collect');
    assert.equal(r.code, 0, r.stderr);
    const s = sb.json('list-sessions', '--format', 'json');
    assert.equal(s[0].item_count, 100_001);
  } finally {
    sb.cleanup();
  }
});

test('/proc and /sys are never descended into, even when an include names them', () => {
  const sb = sandbox({ file: '' });
  try {
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  /proc/**\n  /sys/**\n  ${sb.tree}/**\n`);
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const items = sb.json('export', '--format', 'json').items as { key: string }[];
    assert.ok(!items.some((i) => i.key.startsWith('file:///proc/') || i.key.startsWith('file:///sys/')), 'nothing from /proc or /sys');
  } finally {
    sb.cleanup();
  }
});

test('a bind-mounted or /proc-like tree is excluded by default', (t) => {
  if (!isRoot) {
    t.skip('mounting needs root');
    return;
  }
  const sb = sandbox({ file: '' });
  const mounted: string[] = [];
  let leftMounted = false;
  try {
    const mount = (name: string, args: string[]): string | undefined => {
      const dir = path.join(sb.tree, name);
      fs.mkdirSync(dir);
      const r = spawnSync('mount', [...args, dir], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) return `mount ${[...args, dir].join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
      mounted.push(dir);
      return undefined;
    };
    const failed = mount('procbind', ['--bind', '/proc']) ?? mount('sysmnt', ['-t', 'sysfs', 'sysfs']) ?? mount('tmp', ['-t', 'tmpfs', 'tmpfs']);
    if (failed) {
      t.skip(`cannot mount here (unprivileged container?): ${failed}`);
      return;
    }
    // The positive control: a file on an ordinary (tmpfs) mount below the tree is recorded.
    fs.writeFileSync(path.join(sb.tree, 'tmp', 'kept'), 'kept\n');
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${sb.tree}/**\n`);
    const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const keys = (sb.json('export', '--format', 'json').items as { key: string }[]).map((i) => i.key);
    const under = (name: string) => keys.filter((k) => k.startsWith(`file://${sb.tree}/${name}/`));
    assert.deepEqual(under('procbind'), [], 'nothing below the bind mount of /proc');
    assert.deepEqual(under('sysmnt'), [], 'nothing below the sysfs mount');
    assert.deepEqual(under('tmp'), [`file://${sb.tree}/tmp/kept`], 'the file on the tmpfs mount is recorded');
  } finally {
    for (const dir of mounted.reverse()) {
      const u = spawnSync('umount', ['-l', dir], { encoding: 'utf8', timeout: 30_000 });
      if (u.status !== 0) leftMounted = true;
    }
    // Never remove the sandbox recursively while /proc or /sys is still mounted inside it.
    if (!leftMounted) sb.cleanup();
  }
  assert.ok(!leftMounted, `could not unmount everything below ${sb.tree}`);
});
