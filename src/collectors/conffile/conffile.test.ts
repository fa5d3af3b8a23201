import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { collectFiles, fileOptions } from '../file/index.js';
import { TestContext } from '../common/test-context.js';
import { fileKey } from '../../keys.js';
import { collectConffiles, conffileCollector, conffileOptions } from './index.js';
import { classify } from './classify.js';

let root: string;
let fileCtx: TestContext;
const p = (...parts: string[]) => path.join(root, ...parts);
const ckey = (...parts: string[]) => fileKey(p(...parts), 'conffile');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const RSA = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n';
const files: Record<string, string | Buffer> = {
  hosts: '127.0.0.1 localhost\n::1 localhost\n',
  'utf8.conf': 'name = Zoë ✓\n',
  'nul.bin': Buffer.from([0x41, 0x00, 0x42]),
  'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
  'exact-limit': 'x'.repeat(64),
  'over-limit': 'x'.repeat(65),
  'id_rsa': RSA,
  'id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n',
  'key.pem': 'cert stuff\n-----BEGIN PRIVATE KEY-----\nMC4CAQ\n-----END PRIVATE KEY-----\n',
  'cert.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  'etc/shadow': 'root:$6$hash:19000:0:99999:7:::\n',
  'etc/gshadow-': 'root:*::\n',
  shadow: 'not special outside an etc directory\n',
  'skip.secret': 'password=1\n',
  'empty': '',
  'new\nline.conf': 'a\n',
};

