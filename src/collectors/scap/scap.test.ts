import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Report } from '../../core/report-model.js';
import type { StoredItem } from '../../types.js';
import { parseDockerBench } from './docker-bench.js';
import { complianceTransitions } from './index.js';
import { autoDatastream } from './oscap.js';
import { patchmonScans } from './patchmon.js';
import { summarise as summariseStatuses } from './summary.js';
import { datastreamProfiles, parseXccdfChunks, parseXccdfFile, RESULTS, type RuleResult } from './xccdf.js';

const summarise = (rules: readonly RuleResult[]) => summariseStatuses(rules.map((r) => r.result), RESULTS);

// The shared fixtures stand beside the repository (../shared).
const F = (name: string) => fileURLToPath(new URL(`../../../../shared/fixtures/scap/${name}`, import.meta.url));

const counts = (file: string) => summarise(parseXccdfFile(F(file)).rules).counts;

test('standard profile: 18 pass, 26 notapplicable; notselected dropped', () => {
  const r = parseXccdfFile(F('results-standard.trimmed.xml'));
  assert.equal(r.profile, 'xccdf_org.ssgproject.content_profile_standard');
  assert.equal(r.rules.length, 44);
  assert.equal(counts('results-standard.trimmed.xml').pass, 18);
  assert.equal(counts('results-standard.trimmed.xml').notapplicable, 26);
  const shadow = r.rules.find((x) => x.id.endsWith('_rule_file_permissions_etc_shadow'))!;
  assert.equal(shadow.title, 'Verify Permissions on shadow File');
  assert.equal(shadow.severity, 'medium');
  assert.equal(r.oscapScore, 100);
});

test('anssi_bp28_high: 29 fail, 50 pass, 311 notapplicable, 1 notchecked', () => {
  const c = counts('results-anssi_bp28_high.trimmed.xml');
  assert.deepEqual([c.fail, c.pass, c.notapplicable, c.notchecked], [29, 50, 311, 1]);
  const s = summarise(parseXccdfFile(F('results-anssi_bp28_high.trimmed.xml')).rules);
  assert.equal(s.total, 391);
  assert.equal(s.score, Math.round((50 / 391) * 10000) / 100);
});

test('fakeroot runs: shadow permissions and group owner go pass → fail', () => {
  const res = (f: string) => new Map(parseXccdfFile(F(f)).rules.map((r) => [r.id.replace(/.*_rule_/, ''), r.result]));
  const one = res('results-fakeroot-run1.trimmed.xml');
  const two = res('results-fakeroot-run2.trimmed.xml');
  const changed = [...one].filter(([id, r]) => two.get(id) !== r).map(([id, r]) => `${id}: ${r} -> ${two.get(id)}`);
  assert.deepEqual(changed.sort(), ['file_owner_etc_group: pass -> fail', 'file_permissions_etc_shadow: pass -> fail']);
});

test('ARF results parse the same rule results', () => {
  const arf = parseXccdfFile(F('arf-standard.trimmed.xml'));
  assert.equal(arf.rules.length, 44);
  assert.equal(summarise(arf.rules).counts.pass, 18);
});

