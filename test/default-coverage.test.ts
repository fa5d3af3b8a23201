/**
 * What the bundled configuration watches: the paths an intruder touches (and Debian 12's aide
 * watches by default) are recorded by the file collector, volatile ones are not, and root's
 * credential files and the library trees are never kept as text. Read from the bundled
 * etc/syschangemon through the real config loader and the real glob compiler.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { COLLECTORS } from '../src/collectors/index.js';
import { compileGlob } from '../src/core/glob.js';
import { ignoreMatcher } from '../src/core/ignore.js';

const BUNDLED = fileURLToPath(new URL('../etc/syschangemon/syschangemon.conf', import.meta.url));
const cfg = loadConfig({ file: BUNDLED, collectors: COLLECTORS, env: {} });
const globs = (plugin: string, option: string) => ((cfg.plugins.get(plugin)?.options[option] ?? []) as string[]).map((g) => compileGlob(g));

/** Whether the walk records `path`: an include matches it and no exclude matches it or a directory above it. */
function recorded(path: string): boolean {
  const ex = globs('file', 'exclude');
  const parts = path.split('/');
  for (let i = 2; i <= parts.length; i++) if (ex.some((g) => g.test(parts.slice(0, i).join('/')))) return false;
  return globs('file', 'include').some((g) => g.test(path));
}

test('the bundled file.conf records what an intruder touches', () => {
  for (const p of [
    '/root/.ssh/authorized_keys',
    '/root/.bashrc',
    '/root/.profile',
    '/root/.config/systemd/user/evil.service',
    '/usr/lib/x86_64-linux-gnu/security/pam_unix.so',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/systemd/system/ssh.service',
    '/usr/local/bin/backdoor',
    '/usr/local/lib/python3.11/dist-packages/sitecustomize.py',
    '/usr/libexec/evil',
    '/boot/vmlinuz-6.1.0-18-amd64',
    '/opt/app/bin/app',
    '/etc/pam.d/sshd',
    '/etc/systemd/system/evil.service',
    '/etc/ld.so.preload',
    '/var/spool/cron/crontabs/root',
    '/usr/bin/hostname',
    '/lib/x86_64-linux-gnu/security/pam_unix.so',
  ]) assert.ok(recorded(p), `${p} is recorded`);
});

test('volatile paths stay out: logs, caches, histories, /tmp, /var/lib', () => {
  for (const p of [
    '/root/.bash_history',
    '/root/.python_history',
    '/root/.lesshst',
    '/root/.viminfo',
    '/root/.cache/pip/http/x',
    '/root/.npm/_cacache/index',
    '/root/.local/share/x',
    '/var/log/syslog',
    '/var/cache/apt/pkgcache.bin',
    '/var/lib/dpkg/status',
    '/tmp/x',
    '/etc/mtab',
    '/etc/ld.so.cache',
    '/etc/adjtime',
    // What Debian rewrites by itself (its aide config treats these as volatile).
    '/etc/fake-hwclock.data',
    '/etc/cups/subscriptions.conf',
    '/etc/cups/subscriptions.conf.O',
    '/etc/cups/printers.conf.O',
    '/etc/openvpn/ipp.txt',
    '/etc/.git/index',
    '/etc/.git/objects/3f/1c0de8b1e2a9a1c0ffee0000000000000000aa',
    '/etc/.git/logs/HEAD',
    '/etc/.git/refs/heads/master',
    '/etc/.git/COMMIT_EDITMSG',
  ]) assert.ok(!recorded(p), `${p} is not recorded`);
  // What runs or decides in etckeeper's repository stays watched, and so does the pool's config.
  for (const p of ['/etc/.git/hooks/pre-commit', '/etc/.git/config', '/etc/.git/HEAD', '/etc/openvpn/server.conf', '/etc/cups/printers.conf', '/etc/resolv.conf']) {
    assert.ok(recorded(p), `${p} is recorded`);
  }
});

