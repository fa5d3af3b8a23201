/**
 * The scap collector run for real: oscap evaluates a copied tree (OSCAP_PROBE_ROOT) through an
 * in-memory context; results are carried between evaluations, re-evaluated when the content
 * changes, and oscap failures and timeouts are contained.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../errors.js';
import { scapCollector } from './index.js';
import { evaluate, findOscap } from './oscap.js';
import { TestContext } from '../common/test-context.js';

const FIX = fileURLToPath(new URL('../../../../shared/fixtures/scap/', import.meta.url));
const DS = path.join(FIX, 'ssg-debian12-ds.xml');
const oscap = findOscap();
const needsOscap = { skip: (!oscap || !fs.existsSync(DS)) && 'needs oscap (openscap-scanner) and the shared datastream' };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scap-collect-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The files the three rules read, in a tree of their own. */
function fakeRoot(name: string): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'os-release', 'debian_version']) fs.copyFileSync(`/etc/${f}`, path.join(root, 'etc', f));
  fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o640);
  fs.chmodSync(path.join(root, 'etc', 'passwd'), 0o644);
  return root;
}

const RULES = ['file_permissions_etc_shadow', 'file_owner_etc_group', 'file_permissions_etc_passwd'];
const options = (root: string, extra: Record<string, unknown> = {}) => ({
  datastream: DS,
  profile: 'standard',
  rules: RULES,
  skip_rules: [],
  tailoring_file: '',
  interval: 3600,
  timeout: 600,
  probe_root: root,
  docker_bench_log: '',
  // These tests are about interval carrying; incremental runs have their own (e2e-scap-incremental).
  incremental: false,
  ...extra,
});
const SHADOW = 'scap://standard/file_permissions_etc_shadow';
const SUMMARY = 'scap://standard/_summary';

test('evaluate, carry within the interval, re-evaluate when the rule selection changes', needsOscap, async () => {
  const root = fakeRoot('carry');
  const one = new TestContext('scap');
  await scapCollector.collect(one, options(root));
  assert.deepEqual(one.errors, []);
  assert.equal(one.attrs(SHADOW)?.result, 'pass');
  assert.equal(one.attrs(SHADOW)?.title, 'Verify Permissions on shadow File');
  // SSG's Debian 12 content has no CCE identifiers: no ident attribute then.
  assert.equal(one.attrs(SHADOW)?.ident, undefined);
  const s1 = one.attrs(SUMMARY)!;
  assert.deepEqual([s1.pass, s1.fail, s1.total, s1.score], [3, 0, 3, 100]);
  assert.match(String(s1.content_sha256), /^[0-9a-f]{64}$/);
  assert.ok(!Number.isNaN(Date.parse(String(s1.evaluated_at))));

  fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
  // Within the interval nothing runs: the last results are carried as they were.
  const two = one.next();
  await scapCollector.collect(two, options(root));
  assert.equal(two.carried.size, 4);
  assert.equal(two.attrs(SHADOW)?.result, 'pass');
  assert.deepEqual(two.attrs(SUMMARY), s1);
  assert.match(two.notes.join('\n'), new RegExp(`results of the evaluation at ${s1.evaluated_at} carried`));

  // Another selection is other content: evaluated at once, rules left out are not carried.
  const three = two.next();
  await scapCollector.collect(three, options(root, { rules: ['file_permissions_etc_shadow'] }));
  assert.equal(three.carried.size, 0);
  assert.equal(three.attrs(SHADOW)?.result, 'fail');
  assert.equal(three.has('scap://standard/file_owner_etc_group'), false);
  const s3 = three.attrs(SUMMARY)!;
  assert.deepEqual([s3.pass, s3.fail, s3.total, s3.score], [0, 1, 1, 0]);
  assert.notEqual(s3.content_sha256, s1.content_sha256);
});

test('a profile defined by the tailoring file is accepted and evaluated with it', needsOscap, async () => {
  const tailoring = path.join(tmp, 'tailoring.xml');
  fs.writeFileSync(
    tailoring,
    `<?xml version="1.0" encoding="UTF-8"?>
<xccdf-1.2:Tailoring xmlns:xccdf-1.2="http://checklists.nist.gov/xccdf/1.2" id="xccdf_scm_tailoring_t">
  <xccdf-1.2:version time="2026-01-01T00:00:00">1</xccdf-1.2:version>
  <xccdf-1.2:Profile id="xccdf_org.ssgproject.content_profile_standard_tailored" extends="xccdf_org.ssgproject.content_profile_standard">
    <xccdf-1.2:title>Standard, tailored</xccdf-1.2:title>
  </xccdf-1.2:Profile>
</xccdf-1.2:Tailoring>
`,
  );
  const o = options(fakeRoot('tailored'), { profile: 'standard_tailored', tailoring_file: tailoring, rules: ['file_owner_etc_group'] });
  await scapCollector.init!(o, { configDir: tmp, stateDir: tmp });
  await assert.rejects(async () => scapCollector.init!({ ...o, tailoring_file: '' }, { configDir: tmp, stateDir: tmp }), /profile 'standard_tailored' is not in/);
  // The profile exists only in the tailoring file: oscap exits 1 unless it is passed along.
  const ctx = new TestContext('scap');
  await scapCollector.collect(ctx, o);
  assert.equal(ctx.attrs('scap://standard_tailored/file_owner_etc_group')?.result, 'pass');
});