test('idents, messages, and titles from a Benchmark that follows the TestResult', () => {
  const doc = `<?xml version="1.0"?>
<arf:asset-report-collection xmlns:arf="a" xmlns:x="http://checklists.nist.gov/xccdf/1.2">
  <x:TestResult id="t" start-time="2026-01-01T00:00:00" end-time="2026-01-01T00:01:00">
    <x:profile idref="xccdf_org.ssgproject.content_profile_cis"/>
    <x:rule-result idref="r_one" severity="high"><x:result>fail</x:result>
      <x:ident system="https://ncp.nist.gov/cce">CCE-1-1</x:ident><x:ident system="https://ncp.nist.gov/cce">CCE-2-2</x:ident>
      <x:message severity="info">found &lt;PermitRootLogin yes&gt;</x:message></x:rule-result>
    <x:rule-result idref="r_two"><x:result>informational</x:result></x:rule-result>
    <x:rule-result idref="r_off"><x:result>notselected</x:result></x:rule-result>
    <x:score system="urn:xccdf:scoring:default">0.0</x:score>
  </x:TestResult>
  <x:Benchmark id="b">
    <x:Rule id="r_one"><x:title>Rule &amp; one</x:title><x:ident system="s">CCE-9-9</x:ident></x:Rule>
    <x:Rule id="r_two"><x:title>Rule two</x:title><x:ident system="s">CCE-3-3</x:ident></x:Rule>
  </x:Benchmark>
</arf:asset-report-collection>`;
  // Split at every 7th character: element and entity boundaries fall between chunks.
  const chunks = doc.match(/[^]{1,7}/g)!;
  const r = parseXccdfChunks(chunks, 'hand');
  assert.equal(r.profile, 'xccdf_org.ssgproject.content_profile_cis');
  assert.deepEqual(r.rules, [
    { id: 'r_one', result: 'fail', severity: 'high', title: 'Rule & one', ident: 'CCE-1-1,CCE-2-2', message: 'found <PermitRootLogin yes>' },
    { id: 'r_two', result: 'informational', severity: 'unknown', title: 'Rule two', ident: 'CCE-3-3', message: '' },
  ]);
  assert.equal(r.oscapScore, 0);
  assert.throws(() => parseXccdfChunks([doc.replace('<x:result>fail<', '<x:result>bogus<')], 'hand'), /rule r_one has an unknown result 'bogus'/);
});

test('truncated, garbage and foreign XML give one clean error', () => {
  const text = fs.readFileSync(F('results-standard.trimmed.xml'), 'utf8');
  assert.throws(() => parseXccdfChunks([text.slice(0, text.length / 2)], 'cut.xml'), /^Error: cut\.xml: not valid XCCDF results/);
  assert.throws(() => parseXccdfChunks(['<a><b></a>'], 'bad.xml'), /bad\.xml: not valid XCCDF results/);
  assert.throws(() => parseXccdfChunks(['<html><body/></html>'], 'page.xml'), /no TestResult element/);
  assert.throws(() => parseXccdfChunks(['\0\x01garbage'], 'bin'), /bin: not valid/);
});

test('fast-check: any truncation or corruption of a results file throws only a clean Error', () => {
  const text = fs.readFileSync(F('results-fakeroot-run1.trimmed.xml'), 'utf8');
  fc.assert(
    fc.property(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 20 }), (cut, at, junk) => {
      const input = text.slice(0, Math.min(cut, at)) + junk + text.slice(at, cut);
      try {
        parseXccdfChunks([input], 'x');
      } catch (err) {
        assert.ok(err instanceof Error);
        assert.ok(!err.message.includes('\n'), 'one line');
        assert.match(err.message, /^x: /);
      }
    }),
    { numRuns: 150 },
  );
});

test('datastream profiles with titles', () => {
  const profiles = datastreamProfiles(F('ssg-debian12-ds.xml'));
  assert.equal(profiles.length, 9);
  const std = profiles.find((p) => p.id === 'xccdf_org.ssgproject.content_profile_standard')!;
  assert.equal(std.title, 'Standard System Security Profile for Debian 12');
  assert.ok(std.description.length > 20);
});

test('auto datastream by os-release', () => {
  const dir = fileURLToPath(new URL('../../../../shared/fixtures/scap/', import.meta.url));
  assert.equal(autoDatastream('ID=debian\nVERSION_ID="12"\n', [dir]), `${dir}ssg-debian12-ds.xml`);
  assert.equal(autoDatastream('ID=ubuntu\nVERSION_ID="22.04"\n', [dir]), undefined);
});

