/**
 * The `portscan` collector: what configured targets expose, seen from this host
 * (`portscan://<target>/<proto>/<port>`, open TCP ports). It runs nmap (a TCP connect scan,
 * `-sT -Pn`) when installed, else its own connect scan with a bounded number of connections at
 * once and a timeout per connection. No targets are configured by default.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import type { CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { encodePath } from '../../keys.js';
import { absolutePath, errText, optionValues } from '../common/index.js';
import { parseServices } from '../ports/parse.js';
import { boundedMap, checkTarget, nmapPorts, parseNmapXml, parsePorts } from './parse.js';
import { PORTSCAN_ITEMS } from './items.js';
import { portscanSeverity } from './severity.js';

const checkList = (check: (s: string) => string | undefined) => (v: unknown) => {
  for (const s of Array.isArray(v) ? v : [v]) {
    const e = check(String(s));
    if (e) return e;
  }
  return undefined;
};

export const PORTSCAN_OPTIONS: OptionSchema = {
  targets: { type: 'list', separator: 'commas', default: [], description: 'Hosts (names or IP addresses) to scan; none by default.', check: checkList(checkTarget) },
  ports: { type: 'list', separator: 'commas', default: ['1-1024'], description: 'TCP ports and ranges to scan (22, 80, 8000-8100).', check: (v) => { const r = parsePorts((Array.isArray(v) ? v : [v]).map(String)); return typeof r === 'string' ? r : undefined; } },
  scanner: { type: 'string', default: 'auto', choices: ['auto', 'nmap', 'connect'], description: 'auto: nmap when installed, else the built-in connect scan.' },
  nmap_path: { type: 'string', default: '', description: 'The nmap program; empty: nmap from PATH, /usr/bin or /usr/local/bin.', check: (v) => (v === '' ? undefined : absolutePath(v)) },
  concurrency: { type: 'int', default: 64, description: 'Connect scan: connections open at once.', check: (v) => (typeof v === 'number' && v >= 1 && v <= 1024 ? undefined : 'expected 1 to 1024') },
  connect_timeout: { type: 'int', default: 1000, description: 'Connect scan: milliseconds to wait for one connection (no answer: filtered, not open).', check: (v) => (typeof v === 'number' && v >= 10 && v <= 60_000 ? undefined : 'expected 10 to 60000 milliseconds') },
  timeout: { type: 'duration', default: 300, description: 'Seconds one target may take (nmap --host-timeout); then its last results are kept and the run has an error item.' },
  services_path: { type: 'string', default: '/etc/services', description: 'Port and protocol to service names.', check: absolutePath },
};

export interface PortscanOptions {
  targets: string[];
  ports: number[];
  scanner: 'auto' | 'nmap' | 'connect';
  nmapPath: string;
  concurrency: number;
  connectTimeout: number;
  timeout: number;
  servicesPath: string;
}

export function portscanOptions(o: Options): PortscanOptions {
  const v = optionValues(PORTSCAN_OPTIONS, o);
  const ports = parsePorts(v.list('ports'));
  if (typeof ports === 'string') throw new Error(`ports: ${ports}`);
  return {
    targets: v.list('targets'),
    ports,
    scanner: v.string('scanner') as PortscanOptions['scanner'],
    nmapPath: v.string('nmap_path'),
    concurrency: v.number('concurrency'),
    connectTimeout: v.number('connect_timeout'),
    timeout: v.number('timeout'),
    servicesPath: v.string('services_path'),
  };
}

export function portscanKey(target: string, proto: string, port: number): string {
  return `portscan://${encodePath(target)}/${proto}/${port}`;
}

function findNmap(configured: string): string | undefined {
  const candidates = configured ? [configured] : [...(process.env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d)), '/usr/bin', '/usr/local/bin'].map((d) => join(d, 'nmap'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch { /* next */ }
  }
  return undefined;
}

function run(bin: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => stderr.length < 10_000 && (stderr += c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`nmap was killed (${signal}) after ${Math.round(timeoutMs / 1000)}s`));
      else resolve({ stdout, stderr, code });
    });
  });
}

