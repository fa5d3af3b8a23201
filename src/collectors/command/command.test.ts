import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { commandCollector, commandsOf } from './index.js';
import { runCommand } from './run.js';

const opts = (o: Record<string, unknown>) => ({ timeout: 30, max_output: 1024 * 1024, shell: '/bin/sh', parallel: 4, ...o });

test('stdout, stderr and exit code are kept; env is fixed', async () => {
  const r = await runCommand('echo out; echo err >&2; echo "$LC_ALL $PATH"; exit 3', { shell: '/bin/sh', timeoutMs: 5000, maxOutput: 1 << 20 });
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, 'out\nC /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.error, undefined);
});

test('a hanging command and its children are killed on timeout', async () => {
  const marker = `scm-sleep-${process.pid}-${Date.now()}`;
  const started = Date.now();
  const r = await runCommand(`sh -c 'sleep 60; echo ${marker}' & sleep 61`, { shell: '/bin/sh', timeoutMs: 500, maxOutput: 1 << 20 });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(r.exitCode, null);
  assert.match(r.error!, /timed out after 0.5 s; process group killed/);
  await new Promise((res) => setTimeout(res, 200));
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  assert.ok(!ps.includes(marker), 'the grandchild is gone');
});

test('output beyond max_output is cut and marked', async () => {
  const r = await runCommand('head -c 100000 /dev/zero | tr "\\0" x', { shell: '/bin/sh', timeoutMs: 5000, maxOutput: 1000 });
  assert.equal(r.stdout.length, 1000);
  assert.equal(r.truncated, true);
});

test('a shell that cannot start is an error, not a throw', async () => {
  const r = await runCommand('true', { shell: '/nonexistent/sh', timeoutMs: 5000, maxOutput: 1000 });
  assert.match(r.error!, /cannot start \/nonexistent\/sh/);
});

test('collector: items in config order; a slow or broken command does not stop the others', async () => {
  const options = opts({
    'command.first': 'echo one',
    'command.slow': 'sleep 30',
    'command.missing': 'no-such-binary-here',
    'command.last': 'printf last',
    'timeout.slow': 1,
  });
  commandCollector.init!(options, { configDir: '/', stateDir: '/' });
  assert.deepEqual(commandsOf(options).map((c) => [c.name, c.timeoutMs]), [['first', 30000], ['slow', 1000], ['missing', 30000], ['last', 30000]]);
  const ctx = new TestContext('command');
  await commandCollector.collect(ctx, options);
  assert.deepEqual(ctx.items.map((i) => i.key), ['command://first', 'command://slow', 'command://missing', 'command://last']);
  const [first, slow, missing, last] = ctx.items;
  assert.deepEqual(first!.attributes, { exit_code: 0 });
  assert.equal(first!.contents!.stdout, 'one\n');
  assert.match(slow!.error!, /timed out/);
  assert.equal(missing!.attributes.exit_code, 127);
  assert.match(missing!.contents!.stderr!, /not found/);
  // Not installed: not an error, a note the first time it is seen.
  assert.equal(missing!.error, undefined);
  assert.equal(ctx.notes.filter((n) => n.includes('missing')).length, 1, ctx.notes.join('\n'));
  assert.match(ctx.notes.find((n) => n.includes('missing'))!, /^command: missing: program not found \(exit 127: .*no-such-binary-here.*\); recorded/);
  assert.equal(last!.contents!.stdout, 'last');
  const again = ctx.next();
  await commandCollector.collect(again, options);
  assert.ok(!again.notes.some((n) => n.includes('missing')), 'seen before: no note again');
  assert.equal(again.errors.filter((e) => e.key === 'command://missing').length, 0);
});

test('init rejects a timeout for no command and odd names', () => {
  assert.throws(() => commandCollector.init!(opts({ 'timeout.x': 5 }), { configDir: '/', stateDir: '/' }), /names no command/);
  assert.throws(() => commandCollector.init!(opts({ 'command.a\tb': 'x' }), { configDir: '/', stateDir: '/' }), /may not hold control characters/);
  assert.doesNotThrow(() => commandCollector.init!(opts({ 'command.disk usage': 'df -h', 'timeout.disk usage': 5 }), { configDir: '/', stateDir: '/' }), 'a name with a space, as the Python tool took');
});

test('commands get real pipes: the Python tool sample writing to /dev/stdout and /dev/stderr works', async () => {
  const r = await runCommand('echo "stdout value" > /dev/stdout ; echo "stderr value" > /dev/stderr', { shell: '/bin/sh', timeoutMs: 5000, maxOutput: 1 << 20 });
  assert.equal(r.error, undefined);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'stdout value\n');
  assert.equal(r.stderr, 'stderr value\n');
});

const alive = (marker: string) => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((l) => l.includes(marker));

/** Whether a killed process is still there after up to 5 s (SIGKILL is sent, its exit can lag on a busy host). */
async function stillAlive(marker: string): Promise<boolean> {
  for (let i = 0; i < 50 && alive(marker); i++) await new Promise((res) => setTimeout(res, 100));
  return alive(marker);
}

test('what a command leaves running is killed and named: a & job, a setsid child holding stdout, a double fork, a setsid child that closed its output', async () => {
  const base = 200 + (process.pid % 500);
  const cases = [
    { line: `sleep ${base}.1 > /dev/null 2>&1 & echo bg`, out: 'bg\n', marker: `sleep ${base}.1` },
    { line: `setsid sleep ${base}.2 & echo hi`, out: 'hi\n', marker: `sleep ${base}.2` },
    { line: `(setsid sh -c 'exec sleep ${base}.3' &); echo double`, out: 'double\n', marker: `sleep ${base}.3` },
    { line: `setsid sleep ${base}.4 > /dev/null 2>&1 & sleep 1; echo seen`, out: 'seen\n', marker: `sleep ${base}.4` },
  ];
  for (const c of cases) {
    const r = await runCommand(c.line, { shell: '/bin/sh', timeoutMs: 30_000, maxOutput: 1 << 20 });
    assert.equal(r.exitCode, 0, c.line);
    assert.equal(r.error, undefined, c.line);
    assert.equal(r.stdout, c.out, c.line);
    assert.deepEqual(r.killed, ['sleep'], c.line);
    assert.ok(!(await stillAlive(c.marker)), `${c.marker} is gone`);
  }
  // A command that leaves nothing says nothing.
  const clean = await runCommand('echo clean', { shell: '/bin/sh', timeoutMs: 5000, maxOutput: 1 << 20 });
  assert.equal(clean.killed, undefined);
});

test('the item names what was killed', async () => {
  const options = opts({ 'command.daemon': 'setsid sleep 777.5 & echo hi', timeout: 5 });
  const ctx = new TestContext('command');
  await commandCollector.collect(ctx, options);
  assert.deepEqual(ctx.items[0]!.attributes, { exit_code: 0, killed: 'sleep' });
  assert.equal(ctx.items[0]!.contents!.stdout, 'hi\n');
});
