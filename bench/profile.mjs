/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): per thread, the total sampled time and the
 * functions with the most self time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Self time per function (name, file:line) of one .cpuprofile, in ms, largest first. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const n = byId.get(samples[i]);
    // The delta before sample i+1 is the time spent in sample i.
    const dt = (timeDeltas[i + 1] ?? 0) / 1000;
    const cf = n.callFrame;
    const where = cf.url ? `${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : '';
    const name = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return { total, top: [...self.entries()].sort((a, b) => b[1] - a[1]) };
}

/** Text summary of every .cpuprofile in `dir`: one block per thread, `limit` functions each. */
export function summarizeProfiles(dir, limit = 12) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const blocks = [];
  for (const f of files) {
    const { total, top } = selfTimes(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    const lines = [`  ${f}: ${(total / 1000).toFixed(2)} s sampled`];
    for (const [name, ms] of top.slice(0, limit)) {
      lines.push(`    ${(ms / 1000).toFixed(2).padStart(7)} s ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n');
}