test('Docker Bench: the real key names; WARN is a failed check, its own status kept', () => {
  const log = parseDockerBench(fs.readFileSync(F('docker-bench.json'), 'utf8'));
  assert.equal(log.version, '1.6.0');
  assert.ok(log.checks.length > 5);
  const first = log.checks[0]!;
  assert.equal(first.id, '1.1.1');
  assert.equal(first.result, 'fail');
  assert.equal(first.status, 'warn');
  assert.equal(log.started, '2024-11-23T20:00:00.000Z');
  const statuses = new Map(log.checks.map((c) => [c.status, c.result]));
  for (const [status, result] of statuses) assert.equal(result, { pass: 'pass', warn: 'fail', info: 'warn', note: 'skip' }[status]);
  assert.equal(first.section, '1 Host Configuration');
  assert.throws(() => parseDockerBench('{"dockerbenchsec": "1", "items": []}'), /not a Docker Bench log/);
  assert.throws(() => parseDockerBench('{trunc'), /not JSON/);
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      try {
        parseDockerBench(JSON.stringify(v));
      } catch (err) {
        assert.match((err as Error).message, /not a Docker Bench log/);
      }
    }),
  );
});

test('compliance transitions: regressions by severity, fixes, other changes, appeared, left', () => {
  const change = (rule: string, old: string | null, nu: string | null, severity = 'medium', profile = 'standard') => ({
    key: `scap://${profile}/${rule}`,
    plugin: 'scap',
    change: old === null ? ('added' as const) : nu === null ? ('removed' as const) : ('changed' as const),
    attributes: { result: { old, new: nu }, ...(old === null ? { severity: { old: null, new: severity }, title: { old: null, new: `T ${rule}` } } : {}) },
  });
  const report = {
    changes: [
      change('a_low', 'pass', 'fail', 'low'),
      change('b_fixed', 'fail', 'pass'),
      change('c_new_pass', null, 'pass'),
      change('d_new_fail', null, 'fail', 'high'),
      change('e_left', 'pass', null),
      change('f_na', 'pass', 'notapplicable'),
      change('g_error', 'notchecked', 'error', 'high'),
      // A first evaluation of another profile: all its rules are added, only failures count.
      { key: 'scap://cis/_summary', plugin: 'scap', change: 'added', attributes: { pass: { old: undefined, new: 1 } } },
      change('x_pass', null, 'pass', 'high', 'cis'),
      change('y_fail', null, 'fail', 'low', 'cis'),
      { key: 'scap://standard/_summary', plugin: 'scap', change: 'changed', attributes: { pass: { old: 1, new: 2 } } },
      { key: 'file:///etc/shadow', plugin: 'file', change: 'changed', attributes: { mode: { old: '0640', new: '0644' } } },
      { key: 'dockerbench://1.1.1', plugin: 'scap', change: 'changed', attributes: { result: { old: 'pass', new: 'fail' } } },
      { key: 'dockerbench://_summary', plugin: 'scap', change: 'changed', attributes: { fail: { old: 1, new: 2 } } },
    ],
  } as unknown as Report;
  const known: Record<string, Record<string, unknown>> = {
    'scap://standard/a_low': { title: 'A low', severity: 'low' },
    'scap://standard/g_error': { title: 'G', severity: 'high' },
    'dockerbench://1.1.1': { desc: 'Ensure a separate partition', severity: 'high' },
  };
  const t = complianceTransitions(report, (k) => known[k]);
  assert.deepEqual(t.map((x) => `${x.profile}/${x.rule}:${x.old}->${x.new}`), [
    'docker-bench/1.1.1:pass->fail',
    'standard/d_new_fail:null->fail',
    'standard/g_error:notchecked->error',
    'cis/y_fail:null->fail',
    'standard/a_low:pass->fail',
    'standard/b_fixed:fail->pass',
    'standard/f_na:pass->notapplicable',
    'standard/c_new_pass:null->pass',
    'standard/e_left:pass->null',
  ]);
  assert.deepEqual(t[1], { profile: 'standard', rule: 'd_new_fail', title: 'T d_new_fail', severity: 'high', old: null, new: 'fail' });
  assert.equal(t[4]!.title, 'A low');
  assert.equal(t[0]!.title, 'Ensure a separate partition', 'a Docker Bench check is titled by its description');
});