/** Open TCP ports of one address by nmap. */
async function nmapScan(bin: string, address: string, o: PortscanOptions): Promise<number[]> {
  const args = ['-Pn', '-n', '-sT', '--open', '--max-retries', '2', '--host-timeout', `${o.timeout}s`, '-oX', '-', '-p', nmapPorts(o.ports)];
  if (isIP(address) === 6) args.push('-6');
  args.push(address);
  const r = await run(bin, args, (o.timeout + 30) * 1000);
  if (r.code !== 0) throw new Error(`nmap exited with ${r.code}: ${r.stderr.split('\n').find((l) => l.trim())?.trim().slice(0, 200) ?? ''}`);
  if (/<host\b[^>]*\btimedout="true"/.test(r.stdout)) throw new Error(`nmap gave up on ${address} after ${o.timeout}s (host timeout)`);
  const hosts = parseNmapXml(r.stdout);
  if (!/<\/nmaprun>/.test(r.stdout)) throw new Error('nmap output ended early');
  return hosts.flatMap((h) => h.ports.filter((p) => p.proto === 'tcp' && p.state === 'open').map((p) => p.port));
}

/** Whether a TCP connection to address:port succeeds within the timeout. */
function tcpOpen(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    const done = (open: boolean) => {
      s.destroy();
      resolve(open);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Open TCP ports of one address by the built-in connect scan. */
async function connectScan(address: string, o: PortscanOptions): Promise<number[]> {
  const open = await boundedMap(o.ports, o.concurrency, (p) => tcpOpen(address, p, o.connectTimeout));
  return o.ports.filter((_, i) => open[i]);
}

/** The collector's `collect`. */
export async function collectPortscan(ctx: CollectContext, o: PortscanOptions): Promise<void> {
  if (o.targets.length === 0) return;
  let services = new Map<string, string>();
  try {
    services = parseServices(readFileSync(o.servicesPath, 'utf8'));
  } catch (err) {
    ctx.note(`portscan: ${o.servicesPath}: ${errText(err)}; service names not recorded`);
  }
  let nmap: string | undefined;
  if (o.scanner !== 'connect') {
    nmap = findNmap(o.nmapPath);
    if (!nmap && o.scanner === 'nmap') ctx.note('portscan: scanner = nmap but no nmap program (Debian: apt install nmap); using the connect scan');
    if (!nmap) ctx.debug('no nmap; connect scan');
  }
  let done = 0;
  for (const target of [...new Set(o.targets)]) {
    const keep = (why: string) => {
      ctx.error(`portscan://${encodePath(target)}`, why);
      const prefix = `portscan://${encodePath(target)}/`;
      const kept = ctx.carryPrevious((i) => i.key.startsWith(prefix));
      if (kept) ctx.note(`portscan: ${target}: the last ${kept} open port${kept === 1 ? '' : 's'} kept`);
    };
    let address: string;
    try {
      address = isIP(target) ? target : (await lookup(target)).address;
    } catch (err) {
      keep(`${target}: does not resolve (${(err as NodeJS.ErrnoException).code ?? errText(err)})`);
      continue;
    }
    let open: number[];
    try {
      open = nmap ? await nmapScan(nmap, address, o) : await connectScan(address, o);
    } catch (err) {
      keep(`${target}: ${errText(err)}`);
      continue;
    }
    ctx.debug(`${target} (${address}): ${open.length} open of ${o.ports.length} by ${nmap ? 'nmap' : 'connect scan'}`);
    for (const port of [...new Set(open)].sort((a, b) => a - b)) {
      ctx.add({ key: portscanKey(target, 'tcp', port), attributes: { target, address, proto: 'tcp', port, service: services.get(`${port}/tcp`) ?? null } });
    }
    ctx.progress(++done, o.targets.length);
  }
}

export const portscanCollector: Collector = {
  name: 'portscan',
  description: 'Open TCP ports of configured targets, by nmap or a bounded connect scan.',
  options: PORTSCAN_OPTIONS,
  items: PORTSCAN_ITEMS,
  severity: portscanSeverity,
  async collect(ctx, options) {
    await collectPortscan(ctx, portscanOptions(options));
  },
};
