/**
 * The SCA evaluator on real files: Wazuh's own unix_audit policy (the shared fixture) against
 * temporary roots, a 5.x-format policy written here that uses every rule type, operator and
 * condition, the regex dialects, and policy errors that name file, check and line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { evaluatePolicy, fold, type EvalOptions } from './evaluate.js';
import { loadPolicy, PolicyError } from './policy.js';
import { Regex } from './regex.js';
import { BUNDLED_POLICIES, resultsChecksum, trustedPolicy } from './index.js';

const FIXTURE = path.join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'scap', 'wazuh-sca_unix_audit.yml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-sca-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function tree(files: Record<string, string>): string {
  const root = path.join(tmp, `root${n++}`);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  fs.mkdirSync(root, { recursive: true });
  return root;
}

const opts = (root: string, allowCommands = false): EvalOptions => ({ root, allowCommands, timeoutMs: 10_000, maxOutput: 1 << 20, parallel: 2 });

test('regex dialects: OS_Regex classes, anchors, alternation, case; PCRE2 subset', () => {
  const cases: [string, 'osregex' | 'pcre2', string, boolean][] = [
    ['^\\s*PermitRootLogin\\s*\\t*no', 'osregex', '  PermitRootLogin no', true],
    ['^\\s*PermitRootLogin\\s*\\t*no', 'osregex', '#PermitRootLogin no', false],
    ['permitrootlogin', 'osregex', 'PermitRootLogin yes', true], // OS_Regex ignores case
    ['\\s', 'osregex', '\t', false], // \s is a space only
    ['\\t', 'osregex', 'a\tb', true],
    ['a.c', 'osregex', 'abc', false], // a bare dot is a dot
    ['a\\.c', 'osregex', 'abc', true], // \. is any character
    ['0+', 'osregex', '0+', true], // + after a bare character is literal
    ['0+', 'osregex', '00', false],
    ['\\p', 'osregex', 'x=y', true],
    ['^\\w+:\\$1\\$|^\\w+:\\$2\\$', 'osregex', 'user-1@x:$2$salt', true],
    ['22$', 'osregex', 'Port 2222', true],
    ['^22$', 'osregex', 'Port 22', false],
    ['^(?i)port\\s+(\\d{1,5})$', 'pcre2', 'PORT 22', true],
    ['^port\\s+22$', 'pcre2', 'PORT 22', false], // PCRE2 is case sensitive
    ['^[^#]*use_pty\\b', 'pcre2', 'Defaults use_pty', true],
    ['^[^#]*use_pty\\b', 'pcre2', 'Defaults use_ptyx', false],
    ['^(SHA512|YESCRYPT)$', 'pcre2', 'YESCRYPT', true],
    ['^x{2,3}$', 'pcre2', 'xxxx', false],
    ['[[:digit:]]+', 'pcre2', 'abc', false],
  ];
  for (const [src, d, s, want] of cases) assert.equal(new Regex(src, d).test(s), want, `${d} ${src} on ${JSON.stringify(s)}`);
  assert.deepEqual(new Regex('^\\s*MaxAuthTries\\s*\\t*(\\d+)', 'osregex').exec('MaxAuthTries 6'), ['MaxAuthTries 6', '6']);
  assert.throws(() => new Regex('(a)\\1', 'pcre2'), /backreferences are not supported/);
  assert.throws(() => new Regex('a(?=b)', 'pcre2'), /lookaround is not supported/);
});

test('a hostile regex on a long line finishes (linear-time matcher)', () => {
  // (a+)+$ backtracks exponentially in a backtracking engine; 30k characters would not finish.
  const line = `${'a'.repeat(30_000)}b`;
  assert.equal(new Regex('(a+)+$', 'pcre2').test(line), false);
  assert.equal(new Regex('(\\w*)*\\.\\d', 'osregex').test(line), false);
  assert.equal(new Regex(`${'a*'.repeat(24)}b`, 'pcre2').test('a'.repeat(250)), false);
});

test('fold follows Wazuh\'s truth table', () => {
  assert.equal(fold('all', ['true', 'true']), 'passed');
  assert.equal(fold('all', ['true', 'na']), 'na');
  assert.equal(fold('all', ['na', 'false']), 'failed');
  assert.equal(fold('any', ['false', 'true']), 'passed');
  assert.equal(fold('any', ['false', 'false']), 'failed');
  assert.equal(fold('any', ['false', 'na']), 'na');
  assert.equal(fold('none', ['false', 'true']), 'failed');
  assert.equal(fold('none', ['false', 'false']), 'passed');
  assert.equal(fold('none', ['false', 'na']), 'na');
});

test('Wazuh unix_audit policy against a temporary root: file rules, operators and conditions', async () => {
  const policy = loadPolicy(FIXTURE);
  assert.equal(policy.id, 'unix_audit');
  assert.equal(policy.checks.length, 23);
  const good = tree({
    'etc/ssh/sshd_config': [
      '# hardened',
      'Port 2200', // (a port ending in 22, e.g. 2222, fails this Wazuh check: !r:\s*\t*22$)
      'Protocol 2',
      'PermitRootLogin no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'PermitEmptyPasswords no',
      'IgnoreRhosts yes',
      'LoginGraceTime 30s',
      'MaxAuthTries 3',
      'HostbasedAuthentication no',
      '',
    ].join('\n'),
    'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
    'etc/shadow': 'root:$6$salt$hash:19000:0:99999:7:::\n',
    'etc/login.defs': 'PASS_MAX_DAYS\t90\n',
    'etc/pam.d/common-password': 'password requisite pam_cracklib.so retry=3 minlen=16 dcredit=-1 lcredit=-1 ucredit=-1 ocredit=-1\npassword [success=1 default=ignore] pam_unix.so obscure sha512\n',
    'etc/pam.d/common-auth': 'auth required pam_tally2.so onerr=fail audit silent deny=5 unlock_time=900\n',
  });
  const r = await evaluatePolicy(policy, opts(good));
  assert.equal(r.requirements?.result, 'passed');
  const res = (id: string) => r.checks.get(id)!.result;
  for (const id of ['3000', '3001', '3002', '3003', '3004', '3005', '3006', '3007', '3008', '3009', '3010', '3011', '3012', '3013', '3014', '3015', '3016', '3017', '3018', '3019']) {
    assert.equal(res(id), 'passed', `check ${id}: ${JSON.stringify(r.checks.get(id))}`);
  }
  // Command rules are not applicable when commands are not allowed.
  for (const id of ['3020', '3021', '3022']) {
    assert.equal(res(id), 'not applicable');
    assert.match(r.checks.get(id)!.reason!, /commands are not allowed/);
  }

  const bad = tree({
    'etc/ssh/sshd_config': 'Port 22\nPermitRootLogin yes\nLoginGraceTime 120s\nMaxAuthTries 6\n',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
    'etc/shadow': 'root:$1$weak$md5hash:19000:0:99999:7:::\n',
    'etc/login.defs': 'PASS_MAX_DAYS 99999\n',
  });
  const b = await evaluatePolicy(policy, opts(bad));
  const br = (id: string) => b.checks.get(id)!;
  assert.equal(br('3000').result, 'failed'); // !r:^# && r:Port && !r:\s*\t*22$
  assert.equal(br('3002').result, 'failed');
  assert.match(br('3002').evidence!, /no line of \/etc\/ssh\/sshd_config matches r:\^\\s\*PermitRootLogin/);
  assert.equal(br('3007').result, 'failed'); // n: ... compare <= 60
  assert.equal(br('3008').result, 'failed');
  assert.equal(br('3018').result, 'failed'); // condition none: an MD5 hash matched
  // The shadow line that matched is never quoted.
  assert.doesNotMatch(JSON.stringify(br('3018')), /md5hash/);
  assert.equal(br('3019').result, 'failed');
  // Content rules on files that do not exist are not applicable, with the reason.
  assert.equal(br('3010').result, 'not applicable');
  assert.match(br('3010').reason!, /does not exist/);

  // Requirements not met: every check is not applicable, with the reason.
  const empty = tree({ 'etc/hostname': 'x\n' });
  const e = await evaluatePolicy(policy, opts(empty));
  assert.equal(e.requirements?.result, 'failed');
  for (const c of policy.checks) {
    assert.equal(e.checks.get(c.id)!.result, 'not applicable');
    assert.match(e.checks.get(c.id)!.reason!, /requirements not met: Check that the SSH service/);
  }
});

test('a 5.x-format policy: compliance map, pcre2, every rule type and operator', async () => {
  const root = tree({
    'etc/app.conf': 'mode = strict\nlimit 10\n# limit 99\n',
    'etc/app.d/10-local.conf': 'extra on\n',
    'etc/app.d/README': 'not a conf\n',
    'etc/exact': 'exactly this line\n',
  });
  fs.mkdirSync(path.join(root, 'empty.d'));
  const file = path.join(tmp, 'policy5.yml');
  fs.writeFileSync(
    file,
    `policy:
  id: test5
  file: policy5.yml
  name: Test policy
  description: every rule type
  regex_type: pcre2
variables:
  $conf: /etc/app.conf
checks:
  - id: 1
    title: literal whole-line match
    compliance: { cis: ["1.1"], pci_dss: ["2.2"] }
    mitre: { technique: ["T1"] }
    condition: all
    rules: ['f:/etc/exact -> exactly this line', 'not f:/etc/exact -> exactly']
  - id: 2
    title: numeric operators
    condition: all
    rules:
      - 'f:$conf -> n:^limit\\s+(\\d+) compare == 10'
      - 'f:$conf -> n:^limit\\s+(\\d+) compare != 11'
      - 'f:$conf -> n:^limit\\s+(\\d+) compare < 11'
      - 'f:$conf -> n:^limit\\s+(\\d+) compare <= 10'
      - 'f:$conf -> n:^limit\\s+(\\d+) compare > 9'
      - 'f:$conf -> n:^limit\\s+(\\d+) compare >= 10'
  - id: 3
    title: negated regex chained on one line
    condition: all
    rules: ['f:$conf -> !r:^# && r:limit && !r:99']
  - id: 4
    title: directory walk with name and content
    condition: all
    rules: ['d:/etc/app.d -> r:\\.conf$ -> r:^extra on$', 'd:/etc/app.d -> README', 'not d:/etc/app.d -> r:\\.bak$']
  - id: 5
    title: directory existence
    condition: all
    rules: ['d:/empty.d', 'not d:/missing.d', 'not f:/etc/missing']
  - id: 6
    title: process running
    condition: any
    rules: ['p:no-such-process-x', 'p:${path.basename(process.execPath)}']
  - id: 7
    title: command output
    condition: all
    rules: ['c:echo hello world -> r:^hello', 'c:printf "a\\nb\\n" -> b', 'not c:echo x -> r:^y']
  - id: 8
    title: registry rules are Windows only
    condition: all
    rules: ['r:HKEY_LOCAL_MACHINE\\System -> x']
  - id: 9
    title: none fails when a rule is true
    condition: none
    rules: ['f:$conf -> r:^mode = strict$']
  - id: 10
    title: missing command is not applicable
    condition: all
    rules: ['c:no-such-command-xyz -> r:.']
`,
  );
  const policy = loadPolicy(file);
  assert.equal(policy.dialect, 'pcre2');
  assert.equal(policy.checks[0]!.compliance, 'cis: 1.1; pci_dss: 2.2');
  const r = await evaluatePolicy(policy, opts(root, true));
  const want: Record<string, string> = { 1: 'passed', 2: 'passed', 3: 'passed', 4: 'passed', 5: 'passed', 6: 'passed', 7: 'passed', 8: 'not applicable', 9: 'failed', 10: 'not applicable' };
  for (const [id, result] of Object.entries(want)) assert.equal(r.checks.get(id)!.result, result, `check ${id}: ${JSON.stringify(r.checks.get(id))}`);
  assert.match(r.checks.get('8')!.reason!, /Windows only/);
  assert.match(r.checks.get('9')!.evidence!, /\/etc\/app.conf:1: mode = strict/);
  assert.match(r.checks.get('10')!.reason!, /command not found/);
});

test('symlinks under the root: followed when trusted and inside, never out of the root', async () => {
  const root = tree({ 'etc/real.conf': 'key yes\n' });
  fs.symlinkSync('real.conf', path.join(root, 'etc', 'link.conf'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'etc', 'abs.conf')); // absolute: resolved under root
  const file = path.join(tmp, 'links.yml');
  fs.writeFileSync(file, `policy: {id: links, file: links.yml, name: links, description: x}
checks:
  - {id: 1, title: relative link, condition: all, rules: ['f:/etc/link.conf -> key yes']}
  - {id: 2, title: absolute link stays under root, condition: all, rules: ['f:/etc/abs.conf -> r:^root:']}
  - {id: 3, title: dot-dot stays under root, condition: all, rules: ['f:/../../../etc/real.conf -> key yes']}
`);
  const r = await evaluatePolicy(loadPolicy(file), opts(root));
  assert.equal(r.checks.get('1')!.result, 'passed');
  assert.equal(r.checks.get('2')!.result, 'not applicable'); // /etc/passwd of the host is not read
  assert.equal(r.checks.get('3')!.result, 'passed');
});

test('policy errors name the file, the check and the line', () => {
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const head = 'policy: {id: p, file: p.yml, name: p, description: d}\nchecks:\n';
  const cases: [string, RegExp][] = [
    [`${head}  - id: 7\n    title: t\n    condition: all\n    rules:\n      - 'x:/etc/passwd'\n`, /bad1\.yml:7: check 7: rule "x:\/etc\/passwd" does not start with f:/],
    [`${head}  - id: 8\n    title: t\n    condition: some\n    rules: ['f:/etc/passwd']\n`, /bad2\.yml:3: check 8: condition must be all, any or none/],
    [`${head}  - id: 9\n    title: t\n    condition: all\n    rules:\n      - 'f:/etc/passwd -> n:^x\\s+\\d+ compare <= 4'\n`, /bad3\.yml:7: check 9: numeric test .* needs a capture group/],
    [`${head}  - id: 10\n    title: t\n    condition: all\n    rules:\n      - 'f:$nope -> r:x'\n`, /bad4\.yml:7: check 10: unknown variable \$nope/],
    [`${head}  - id: 11\n    title: t\n    condition: all\n    rules: ['f:/a']\n  - id: 11\n    title: t\n    condition: all\n    rules: ['f:/a']\n`, /bad5\.yml:7: check 11: duplicate check id/],
    ['policy: [unclosed\n', /bad6\.yml:\d+: /],
    [`policy: {id: p, file: p.yml, name: p, description: d, regex_type: pcre2}\nchecks:\n  - id: 12\n    title: t\n    condition: all\n    rules:\n      - 'f:/a -> r:(x)\\1'\n`, /bad7\.yml:7: check 12: backreferences are not supported/],
  ];
  cases.forEach(([text, re], i) => {
    const f = write(`bad${i + 1}.yml`, text);
    assert.throws(() => loadPolicy(f), (err: unknown) => err instanceof PolicyError && re.test(err.message), `case ${i + 1}`);
  });
});

test('results checksum is SHA-256 over sorted id:result lines', () => {
  const m = new Map([
    ['10', 'failed'],
    ['9', 'passed'],
    ['1000', 'not applicable'],
  ]);
  // The same lines hashed by another implementation: printf | sha256sum.
  const sum = spawnSync('sha256sum', { input: '9:passed\n10:failed\n1000:not applicable\n', encoding: 'utf8' });
  assert.equal(resultsChecksum(m), sum.stdout.split(' ')[0]);
});

test('the bundled Debian 12 policy parses and evaluates on this host', async () => {
  const file = path.join(BUNDLED_POLICIES, 'debian12.yml');
  const p = loadPolicy(file);
  assert.ok(p.checks.length >= 30, `${p.checks.length} checks`);
  assert.ok(trustedPolicy(file).ok || process.getuid?.() !== 0);
  const r = await evaluatePolicy(p, opts('/', true));
  assert.equal(r.checks.size, p.checks.length);
  for (const [id, o] of r.checks) assert.ok(['passed', 'failed', 'not applicable'].includes(o.result), id);
});

test('a policy file others can write does not run commands (allow_commands = auto)', () => {
  const dir = path.join(tmp, 'open');
  fs.mkdirSync(dir);
  const f = path.join(dir, 'p.yml');
  fs.writeFileSync(f, 'x');
  fs.chmodSync(f, 0o666);
  assert.deepEqual(trustedPolicy(f), { ok: false, why: `${f} is writable by group or others` });
  fs.chmodSync(f, 0o644);
  fs.chmodSync(dir, 0o777);
  assert.equal(trustedPolicy(f).ok, false);
  fs.chmodSync(dir, 0o755);
  assert.equal(trustedPolicy(f).ok, true);
});