test('oscap exit 1 is one clean error; the collector adds nothing', needsOscap, async () => {
  const notDs = path.join(tmp, 'not-a-datastream.xml');
  fs.writeFileSync(notDs, '<a/>\n');
  const ctx = new TestContext('scap');
  await assert.rejects(scapCollector.collect(ctx, options(tmp, { datastream: notDs, interval: 0 })), (err: Error) => {
    assert.match(err.message, /^oscap exited 1: OpenSCAP Error: Unknown document type: '.*not-a-datastream\.xml'; the previous results stay the comparison base$/);
    return true;
  });
  assert.equal(ctx.size, 0);
});

test('a timeout kills oscap and its process group', needsOscap, async () => {
  const r = await evaluate({
    bin: oscap!,
    datastream: DS,
    profile: 'xccdf_org.ssgproject.content_profile_standard',
    rules: [],
    skipRules: [],
    resultsFile: path.join(tmp, 'never.xml'),
    timeoutMs: 200,
    probeRoot: fakeRoot('timeout'),
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.throws(() => process.kill(-r.pid!, 0), { code: 'ESRCH' });
  assert.equal(fs.existsSync(path.join(tmp, 'never.xml')), false);
});

test('no oscap on PATH: a note, and the previous results are carried', async () => {
  const saved = process.env.PATH;
  process.env.PATH = path.join(tmp, 'empty-bin');
  try {
    const prev = new TestContext('scap');
    prev.add({ key: SHADOW, attributes: { result: 'pass' } });
    const ctx = prev.next();
    await scapCollector.collect(ctx, options(tmp, { interval: 0 }));
    assert.match(ctx.notes.join('\n'), /oscap is not installed/);
    assert.deepEqual([...ctx.carried], [SHADOW]);
  } finally {
    process.env.PATH = saved;
  }
});

test('init: unknown profile lists the available ones; bad content and missing files are config errors', async () => {
  const init = (o: Record<string, unknown>) => scapCollector.init!(options(tmp, o), { configDir: tmp, stateDir: tmp });
  await assert.rejects(async () => init({ profile: 'cis_level9' }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /profile 'cis_level9' is not in .*ssg-debian12-ds\.xml; available: anssi_bp28_enhanced, .*standard$/);
    return true;
  });
  await init({ profile: 'xccdf_org.ssgproject.content_profile_standard' });
  await assert.rejects(async () => init({ datastream: path.join(tmp, 'nope.xml') }), /datastream .*nope\.xml does not exist/);
  const truncated = path.join(tmp, 'truncated-ds.xml');
  fs.writeFileSync(truncated, '<?xml version="1.0"?>\n<ds:data-stream-collection xmlns:ds="x"><Profile id="p">');
  await assert.rejects(async () => init({ datastream: truncated }), (err: Error) => err instanceof ConfigError && /truncated-ds\.xml: not valid XML/.test(err.message));
  await assert.rejects(async () => init({ tailoring_file: path.join(tmp, 'no-tailoring.xml') }), /tailoring_file .* does not exist/);
  await assert.rejects(async () => init({ profile: '' }), /set profile \(and datastream\), docker_bench_log, or docker_bench = run/);
});

test('Docker Bench log: items with result, status, section and severity and a summary; a bad log is an error item and the last checks are kept', async () => {
  const o = options(tmp, { profile: '', docker_bench_log: path.join(FIX, 'docker-bench.json') });
  const one = new TestContext('scap');
  await scapCollector.collect(one, o);
  assert.deepEqual(one.attrs('dockerbench://1.1.1'), {
    desc: 'Ensure a separate partition for containers has been created (Automated)',
    result: 'fail',
    section: '1 Host Configuration',
    severity: 'high',
    status: 'warn',
  });
  const summary = one.attrs('dockerbench://_summary')!;
  assert.equal(summary.evaluated_at, '2024-11-23T20:00:00.000Z');
  assert.equal(summary.total, one.keys().filter((k) => k.startsWith('dockerbench://') && k !== 'dockerbench://_summary').length);
  assert.equal(one.keys().filter((k) => k.startsWith('scap://')).length, 0);
  const bad = path.join(tmp, 'bench-cut.json');
  fs.writeFileSync(bad, fs.readFileSync(path.join(FIX, 'docker-bench.json'), 'utf8').slice(0, 500));
  const two = one.next();
  await scapCollector.collect(two, { ...o, docker_bench_log: bad });
  assert.match(two.errors[0]!.message, /bench-cut\.json: not JSON/);
  assert.equal(two.carried.size, one.size);
});

/**
 * docker_bench = run against a stand-in for the docker CLI (no Docker engine here): a script
 * that answers `docker version` and, for `docker run`, records its arguments and writes the
 * fixture log where docker-bench-security's `-l` would, in the mounted output directory.
 */
test('Docker Bench run: the container is run with the host mounts, its JSON log read; interval, failures and a missing docker', async () => {
  const bin = path.join(tmp, 'fake-docker-bin');
  fs.mkdirSync(bin, { recursive: true });
  const record = path.join(tmp, 'docker-calls');
  fs.writeFileSync(
    path.join(bin, 'docker'),
    `#!/bin/sh
echo "$*" >> ${JSON.stringify(record)}
case "$1" in
  version) [ -e ${JSON.stringify(path.join(tmp, 'engine-down'))} ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }; echo 24.0.7 ;;
  run)
    [ -e ${JSON.stringify(path.join(tmp, 'bench-fails'))} ] && { echo "image not found" >&2; exit 125; }
    for a in "$@"; do case "$a" in *:/out) out="\${a%:/out}" ;; esac; done
    cp ${JSON.stringify(path.join(FIX, 'docker-bench.json'))} "$out/docker-bench.log.json" ;;
esac
`,
    { mode: 0o755 },
  );
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  try {
    const o = options(tmp, { profile: '', docker_bench: 'run', interval: 3600 });
    const one = new TestContext('scap');
    await scapCollector.collect(one, o);
    assert.deepEqual(one.errors, []);
    assert.equal(one.attrs('dockerbench://1.1.1')!.result, 'fail');
    assert.equal(one.attrs('dockerbench://_summary')!.image, 'docker/docker-bench-security');
    assert.equal(one.attrs('dockerbench://_summary')!.engine, '24.0.7');
    const calls = fs.readFileSync(record, 'utf8').trim().split('\n');
    const run = calls.find((c) => c.startsWith('run '))!;
    assert.match(run, /^run --rm --net host --pid host --userns host --cap-add audit_control -e DOCKER_CONTENT_TRUST /);
    assert.match(run, / -v \/etc:\/etc:ro /);
    assert.match(run, / --label docker_bench_security docker\/docker-bench-security -l \/out\/docker-bench\.log$/);
    const mounted = [...run.matchAll(/-v (\S+?):(\S+)/g)].filter((m) => m[2] !== '/out').map((m) => m[1]!);
    assert.ok(mounted.length > 0);
    for (const m of mounted) assert.ok(fs.existsSync(m), `only existing paths are mounted (${m})`);

    // Within the interval: carried, docker not run again.
    fs.rmSync(record);
    const two = one.next();
    await scapCollector.collect(two, o);
    assert.equal(two.carried.size, one.size);
    assert.match(two.notes.join('\n'), /Docker Bench results of .* carried/);
    assert.ok(!fs.existsSync(record), 'docker was not called');

    // Interval passed, but the run fails: an error item, the previous checks stay the base.
    fs.writeFileSync(path.join(tmp, 'bench-fails'), '');
    const three = one.next();
    await scapCollector.collect(three, { ...o, interval: 0 });
    assert.match(three.errors[0]!.message, /docker run docker\/docker-bench-security exited 125: image not found/);
    assert.equal(three.carried.size, one.size);

    // The engine is down: a note, the checks carried.
    fs.writeFileSync(path.join(tmp, 'engine-down'), '');
    const four = one.next();
    await scapCollector.collect(four, { ...o, interval: 0 });
    assert.match(four.notes.join('\n'), /Docker engine is not reachable \(Cannot connect to the Docker daemon\)/);
    assert.equal(four.carried.size, one.size);

    // No docker at all.
    process.env.PATH = path.join(tmp, 'empty-bin');
    const five = one.next();
    await scapCollector.collect(five, { ...o, interval: 0 });
    assert.match(five.notes.join('\n'), /docker is not installed/);
    assert.equal(five.carried.size, one.size);
  } finally {
    process.env.PATH = saved;
    fs.rmSync(path.join(tmp, 'bench-fails'), { force: true });
    fs.rmSync(path.join(tmp, 'engine-down'), { force: true });
  }
});
