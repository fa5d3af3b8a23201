/**
 * Docker Bench for Security in the scap collector: read a JSON log that something else wrote
 * (`docker_bench = log`, `docker_bench_log`), or run the bench container on this host's Docker
 * engine (`docker_bench = run`), at most every `interval`. Items `dockerbench://<check id>`
 * and a summary `dockerbench://_summary`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CollectContext } from '../../types.js';
import { type DockerBenchLog, parseDockerBench } from './docker-bench.js';
import { findProgram, runProgram } from './oscap.js';

export const BENCH_SCHEME = 'dockerbench://';
export const BENCH_SUMMARY = `${BENCH_SCHEME}_summary`;

export interface DockerBenchOptions {
  mode: 'log' | 'run';
  log: string;
  image: string;
  timeoutMs: number;
  intervalMs: number;
}

/**
 * What the bench container reads from the host, as the PatchMon agent mounts it, read only.
 * Only paths that exist are mounted: for a missing one Docker would create a directory.
 */
const HOST_MOUNTS = ['/etc', '/lib/systemd/system', '/usr/bin/containerd', '/usr/bin/runc', '/usr/lib/systemd', '/var/lib', '/var/run/docker.sock'];

/** The `docker run` arguments; the JSON log is written to `<outDir>/docker-bench.log.json`. */
function benchRunArgs(image: string, outDir: string, exists: (p: string) => boolean = fs.existsSync): string[] {
  const args = ['run', '--rm', '--net', 'host', '--pid', 'host', '--userns', 'host', '--cap-add', 'audit_control'];
  // Without a value, docker passes the variable on from this environment (unset: not at all).
  args.push('-e', 'DOCKER_CONTENT_TRUST');
  for (const m of HOST_MOUNTS) if (exists(m)) args.push('-v', `${m}:${m}:ro`);
  // docker-bench-security's -l writes a text log to the file and the JSON log beside it.
  args.push('-v', `${outDir}:/out`, '--label', 'docker_bench_security', image, '-l', '/out/docker-bench.log');
  return args;
}

/** The Docker engine's version (`docker version`), or why it did not answer. */
export function dockerServerVersion(docker: string, timeoutMs = 15_000): { version: string } | { error: string } {
  const r = spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status === 0) return { version: r.stdout.trim() };
  return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]! };
}

function keep(ctx: CollectContext): number {
  return ctx.carryPrevious((i) => i.key.startsWith(BENCH_SCHEME) && i.key !== BENCH_SCHEME);
}

function record(ctx: CollectContext, log: DockerBenchLog, extra: Record<string, string>): void {
  const counts: Record<string, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const c of log.checks) {
    counts[c.result] = (counts[c.result] ?? 0) + 1;
    ctx.add({ key: `${BENCH_SCHEME}${c.id}`, attributes: { desc: c.desc, result: c.result, section: c.section, severity: c.severity, status: c.status } });
  }
  const attributes: Record<string, string | number> = { ...counts, total: log.checks.length, ...extra };
  if (log.score !== undefined) attributes.score = log.score;
  if (log.started) attributes.evaluated_at = log.started;
  if (log.version) attributes.version = log.version;
  ctx.add({ key: BENCH_SUMMARY, attributes });
}

/** Docker Bench: a log's checks, or a run's; never fails the collector. */
export async function collectDockerBench(ctx: CollectContext, o: DockerBenchOptions): Promise<void> {
  if (o.mode === 'run') return runBench(ctx, o);
  if (!o.log) return;
  let text: string;
  try {
    text = fs.readFileSync(o.log, 'utf8');
  } catch (err) {
    ctx.note(`scap: Docker Bench log ${o.log}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    keep(ctx);
    return;
  }
  try {
    record(ctx, parseDockerBench(text, o.log), { log: o.log });
  } catch (err) {
    ctx.error(BENCH_SCHEME, (err as Error).message);
    keep(ctx);
  }
}

async function runBench(ctx: CollectContext, o: DockerBenchOptions): Promise<void> {
  const docker = findProgram('docker');
  if (!docker) {
    ctx.note('scap: docker_bench = run, but docker is not installed; Docker Bench not run');
    keep(ctx);
    return;
  }
  const prev = ctx.previous(BENCH_SUMMARY);
  const last = typeof prev?.attributes.evaluated_at === 'string' ? Date.parse(prev.attributes.evaluated_at) : Number.NaN;
  if (prev && prev.attributes.image === o.image && Date.now() - last < o.intervalMs && !ctx.rescan) {
    keep(ctx);
    ctx.note(`scap: Docker Bench results of ${prev.attributes.evaluated_at} carried (interval ${o.intervalMs / 1000} s)`);
    return;
  }
  const engine = dockerServerVersion(docker);
  if ('error' in engine) {
    ctx.note(`scap: the Docker engine is not reachable (${engine.error}); Docker Bench not run`);
    keep(ctx);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syschangemon-bench-'));
  try {
    const started = new Date().toISOString();
    const r = await runProgram(docker, benchRunArgs(o.image, tmp), { env: { ...process.env, LC_ALL: 'C' }, timeoutMs: o.timeoutMs });
    if (r.timedOut) throw new Error(`Docker Bench timed out after ${o.timeoutMs / 1000} s; the previous results stay the comparison base`);
    if (r.exitCode !== 0) {
      const why = r.stderr.trim().split('\n').pop() ?? '';
      throw new Error(`docker run ${o.image} exited ${r.exitCode}${why ? `: ${why}` : ''}; the previous results stay the comparison base`);
    }
    const file = path.join(tmp, 'docker-bench.log.json');
    const log = parseDockerBench(fs.readFileSync(file, 'utf8'), `${o.image} log`);
    // When this run started it (the log's own start is the container's clock).
    record(ctx, { ...log, started }, { image: o.image, engine: engine.version });
  } catch (err) {
    ctx.error(BENCH_SCHEME, (err as Error).message);
    keep(ctx);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
