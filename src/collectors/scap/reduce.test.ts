/**
 * Reduced datastreams against the real scanner and the real SSG Debian 12 datastream: the
 * results of the kept rules equal those of the whole datastream, on this host and under a
 * probe root with a rule made to fail; the cache is private and keyed by the datastream's bytes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import { withRequires } from './index.js';
import { evaluate, findOscap } from './oscap.js';
import { indexDatastream, prepareIndex, reducedDatastream, reduceDatastream } from './reduce.js';
import { buildRuleMap, selectedRules, sha256File } from './rulemap.js';
import { parseXccdfFile, readXmlFile } from './xccdf.js';

const DS = fileURLToPath(new URL('../../../../shared/fixtures/scap/ssg-debian12-ds.xml', import.meta.url));
const P = 'xccdf_org.ssgproject.content_profile_';
const R = 'xccdf_org.ssgproject.content_rule_';
const bin = findOscap();
const skip = (!bin || !fs.existsSync(DS)) && 'needs oscap and the shared datastream';

const text = fs.existsSync(DS) ? fs.readFileSync(DS, 'utf8') : '';
const sha = text ? sha256File(DS) : '';
const index = text ? indexDatastream(text, sha) : undefined;
const map = text ? buildRuleMap(DS) : undefined;

/** Rule id → result of one oscap evaluation. */
async function results(datastream: string, profile: string, rules: string[], probeRoot?: string): Promise<Map<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-reduce-'));
  try {
    const resultsFile = path.join(dir, 'results.xml');
    const r = await evaluate({ bin: bin!, datastream, profile, rules, skipRules: [], resultsFile, timeoutMs: 600_000, probeRoot, skipValid: true });
    assert.ok(r.exitCode === 0 || r.exitCode === 2, `oscap exited ${r.exitCode}: ${r.stderr}`);
    return new Map(parseXccdfFile(resultsFile).rules.map((x) => [x.id, x.result]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function reducedFile(dir: string, rules: string[], profiles: string[]): string {
  const f = path.join(dir, 'reduced.xml');
  fs.writeFileSync(f, reduceDatastream(text, index!, rules, profiles));
  return f;
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

test('a reduced datastream keeps the rules asked for, every Value, the profile chain and only the OVAL and OCIL they reach', { skip: !text && 'needs the shared datastream' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-reduce-'));
  try {
    const rules = [`${R}sshd_disable_root_login`, `${R}file_permissions_etc_shadow`];
    const f = reducedFile(dir, rules, [`${P}anssi_bp28_high`]);
    const out = fs.readFileSync(f, 'utf8');
    assert.ok(out.length < text.length / 10, `${out.length} bytes of ${text.length}`);
    // Well-formed XML.
    readXmlFile(new SaxesParser({ xmlns: false }), f);
    assert.deepEqual([...out.matchAll(/<xccdf-1\.2:Rule [^>]*id="([^"]+)"/g)].map((m) => m[1]).sort(), [...rules].sort());
    assert.equal(count(out, /<xccdf-1\.2:Value /g), count(text, /<xccdf-1\.2:Value /g), 'every Value stays');
    // The profile stays (with those it extends: none in this datastream), the others go.
    assert.deepEqual([...out.matchAll(/<xccdf-1\.2:Profile [^>]*id="([^"]+)"/g)].map((m) => m[1]), [`${P}anssi_bp28_high`]);
    // The rules' check definitions are in, another rule's are not; the CPE OVAL stays whole.
    assert.match(out, /<oval-def:definition [^>]*id="oval:ssg-sshd_disable_root_login:def:1"/);
    assert.match(out, /<oval-def:definition [^>]*id="oval:ssg-file_permissions_etc_shadow:def:1"/);
    assert.doesNotMatch(out, /id="oval:ssg-file_permissions_etc_passwd:def:1"/);
    const cpe = (s: string) => s.slice(s.indexOf('cpe-oval.xml" timestamp'), s.indexOf('</ds:component>', s.indexOf('cpe-oval.xml" timestamp')));
    assert.equal(cpe(out), cpe(text));
    // Every reference inside the kept OVAL resolves.
    const ids = new Set([...out.matchAll(/ id="(oval:[^"]+)"/g)].map((m) => m[1]));
    for (const m of out.matchAll(/(?:test_ref|object_ref|state_ref|var_ref|definition_ref)="(oval:[^"]+)"/g)) assert.ok(ids.has(m[1]), `${m[1]} is referenced and kept`);
    for (const m of out.matchAll(/<oval-def:(?:object_reference|filter)[^>]*>([^<]+)</g)) assert.ok(ids.has(m[1]!.trim()), `${m[1]} is referenced and kept`);
    assert.throws(() => reduceDatastream(text, index!, [`${R}nosuch`]), /rule xccdf_org\.ssgproject\.content_rule_nosuch is not in the datastream/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('profile standard on this host: every rule has the result of the whole datastream, in one reduced datastream and in small ones', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-reduce-'));
  try {
    const profile = `${P}standard`;
    const selected = selectedRules(map!, profile);
    const full = await results(DS, profile, []);
    assert.equal(full.size, selected.length);
    const all = await results(reducedFile(dir, selected, [profile]), profile, selected);
    assert.deepEqual(new Map([...all].sort()), new Map([...full].sort()));
    assert.ok(new Set(full.values()).size > 1, `more than one kind of result: ${[...new Set(full.values())].join(' ')}`);
    // A few rules at a time, as an incremental run names them (with the rules they require).
    const sel = new Set(selected);
    for (const part of [['sshd_set_idle_timeout'], ['file_permissions_etc_shadow', 'file_owner_etc_passwd'], ['sysctl_kernel_randomize_va_space', 'package_rsyslog_installed', 'rsyslog_files_ownership']]) {
      const rules = withRequires(map!, part.map((r) => R + r), sel);
      const got = await results(reducedFile(dir, rules, [profile]), profile, rules);
      assert.deepEqual([...got.keys()].sort(), rules);
      for (const r of rules) assert.equal(got.get(r), full.get(r), `${r}: reduced ${got.get(r)}, whole ${full.get(r)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('anssi_bp28_high under a probe root: the file-mapped rules have the results of the whole datastream, a failing one included', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-reduce-'));
  try {
    const root = path.join(dir, 'root');
    for (const d of ['etc/ssh', 'usr/lib', 'var/lib/dpkg']) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'os-release', 'debian_version']) fs.copyFileSync(`/etc/${f}`, path.join(root, 'etc', f));
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
    fs.chmodSync(path.join(root, 'etc', 'passwd'), 0o644);
    fs.copyFileSync('/etc/os-release', path.join(root, 'usr/lib/os-release'));
    fs.copyFileSync('/var/lib/dpkg/status', path.join(root, 'var/lib/dpkg/status'));
    fs.writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PermitRootLogin yes\n');
    const profile = `${P}anssi_bp28_high`;
    const selected = selectedRules(map!, profile);
    const rules = withRequires(
      map!,
      selected.filter((r) => map!.rules[r]!.class === 'files'),
      new Set(selected),
    );
    assert.ok(rules.length > 50, `${rules.length} rules`);
    const whole = await results(DS, profile, rules, root);
    const reduced = await results(reducedFile(dir, rules, [profile]), profile, rules, root);
    assert.deepEqual(new Map([...reduced].sort()), new Map([...whole].sort()));
    assert.equal(reduced.get(`${R}file_permissions_etc_shadow`), 'fail');
    assert.equal(reduced.get(`${R}file_permissions_etc_passwd`), 'pass');
    assert.equal(reduced.get(`${R}sudo_add_env_reset`), 'fail', 'a rule whose input is missing');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache: private directory and files, one copy per rule set and datastream, a planted link or a foreign file is not used, changed bytes are refused', { skip: !text && 'needs the shared datastream' }, () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-reduce-'));
  try {
    const rules = [`${R}sshd_disable_root_login`];
    // A full evaluation builds the index beforehand; once.
    assert.equal(prepareIndex(DS, sha, state), true);
    assert.equal(prepareIndex(DS, sha, state), false);
    const a = reducedDatastream(DS, sha, rules, [`${P}standard`], state);
    assert.equal(a.cached, false);
    const dir = path.join(state, 'scap-reduced');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(a.file).mode & 0o777, 0o600);
    assert.ok(fs.readdirSync(dir).some((n) => n === `index-${sha}.json`), 'the index is kept');
    assert.equal(fs.statSync(path.join(dir, `index-${sha}.json`)).mode & 0o777, 0o600);
    const b = reducedDatastream(DS, sha, [...rules], [`${P}standard`], state);
    assert.deepEqual(b, { file: a.file, cached: true });
    const other = reducedDatastream(DS, sha, [...rules, `${R}file_owner_etc_passwd`], [`${P}standard`], state);
    assert.notEqual(other.file, a.file);
    assert.equal(other.cached, false);
    // Another datastream's bytes: another copy (the sha is part of the name).
    const copy = path.join(state, 'ds.xml');
    fs.writeFileSync(copy, text.replace('</ds:data-stream-collection>', '<!-- changed --></ds:data-stream-collection>'));
    const c = reducedDatastream(copy, sha256File(copy), rules, [`${P}standard`], state);
    assert.notEqual(c.file, a.file);
    // The bytes changed after their sha256 was taken: refused.
    assert.throws(() => reducedDatastream(copy, sha, [`${R}file_owner_etc_group`], [], state), /changed while it was read/);
    // A symlink where a copy should be is not followed: it is replaced by a real copy.
    const target = path.join(state, 'elsewhere.xml');
    fs.writeFileSync(target, 'not a datastream');
    fs.rmSync(a.file);
    fs.symlinkSync(target, a.file);
    const d = reducedDatastream(DS, sha, rules, [`${P}standard`], state);
    assert.equal(d.cached, false);
    assert.ok(fs.lstatSync(d.file).isFile());
    assert.equal(fs.readFileSync(target, 'utf8'), 'not a datastream');
    // A copy others may write is not used.
    fs.chmodSync(d.file, 0o666);
    assert.equal(reducedDatastream(DS, sha, rules, [`${P}standard`], state).cached, false);
    assert.equal(fs.statSync(d.file).mode & 0o777, 0o600);
    // A cache directory that is a link is refused.
    const state2 = path.join(state, 'state2');
    fs.mkdirSync(state2);
    fs.symlinkSync(path.join(state, 'tmpdir'), path.join(state2, 'scap-reduced'));
    fs.mkdirSync(path.join(state, 'tmpdir'));
    assert.throws(() => reducedDatastream(DS, sha, rules, [], state2), /is not a directory owned by/);
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
  }
});