test('/etc/resolv.conf replaced with the same text is quiet, a new text is not', () => {
  const ignored = ignoreMatcher(cfg.plugins.get('file')?.options.ignore_attributes);
  assert.ok(ignored, 'the bundled file.conf sets ignore_attributes');
  for (const a of ['inode', 'mtime', 'ctime']) assert.ok(ignored('file:///etc/resolv.conf', a), `resolv.conf ${a}`);
  for (const a of ['sha256', 'size', 'mode', 'uid', 'type', 'target']) assert.ok(!ignored('file:///etc/resolv.conf', a), `resolv.conf ${a} is reported`);
  for (const a of ['mtime', 'inode', 'sha256']) assert.ok(!ignored('file:///etc/hosts', a), `only resolv.conf: /etc/hosts ${a}`);
  assert.ok(ignored('file:///etc/.git', 'mtime') && !ignored('file:///etc/.git/config', 'mtime'));
});

test('the bundled ip6_route command gives the same text while routes learned from router advertisements count down', (t) => {
  const cmd = String(cfg.plugins.get('command')?.options['command.ip6_route']);
  // A private network namespace with a route that expires, as an RA-learned route does.
  const setup = 'ip link set lo up && ip link add scmv0 type veth peer name scmv1 && ip link set scmv0 up && sleep 1 && ip -6 route add 2001:db8:5c::/64 dev scmv0 proto ra expires 600';
  const script = `${setup} || exit 99; raw1=$(ip -6 route show); out1=$(${cmd}); sleep 2.2; raw2=$(ip -6 route show); out2=$(${cmd}); printf '%s\n--\n%s\n--\n%s\n--\n%s\n' "$raw1" "$raw2" "$out1" "$out2"`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8' });
  if (r.status === 99 || r.error) {
    t.skip(`no network namespace with a veth pair here: ${r.stderr || r.error}`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const [raw1, raw2, out1, out2] = r.stdout.split('\n--\n');
  assert.match(raw1!, /2001:db8:5c::\/64 .*expires \d+sec/, 'the route counts down');
  assert.notEqual(raw1, raw2, 'plain ip -6 route show changes by itself');
  assert.match(out1!, /2001:db8:5c::\/64 dev scmv0 proto ra/, 'the route is still listed');
  assert.doesNotMatch(out1!, /expires/);
  assert.equal(out1, out2!.replace(/\n$/, ''), 'the bundled command does not');
});

test('the bundled firewall commands leave packet counters out', () => {
  const opts = cfg.plugins.get('command')?.options ?? {};
  assert.match(String(opts['command.nft_ruleset']), /^nft (?:--stateless|-s) list ruleset$/);
  const iptables = String(opts['command.iptables']);
  // iptables-save's chain lines carry [packets:bytes]: the bundled filter removes them.
  const r = spawnSync('sh', ['-c', iptables.replace(/^iptables-save/, "printf '%s\\n' '# Generated by iptables-save' '*filter' ':INPUT ACCEPT [1234:567890]' '-A INPUT -i lo -j ACCEPT' 'COMMIT'")], { encoding: 'utf8' });
  assert.equal(r.stdout, '*filter\n:INPUT ACCEPT \n-A INPUT -i lo -j ACCEPT\nCOMMIT\n');
});

test('the bundled conffile.conf keeps no text of library trees and only a hash of root credential files', () => {
  const ex = globs('conffile', 'exclude');
  for (const p of ['/usr/lib/python3/dist-packages/apt/__init__.py', '/opt/app/lib/x.py', '/usr/local/lib/x.pm', '/boot/config-6.1.0']) {
    assert.ok(ex.some((g) => g.test(p)), `${p}: no conffile item`);
  }
  assert.ok(!ex.some((g) => g.test('/etc/ssh/sshd_config')), 'configuration texts are still kept');
  assert.ok(!ex.some((g) => g.test('/root/.bashrc')), "root's dotfiles are kept as text");
  const secret = globs('conffile', 'secret_paths');
  for (const p of ['/root/.npmrc', '/root/.netrc', '/root/.git-credentials', '/root/.pgpass', '/root/.my.cnf']) {
    assert.ok(secret.some((g) => g.test(p)), `${p} is kept as a hash only`);
  }
});
