import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectFiles, fileCollector, fileOptions, oldestFullRead, type CollectHooks } from './index.js';
import { TestContext } from '../common/test-context.js';
import { fileKey, keyPath } from '../../keys.js';
import { formatMode, formatTimeNs, parseIdFile } from './attrs.js';
import { parseMountinfo } from './mounts.js';
import { ConfigError } from '../../errors.js';

const isRoot = process.getuid?.() === 0;
let root: string;
let server: net.Server;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const p = (...parts: string[]) => path.join(root, ...parts);
const key = (...parts: string[]) => fileKey(p(...parts));

let full: Promise<TestContext> | undefined;
/** One collection of the whole tree with default options, shared by the read-only tests. */
const collectAll = () => (full ??= collect());

async function collect(opts: Record<string, unknown> = {}, hooks?: CollectHooks, ctx = new TestContext('file')) {
  await collectFiles(ctx, fileOptions({ include: [`${root}/**`], hash_workers: 2, ...opts }), hooks);
  return ctx;
}

const bigContent = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < bigContent.length; i++) bigContent[i] = (i * 31) & 0xff;
const oddNames: (string | Buffer)[] = ['new\nline', 'back\\slash', '-dash', '<script>', Buffer.from([0x66, 0xff]), 'per%cent', 'sp ace'];

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-file-'));
  fs.chmodSync(root, 0o755);
  fs.writeFileSync(p('a.txt'), 'hello\n');
  fs.writeFileSync(p('empty'), '');
  fs.writeFileSync(p('one-mib'), Buffer.alloc(1024 * 1024, 7));
  fs.writeFileSync(p('big'), bigContent);
  fs.mkdirSync(p('sub'));
  fs.writeFileSync(p('sub', 'inner'), 'inner');
  fs.symlinkSync('a.txt', p('link'));
  fs.symlinkSync('does-not-exist', p('dangling'));
  fs.symlinkSync('loop', p('loop'));
  execFileSync('mkfifo', [p('fifo')]);
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(p('sock'), resolve));
  if (isRoot) execFileSync('mknod', [p('null'), 'c', '1', '3']);
  for (const n of oddNames) {
    const bytes = Buffer.concat([Buffer.from(`${root}/`), Buffer.from(n)]);
    fs.writeFileSync(bytes, typeof n === 'string' ? n : 'bytes');
  }
  fs.writeFileSync(p('suid'), '#!/bin/sh\n');
  fs.chmodSync(p('suid'), 0o4755);
  fs.mkdirSync(p('sticky'));
  fs.chmodSync(p('sticky'), 0o1777);
  fs.writeFileSync(p('unreadable'), 'no');
  fs.chmodSync(p('unreadable'), 0o000);
  fs.mkdirSync(p('locked'));
  fs.writeFileSync(p('locked', 'hidden'), 'x');
  fs.chmodSync(p('locked'), 0o000);
  fs.mkdirSync(p('locked2'));
  fs.chmodSync(p('locked2'), 0o000);
  fs.mkdirSync(p('skipme'));
  fs.writeFileSync(p('skipme', 'x'), 'x');
  fs.writeFileSync(p('note.bak'), 'x');
});

after(() => {
  server?.close();
  fs.chmodSync(p('locked'), 0o755);
  fs.chmodSync(p('locked2'), 0o755);
  fs.rmSync(root, { recursive: true, force: true });
});

