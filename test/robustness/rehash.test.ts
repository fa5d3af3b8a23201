/**
 * A careful intruder rewrites a file in place keeping size, mtime, ctime and inode (issue 14.1):
 * on a loop-mounted ext4 image, a raw write of the file's data block (found with debugfs) while
 * the image is unmounted. With assume_nochange alone the change is never seen; with
 * rehash_every = N it is reported within N runs, and `collect --full` sees it at once.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from '../helpers.js';

const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('debugfs', ['-V']).status === 0 && spawnSync('mkfs.ext4', ['-V']).status === 0;

const ORIGINAL = 'Port 22\nPermitRootLogin no\nPasswordAuthentication no\n';
const REWRITTEN = 'Port 22\nPermitRootLogin yes\nPasswordAuthentication no\n'.slice(0, ORIGINAL.length);

test('a raw in-place rewrite that keeps size, mtime, ctime and inode is reported within rehash_every runs', {
  skip: (!isRoot && 'needs root (loop mount)') || (!hasTools && 'needs e2fsprogs'),
  timeout: 300_000,
}, async () => {
  const rehashEvery = 4;
  const sb = sandbox();
  const image = path.join(sb.dir, 'img.ext4');
  const mnt = path.join(sb.tree, 'mnt');
  const conf = (every: number) =>
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${sb.tree}/**\nassume_nochange = mtime, ctime, size, inode\nrehash_every = ${every}\n`);
  let mounted = false;
  const mount = () => {
    execFileSync('mount', ['-o', 'loop', image, mnt]);
    mounted = true;
  };
  const umount = () => {
    execFileSync('umount', [mnt]);
    mounted = false;
  };
  try {
    const loop = spawnSync('losetup', ['-f']);
    if (loop.status !== 0) throw new Error(`loop devices are not usable here: ${loop.stderr}`);
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-O', '^inline_data', image]);
    fs.mkdirSync(mnt);
    mount();
    fs.mkdirSync(path.join(mnt, 'etc', 'ssh'), { recursive: true });
    const file = path.join(mnt, 'etc', 'ssh', 'sshd_config');
    fs.writeFileSync(file, ORIGINAL);
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(mnt, 'etc', `other${i}.conf`), `other ${i}\n`);
    conf(0);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const before = fs.statSync(file, { bigint: true });

    // The raw rewrite: the file's first data block, written to the image directly.
    umount();
    const block = Number(execFileSync('debugfs', ['-R', 'bmap /etc/ssh/sshd_config 0', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    assert.ok(block > 0, 'debugfs names the data block');
    const fd = fs.openSync(image, 'r+');
    const raw = Buffer.alloc(ORIGINAL.length);
    fs.readSync(fd, raw, 0, raw.length, block * 4096);
    assert.equal(raw.toString(), ORIGINAL, 'the block holds the file');
    fs.writeSync(fd, Buffer.from(REWRITTEN), 0, REWRITTEN.length, block * 4096);
    fs.closeSync(fd);
    mount();
    const after = fs.statSync(file, { bigint: true });
    assert.equal(fs.readFileSync(file, 'utf8'), REWRITTEN);
    for (const a of ['size', 'mtimeNs', 'ctimeNs', 'ino'] as const) assert.equal(after[a], before[a], `${a} kept`);

    const key = `file://${file}`;
    const changed = () => {
      const report = sb.json('print-report', '--format', 'json');
      const c = report.changes.find((x: { key: string }) => x.key === key);
      return { sha: c?.attributes?.sha256 as { old: string; new: string } | undefined, notes: (report.notes ?? []) as string[] };
    };
    // assume_nochange alone (rehash_every = 0): never seen.
    for (let i = 0; i < rehashEvery + 1; i++) {
      assert.equal(sb.run('run', '--quiet').code, 0);
      assert.equal(changed().sha, undefined, `run ${i + 1} with rehash_every = 0`);
    }
    // rehash_every = N: seen within N runs, and the report says how much was read in full.
    conf(rehashEvery);
    let seenAt = 0;
    for (let i = 1; i <= rehashEvery && !seenAt; i++) {
      assert.equal(sb.run('run', '--quiet').code, 0);
      const c = changed();
      const note = c.notes.find((n) => n.startsWith('file: '));
      assert.match(note ?? '', /^file: \d+ of 41 regular files read in full this run \(rehash_every = 4: every file is read in full at least once in 4 runs\); oldest full read: \S+Z( or earlier)? \(.* ago( or more)?\)$/);
      if (c.sha) seenAt = i;
    }
    assert.ok(seenAt > 0 && seenAt <= rehashEvery, `reported within ${rehashEvery} runs`);

    // collect --full sees the next raw rewrite at once, whatever the turn.
    umount();
    const fd2 = fs.openSync(image, 'r+');
    fs.writeSync(fd2, Buffer.from(ORIGINAL), 0, ORIGINAL.length, block * 4096);
    fs.closeSync(fd2);
    mount();
    conf(1000);
    assert.equal(sb.run('run', '--quiet', '--full').code, 0);
    const full = changed();
    assert.ok(full.sha, 'collect --full reads every file');
    assert.ok(full.notes.includes('file: 41 of 41 regular files read in full this run (collect --full)'), full.notes.join('\n'));
  } finally {
    if (mounted) spawnSync('umount', [mnt]);
    sb.cleanup();
  }
});