async function run(opts: Record<string, unknown> = {}, ctx = new TestContext('conffile')) {
  ctx.session.set('file', fileCtx.asStored());
  await collectConffiles(ctx, conffileOptions({ size_limit: 64, exclude: ['**.secret'], ...opts }));
  return ctx;
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-conffile-'));
  fs.mkdirSync(p('etc'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(p(name), content);
  fs.symlinkSync('hosts', p('link'));
  fileCtx = new TestContext('file');
  await collectFiles(fileCtx, fileOptions({ include: [`${root}/**`], hash_workers: 1 }));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

test('valid UTF-8 text is stored and its hash is the file hash', async () => {
  const ctx = await run();
  for (const name of ['hosts', 'utf8.conf', 'empty', 'new\nline.conf', 'exact-limit', 'shadow', 'cert.pem']) {
    const item = ctx.item(ckey(name))!;
    assert.ok(item, name);
    assert.equal(item.attributes.stored, 'text', name);
    assert.equal(item.contents!.content, String(files[name]));
    assert.equal(item.attributes.sha256, sha(Buffer.from(item.contents!.content, 'utf8')));
    assert.equal(item.attributes.sha256, fileCtx.item(fileKey(p(name)))!.attributes.sha256);
    assert.equal(item.attributes.size, Buffer.byteLength(files[name]!));
  }
  assert.ok(ckey('hosts').startsWith('conffile:///'));
});

test('NUL bytes or invalid UTF-8 keep only the hash', async () => {
  const ctx = await run();
  for (const name of ['nul.bin', 'latin1.txt']) {
    const item = ctx.item(ckey(name))!;
    assert.deepEqual(item.attributes, { sha256: sha(files[name]!), size: (files[name] as Buffer).length, stored: 'binary' });
    assert.equal(item.contents, undefined);
  }
});

test('files over size_limit are too_large; default limit is 100000', async () => {
  const ctx = await run();
  assert.deepEqual(ctx.item(ckey('over-limit'))!.attributes, { sha256: sha(String(files['over-limit'])), size: 65, stored: 'too_large' });
  assert.equal(ctx.item(ckey('over-limit'))!.contents, undefined);
  assert.equal(conffileCollector.options.size_limit!.default, 100000);
});

test('private keys and password files are never stored', async () => {
  const ctx = await run({ size_limit: 100000 });
  for (const name of ['id_rsa', 'id_ed25519', 'key.pem', 'etc/shadow', 'etc/gshadow-']) {
    const item = ctx.item(ckey(name))!;
    assert.equal(item.attributes.stored, 'secret', name);
    assert.equal(item.contents, undefined);
    assert.equal(item.attributes.sha256, sha(files[name]!));
  }
  assert.equal(ctx.item(ckey('shadow'))!.attributes.stored, 'text');
  assert.equal(classify(Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----')), 'secret');
  assert.equal(classify(Buffer.from('-----BEGIN EC PRIVATE KEY-----')), 'secret');
  assert.equal(classify(Buffer.from('-----BEGIN PGP PRIVATE KEY BLOCK-----')), 'secret');
  assert.equal(classify(Buffer.from('-----BEGIN PUBLIC KEY-----')), 'text');
});

test('excluded files, directories and symlinks get no item', async () => {
  const ctx = await run();
  assert.equal(ctx.item(ckey('skip.secret')), undefined);
  assert.equal(ctx.item(ckey('link')), undefined);
  assert.equal(ctx.item(ckey('etc')), undefined);
  assert.equal(ctx.items.length, Object.keys(files).length - 1);
});

test('the kept text of an unchanged file is referenced, not read again, only under the same secret rules', async () => {
  const original = sha(String(files.hosts));
  fs.writeFileSync(p('hosts'), 'changed after the file collector ran\n');
  try {
    const prev = { key: ckey('hosts'), plugin: 'conffile', attributes: { sha256: original, size: 32, stored: 'text' }, contentHashes: { content: 'f'.repeat(64) }, error: null };
    const ctx = new TestContext('conffile');
    ctx.prev.set(ckey('hosts'), prev);
    ctx.session.set('file', fileCtx.asStored());
    await collectConffiles(ctx, conffileOptions({ size_limit: 64, exclude: ['**.secret'] }), { reuse: true });
    const item = ctx.item(ckey('hosts'))!;
    assert.deepEqual(item.contentRefs, { content: 'f'.repeat(64) });
    assert.equal(item.contents, undefined);
    assert.equal(item.attributes.sha256, original);
    assert.equal(item.attributes.stored, 'text');
    // Rules changed since (or unknown): the file is read again (and found to be other bytes
    // than the file collector hashed).
    const again = new TestContext('conffile');
    again.prev.set(ckey('hosts'), prev);
    await run({}, again);
    assert.equal(again.item(ckey('hosts'))!.error, 'replaced while reading');
    assert.equal(again.item(ckey('hosts'))!.contentRefs, undefined);
  } finally {
    fs.writeFileSync(p('hosts'), files.hosts!);
  }
});

test('an unchanged binary is not read again', async () => {
  const binSha = sha(files['nul.bin']!);
  fs.writeFileSync(p('nul.bin'), 'now text\n');
  try {
    const ctx = new TestContext('conffile');
    ctx.prev.set(ckey('nul.bin'), { key: ckey('nul.bin'), plugin: 'conffile', attributes: { sha256: binSha, size: 3, stored: 'binary' }, contentHashes: {}, error: null });
    await run({}, ctx);
    assert.equal(ctx.item(ckey('nul.bin'))!.attributes.stored, 'binary');
    assert.equal(ctx.item(ckey('nul.bin'))!.attributes.sha256, binSha);
  } finally {
    fs.writeFileSync(p('nul.bin'), files['nul.bin']!);
  }
});

test('a file replaced by a FIFO is an error item (no hang); a vanished one is skipped', async () => {
  fs.rmSync(p('utf8.conf'));
  execFileSync('mkfifo', [p('utf8.conf')]);
  fs.rmSync(p('empty'));
  try {
    const ctx = await run();
    assert.deepEqual(ctx.errors, [{ key: ckey('utf8.conf'), message: 'replaced while reading' }]);
    assert.equal(ctx.item(ckey('empty')), undefined);
    assert.ok(ctx.item(ckey('hosts')));
  } finally {
    fs.rmSync(p('utf8.conf'));
    fs.writeFileSync(p('utf8.conf'), files['utf8.conf']!);
    fs.writeFileSync(p('empty'), '');
  }
});

test('text is kept only when it is the file the file collector hashed', async () => {
  const dir = p('swap');
  const other = `${root}-other`;
  fs.mkdirSync(path.join(dir, 'conf'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'conf', 'app.conf'), 'mine\n');
  fs.writeFileSync(path.join(dir, 'inplace.conf'), 'before\n');
  fs.mkdirSync(other, { recursive: true });
  fs.writeFileSync(path.join(other, 'app.conf'), 'victim text\n');
  const files = new TestContext('file');
  await collectFiles(files, fileOptions({ include: [`${dir}/**`], hash_workers: 1 }));
  // Rewritten in place (same inode) after it was hashed; a directory on the way swapped for a
  // symlink to another tree holding the same name.
  fs.writeFileSync(path.join(dir, 'inplace.conf'), 'rewritten\n');
  fs.renameSync(path.join(dir, 'conf'), path.join(dir, 'conf.real'));
  fs.symlinkSync(other, path.join(dir, 'conf'));
  try {
    const ctx = new TestContext('conffile');
    ctx.session.set('file', files.asStored());
    await collectConffiles(ctx, conffileOptions({}));
    const errors = new Map(ctx.errors.map((e) => [e.key, e.message]));
    assert.equal(errors.get(fileKey(path.join(dir, 'inplace.conf'), 'conffile')), 'replaced while reading');
    assert.equal(errors.get(fileKey(path.join(dir, 'conf', 'app.conf'), 'conffile')), 'replaced while reading');
    assert.equal(ctx.items.length, 0);
  } finally {
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(other, { recursive: true });
  }
});

test('init rejects a bad exclude glob', () => {
  assert.throws(() => conffileCollector.init!({ exclude: ['/etc/{a'] }, { configDir: '/', stateDir: '/' }), /\[conffile\] exclude: bad glob/);
  assert.deepEqual(conffileCollector.after, ['file']);
});

test('secret values are replaced, configured paths and patterns added; the hash stays the whole file\'s', async () => {
  fs.writeFileSync(p('my.cnf'), '[client]\nuser = backup\npassword = hunter2\napi = TOKEN-123\n');
  const files2 = new TestContext('file');
  await collectFiles(files2, fileOptions({ include: [`${root}/**`], hash_workers: 1 }));
  try {
    const ctx = new TestContext('conffile');
    ctx.session.set('file', files2.asStored());
    await collectConffiles(ctx, conffileOptions({ exclude: ['**.secret'], secret_paths: ['**/hosts'], secret_patterns: ['TOKEN-[0-9]+'] }));
    const item = ctx.item(ckey('my.cnf'))!;
    assert.equal(item.attributes.stored, 'redacted');
    assert.equal(item.contents!.content, '[client]\nuser = backup\npassword = «redacted»\napi = «redacted»\n');
    assert.equal(item.attributes.sha256, sha(fs.readFileSync(p('my.cnf'))));
    assert.equal(ctx.item(ckey('hosts'))!.attributes.stored, 'secret');
    assert.equal(ctx.item(ckey('hosts'))!.contents, undefined);
  } finally {
    fs.rmSync(p('my.cnf'));
  }
  assert.throws(() => conffileCollector.init!({ secret_patterns: ['('] }, { configDir: '/', stateDir: '/' }), /\[conffile\] secret_patterns: bad pattern/);
  assert.throws(() => conffileCollector.init!({ secret_paths: ['/etc/{a'] }, { configDir: '/', stateDir: '/' }), /\[conffile\] secret_paths: bad glob/);
});
