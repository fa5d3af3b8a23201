/**
 * The `ports` collector: one item per listening TCP or UDP socket, IPv4 and IPv6
 * (`ports://<proto>/<address>/<port>`), from /proc/net, with the owning process found through
 * the socket inodes of /proc/<pid>/fd, and the service name of /etc/services. The key never
 * holds the pid, and `pid` is ignored by default, so a daemon restarted on its port is quiet.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import type { Attributes, CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { absolutePath, optionValues, readFailure } from '../common/index.js';
import { ignoreAttributesOption } from '../../core/ignore.js';
import { isLoopback, parseProcNet, parseServices, type ProcSocket, type Proto, socketInode, statusUid } from './parse.js';
import { PORTS_ITEMS } from './items.js';
import { portsSeverity } from './severity.js';


export const PORTS_OPTIONS: OptionSchema = {
  include_local: { type: 'bool', default: true, description: 'Also record sockets bound to loopback (127.0.0.0/8, ::1).' },
  protocols: { type: 'list', separator: 'commas', default: ['tcp', 'udp'], choices: ['tcp', 'udp'], description: 'Which protocols to record.' },
  services_path: { type: 'string', default: '/etc/services', description: 'Port and protocol to service names.', check: absolutePath },
  passwd_path: { type: 'string', default: '/etc/passwd', description: 'For the owning user\'s name.', check: absolutePath },
  ignore_attributes: { ...ignoreAttributesOption(['pid']), description: 'Attributes, or KEY_GLOB:attribute, whose change alone is not reported; pid by default, so a daemon restarted on the same port is quiet.' },
};

export interface PortsOptions {
  includeLocal: boolean;
  protocols: Proto[];
  servicesPath: string;
  passwdPath: string;
  /** The /proc to read (tests of the parsers may point elsewhere; the collector reads /proc). */
  proc: string;
}

export function portsOptions(o: Options): PortsOptions {
  const v = optionValues(PORTS_OPTIONS, o);
  return {
    includeLocal: v.bool('include_local'),
    protocols: v.list('protocols') as Proto[],
    servicesPath: v.string('services_path'),
    passwdPath: v.string('passwd_path'),
    proc: '/proc',
  };
}

export function portKey(s: Pick<ProcSocket, 'proto' | 'address' | 'port'>): string {
  return `ports://${s.proto}/${s.address}/${s.port}`;
}

interface Proc {
  pid: number;
  program: string | null;
  exe: string | null;
  uid: number | null;
}

/** Socket inode → the lowest pid holding it (the parent of forked workers, usually). */
function socketOwners(proc: string, wanted: Set<number>, ctx: CollectContext): Map<number, number> {
  const owners = new Map<number, number>();
  let denied = 0;
  let pids: number[];
  try {
    pids = readdirSync(proc).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch (err) {
    ctx.note(`ports: ${proc}: ${readFailure(err)}; owning processes not recorded`);
    return owners;
  }
  for (const pid of pids) {
    if (owners.size === wanted.size) break;
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') denied++;
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = socketInode(target);
      if (inode !== undefined && wanted.has(inode) && !owners.has(inode)) owners.set(inode, pid);
    }
  }
  if (denied > 0) ctx.note(`ports: the fds of ${denied} process${denied === 1 ? '' : 'es'} could not be read (not root); their sockets have no owning process`);
  return owners;
}

function processInfo(proc: string, pid: number): Proc {
  const read = (f: string) => {
    try {
      return readFileSync(`${proc}/${pid}/${f}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  let exe: string | null = null;
  try {
    exe = readlinkSync(`${proc}/${pid}/exe`);
  } catch { /* a kernel thread, or not ours to read */ }
  const status = read('status');
  return { pid, program: read('comm')?.replace(/\n$/, '') ?? null, exe, uid: status ? statusUid(status) ?? null : null };
}

function userNames(passwdPath: string): Map<number, string> {
  const out = new Map<number, string>();
  try {
    for (const line of readFileSync(passwdPath, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length === 7 && /^\d+$/.test(f[2]!) && !out.has(Number(f[2]))) out.set(Number(f[2]), f[0]!);
    }
  } catch { /* uids stay numbers */ }
  return out;
}

/** The listening sockets, without the owners. */
export function listeningSockets(ctx: CollectContext, o: PortsOptions): ProcSocket[] {
  const le = endianness() === 'LE';
  const out: ProcSocket[] = [];
  for (const proto of o.protocols) {
    for (const [file, family] of [[proto, 'ipv4'], [`${proto}6`, 'ipv6']] as const) {
      const path = `${o.proc}/net/${file}`;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        // A kernel without IPv6 has no tcp6/udp6.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && family === 'ipv6') ctx.debug(`${path} does not exist`);
        else ctx.error(`ports://${file}`, `${path}: ${readFailure(err)}`);
        continue;
      }
      out.push(...parseProcNet(text, proto, family, le));
    }
  }
  return out;
}

/** The collector's `collect`. */
export function collectPorts(ctx: CollectContext, o: PortsOptions): void {
  let sockets = listeningSockets(ctx, o);
  if (!o.includeLocal) sockets = sockets.filter((s) => !isLoopback(s.address));
  let services = new Map<string, string>();
  try {
    services = parseServices(readFileSync(o.servicesPath, 'utf8'));
  } catch (err) {
    ctx.note(`ports: ${o.servicesPath}: ${readFailure(err)}; service names not recorded`);
  }
  const users = userNames(o.passwdPath);
  const owners = socketOwners(o.proc, new Set(sockets.map((s) => s.inode).filter((i) => i !== 0)), ctx);
  const procs = new Map<number, Proc>();
  const byKey = new Map<string, { s: ProcSocket; pid: number | undefined }>();
  for (const s of sockets) {
    const key = portKey(s);
    const pid = owners.get(s.inode);
    const had = byKey.get(key);
    // Several sockets on one port (SO_REUSEPORT): one item, owned by the lowest pid.
    if (!had || (pid !== undefined && (had.pid === undefined || pid < had.pid))) byKey.set(key, { s, pid });
  }
  for (const [key, { s, pid }] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let p: Proc | undefined;
    if (pid !== undefined) {
      p = procs.get(pid) ?? processInfo(o.proc, pid);
      procs.set(pid, p);
    }
    const uid = p?.uid ?? s.uid;
    const attributes: Attributes = {
      proto: s.proto,
      family: s.family,
      address: s.address,
      port: s.port,
      local: isLoopback(s.address),
      service: services.get(`${s.port}/${s.proto}`) ?? null,
      pid: p?.pid ?? null,
      program: p?.program ?? null,
      exe: p?.exe ?? null,
      user: users.get(uid) ?? String(uid),
    };
    ctx.add({ key, attributes });
  }
}

export const portsCollector: Collector = {
  name: 'ports',
  description: 'Listening TCP and UDP sockets (IPv4 and IPv6) with the owning process, user and service name.',
  options: PORTS_OPTIONS,
  items: PORTS_ITEMS,
  severity: portsSeverity,
  async collect(ctx, options) {
    collectPorts(ctx, portsOptions(options));
  },
};
