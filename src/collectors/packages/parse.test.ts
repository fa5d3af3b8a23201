import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readDpkgLogWindow } from './dpkg-db.js';
import { isInstalled, logTime, parseConffiles, parseDpkgLogLine, parseList, parseMd5sums, parseStatus } from './parse.js';

const STATUS = `Package: libfoo1
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: foo (1.2-3)
Version: 1.2-3+b1
Description: a library
 with a long
 .
 description: containing colons
Conffiles:
 /etc/foo/a.conf 0123456789abcdef0123456789abcdef
 /etc/foo/old.conf fedcba9876543210fedcba9876543210 obsolete
 /etc/foo/caf\xe9.conf 00000000000000000000000000000000

Package: gone
Status: deinstall ok config-files
Architecture: all
Version: 1.0

Package: never
Status: purge ok not-installed
Architecture: amd64
`;

test('status: fields, multi-line values, Source, Multi-Arch, Conffiles with flags and byte paths', () => {
  const [lib, gone, never] = parseStatus(Buffer.from(STATUS, 'latin1'));
  assert.equal(lib!.name, 'libfoo1');
  assert.equal(lib!.arch, 'amd64');
  assert.equal(lib!.version, '1.2-3+b1');
  assert.equal(lib!.source, 'foo');
  assert.equal(lib!.multiArchSame, true);
  assert.equal(lib!.conffiles.length, 3);
  assert.deepEqual(lib!.conffiles[1], { path: Buffer.from('/etc/foo/old.conf'), md5: 'fedcba9876543210fedcba9876543210', flag: 'obsolete' });
  assert.deepEqual(lib!.conffiles[2]!.path, Buffer.from([...Buffer.from('/etc/foo/caf'), 0xe9, ...Buffer.from('.conf')]));
  assert.equal(isInstalled(lib!.status), true);
  assert.equal(isInstalled(gone!.status), false);
  assert.equal(isInstalled(never!.status), false);
  assert.equal(gone!.source, undefined);
});

test('.list drops /. and keeps raw bytes; md5sums; conffiles with remove-on-upgrade', () => {
  const list = parseList(Buffer.concat([Buffer.from('/.\n/usr\n/usr/bin/a\n/usr/bin/b'), Buffer.from([0xff]), Buffer.from('\n')]));
  assert.equal(list.length, 3);
  assert.equal(list[2]![list[2]!.length - 1], 0xff);
  const md5 = parseMd5sums(Buffer.from('0123456789abcdef0123456789abcdef  usr/bin/a\nbad line\nfedcba9876543210fedcba9876543210  usr/share/doc/x y\n'));
  assert.equal(md5.get('/usr/bin/a'), '0123456789abcdef0123456789abcdef');
  assert.equal(md5.get('/usr/share/doc/x y'), 'fedcba9876543210fedcba9876543210');
  assert.equal(md5.size, 2);
  assert.deepEqual(parseConffiles(Buffer.from('/etc/a\nremove-on-upgrade /etc/b\n\n')).map(String), ['/etc/a', '/etc/b']);
});

test('dpkg.log lines: actions parsed, status/conffile/startup lines and junk skipped', () => {
  assert.deepEqual(parseDpkgLogLine('2024-03-01 10:00:01 upgrade openssl:amd64 3.0.11-1 3.0.13-1'), {
    time: '2024-03-01 10:00:01', action: 'upgrade', package: 'openssl', arch: 'amd64', old: '3.0.11-1', new: '3.0.13-1',
  });
  assert.deepEqual(parseDpkgLogLine('2024-02-01 09:00:00 install curl:amd64 <none> 7.88.1-10')?.old, null);
  assert.deepEqual(parseDpkgLogLine('2024-03-05 08:00:00 remove bar:all 2.0 <none>')?.new, null);
  assert.equal(parseDpkgLogLine('2024-03-01 10:00:01 status half-installed openssl:amd64 3.0.11-1'), undefined);
  assert.equal(parseDpkgLogLine('2024-02-01 09:00:02 conffile /etc/x keep'), undefined);
  assert.equal(parseDpkgLogLine('2024-03-01 10:00:00 startup archives unpack'), undefined);
  assert.equal(parseDpkgLogLine('garbage'), undefined);
  assert.equal(logTime('2024-03-01 10:00:01').getHours(), 10);
});

test('the log window reads rotated copies, .gz included, oldest first', () => {
  const log = fileURLToPath(new URL('testdata/dpkg.log', import.meta.url));
  const all = readDpkgLogWindow(log, logTime('2024-01-01 00:00:00'), logTime('2024-12-31 00:00:00'));
  assert.equal(all.found, true);
  assert.deepEqual(all.entries.map((e) => `${e.action} ${e.package}`), ['install curl', 'upgrade openssl', 'remove bar', 'configure foo']);
  const recent = readDpkgLogWindow(log, logTime('2024-03-01 00:00:00'), logTime('2024-03-02 00:00:00'));
  assert.deepEqual(recent.entries.map((e) => e.package), ['openssl']);
  assert.equal(readDpkgLogWindow('/nonexistent/dpkg.log', new Date(0), new Date()).found, false);
});