test('records every file type with exact attributes and never opens specials', async () => {
  const ctx = await collectAll();
  const a = ctx.item(key('a.txt'))!;
  const st = fs.lstatSync(p('a.txt'), { bigint: true });
  // In sorted order: the store's canonical form, which it then need not sort.
  const keys = Object.keys(a.attributes);
  assert.deepEqual(keys, [...keys].sort());
  // flags (as lsattr prints them) where the filesystem has inode flags, e.g. ext4's extents.
  assert.deepEqual(keys.filter((k) => k !== 'flags'), ['ctime', 'gid', 'group', 'inode', 'mode', 'mtime', 'nlink', 'sha256', 'size', 'type', 'uid', 'user']);
  assert.equal(a.attributes.type, 'file');
  assert.equal(a.attributes.size, 6);
  assert.equal(a.attributes.sha256, sha('hello\n'));
  assert.equal(a.attributes.inode, Number(st.ino));
  assert.equal(a.attributes.nlink, 1);
  assert.equal(a.attributes.uid, Number(st.uid));
  assert.match(String(a.attributes.mtime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.equal(a.attributes.mtime, formatTimeNs(st.mtimeNs));
  assert.equal(a.attributes.ctime, formatTimeNs(st.ctimeNs));
  if (isRoot) assert.equal(a.attributes.user, 'root');
  assert.equal(ctx.item(key('sub'))!.attributes.type, 'dir');
  assert.equal(ctx.item(key('sub', 'inner'))!.attributes.sha256, sha('inner'));
  const link = ctx.item(key('link'))!;
  assert.equal(link.attributes.type, 'symlink');
  assert.equal(link.attributes.target, 'a.txt');
  assert.equal(link.attributes.sha256, undefined);
  assert.equal(ctx.item(key('dangling'))!.attributes.target, 'does-not-exist');
  assert.equal(ctx.item(key('loop'))!.attributes.target, 'loop');
  assert.equal(ctx.item(key('loop'))!.error, undefined);
  assert.equal(ctx.item(key('fifo'))!.attributes.type, 'fifo');
  assert.equal(ctx.item(key('fifo'))!.attributes.sha256, undefined);
  assert.equal(ctx.item(key('sock'))!.attributes.type, 'socket');
  if (isRoot) {
    assert.equal(ctx.item(key('null'))!.attributes.type, 'chardev');
    assert.equal(ctx.item(key('null'))!.attributes.sha256, undefined);
  }
  assert.equal(ctx.item(fileKey(root)), undefined, 'root/** does not match root itself');
  assert.ok(ctx.progressCalls.length > 0);
});

test('items come in walk order (depth first, byte order)', async () => {
  const ctx = await collectAll();
  const keys = ctx.items.map((i) => keyPath(i.key));
  const sorted = [...keys].sort((x, y) => {
    // Preorder in byte order equals sorting with '/' ranked lowest.
    const a = Buffer.from(x.toString('latin1').replaceAll('/', '\0'), 'latin1');
    const b = Buffer.from(y.toString('latin1').replaceAll('/', '\0'), 'latin1');
    return Buffer.compare(a, b);
  });
  assert.deepEqual(keys, sorted);
});

test('hashes match crypto for 0 bytes, exactly 1 MiB and more than 1 MiB', async () => {
  const ctx = await collectAll();
  assert.equal(ctx.item(key('empty'))!.attributes.sha256, sha(''));
  assert.equal(ctx.item(key('one-mib'))!.attributes.sha256, sha(Buffer.alloc(1024 * 1024, 7)));
  assert.equal(ctx.item(key('big'))!.attributes.sha256, sha(bigContent));
  assert.equal(ctx.item(key('big'))!.attributes.size, bigContent.length);
});

test('odd names each get a distinct exact key that decodes back to the bytes', async () => {
  const ctx = await collectAll();
  const seen = new Set<string>();
  for (const n of oddNames) {
    const bytes = Buffer.concat([Buffer.from(`${root}/`), Buffer.from(n)]);
    const k = fileKey(bytes);
    const item = ctx.item(k);
    assert.ok(item, `item for ${JSON.stringify(n.toString())}`);
    assert.deepEqual(keyPath(k), bytes);
    assert.ok(!seen.has(k));
    seen.add(k);
    assert.equal(item.attributes.sha256, sha(typeof n === 'string' ? n : 'bytes'));
  }
  assert.ok(!fileKey(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x66, 0xff])])).includes('\ufffd'));
  assert.ok(!key('new\nline').includes('\n'));
});

test('modes include setuid, setgid and sticky bits', async () => {
  const ctx = await collectAll();
  assert.equal(ctx.item(key('suid'))!.attributes.mode, '4755');
  assert.equal(ctx.item(key('sticky'))!.attributes.mode, '1777');
  assert.equal(ctx.item(key('a.txt'))!.attributes.mode, formatMode(fs.statSync(p('a.txt')).mode));
  assert.equal(formatMode(0o102644), '2644');
});

