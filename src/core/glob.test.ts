import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, checkGlob, GlobSet } from './glob.js';

const yes = (p: string, ...paths: string[]) => {
  const g = compileGlob(p);
  for (const path of paths) assert.ok(g.test(path), `${p} should match ${JSON.stringify(path)}`);
};
const no = (p: string, ...paths: string[]) => {
  const g = compileGlob(p);
  for (const path of paths) assert.ok(!g.test(path), `${p} should not match ${JSON.stringify(path)}`);
};

test('? matches one character except /', () => {
  yes('/etc/ho?ts', '/etc/hosts', '/etc/hoxts', '/etc/ho\u00e9ts');
  no('/etc/ho?ts', '/etc/hots', '/etc/ho/ts', '/etc/hooots');
});

test('* matches within one segment only', () => {
  yes('/etc/*', '/etc/hosts', '/etc/.hidden', '/etc/');
  no('/etc/*', '/etc/ssh/sshd_config', '/etc');
  yes('/etc/*.conf', '/etc/a.conf', '/etc/.conf');
  no('/etc/*.conf', '/etc/a/b.conf');
});

test('** crosses / and may stand inside a segment', () => {
  yes('/etc/**', '/etc/hosts', '/etc/ssh/sshd_config', '/etc/a/b/c/.d');
  no('/etc/**', '/etc', '/etcx/a');
  yes('/lib/**.so', '/lib/foo/bar.so', '/lib/x.so');
  no('/lib/**.so', '/lib/foo/bar.so.1');
  yes('**.bak', '/etc/a.bak', '/x/y/z.bak');
  yes('**~', '/etc/passwd~');
  no('**~', '/etc/passwd');
  yes('/opt/**conf**', '/opt/a/conf/b', '/opt/myconf', '/opt/x/y.conf.d/z');
  no('/opt/**conf**', '/opt/a/b');
  yes('/etc/**', '/etc/name\nwith newline');
});

test('dotfiles match like anything else', () => {
  yes('/home/*/*', '/home/u/.bashrc');
  yes('**/.ssh/**', '/root/.ssh/authorized_keys');
});

test('backslash escapes wildcards', () => {
  yes('/etc/a\\*b', '/etc/a*b');
  no('/etc/a\\*b', '/etc/axxb');
  yes('/etc/\\[x\\]', '/etc/[x]');
  yes('/etc/back\\\\slash', '/etc/back\\slash');
});

test('character classes with negation and ranges never match /', () => {
  yes('/etc/rc[0-6].d', '/etc/rc0.d', '/etc/rc6.d');
  no('/etc/rc[0-6].d', '/etc/rc7.d', '/etc/rcS.d');
  yes('/x/[!a-c]', '/x/d', '/x/.');
  no('/x/[!a-c]', '/x/a', '/x//');
  yes('/x/[^ab]', '/x/c');
  no('/x/[^ab]', '/x/b');
  yes('/x/[]]', '/x/]');
  yes('/x/[a-]', '/x/-', '/x/a');
  no('/x[/]y', '/x/y');
});

test('{a,b} alternation, nestable', () => {
  yes('/etc/{passwd,group}', '/etc/passwd', '/etc/group');
  no('/etc/{passwd,group}', '/etc/shadow');
  yes('/{etc,usr/{local,share}}/x', '/etc/x', '/usr/local/x', '/usr/share/x');
  no('/{etc,usr/{local,share}}/x', '/usr/x');
  yes('/etc/a{,.bak}', '/etc/a', '/etc/a.bak');
});

test('regex metacharacters are literal', () => {
  yes('/etc/a.b+(c)$^|', '/etc/a.b+(c)$^|');
  no('/etc/a.b', '/etc/axb');
});

test('base is the longest literal directory prefix', () => {
  assert.equal(compileGlob('/etc/*').base, '/etc');
  assert.equal(compileGlob('/etc/**').base, '/etc');
  assert.equal(compileGlob('**.bak').base, '/');
  assert.equal(compileGlob('/usr/local/bin/**').base, '/usr/local/bin');
  assert.equal(compileGlob('/etc/ssh/sshd_config').base, '/etc/ssh');
  assert.equal(compileGlob('/{etc,usr}/x').base, '/');
  assert.equal(compileGlob('/usr/{bin,sbin}/*').base, '/usr');
  assert.deepEqual(compileGlob('/usr/{bin,sbin}/*').roots, ['/usr/bin', '/usr/sbin']);
  assert.deepEqual(compileGlob('/etc/hosts').roots, ['/etc/hosts']);
  assert.deepEqual(compileGlob('/*').roots, ['/']);
});

test('mayMatchBelow prunes only what cannot match', () => {
  const g = compileGlob('/etc/ssh/*');
  assert.ok(g.mayMatchBelow('/'));
  assert.ok(g.mayMatchBelow('/etc'));
  assert.ok(g.mayMatchBelow('/etc/ssh'));
  assert.ok(!g.mayMatchBelow('/etc/ssh/x'));
  assert.ok(!g.mayMatchBelow('/usr'));
  assert.ok(compileGlob('/lib/**.so').mayMatchBelow('/lib/a/b/c'));
  assert.ok(!compileGlob('/lib/**.so').mayMatchBelow('/usr'));
  assert.ok(compileGlob('**.bak').mayMatchBelow('/anything/at/all'));
  assert.ok(!compileGlob('/opt/x**').mayMatchBelow('/opt/y'));
  assert.ok(compileGlob('/opt/x**').mayMatchBelow('/opt/xa/b'));
  assert.ok(!compileGlob('/etc/hosts').mayMatchBelow('/etc/hosts'));
  assert.ok(compileGlob('/{etc,usr/lib}/*').mayMatchBelow('/usr/lib'));
  assert.ok(!compileGlob('/{etc,usr/lib}/*').mayMatchBelow('/usr/share'));
  assert.ok(compileGlob('/etc/**').mayMatchBelow('/etc/a/b'));
});

test('invalid patterns throw a clear error and checkGlob reports it', () => {
  assert.throws(() => compileGlob('/etc/[abc'), /^Error: bad glob "\/etc\/\[abc": unclosed '\['$/);
  assert.throws(() => compileGlob('/etc/{a,b'), /bad glob "\/etc\/\{a,b": unclosed '\{'/);
  assert.throws(() => compileGlob('/etc/a\\'), /trailing backslash/);
  assert.throws(() => compileGlob('/x/[z-a]'), /bad range/);
  assert.equal(checkGlob(['/etc/**', '/x/[']), `bad glob "/x/[": unclosed '['`);
  assert.equal(checkGlob(['/etc/**']), undefined);
  assert.equal(checkGlob('/etc/*'), undefined);
});

test('GlobSet matches when any pattern does', () => {
  const s = new GlobSet(['**.bak', '/etc/mtab']);
  assert.ok(s.test('/etc/mtab'));
  assert.ok(s.test('/a/b.bak'));
  assert.ok(!s.test('/etc/hosts'));
  assert.ok(new GlobSet([]).empty);
  assert.ok(!new GlobSet([]).test('/x'));
});

test('U+FFFD from invalid UTF-8 names is matched like any character', () => {
  const name = Buffer.from([0x2f, 0x78, 0x2f, 0x66, 0xff]).toString('utf8');
  yes('/x/f?', name);
  yes('/x/*', name);
});
