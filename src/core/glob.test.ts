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

test('[...] is a regular-expression class, as in the Python tool: [^...] negates, [!...] holds !, / can match', () => {
  yes('/etc/rc[0-6].d', '/etc/rc0.d', '/etc/rc6.d');
  no('/etc/rc[0-6].d', '/etc/rc7.d', '/etc/rcS.d');
  yes('/x/[^ab]', '/x/c', '/x//');
  no('/x/[^ab]', '/x/b');
  yes('/x/[!a-c]', '/x/!', '/x/a', '/x/b');
  no('/x/[!a-c]', '/x/d');
  yes('/x/[]]', '/x/]');
  yes('/x/[a-]', '/x/-', '/x/a');
  yes('/x[/]y', '/x/y');
  yes('/x/[\\\\d]', '/x/7');
  assert.deepEqual(compileGlob('/x/[!a]').warnings, [`glob "/x/[!a]": [!a] includes '!' as in the Python tool; write [^a] to negate`]);
});

test('{...} inlines a regular expression (the Python sample\'s own example)', () => {
  // The sample file writes foo-{\\D{2,4\}}.txt: \\ is a backslash for the regex, \} a brace.
  yes('/x/foo-{\\\\D{2,4\\}}.txt', '/x/foo-bar.txt', '/x/foo-ab.txt', '/x/foo-abcd.txt');
  no('/x/foo-{\\\\D{2,4\\}}.txt', '/x/foo-012.txt', '/x/foo-b.txt', '/x/foo-abcde.txt');
  // With one backslash the glob escape eats it: the regex is D{2,4}, as in globre.
  yes('/x/foo-{\\D{2,4\\}}.txt', '/x/foo-DD.txt');
  no('/x/foo-{\\D{2,4\\}}.txt', '/x/foo-bar.txt');
  yes('/etc/{(passwd|group)}', '/etc/passwd', '/etc/group');
  no('/etc/{(passwd|group)}', '/etc/shadow', '/etc/passwdx');
  yes('/var/log/syslog{(\\\\.[0-9]+)?}', '/var/log/syslog', '/var/log/syslog.1', '/var/log/syslog.12');
  no('/var/log/syslog{(\\\\.[0-9]+)?}', '/var/log/syslog.x');
  yes('/x/{[a-z]+}', '/x/abc');
  no('/x/{[a-z]+}', '/x/ab1');
  yes('/x/{}y', '/x/y');
});

test('{a,b} is not alternation: the comma is literal, with a warning naming the fix', () => {
  yes('/etc/{passwd,group}', '/etc/passwd,group');
  no('/etc/{passwd,group}', '/etc/passwd', '/etc/group');
  assert.deepEqual(compileGlob('/etc/{passwd,group}').warnings, [
    'glob "/etc/{passwd,group}": {passwd,group} is a regular expression as in the Python tool, so its comma is literal; write {(a|b)} for alternatives',
  ]);
  assert.deepEqual(compileGlob('/x/{a{2,3\\}}').warnings, [], 'a repeat count is not a comma to warn about');
});

test('a | outside parentheses splits the whole glob, as globre built it, with a warning', () => {
  const g = compileGlob('/etc/{ssh|ssl}/**');
  assert.equal(g.regex, '^/etc/ssh|ssl/[\\s\\S]*?$');
  // ^/etc/ssh matches every path it starts (re.match); the other side only relative paths.
  yes('/etc/{ssh|ssl}/**', '/etc/ssh', '/etc/sshd_config', '/etc/ssh/moduli', 'ssl/x');
  no('/etc/{ssh|ssl}/**', '/etc/ssl/certs/x', '/etc/hosts');
  assert.match(g.warnings[0]!, /a '\|' outside parentheses in \{\.\.\.\} splits the whole glob, as in the Python tool .*write \{\(a\|b\)\}/);
  assert.deepEqual(g.roots, ['/'], 'the walk cannot start below /');
});

