/**
 * The storage directory cannot be planted: a symlink at its path, a directory another user
 * owns or may write (and holds a file open in), a parent another user controls, and symlinks
 * or hard links at its files are refused with one line naming the path and the fix, before
 * anything is created, chmodded or written there. The attacks are made by a real unprivileged
 * user created by the test.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, type Sandbox, sandbox } from '../helpers.js';
import { createUser, type TestUser } from '../users.js';

const isRoot = process.getuid?.() === 0;
const MARKER = 'storage-dir-marker-4b1e';
let user: TestUser;

before(() => {
  if (isRoot) user = createUser('scmsd');
});
after(() => user?.remove());

/** A sandbox whose tree holds a config text with MARKER, reachable by the test user. */
function box(): Sandbox {
  const sb = sandbox();
  fs.chmodSync(sb.dir, 0o755);
  fs.writeFileSync(path.join(sb.tree, 'app.conf'), `secret = ${MARKER}\n`);
  return sb;
}

function setDir(sb: Sandbox, dir: string): void {
  const conf = path.join(sb.etc, 'syschangemon.conf');
  fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/^dir = .*$/m, `dir = ${dir}`));
}

/** Exit 1 with one line naming `what` and matching `why`. */
function refused(sb: Sandbox, what: string, why: RegExp, cmd = 'collect'): void {
  const r = sb.run(cmd);
  assert.equal(r.code, 1, `${cmd} must refuse: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(what), `names ${what}: ${r.stderr}`);
  assert.match(lines[0]!, why);
}

const tree = (dir: string) => fs.readdirSync(dir).sort();

test('a symlink at the storage path: refused, its target is neither chmodded nor written', { skip: !isRoot }, () => {
  const sb = box();
  try {
    const victim = path.join(sb.dir, 'victim');
    fs.mkdirSync(victim, { mode: 0o755 });
    fs.chmodSync(victim, 0o755);
    fs.writeFileSync(path.join(victim, 'keep'), 'x');
    fs.symlinkSync(victim, sb.storage);
    for (const cmd of ['collect', 'run', 'reset', 'list-sessions', 'cleanup']) refused(sb, sb.storage, /is a symlink.*remove it/, cmd);
    assert.equal(fs.statSync(victim).mode & 0o7777, 0o755, 'not chmodded');
    assert.deepEqual(tree(victim), ['keep'], 'nothing created in the target');
  } finally {
    sb.cleanup();
  }
});

test('a storage directory owned by a user: refused, nothing created in it', { skip: !isRoot }, () => {
  const sb = box();
  try {
    fs.mkdirSync(sb.storage, { mode: 0o700 });
    fs.chownSync(sb.storage, user.uid, user.gid);
    refused(sb, sb.storage, new RegExp(`owned by uid ${user.uid} \\(${user.name}\\).*new directory`));
    refused(sb, sb.storage, /owned by uid/, 'list-sessions');
    assert.deepEqual(tree(sb.storage), []);
  } finally {
    sb.cleanup();
  }
});

test('a pre-created 0777 storage directory where a user holds db.sqlite-wal open: refused, also after chmod 700; the user reads nothing', { skip: !isRoot }, async () => {
  const sb = box();
  try {
    fs.mkdirSync(sb.storage);
    fs.chmodSync(sb.storage, 0o777);
    const wal = path.join(sb.storage, 'db.sqlite-wal');
    const holder = user.spawnSh(`umask 000; exec 3<>'${wal}'; exec sleep 60`);
    for (let i = 0; i < 100 && !fs.existsSync(wal); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(fs.existsSync(wal), 'the user made the WAL file and holds it open');
    refused(sb, sb.storage, /writable by other users \(mode 0777\)/);
    // The administrator tightens the directory but keeps its contents: the user's file is still refused.
    fs.chmodSync(sb.storage, 0o700);
    refused(sb, wal, new RegExp(`owned by uid ${user.uid}.*move it away`));
    refused(sb, wal, /owned by uid/, 'list-sessions');
    holder.kill('SIGKILL');
    assert.equal(fs.statSync(wal).size, 0, 'nothing was written into the file the user holds');
    assert.deepEqual(tree(sb.storage), ['db.sqlite-wal'], 'no database was made beside it');
    // A group-writable storage directory is refused the same way.
    fs.rmSync(wal);
    fs.chmodSync(sb.storage, 0o770);
    refused(sb, sb.storage, /writable by its group \(mode 0770\)/);
  } finally {
    sb.cleanup();
  }
});

test('dangling symlinks at lock, db.sqlite, db.sqlite-wal and db.sqlite-shm: refused, their targets never created', { skip: !isRoot }, () => {
  const sb = box();
  try {
    fs.mkdirSync(sb.storage, { mode: 0o700 });
    const away = path.join(sb.dir, 'away');
    fs.mkdirSync(away);
    for (const name of ['lock', 'db.sqlite', 'db.sqlite-wal', 'db.sqlite-shm', 'db.sqlite-journal']) {
      const link = path.join(sb.storage, name);
      fs.symlinkSync(path.join(away, `planted-${name}`), link);
      refused(sb, link, /is a symlink .*rm /);
      assert.deepEqual(tree(away), [], `${name}: no file created through the link`);
      fs.rmSync(link);
    }
    // A hard link to another root file at db.sqlite is not taken for the database either.
    const other = path.join(sb.dir, 'other-root-file');
    fs.writeFileSync(other, 'root data\n', { mode: 0o644 });
    fs.linkSync(other, path.join(sb.storage, 'db.sqlite'));
    refused(sb, path.join(sb.storage, 'db.sqlite'), /2 hard links/);
    assert.equal(fs.statSync(other).mode & 0o777, 0o644, 'not chmodded');
    assert.equal(fs.readFileSync(other, 'utf8'), 'root data\n');
    fs.rmSync(path.join(sb.storage, 'db.sqlite'));
    // With the links gone the same directory works.
    assert.equal(sb.run('collect').code, 0);
  } finally {
    sb.cleanup();
  }
});

test('parents: one owned by a user or group-writable is refused; a sticky /tmp-like one only holds directories of ours', { skip: !isRoot }, () => {
  const sb = box();
  try {
    // A user's directory above the storage directory: the user could rename it away and put another in its place.
    const udir = path.join(sb.dir, 'userdir');
    fs.mkdirSync(udir, { mode: 0o755 });
    fs.chownSync(udir, user.uid, user.gid);
    fs.mkdirSync(path.join(udir, 'storage'), { mode: 0o700 });
    setDir(sb, path.join(udir, 'storage'));
    refused(sb, udir, new RegExp(`above the storage directory.*owned by uid ${user.uid}.*chown root`));
    // A group-writable, non-sticky parent.
    const gdir = path.join(sb.dir, 'groupdir');
    fs.mkdirSync(gdir);
    fs.chmodSync(gdir, 0o775);
    setDir(sb, path.join(gdir, 'storage'));
    refused(sb, gdir, /writable by its group \(mode 0775\): chmod go-w/);
    assert.ok(!fs.existsSync(path.join(gdir, 'storage')), 'not created');
    // A sticky world-writable parent, as /tmp: our directory in it is fine, created 0700.
    const sticky = path.join(sb.dir, 'sticky');
    fs.mkdirSync(sticky);
    fs.chmodSync(sticky, 0o1777);
    setDir(sb, path.join(sticky, 'storage'));
    assert.equal(sb.run('collect').code, 0);
    assert.equal(fs.statSync(path.join(sticky, 'storage')).mode & 0o777, 0o700);
    // ... but a directory the user made in it is not ours.
    assert.equal(user.sh(`mkdir -m 700 '${sticky}/theirs'`).code, 0);
    setDir(sb, path.join(sticky, 'theirs'));
    refused(sb, path.join(sticky, 'theirs'), /owned by uid/);
    // ... nor a symlink the user made in it, to a directory that would pass.
    const real = path.join(sb.dir, 'real');
    fs.mkdirSync(path.join(real, 'storage'), { recursive: true, mode: 0o700 });
    assert.equal(user.sh(`ln -s '${real}' '${sticky}/link'`).code, 0);
    setDir(sb, path.join(sticky, 'link', 'storage'));
    refused(sb, `${sticky}/link`, /is a symlink owned by uid/);
    // A root symlink above the storage directory (as /var/run -> /run) is followed, its target checked.
    fs.symlinkSync(real, path.join(sb.dir, 'rootlink'));
    setDir(sb, path.join(sb.dir, 'rootlink', 'storage'));
    assert.equal(sb.run('collect').code, 0);
    assert.ok(fs.existsSync(path.join(real, 'storage', 'db.sqlite')));
  } finally {
    sb.cleanup();
  }
});

test('a non-root user with the bundled sample config keeps its state in ~/.local/state/syschangemon', { skip: !isRoot }, (t) => {
  if (user.sh(`test -r '${CLI}' && test -x '${path.dirname(CLI)}'`).code !== 0) {
    t.skip(`${CLI} is not readable by other users here`);
    return;
  }
  const sb = box();
  try {
    const home = path.join(sb.dir, 'home');
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chownSync(home, user.uid, user.gid);
    const env = { HOME: home, SYSCHANGEMON_CONFIG: '' };
    const r = user.sh(`'${process.execPath}' '${CLI}' cleanup`, env);
    assert.equal(r.code, 0, r.stderr);
    const state = path.join(home, '.local', 'state', 'syschangemon');
    const st = fs.statSync(state);
    assert.equal(st.uid, user.uid);
    assert.equal(st.mode & 0o777, 0o700);
    for (const name of ['db.sqlite', 'lock']) {
      const f = fs.lstatSync(path.join(state, name));
      assert.ok(f.isFile() && f.uid === user.uid && (f.mode & 0o777) === 0o600, name);
    }
    const l = user.sh(`'${process.execPath}' '${CLI}' list-sessions`, env);
    assert.equal(l.code, 0, l.stderr);
  } finally {
    sb.cleanup();
  }
});
