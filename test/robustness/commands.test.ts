/**
 * Commands never hold the run: a background child (also one that left the session with setsid
 * and holds stdout) does not keep `collect` waiting nor later runs locked out; what a command
 * leaves is killed and its item says so; SIGTERM, SIGINT and SIGHUP kill the running commands
 * before syschangemon exits; commands write to /dev/stdout and /dev/stderr as in the Python tool.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, type Sandbox, sandbox } from '../helpers.js';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const alive = (marker: string) => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((l) => l.includes(marker));
// Distinct sleep lengths name this run's processes in ps.
const tag = 300 + (process.pid % 600);

function commandBox(commands: string): Sandbox {
  return sandbox({ command: `[command]\nenable_plugin = true\ntimeout = 5\n${commands}\n` });
}

/** Run the CLI; a run held far beyond the 5 s command timeout is killed and fails the test. */
function runGuarded(sb: Sandbox, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SYSCHANGEMON_CONFIG: '' },
    timeout: 120_000,
  });
  assert.equal(r.signal, null, `syschangemon ${args.join(' ')} was held until the guard killed it`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function item(sb: Sandbox, key: string) {
  const items = sb.json('export', '--format', 'json').items as { key: string; attributes: Record<string, unknown>; contents: Record<string, string>; error: string | null }[];
  const it = items.find((i) => i.key === key);
  assert.ok(it, `${key} exported`);
  return it;
}

test('a setsid child holding stdout does not hold collect; it is killed and the item says so', () => {
  const marker = `sleep ${tag}.1`;
  const sb = commandBox(`command.daemon = setsid ${marker} & echo hi`);
  try {
    const r = runGuarded(sb, 'collect');
    assert.equal(r.code, 0, r.stderr);
    const it = item(sb, 'command://daemon');
    assert.equal(it.attributes.exit_code, 0);
    assert.equal(it.attributes.killed, 'sleep');
    assert.equal(it.contents.stdout, sha('hi\n'));
    assert.equal(it.error, null);
    assert.ok(!alive(marker), 'the escaped child is gone');
  } finally {
    sb.cleanup();
  }
});

test('a daemon started by a command (double fork, own session, holding stdout) blocks no later run', () => {
  const marker = `sleep ${tag}.2`;
  const sb = commandBox(`command.start = (setsid sh -c 'exec ${marker}' &); echo started`);
  try {
    for (let i = 0; i < 3; i++) {
      const r = runGuarded(sb, 'run', '--quiet');
      assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
      assert.ok(!alive(marker), `run ${i}: the daemon is gone`);
    }
    assert.equal(item(sb, 'command://start').attributes.killed, 'sleep');
  } finally {
    sb.cleanup();
  }
});

test('the Python tool sample: echo > /dev/stdout and > /dev/stderr', () => {
  const sb = commandBox('command.echo = echo "stdout value" > /dev/stdout ; echo "stderr value" > /dev/stderr');
  try {
    const r = runGuarded(sb, 'collect');
    assert.equal(r.code, 0, r.stderr);
    const it = item(sb, 'command://echo');
    assert.deepEqual(it.attributes, { exit_code: 0 });
    assert.equal(it.contents.stdout, sha('stdout value\n'));
    assert.equal(it.contents.stderr, sha('stderr value\n'));
    assert.equal(it.error, null);
  } finally {
    sb.cleanup();
  }
});

for (const [i, sig] of (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).entries()) {
  test(`${sig} during a run kills the running commands before syschangemon exits`, async () => {
    const inner = `sleep ${tag}.${3 + i}`;
    const escaped = `sleep ${tag}.${6 + i}`;
    const sb = sandbox({
      command: `[command]\nenable_plugin = true\ntimeout = 120\ncommand.slow = sh -c '${inner}'\ncommand.escaped = setsid ${escaped} & wait\n`,
    });
    try {
      const child = spawn(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'run', '--quiet'], {
        stdio: 'ignore',
        env: { ...process.env, SYSCHANGEMON_CONFIG: '' },
      });
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
      for (let n = 0; n < 600 && !(alive(inner) && alive(escaped)); n++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(alive(inner) && alive(escaped), 'both commands started');
      child.kill(sig);
      const end = await exited;
      assert.equal(end.signal, sig, `syschangemon died of ${sig}`);
      assert.ok(!alive(inner), 'the command in the group is gone');
      assert.ok(!alive(escaped), 'the command that left the session is gone');
    } finally {
      sb.cleanup();
    }
  });
}
