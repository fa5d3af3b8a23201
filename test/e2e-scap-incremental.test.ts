/**
 * The rule → inputs map and incremental compliance runs, end to end: the built CLI, the real
 * scanner on the shared datastream with OSCAP_PROBE_ROOT pointed at a copied tree, a real
 * SQLite store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SHARED, sandbox } from './helpers.js';

export const oscap = spawnSync('sh', ['-c', 'command -v oscap'], { encoding: 'utf8' }).stdout.trim();
const DS = path.join(SHARED, 'fixtures', 'scap', 'ssg-debian12-ds.xml');

test('capabilities --rules: the map of the profile and of the sca policy, cached in the storage directory', { skip: !fs.existsSync(DS) && 'needs the shared datastream' }, () => {
  const sb = sandbox({});
  try {
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\n`);
    sb.writePlugin('sca', `[sca]\nenable_plugin = true\n`);
    const r = sb.run('capabilities', '--rules', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.equal(m.scap.profile, 'standard');
    assert.equal(Object.keys(m.scap.rules).length, 44);
    assert.deepEqual(m.scap.classes, { files: 28, runtime: 13, dynamic: 3, fswide: 0, none: 0 });
    assert.deepEqual(m.scap.rules.sshd_disable_root_login.literal, ['/etc/ssh/sshd_config']);
    assert.deepEqual(m.scap.rules.sshd_set_idle_timeout.requires, ['sshd_set_keepalive']);
    assert.equal(m.scap.cached, false);
    const cache = fs.readdirSync(sb.storage).filter((n) => n.startsWith('scap-rulemap-'));
    assert.equal(cache.length, 1, 'one cached map');
    assert.equal(fs.statSync(path.join(sb.storage, cache[0]!)).mode & 0o777, 0o600);
    const sca = m.sca[0];
    assert.equal(sca.policy, 'syschangemon_debian12');
    const sshd = Object.values(sca.checks as Record<string, { literal: string[]; class: string }>).filter((c) => c.literal.includes('/etc/ssh/sshd_config'));
    assert.ok(sshd.length >= 5, 'the sshd checks map to sshd_config');

    const text = sb.run('capabilities', '--rules', '--profile', 'anssi_bp28_high');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^scap profile anssi_bp28_high: 391 rules; \d+ files/m);
    assert.match(text.stdout, /map cached/);
    assert.match(text.stdout, /^ {2}sshd_disable_root_login {2}\[files\]\n {4}file {5}\/etc\/ssh\/sshd_config$/m);
    assert.ok(!/^sca policy/m.test(text.stdout), 'with --profile only the profile is printed');

    const bad = sb.run('capabilities', '--rules', '--profile', 'nosuch');
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^scap: profile xccdf_org\.ssgproject\.content_profile_nosuch is not in the datastream$/m);
  } finally {
    sb.cleanup();
  }
});