test('PatchMon payloads: one per profile and one for Docker Bench, statuses mapped as the agent maps them', () => {
  const rules = parseXccdfFile(F('results-anssi_bp28_high.trimmed.xml')).rules;
  const items: StoredItem[] = rules.map((r) => ({
    key: `scap://anssi_bp28_high/${r.id.replace('xccdf_org.ssgproject.content_rule_', '')}`,
    plugin: 'scap',
    attributes: { result: r.result, severity: r.severity, title: r.title },
    contentHashes: {},
    error: null,
  }));
  items.push({ key: 'scap://anssi_bp28_high/_summary', plugin: 'scap', attributes: { evaluated_at: '2026-01-01T00:00:00.000Z', completed_at: '2026-01-01T00:09:00.000Z', profile: 'xccdf_org.ssgproject.content_profile_anssi_bp28_high' }, contentHashes: {}, error: null });
  for (const c of parseDockerBench(fs.readFileSync(F('docker-bench.json'), 'utf8')).checks) {
    items.push({ key: `dockerbench://${c.id}`, plugin: 'scap', attributes: { result: c.result, status: c.status, desc: c.desc, section: c.section, severity: c.severity }, contentHashes: {}, error: null });
  }
  items.push({ key: 'dockerbench://_summary', plugin: 'scap', attributes: { evaluated_at: '2024-11-23T20:00:00.000Z', version: '1.6.0' }, contentHashes: {}, error: null });
  items.push({ key: 'file:///etc/shadow', plugin: 'file', attributes: {}, contentHashes: {}, error: null });
  const [anssi, bench, ...rest] = patchmonScans(items);
  assert.equal(rest.length, 0);
  // The fixture: 29 fail, 50 pass, 311 notapplicable, 1 notchecked (skip, as the agent maps it).
  const { results: aResults, ...aHead } = anssi!;
  assert.deepEqual(aHead, {
    profile_name: 'xccdf_org.ssgproject.content_profile_anssi_bp28_high',
    profile_type: 'openscap',
    status: 'completed',
    score: 63.29, // 50 / (391 - 311 - 1), as the agent computes it
    total_rules: 391,
    passed: 50,
    failed: 29,
    warnings: 0,
    skipped: 1,
    not_applicable: 311,
    started_at: '2026-01-01T00:00:00.000Z',
    completed_at: '2026-01-01T00:09:00.000Z',
  });
  assert.ok(aResults.every((r) => r.rule_ref.startsWith('xccdf_org.ssgproject.content_rule_')));
  assert.ok(aResults.every((r) => ['pass', 'fail', 'notapplicable', 'skip'].includes(r.status)));
  assert.ok(aResults.every((r) => r.severity === undefined || ['low', 'medium', 'high', 'critical'].includes(r.severity)));
  assert.equal(bench!.profile_name, 'Docker Bench for Security');
  assert.equal(bench!.profile_type, 'docker-bench');
  assert.equal(bench!.started_at, '2024-11-23T20:00:00.000Z');
  const raw = JSON.parse(fs.readFileSync(F('docker-bench.json'), 'utf8')) as { tests: { results: { id: string; result: string }[] }[] };
  const all = raw.tests.flatMap((t) => t.results);
  assert.equal(bench!.total_rules, all.length);
  // Docker Bench's own statuses, as the agent maps them: WARN → warn, INFO and NOTE → skip.
  assert.equal(bench!.warnings, all.filter((r) => r.result === 'WARN').length);
  assert.equal(bench!.passed, all.filter((r) => r.result === 'PASS').length);
  assert.equal(bench!.skipped, all.filter((r) => r.result === 'INFO' || r.result === 'NOTE').length);
  assert.equal(bench!.results.find((r) => r.rule_ref === '1.1.1')!.status, all.find((r) => r.id === '1.1.1')!.result === 'WARN' ? 'warn' : 'pass');
});
