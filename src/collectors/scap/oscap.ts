/**
 * Finding and running `oscap`: detection, version, SCAP content in the usual places, and one
 * evaluation in its own process group with a timeout. Arguments are passed as an array: no shell.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CONTENT_DIRS = ['/usr/share/xml/scap/ssg/content', '/usr/share/scap-security-guide', '/opt/scap/content'];
// cron's PATH (/usr/bin:/bin) lacks the sbin directories.
const PATH_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** A program on the search path or in the usual bin and sbin directories, if installed. */
export function findProgram(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...envPath.split(':').filter(Boolean), ...PATH_DIRS]) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The oscap binary, if installed. */
export const findOscap = (envPath?: string): string | undefined => findProgram('oscap', envPath);

export function oscapVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /OpenSCAP command line tool \(oscap\) ([\d.]+)/.exec(r.stdout ?? '') ?? /(\d+\.\d+\.\d+)/.exec(r.stdout ?? '');
  return m?.[1] ?? '';
}

/** Source datastreams (`*-ds.xml`) in the usual content directories. */
export function findContent(dirs = CONTENT_DIRS): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (/-ds(-1\.[23])?\.xml$/.test(n)) found.push(path.join(dir, n));
  }
  return found;
}

/** The datastream for this host by /etc/os-release (`ssg-debian12-ds.xml`, `ssg-ubuntu2204-ds.xml`…). */
export function autoDatastream(osRelease: string, dirs = CONTENT_DIRS): string | undefined {
  const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1] ?? '';
  const id = get('ID');
  const version = get('VERSION_ID').replace(/\./g, '');
  const major = get('VERSION_ID').split('.')[0] ?? '';
  const candidates = [`ssg-${id}${version}-ds.xml`, `ssg-${id}${major}-ds.xml`];
  for (const dir of dirs) for (const c of candidates) if (fs.existsSync(path.join(dir, c))) return path.join(dir, c);
  return undefined;
}

export interface EvalOptions {
  bin: string;
  datastream: string;
  profile: string;
  tailoring?: string;
  skipRules: string[];
  rules: string[];
  resultsFile: string;
  timeoutMs: number;
  probeRoot?: string;
  /** Skip oscap's schema validation (content already validated with the same hash). */
  skipValid?: boolean;
}

export interface EvalResult {
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  /** Process (and process group) id of the oscap run. */
  pid: number | undefined;
}

export function evaluate(o: EvalOptions): Promise<EvalResult> {
  const args = ['xccdf', 'eval'];
  if (o.skipValid) args.push('--skip-valid');
  args.push('--profile', o.profile);
  if (o.tailoring) args.push('--tailoring-file', o.tailoring);
  for (const r of o.rules) args.push('--rule', r);
  for (const r of o.skipRules) args.push('--skip-rule', r);
  args.push('--results', o.resultsFile, o.datastream);
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  if (o.probeRoot) env.OSCAP_PROBE_ROOT = o.probeRoot;
  return runProgram(o.bin, args, { env, timeoutMs: o.timeoutMs });
}

/**
 * Run a program without a shell, in its own process group that is killed whole after
 * `timeoutMs`; stdout is discarded, the first 64 KiB of stderr kept.
 */
export function runProgram(bin: string, args: string[], o: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<EvalResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: o.env });
    let stderr = '';
    let timedOut = false;
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < 64 * 1024) stderr += c;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, o.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ exitCode: null, stderr: err.message, timedOut: false, pid: child.pid });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stderr, timedOut, pid: child.pid });
    });
  });
}