test('exclude skips entries and prunes excluded directories', async () => {
  const ctx = await collect({ exclude: [`${root}/skipme`, '**.bak'] });
  assert.equal(ctx.item(key('skipme')), undefined);
  assert.equal(ctx.item(key('skipme', 'x')), undefined);
  assert.equal(ctx.item(key('note.bak')), undefined);
  assert.ok(ctx.item(key('a.txt')));
});

test('an include naming one plain file records just that file; overlapping includes do not duplicate', async () => {
  const ctx = new TestContext('file');
  await collectFiles(ctx, fileOptions({ include: [p('a.txt')] }));
  assert.deepEqual(ctx.items.map((i) => i.key), [key('a.txt')]);
  const ctx2 = new TestContext('file');
  await collectFiles(ctx2, fileOptions({ include: [p('sub', '*'), `${root}/**`, p('sub', 'inner'), p('does-not-exist')] }));
  const keys = ctx2.items.map((i) => i.key);
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(keys.filter((k) => k === key('sub', 'inner')).length, 1);
});

test('unreadable file and directories become per-item errors and the walk goes on (as nobody)', { skip: !isRoot && 'needs root to switch to nobody' }, () => {
  const script = fileURLToPath(new URL('./testdata/collect-json.ts', import.meta.url));
  const includes = [`${root}/{(a.txt|unreadable|locked)}`, `${root}/locked/*`, `${root}/locked2/*`];
  const res = spawnSync(process.execPath, ['--import', 'tsx', script, ...includes], {
    uid: 65534, gid: 65534, encoding: 'utf8', cwd: path.resolve(path.dirname(script), '../../../..'), env: { ...process.env, HOME: os.tmpdir() },
  });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout) as {
    items: { key: string; attributes: Record<string, unknown>; error?: string }[];
    errors: { key: string; message: string }[];
  };
  const byKey = new Map(out.items.map((i) => [i.key, i]));
  const unreadable = byKey.get(key('unreadable'))!;
  assert.equal(unreadable.error, 'EACCES: permission denied, open');
  assert.equal(unreadable.attributes.type, 'file');
  assert.equal(unreadable.attributes.sha256, undefined);
  // A matched directory that cannot be read: the item, with the error.
  const locked = byKey.get(key('locked'))!;
  assert.equal(locked.error, 'EACCES: permission denied, scandir');
  assert.equal(locked.attributes.mode, '0000');
  // A directory only passed through: an error item.
  assert.deepEqual(out.errors, [{ key: key('locked2'), message: 'EACCES: permission denied, scandir' }]);
  assert.equal(byKey.get(key('a.txt'))!.attributes.sha256, sha('hello\n'));
  assert.equal(out.items.length, 3);
});

test('a file deleted between lstat and open is skipped; a replaced one is an error, nothing read kept', async () => {
  fs.writeFileSync(p('sub', 'gone'), 'x');
  fs.writeFileSync(p('sub', 'swapped'), 'x');
  fs.writeFileSync(p('sub', 'to-fifo'), 'x');
  fs.writeFileSync(p('sub', 'to-link'), 'x');
  const hooks: CollectHooks = {
    beforeOpen(path) {
      const name = path.toString().split('/').pop();
      if (name === 'gone') fs.rmSync(p('sub', 'gone'), { force: true });
      if (name === 'swapped') {
        const tmp = p('sub', 'swapped.new');
        fs.writeFileSync(tmp, 'yy');
        fs.renameSync(tmp, p('sub', 'swapped'));
      }
      if (name === 'to-fifo') {
        fs.rmSync(p('sub', 'to-fifo'));
        execFileSync('mkfifo', [p('sub', 'to-fifo')]);
      }
      if (name === 'to-link') {
        fs.rmSync(p('sub', 'to-link'));
        fs.symlinkSync(p('a.txt'), p('sub', 'to-link'));
      }
    },
  };
  const ctx = await collect({ include: [`${root}/sub/**`] }, hooks);
  assert.equal(ctx.item(key('sub', 'gone')), undefined);
  assert.ok(ctx.debugs.some((d) => d.includes('vanished')));
  const swapped = ctx.item(key('sub', 'swapped'))!;
  assert.equal(swapped.error, 'replaced while reading');
  assert.equal(swapped.attributes.sha256, undefined);
  const fifo = ctx.item(key('sub', 'to-fifo'))!;
  assert.equal(fifo.error, 'replaced while reading');
  const link = ctx.item(key('sub', 'to-link'))!;
  assert.equal(link.error, 'replaced while reading (now a symlink)');
  assert.equal(link.attributes.sha256, undefined);
  for (const n of ['swapped', 'to-fifo', 'to-link']) fs.rmSync(p('sub', n));
});