test('anchors as in Python re.match: a glob ending in $ or with $ inside', () => {
  yes('/etc/hosts', '/etc/hosts\n');
  yes('/tmp/foo$', '/tmp/foo$', '/tmp/foo$bar', '/tmp/foo$/x');
  no('/tmp/foo$', '/tmp/foo');
  yes('/x/{a$}', '/x/a');
  no('/x/{a$}', '/x/ab');
  yes('/x/{a\\\\Z}', '/x/a');
  no('/x/{a\\\\Z}', '/x/a\n');
  yes('/x/{.}', '/x/a');
  no('/x/{.}', '/x/\n');
});

test('linear time: 24 stars against 250 characters, nested repeats, a realistic exclude', () => {
  no(`/${'*'.repeat(24)}x`, `/${'a'.repeat(250)}`);
  no('/x/{(a*)*b}', `/x/${'a'.repeat(5000)}`);
  no('**/cache/**/tmp/**.bak', `/${'cache/tmp/'.repeat(200)}x.ba`);
  yes('**/cache/**/tmp/**.bak', `/${'cache/tmp/'.repeat(200)}x.bak`);
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
  assert.equal(compileGlob('/{(etc|usr)}/x').base, '/');
  assert.equal(compileGlob('/usr/{(bin|sbin)}/*').base, '/usr');
  assert.deepEqual(compileGlob('/usr/{(bin|sbin)}/*').roots, ['/usr']);
  assert.deepEqual(compileGlob('/usr/{(bin|bin2)}/*').roots, ['/usr'], 'the literal prefix stops at a directory');
  assert.deepEqual(compileGlob('/etc/').roots, ['/etc']);
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
  assert.ok(compileGlob('/{(etc|usr/lib)}/*').mayMatchBelow('/usr/lib'));
  assert.ok(!compileGlob('/{(etc|usr/lib)}/*').mayMatchBelow('/usr/share'));
  assert.ok(!compileGlob('/{(etc|usr/lib)}/*').mayMatchBelow('/usr/lib/x'));
  assert.ok(compileGlob('/etc/{ssh|ssl}/**').mayMatchBelow('/etc/ssh'), 'a prefix match covers everything below');
  assert.ok(!compileGlob('/etc/{ssh|ssl}/**').mayMatchBelow('/usr'));
  const set = new GlobSet(['/etc/ssh/*', '/usr/lib/**']);
  assert.ok(set.mayMatchBelow('/usr/lib/a') && set.mayMatchBelow('/etc/ssh') && !set.mayMatchBelow('/var'));
  assert.ok(compileGlob('/etc/**').mayMatchBelow('/etc/a/b'));
});

test('invalid patterns throw a clear error and checkGlob reports it', () => {
  assert.throws(() => compileGlob('/etc/[abc'), /^Error: bad glob "\/etc\/\[abc": no closing '\]' for '\['$/);
  assert.throws(() => compileGlob('/etc/{a,b'), /bad glob "\/etc\/\{a,b": no closing '\}' for '\{'/);
  assert.throws(() => compileGlob('/etc/a\\'), /dangling backslash/);
  assert.throws(() => compileGlob('/x/[z-a]'), /bad regular expression \^\/x\/\[z-a\]\$: bad character range at position 5/);
  assert.throws(() => compileGlob('/x/{(}'), /missing \), unterminated subpattern/);
  assert.throws(() => compileGlob('/x/{(?=a)}'), /look-around is not supported in globs/);
  assert.throws(() => compileGlob('/x/{(a)\\\\1}'), /back-references are not supported in globs/);
  assert.throws(() => compileGlob('/x/{a**}'), /multiple repeat/);
  assert.throws(() => compileGlob('/x/{^*}'), /nothing to repeat/);
  assert.throws(() => compileGlob('/x/a\0b'), /^Error: bad glob "\/x\/a\\0b": a NUL byte cannot be in a path$/);
  assert.equal(checkGlob(['/etc/**', '/x/[']), `bad glob "/x/[": no closing ']' for '['`);
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
