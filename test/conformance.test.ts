/**
 * Every item every registered collector emits conforms to the collector's declaration
 * (Collector.items): its key matches a declared kind, each attribute is declared with its type,
 * no required attribute is missing, each content is declared. The collectors run for real in
 * the built CLI: file and conffile on a tree with every file type, commands that succeed, fail
 * and are killed, wtmp on the shared fixture, packages on a dpkg root with an installed
 * package, scap on the shared Docker Bench log, mysql_users on a MariaDB the test starts,
 * openvpn_users on a PKI made by openssl, portscan on a listener of its own on 127.0.0.1, and
 * every other collector on its defaults
 * (a new collector is covered as soon as it is registered).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { COLLECTORS } from '../src/collectors/index.js';
import { buildDeb, DpkgRoot, haveDpkg } from '../src/collectors/packages/testdata/dpkg-root.js';
import { conformance } from '../src/core/items.js';
import { type Listener, listen } from '../src/collectors/ports/testdata/listener.js';
import { TestPki } from '../src/collectors/openvpn_users/testdata/pki.js';
import { haveMariadb, TestMariadb } from '../src/collectors/mysql_users/testdata/mariadb.js';
import { sandbox, SHARED } from './helpers.js';

test('every item of every registered collector conforms to its declaration', async () => {
  const sb = sandbox({});
  let mariadb: TestMariadb | undefined;
  let listener: Listener | undefined;
  try {
    const t = sb.tree;
    fs.mkdirSync(path.join(t, 'etc'));
    fs.writeFileSync(path.join(t, 'etc', 'app.conf'), 'key = value\n');
    fs.writeFileSync(path.join(t, 'etc', 'blob.bin'), Buffer.from([0, 1, 2, 255]));
    fs.writeFileSync(path.join(t, 'setuid'), '#!/bin/sh\n', { mode: 0o4755 });
    fs.symlinkSync('etc/app.conf', path.join(t, 'link'));
    execFileSync('mkfifo', [path.join(t, 'fifo')]);
    const conf: Record<string, string> = {
      file: `[file]\ninclude =\n  ${t}\n  ${t}/**\n`,
      conffile: `[conffile]\nsize_limit = 1000\n`,
      command: `[command]\ncommand.ok = echo hello\ncommand.fails = echo oops >&2; exit 3\ncommand.killed = sleep 30\ntimeout.killed = 1\nmax_output = 4\n`,
      wtmp: `[wtmp]\nwtmp_path = ${path.join(SHARED, 'fixtures', 'wtmp', 'wtmp.fixture')}\nwtmpdb_path = ${path.join(sb.dir, 'no-wtmpdb')}\nmax_age = 36500d\n`,
      scap: `[scap]\nprofile =\ndocker_bench_log = ${path.join(SHARED, 'fixtures', 'scap', 'docker-bench.json')}\n`,
    };
    // An account with an authorized key (ssh_keys).
    const home = path.join(sb.dir, 'home', 'alice');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', path.join(sb.dir, 'key')]);
    fs.writeFileSync(path.join(home, '.ssh', 'authorized_keys'), `from="192.0.2.0/24" ${fs.readFileSync(path.join(sb.dir, 'key.pub'), 'utf8')}`, { mode: 0o600 });
    fs.writeFileSync(path.join(sb.dir, 'passwd'), `alice:x:${process.getuid!()}:${process.getgid!()}::${home}:/bin/sh\n`);
    conf.ssh_keys = `[ssh_keys]\npasswd_path = ${path.join(sb.dir, 'passwd')}\nsshd_config_path = ${path.join(sb.dir, 'no-sshd_config')}\n`;
    // A sudoers file with a Defaults line, an alias and rules (sudoers).
    fs.writeFileSync(path.join(sb.dir, 'sudoers'), 'Defaults env_reset\nDefaults:alice !requiretty\nCmnd_Alias PKG = /usr/bin/apt, /usr/bin/dpkg\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\nalice ALL=(root) NOPASSWD: PKG\n', { mode: 0o440 });
    conf.sudoers = `[sudoers]\nsudoers_path = ${path.join(sb.dir, 'sudoers')}\n`;
    let upgrade: (() => void) | undefined;
    if (haveDpkg()) {
      const root = path.join(sb.dir, 'dpkg-root');
      const db = new DpkgRoot(root);
      const debs = path.join(sb.dir, 'debs');
      fs.mkdirSync(debs);
      const foo = (v: string) => buildDeb(debs, { name: 'foo', version: v, files: { '/usr/bin/foo': `foo ${v}\n`, '/etc/foo.conf': `v = ${v}\n` }, conffiles: ['/etc/foo.conf'] });
      db.install(foo('1.0'));
      upgrade = () => db.install(foo('1.1'));
      conf.file += `  ${root}/**\n`;
      conf.packages = `[packages]\nadmindir = ${db.admindir}\nroot = ${root}\ndpkg_log = ${db.log}\n`;
    }
    // An easy-rsa PKI made by openssl (openvpn_users): valid, revoked, expired.
    const pki = new TestPki(path.join(sb.dir, 'pki'));
    pki.issue('alice');
    pki.issue('bob');
    pki.issue('old', { enddate: '20210101000000Z' });
    pki.revoke('bob');
    pki.genCrl();
    conf.openvpn_users = `[openvpn_users]\npki = ${pki.dir}\n`;
    // A listener of the test's own on 127.0.0.1 (portscan).
    listener = await listen('tcp', '127.0.0.1', 0, 'scm-conformance');
    conf.portscan = `[portscan]\ntargets = 127.0.0.1\nports = ${listener.port}\n`;
    // A real MariaDB on a private socket (mysql_users).
    if (haveMariadb()) {
      mariadb = await TestMariadb.start();
      conf.mysql_users = `[mysql_users]\nsocket = ${mariadb.socket}\ndefaults_file =\n`;
    }
    for (const c of COLLECTORS) sb.writePlugin(c.name, `${conf[c.name] ?? `[${c.name}]\n`}enable_plugin = true\n`);
    const r = sb.run('collect');
    assert.equal(r.code, 0, r.stderr);
    // An upgrade between two collects: the packages collector verifies what changed.
    upgrade?.();
    const r2 = sb.run('collect');
    assert.equal(r2.code, 0, r2.stderr);
    const exported = sb.json<{ items: { key: string; plugin: string; attributes: Record<string, never>; contents: Record<string, string>; error: string | null }[] }>('export', '--format', 'json');
    const problems: string[] = [];
    const seen = new Map<string, number>();
    for (const i of exported.items) {
      const c = COLLECTORS.find((x) => x.name === i.plugin);
      if (!c) {
        problems.push(`${i.key}: no registered collector ${i.plugin}`);
        continue;
      }
      seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
      problems.push(...conformance(c, { key: i.key, attributes: i.attributes, contentRefs: i.contents, ...(i.error ? { error: i.error } : {}) }));
    }
    assert.deepEqual(problems, []);
    for (const c of COLLECTORS) if (c.name !== 'mysql_users' || mariadb) assert.ok(seen.get(c.name), `${c.name} emitted no item`);
    // The inputs above reach the kinds that only some inputs produce.
    const keys = exported.items.map((i) => i.key);
    for (const re of [/^file:\/\/.*\/fifo$/, /^file:\/\/.*\/link$/, /^conffile:\/\/.*blob\.bin$/, /^command:\/\/killed$/, /^wtmp:\/\//, /^dockerbench:\/\/_summary$/, /^dockerbench:\/\/[^_]/]) {
      assert.ok(keys.some((k) => re.test(k)), `an item matching ${re}`);
    }
    if (haveDpkg()) assert.ok(keys.some((k) => k.startsWith('package-verify://')), 'a package-verify item');
  } finally {
    await mariadb?.stop();
    await listener?.stop();
    sb.cleanup();
  }
});

test('each collector declares at least one item kind, each attribute with a description', () => {
  for (const c of COLLECTORS) {
    assert.ok(c.items.length > 0, `${c.name} declares its items`);
    for (const spec of c.items) {
      assert.ok(spec.description, `${c.name} ${spec.key}: a description`);
      assert.match(spec.key, /^[a-z][a-z0-9_+.-]*:\/\//, `${c.name} ${spec.key}: a key form with a scheme`);
      for (const [name, a] of Object.entries(spec.attributes)) assert.ok(a.description, `${c.name} ${spec.key} ${name}: a description`);
    }
  }
});