test('a directory swapped after its lstat is an error item and nothing below it is read', async () => {
  const base = p('swapdir');
  for (const mode of ['symlink', 'other-dir'] as const) {
    fs.mkdirSync(path.join(base, 'd'), { recursive: true });
    fs.writeFileSync(path.join(base, 'd', 'f'), 'mine\n');
    fs.mkdirSync(path.join(base, 'victim'));
    fs.writeFileSync(path.join(base, 'victim', 'f'), 'secret\n');
    const hooks: CollectHooks = {
      beforeOpenDir(dir) {
        if (dir.toString() !== path.join(base, 'd')) return;
        fs.renameSync(path.join(base, 'd'), path.join(base, 'd.real'));
        if (mode === 'symlink') fs.symlinkSync(path.join(base, 'victim'), path.join(base, 'd'));
        else fs.renameSync(path.join(base, 'victim'), path.join(base, 'd'));
      },
    };
    const ctx = await collect({ include: [`${base}/d`, `${base}/d/**`] }, hooks);
    const d = ctx.item(`file://${base}/d`)!;
    assert.equal(d.attributes.type, 'dir', mode);
    assert.equal(d.error, mode === 'symlink' ? 'replaced while reading (no longer a directory)' : 'replaced while reading');
    assert.equal(ctx.items.length, 1, mode);
    assert.ok(!ctx.items.some((i) => i.attributes.sha256 === sha('secret\n')));
    fs.rmSync(base, { recursive: true });
  }
});

