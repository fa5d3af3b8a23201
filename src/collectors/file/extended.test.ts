/**
 * The extended attributes against the Debian tools as oracles: getcap, getfacl, getfattr,
 * lsattr and `stat -c %t:%T`, on a real tree changed with setcap, setfacl, setfattr, chattr
 * and mknod. Then the changes an intruder makes show up as attribute changes, not only ctime.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { collectFiles, fileOptions } from './index.js';
import { TestContext } from '../common/test-context.js';
import { fileKey } from '../../keys.js';
import { decodeCaps } from './extended.js';

const isRoot = process.getuid?.() === 0;
const tools = ['getcap', 'setcap', 'getfacl', 'setfacl', 'getfattr', 'setfattr', 'lsattr', 'chattr'];
const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = (!isRoot && 'needs root (setcap, chattr, mknod)') || (missing.length > 0 && `needs ${missing.join(', ')} (apt-get install libcap2-bin acl attr e2fsprogs)`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-ext-'));
const p = (...a: string[]) => path.join(root, ...a);
const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
after(() => {
  spawnSync('chattr', ['-R', '-i', '-a', root]);
  fs.rmSync(root, { recursive: true, force: true });
});

async function collect(opts: Record<string, unknown> = {}, ctx = new TestContext('file')) {
  await collectFiles(ctx, fileOptions({ include: [`${root}/**`], hash_workers: 1, ...opts }), {});
  return ctx;
}

/** getcap's text for a file ('' when it has none). */
const getcap = (f: string) => run('getcap', f).trim().slice(f.length).trim();
/** getfacl's entries (without comments and #effective notes) joined by commas. */
const getfacl = (f: string, ...flags: string[]) =>
  run('getfacl', '--omit-header', '--absolute-names', ...flags, f).split('\n').map((l) => l.replace(/\s+#effective:.*$/, '').trim()).filter((l) => l && !l.startsWith('#')).join(',');
/** lsattr's flag text. */
const lsattr = (f: string, dir = false) => run('lsattr', ...(dir ? ['-d'] : []), f).trim().split(/\s+/)[0]!;

test('caps, acl, acl_default, xattr.*, flags and rdev agree with getcap, getfacl, getfattr, lsattr and stat', { skip }, async () => {
  const caps: Record<string, string> = {
    'cap-setuid': 'cap_setuid+ep',
    'cap-two': 'cap_net_bind_service,cap_net_raw+ep',
    'cap-mixed': 'cap_net_raw+p cap_chown+i cap_sys_admin+ip',
    'cap-mixed-e': 'cap_net_raw+ep cap_chown+eip',
    'cap-perm': 'cap_dac_override+p',
    'cap-all': 'all+ep',
    'cap-most': 'all+ep cap_sys_admin-ep',
  };
  for (const [name, spec] of Object.entries(caps)) {
    fs.writeFileSync(p(name), '#!/bin/sh\n');
    run('setcap', spec, p(name));
  }
  fs.writeFileSync(p('acl-file'), 'x\n');
  run('setfacl', '-m', 'u:nobody:rwx,g:nogroup:r,m::rwx', p('acl-file'));
  fs.mkdirSync(p('acl-dir'));
  run('setfacl', '-m', 'u:nobody:rx', p('acl-dir'));
  run('setfacl', '-d', '-m', 'u:nobody:rwx,g::r-x,o::-', p('acl-dir'));
  fs.writeFileSync(p('xattrs'), 'x\n');
  run('setfattr', '-n', 'user.note', '-v', 'hello world', p('xattrs'));
  run('setfattr', '-n', 'user.bin', '-v', '0x00ff10', p('xattrs'));
  run('setfattr', '-n', 'trusted.mark', '-v', 'root only', p('xattrs'));
  fs.writeFileSync(p('immutable'), 'x\n');
  run('chattr', '+i', p('immutable'));
  fs.writeFileSync(p('append'), 'x\n');
  run('chattr', '+a', '+d', p('append'));
  fs.mkdirSync(p('plain-dir'));
  run('mknod', p('null'), 'c', '1', '3');
  run('mknod', p('tty-like'), 'c', '136', '260');
  run('mknod', p('blk'), 'b', '7', '200');
  fs.symlinkSync('acl-file', p('link'));

  const ctx = await collect();
  const a = (name: string) => ctx.item(fileKey(p(name)))!.attributes;
  for (const name of Object.keys(caps)) assert.equal(a(name).caps, getcap(p(name)), `caps of ${name}`);
  assert.equal(a('cap-setuid').caps, 'cap_setuid=ep');
  assert.equal(a('acl-file').acl, getfacl(p('acl-file')));
  assert.equal(a('acl-file').acl, 'user::rw-,user:nobody:rwx,group::r--,group:nogroup:r--,mask::rwx,other::r--');
  assert.equal(a('acl-dir').acl, getfacl(p('acl-dir'), '--access'));
  assert.equal(a('acl-dir').acl_default, getfacl(p('acl-dir'), '--default'));
  assert.equal(a('plain-dir').acl, undefined, 'no ACL beyond the mode: no attribute');
  // getfattr: every xattr it dumps (hex) is an xattr.<name>, text or sha256 of the bytes.
  const dump = run('getfattr', '-d', '-m', '-', '-e', 'hex', '--absolute-names', p('xattrs'));
  const pairs = [...dump.matchAll(/^([^#=\n]+)=0x([0-9a-f]*)$/gm)].map((m) => [m[1]!, Buffer.from(m[2]!, 'hex')] as const);
  assert.ok(pairs.length >= 3, dump);
  for (const [name, value] of pairs) {
    const got = a('xattrs')[`xattr.${name}`];
    const text = value.toString('utf8');
    assert.equal(got, /^[\x20-\x7e]+$/.test(text) ? text : `sha256:${(await import('node:crypto')).createHash('sha256').update(value).digest('hex')}`, name);
  }
  assert.equal(a('xattrs')['xattr.user.note'], 'hello world');
  for (const name of ['immutable', 'append', 'acl-file', 'cap-setuid']) assert.equal(a(name).flags, lsattr(p(name)), `flags of ${name}`);
  assert.equal(a('plain-dir').flags, lsattr(p('plain-dir'), true));
  assert.match(String(a('immutable').flags), /^----i-/);
  for (const name of ['null', 'tty-like', 'blk']) {
    const [maj, min] = run('stat', '-c', '%t:%T', p(name)).trim().split(':').map((h) => parseInt(h, 16));
    assert.equal(a(name).rdev, `${maj}:${min}`, `rdev of ${name}`);
    assert.equal(a(name).flags, undefined);
  }
  assert.equal(a('tty-like').rdev, '136:260');
  assert.equal(a('link').flags, undefined);
  assert.equal(a('acl-file').rdev, undefined);
  run('chattr', '-i', p('immutable'));
  run('chattr', '-a', p('append'));
});

test('a backdoor made with setcap, setfacl, setfattr, chattr or mknod is an attribute change, also under assume_nochange', { skip }, async () => {
  const dir = p('intruder');
  fs.mkdirSync(dir);
  fs.copyFileSync('/bin/true', path.join(dir, 'bash'));
  fs.writeFileSync(path.join(dir, 'conf'), 'x\n');
  run('mknod', path.join(dir, 'dev'), 'c', '1', '5');
  const opts = { include: [`${dir}/**`], assume_nochange: ['mtime', 'ctime', 'size', 'inode'], rehash_every: 0 };
  const first = await collect(opts);
  run('setcap', 'cap_setuid+ep', path.join(dir, 'bash'));
  run('setfacl', '-m', 'u:nobody:rwx', path.join(dir, 'conf'));
  run('setfattr', '-n', 'user.hidden', '-v', 'payload', path.join(dir, 'conf'));
  run('chattr', '+i', path.join(dir, 'conf'));
  fs.rmSync(path.join(dir, 'dev'));
  run('mknod', path.join(dir, 'dev'), 'c', '1', '1');
  try {
    const second = await collect(opts, new TestContext('file', new Map(first.asStored().map((i) => [i.key, i]))));
    const a = (n: string) => second.item(fileKey(path.join(dir, n)))!.attributes;
    assert.equal(a('bash').caps, 'cap_setuid=ep');
    assert.match(String(a('conf').acl), /user:nobody:rwx/);
    assert.equal(a('conf')['xattr.user.hidden'], 'payload');
    assert.match(String(a('conf').flags), /^----i-/);
    assert.equal(a('dev').rdev, '1:1');
    assert.equal(first.item(fileKey(path.join(dir, 'dev')))!.attributes.rdev, '1:5');
    // Unchanged since: reused from the previous item without reading (same ctime and inode).
    const third = await collect(opts, new TestContext('file', new Map(second.asStored().map((i) => [i.key, i]))));
    assert.equal(third.item(fileKey(path.join(dir, 'bash')))!.attributes.caps, 'cap_setuid=ep');
    assert.match(String(third.item(fileKey(path.join(dir, 'conf')))!.attributes.flags), /^----i-/);
  } finally {
    run('chattr', '-i', path.join(dir, 'conf'));
  }
});

test('decodeCaps: a value that is not a capability set is undefined', () => {
  assert.equal(decodeCaps(Buffer.from([1, 2])), undefined);
  assert.equal(decodeCaps(Buffer.alloc(20)), undefined);
});
