/**
 * The sca evaluator on a tree another user writes, while that user swaps a directory and a
 * symbolic link to a directory outside root back and forth (renameat2 RENAME_EXCHANGE, as
 * fast as it can). A check-then-open reader (lstat says directory, the open then follows the
 * link) reads the outside file within a few hundred tries; reading from directory
 * descriptors opened O_NOFOLLOW never does.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { createUser } from '../users.js';
import { evaluatePolicy } from '../../src/collectors/sca/evaluate.js';
import { loadPolicy } from '../../src/collectors/sca/policy.js';

const isRoot = process.getuid?.() === 0;

test('a directory swapped for a symlink while it is read is never followed out of root', { skip: !isRoot && 'needs root (a second user plays the attacker)' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-sca-race-'));
  fs.chmodSync(dir, 0o755);
  const user = createUser('scmrace');
  try {
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'app.conf'), 'secret OUTSIDE\n');
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'd'), { recursive: true });
    fs.writeFileSync(path.join(root, 'd', 'app.conf'), 'inside\n');
    fs.symlinkSync(outside, path.join(root, 'l'));
    for (const p of [root, path.join(root, 'd'), path.join(root, 'd', 'app.conf')]) fs.chownSync(p, user.uid, user.gid);
    fs.lchownSync(path.join(root, 'l'), user.uid, user.gid);
    const policyFile = path.join(dir, 'race.yml');
    fs.writeFileSync(
      policyFile,
      ['policy:', '  id: race', '  file: race.yml', '  name: race', '  description: race', 'checks:', '  - id: 1', '    title: reads d/app.conf', '    condition: all', '    rules:', "      - 'f:/d/app.conf -> r:OUTSIDE'", ''].join('\n'),
    );
    const policy = loadPolicy(policyFile);
    const swapper = user.spawnSh(
      `cd '${root}' && exec python3 -c "import ctypes,sys\nl=ctypes.CDLL(None)\nwhile True: l.renameat2(-100, b'd', -100, b'l', 2)"`,
    );
    try {
      // Wait until the swapping runs.
      const t0 = Date.now();
      while (fs.lstatSync(path.join(root, 'd')).isDirectory() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
      const seen: Record<string, number> = {};
      for (let i = 0; i < 1500; i++) {
        const r = await evaluatePolicy(policy, { root, allowCommands: false, timeoutMs: 1000, maxOutput: 1024, parallel: 1 });
        const o = r.checks.get('1')!;
        seen[o.result] = (seen[o.result] ?? 0) + 1;
        assert.notEqual(o.result, 'passed', `try ${i}: the outside file was read (${o.evidence ?? ''})`);
      }
      assert.ok(seen.failed, `the file was read inside root at least once: ${JSON.stringify(seen)}`);
    } finally {
      swapper.kill('SIGKILL');
    }
  } finally {
    user.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