test('rehash_every = N: over N consecutive sessions every unchanged file is read in full exactly once; --full reads all', async () => {
  const dir = p('rehash');
  fs.mkdirSync(dir);
  for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(dir, `f${i}`), `${i}\n`);
  const opts = { include: [`${dir}/**`], assume_nochange: ['mtime', 'ctime', 'size', 'inode'], rehash_every: 5 };
  try {
    const first = await collect(opts);
    const reads = new Map<string, number>();
    for (let id = 11; id <= 15; id++) {
      const ctx = new TestContext('file', new Map(first.asStored().map((i) => [i.key, i])));
      ctx.sessionId = id;
      ctx.sessions = [{ id: id - 1, startedAt: '2026-11-30T10:00:00.000Z' }];
      let opened = 0;
      await collect(opts, { beforeOpen: (f) => { opened++; reads.set(f.toString(), (reads.get(f.toString()) ?? 0) + 1); } }, ctx);
      assert.ok(opened > 0 && opened < 60, `session ${id} reads a slice (${opened})`);
      const note = ctx.notes.find((n) => n.startsWith('file: '))!;
      assert.match(note, new RegExp(`^file: ${opened} of 60 regular files read in full this run \\(rehash_every = 5: every file is read in full at least once in 5 runs\\); oldest full read: 2026-11-30T10:00:00.000Z or earlier`));
    }
    assert.equal(reads.size, 60);
    for (const [f, n] of reads) assert.equal(n, 1, f);
    const full = new TestContext('file', new Map(first.asStored().map((i) => [i.key, i])));
    full.full = true;
    let opened = 0;
    await collect(opts, { beforeOpen: () => void opened++ }, full);
    assert.equal(opened, 60);
    assert.ok(full.notes.includes('file: 60 of 60 regular files read in full this run (collect --full)'));
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('oldestFullRead: the newest session of each turn, the oldest of those; "or earlier" when a turn is not kept', () => {
  const s = (id: number, h: number) => ({ id, startedAt: `2026-12-01T${String(h).padStart(2, '0')}:00:00.000Z` });
  // Sessions 10..13 (newest first), n = 4, this session 14 (turn 2): turns 3, 0, 1 were 11, 12, 13.
  const kept = [s(13, 13), s(12, 12), s(11, 11), s(10, 10)];
  assert.deepEqual(oldestFullRead(kept, 14, 4), { at: kept[2]!.startedAt, orEarlier: false });
  // Session 12 failed (not complete): turn 0 was last read in full in session 8, not kept.
  assert.deepEqual(oldestFullRead([s(13, 13), s(11, 11), s(10, 10)], 14, 4), { at: kept[3]!.startedAt, orEarlier: true });
  assert.equal(oldestFullRead([], 1, 4), undefined);
  assert.equal(oldestFullRead(kept, 14, 1), undefined);
});

test('entries deeper than PATH_MAX are walked through directory descriptors', async () => {
  const deep = p('deep');
  const name = 'n'.repeat(200);
  // 25 levels of 200-byte names: paths of over 5000 bytes, which no path-based call accepts.
  execFileSync('bash', ['-c', `mkdir -p "$1" && cd "$1" && for i in $(seq 25); do mkdir ${name} && cd ${name}; done && printf 'deep\\n' > f`, 'bash', deep]);
  try {
    const ctx = await collect({ include: [`${deep}/**`] });
    const leaf = Buffer.from(`${deep}/${Array(25).fill(name).join('/')}/f`);
    assert.ok(leaf.length > 4096);
    const item = ctx.item(fileKey(leaf))!;
    assert.equal(item.error, undefined);
    assert.equal(item.attributes.sha256, sha('deep\n'));
    assert.equal(ctx.items.length, 26);
  } finally {
    execFileSync('rm', ['-rf', deep]);
  }
});

test('assume_nochange reuses the previous sha256 without reading; assume_change overrides', async () => {
  const first = await collect({ include: [p('a.txt'), p('big')] });
  const fake = 'f'.repeat(64);
  const preload = (ctx: TestContext, mutate: (a: Record<string, unknown>) => void = () => {}) => {
    for (const it of first.items) {
      const attributes = { ...it.attributes, sha256: fake };
      mutate(attributes);
      ctx.prev.set(it.key, { key: it.key, plugin: 'file', attributes: attributes as never, contentHashes: {}, error: null });
    }
    return ctx;
  };
  const opts = { include: [p('a.txt'), p('big')], assume_nochange: ['mtime', 'ctime', 'size', 'inode'], rehash_every: 0 };
  let hashed = 0;
  const count: CollectHooks = { beforeOpen: () => void (hashed += 1) };
  const reused = await collect(opts, count, preload(new TestContext('file')));
  assert.equal(reused.item(key('a.txt'))!.attributes.sha256, fake);
  assert.equal(reused.item(key('big'))!.attributes.sha256, fake);
  assert.equal(hashed, 0, 'nothing was read');

  const forced = await collect({ ...opts, assume_change: ['**.txt'] }, undefined, preload(new TestContext('file')));
  assert.equal(forced.item(key('a.txt'))!.attributes.sha256, sha('hello\n'));
  assert.equal(forced.item(key('big'))!.attributes.sha256, fake);

  const sizeDiffers = await collect(opts, undefined, preload(new TestContext('file'), (a) => (a.size = 1)));
  assert.equal(sizeDiffers.item(key('a.txt'))!.attributes.sha256, sha('hello\n'));

  const notAssumed = await collect({ include: opts.include }, undefined, preload(new TestContext('file')));
  assert.equal(notAssumed.item(key('a.txt'))!.attributes.sha256, sha('hello\n'));
});

test('a no-change run reuses the previous item only when lstat gives every attribute it holds', async () => {
  const first = await collect();
  const opts = { include: [`${root}/**`], assume_nochange: ['mtime', 'ctime', 'size', 'inode'], rehash_every: 0 };
  const fake = 'f'.repeat(64);
  const preload = (mutate: (key: string, a: Record<string, unknown>) => void = () => {}) => {
    const ctx = new TestContext('file');
    for (const it of first.items) {
      const attributes: Record<string, unknown> = { ...it.attributes };
      if (attributes.type === 'file') attributes.sha256 = fake;
      mutate(it.key, attributes);
      ctx.prev.set(it.key, { key: it.key, plugin: 'file', attributes: attributes as never, contentHashes: {}, error: null });
    }
    return ctx;
  };
  // Nothing changed: every item (files, directories, links, fifo, socket, device) as before,
  // with the previous sha256 (nothing read).
  let hashed = 0;
  const same = await collect(opts, { beforeOpen: () => void hashed++ }, preload());
  assert.equal(hashed, 0);
  assert.equal(same.items.length, first.items.length);
  for (const it of first.items) {
    const want = { ...it.attributes, ...(it.attributes.type === 'file' ? { sha256: fake } : {}) };
    assert.deepEqual(same.item(it.key)!.attributes, want, it.key);
  }
  // What no ctime shows: an owner's name changed in /etc/passwd, an attribute this collector no
  // longer records, a link count; each is corrected, the sha256 still reused (assume_nochange holds).
  const stale = await collect(opts, undefined, preload((k, a) => {
    if (k === key('a.txt')) a.user = 'someone-else';
    if (k === key('sub')) a.legacy = 'x';
    if (k === key('big')) a.nlink = 7;
    if (k === key('link')) a.target = 'elsewhere';
  }));
  const by = (k: string) => stale.item(k)!.attributes;
  assert.equal(by(key('a.txt')).user, first.item(key('a.txt'))!.attributes.user);
  assert.equal(by(key('a.txt')).sha256, fake);
  assert.equal('legacy' in by(key('sub')), false);
  assert.deepEqual(by(key('sub')), first.item(key('sub'))!.attributes);
  assert.equal(by(key('big')).nlink, 1);
  assert.equal(by(key('big')).sha256, fake);
  assert.equal(by(key('link')).target, 'a.txt');
});

test('pseudo filesystems are never descended into', async () => {
  const ctx = new TestContext('file');
  await collectFiles(ctx, fileOptions({ include: ['/proc', '/proc/**'] }));
  assert.deepEqual(ctx.items.map((i) => i.key), ['file:///proc']);
  const table = parseMountinfo('36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw\n22 1 0:21 / /proc rw - proc proc rw\n');
  assert.equal(table.get('/mnt/with space'), 'ext3');
  assert.equal(table.get('/proc'), 'proc');
});

test('parseIdFile maps ids to the first name', () => {
  const m = parseIdFile('root:x:0:0:root:/root:/bin/bash\n# junk\nbad\ntoor:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  assert.equal(m.get(0), 'root');
  assert.equal(m.get(1000), 'alice');
  assert.equal(m.size, 2);
});

test('formatTimeNs keeps nanoseconds, also before 1970', () => {
  assert.equal(formatTimeNs(1_795_994_644_123_456_789n), '2026-11-29T23:24:04.123456789Z');
  assert.equal(formatTimeNs(-1n), '1969-12-31T23:59:59.999999999Z');
  assert.equal(formatTimeNs(0n), '1970-01-01T00:00:00.000000000Z');
});

test('unknown uid and gid show as numbers', { skip: !isRoot && 'needs root to chown' }, async () => {
  fs.writeFileSync(p('sub', 'orphan'), 'o');
  fs.chownSync(p('sub', 'orphan'), 4242, 4343);
  const ctx = await collect({ include: [p('sub', 'orphan')] });
  const a = ctx.item(key('sub', 'orphan'))!.attributes;
  assert.equal(a.user, '4242');
  assert.equal(a.group, '4343');
  assert.equal(a.uid, 4242);
  fs.rmSync(p('sub', 'orphan'));
});

test('init rejects bad globs and relative includes', () => {
  assert.throws(() => fileCollector.init!({ include: ['/etc/[x'] }, { configDir: '/', stateDir: '/' }), (e: unknown) => e instanceof ConfigError && /bad glob "\/etc\/\[x"/.test((e as Error).message));
  assert.throws(() => fileCollector.init!({ include: ['etc/*'] }, { configDir: '/', stateDir: '/' }), /absolute/);
  assert.doesNotThrow(() => fileCollector.init!({ include: ['/etc/**', '**.conf'], exclude: ['**~'] }, { configDir: '/', stateDir: '/' }));
  assert.equal(fileCollector.options.include!.check!(['/x/{a']), `bad glob "/x/{a": no closing '}' for '{'`);
});

test('no includes gives a note, not an error', async () => {
  const ctx = new TestContext('file');
  await collectFiles(ctx, fileOptions({}));
  assert.equal(ctx.items.length, 0);
  assert.equal(ctx.notes.length, 1);
});
