/**
 * What the bundled configuration watches: the paths an intruder touches (and Debian 12's aide
 * watches by default) are recorded by the file collector, volatile ones are not, and root's
 * credential files and the library trees are never kept as text. Read from the bundled
 * etc/syschangemon through the real config loader and the real glob compiler.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { COLLECTORS } from '../src/collectors/index.js';
import { compileGlob } from '../src/core/glob.js';

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
  ]) assert.ok(!recorded(p), `${p} is not recorded`);
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
