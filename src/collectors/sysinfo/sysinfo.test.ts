import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectSysinfo } from './index.js';
import { compactIpv6, fqdnFromHosts, parseBtime, parseCpuModel, parseMemTotal, parseOsRelease, temporaryIpv6 } from './facts.js';

test('on this machine: facts agree with os, /etc/machine-id and /proc', () => {
  const ctx = new TestContext('sysinfo');
  collectSysinfo(ctx);
  const value = (f: string) => ctx.item(`sysinfo://${f}`)?.attributes.value;
  assert.equal(value('hostname'), os.hostname());
  assert.equal(value('kernel_release'), os.release());
  assert.equal(value('kernel_version'), os.version());
  assert.equal(value('architecture'), os.machine());
  assert.equal(value('machine_id'), fs.readFileSync('/etc/machine-id', 'utf8').trim());
  assert.equal(value('boot_id'), fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  assert.equal(value('cpu_count'), os.cpus().length);
  assert.ok(Math.abs(Number(value('memory_total')) - os.totalmem()) < 1024 * 1024, 'MemTotal ≈ os.totalmem()');
  const boot = Date.parse(String(value('boot_time')));
  assert.ok(Math.abs(Date.now() - os.uptime() * 1000 - boot) < 120_000, 'boot_time ≈ now - uptime');
  const rel = parseOsRelease(fs.readFileSync('/etc/os-release', 'utf8'));
  assert.equal(value('os_id'), rel.get('ID'));
  assert.equal(value('os_name'), rel.get('NAME'));
  assert.equal(typeof value('fqdn'), 'string');
  const lo = ctx.item('sysinfo://interface/lo');
  assert.ok(lo, 'loopback interface item');
  assert.match(String(lo.attributes.addresses), /127\.0\.0\.1\/8/);
  assert.equal(lo.attributes.mtu, Number(fs.readFileSync('/sys/class/net/lo/mtu', 'utf8')));
  for (const k of ['uptime', 'load', 'memory_free']) assert.equal(ctx.item(`sysinfo://${k}`), undefined);
  // Two runs in a row record the same thing: nothing volatile.
  const again = new TestContext('sysinfo');
  collectSysinfo(again);
  assert.deepEqual(again.items, ctx.items);
  assert.deepEqual(ctx.errors.filter((e) => e.key !== 'sysinfo://os_version_id' && e.key !== 'sysinfo://os_version'), []);
});

test('os-release: quotes and escapes', () => {
  const r = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME=\'Debian GNU/Linux\'\nVERSION_ID="12"\nID=debian\n# c\nX="a \\"q\\" \\$b"\n');
  assert.equal(r.get('NAME'), 'Debian GNU/Linux');
  assert.equal(r.get('VERSION_ID'), '12');
  assert.equal(r.get('ID'), 'debian');
  assert.equal(r.get('X'), 'a "q" $b');
});

test('fqdn from /etc/hosts without DNS', () => {
  const hosts = '127.0.0.1 localhost\n# 10.0.0.1 web.wrong.example web\n127.0.1.1 web.example.org web\n';
  assert.equal(fqdnFromHosts('web', hosts), 'web.example.org');
  assert.equal(fqdnFromHosts('db', hosts), 'db');
  assert.equal(fqdnFromHosts('db.example.net', hosts), 'db.example.net');
});

test('proc parsers', () => {
  assert.equal(parseBtime('cpu 1 2\nbtime 1714554000\nprocesses 5\n'), 1714554000);
  assert.equal(parseBtime('cpu 1 2\n'), undefined);
  assert.equal(parseMemTotal('MemTotal:       24684096 kB\nMemFree: 1 kB\n'), 24684096 * 1024);
  assert.equal(parseCpuModel('processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) CPU\n'), 'Intel(R) Xeon(R) CPU');
  const inet6 = 'fd000000000000000000000000000002 04 40 00 82     eth0\n20010db8000000001234567890abcdef 02 40 00 01     eth0\n';
  assert.deepEqual([...temporaryIpv6(inet6)], ['2001:db8::1234:5678:90ab:cdef']);
  assert.equal(compactIpv6('fe8000000000000000fc00fffe000001'), 'fe80::fc:ff:fe00:1');
});
