/**
 * The `sysinfo` collector: steady facts about the machine (names, OS, kernel, boot, CPU,
 * memory, machine id, network interfaces), one item per fact. Nothing volatile is recorded,
 * so a change is a real change: a new kernel, a reboot, a renamed host, a new address.
 */
import * as os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import type { Attributes, CollectContext, Collector } from '../../types.js';
import { messageOf } from '../../errors.js';
import { encodePath } from '../../keys.js';
import { compactIpv6, fqdnFromHosts, parseBtime, parseCpuModel, parseMemTotal, parseOsRelease, temporaryIpv6 } from './facts.js';
import { SYSINFO_ITEMS } from './items.js';

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The facts in the order they are recorded; each throws when it cannot be read. */
function facts(): [string, () => string | number][] {
  let osRelease: Map<string, string> | undefined;
  const release = (key: string) => () => {
    if (!osRelease) {
      let text: string;
      try {
        text = read('/etc/os-release');
      } catch {
        text = read('/usr/lib/os-release');
      }
      osRelease = parseOsRelease(text);
    }
    const v = osRelease.get(key);
    if (v === undefined) throw new Error(`${key} not set in os-release`);
    return v;
  };
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined || v === '') throw new Error(`${what} not found`);
    return v;
  };
  return [
    ['hostname', () => need(os.hostname(), 'host name')],
    ['fqdn', () => {
      let name = os.hostname();
      try {
        name = read('/etc/hostname').trim() || name;
      } catch { /* the kernel's name stands */ }
      let hosts = '';
      try {
        hosts = read('/etc/hosts');
      } catch { /* no hosts file: the host name is all there is */ }
      return fqdnFromHosts(name, hosts);
    }],
    ['os_name', release('NAME')],
    ['os_version', release('VERSION')],
    ['os_id', release('ID')],
    ['os_version_id', release('VERSION_ID')],
    ['kernel_release', () => os.release()],
    ['kernel_version', () => os.version()],
    ['architecture', () => os.machine()],
    ['boot_id', () => need(read('/proc/sys/kernel/random/boot_id').trim(), 'boot_id')],
    ['boot_time', () => new Date(need(parseBtime(read('/proc/stat')), 'btime in /proc/stat') * 1000).toISOString()],
    ['cpu_model', () => {
      try {
        const m = parseCpuModel(read('/proc/cpuinfo'));
        if (m) return m;
      } catch { /* fall back to what Node reports */ }
      return need(os.cpus()[0]?.model, 'CPU model');
    }],
    ['cpu_count', () => need(os.cpus().length || undefined, 'CPU count')],
    ['memory_total', () => need(parseMemTotal(read('/proc/meminfo')), 'MemTotal in /proc/meminfo')],
    ['machine_id', () => need(read('/etc/machine-id').trim(), 'machine id')],
  ];
}

/** Attributes of every network interface, by name. */
function interfaces(): Map<string, Attributes> {
  const out = new Map<string, Attributes>();
  let temporary = new Set<string>();
  try {
    temporary = temporaryIpv6(read('/proc/net/if_inet6'));
  } catch { /* no IPv6 */ }
  const byName = os.networkInterfaces();
  let names: string[] = Object.keys(byName);
  try {
    names = [...new Set([...readdirSync('/sys/class/net'), ...names])];
  } catch { /* no sysfs: the interfaces with addresses */ }
  for (const name of names.sort()) {
    const infos = byName[name] ?? [];
    const attrs: Attributes = {};
    let mac: string | undefined;
    try {
      mac = read(`/sys/class/net/${name}/address`).trim();
    } catch {
      mac = infos[0]?.mac;
    }
    attrs.mac = mac ?? null;
    attrs.addresses = infos
      .filter((i) => !(i.family === 'IPv6' && temporary.has(compactIpv6(expandIpv6(i.address)))))
      .map((i) => i.cidr ?? i.address)
      .sort()
      .join(',');
    try {
      attrs.mtu = Number(read(`/sys/class/net/${name}/mtu`).trim());
    } catch { /* mtu is optional */ }
    out.set(name, attrs);
  }
  return out;
}

/** Node's IPv6 text (maybe with `%scope`) → 32 hex digits, to compare with /proc's form. */
function expandIpv6(addr: string): string {
  const a = addr.split('%')[0]!;
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => g.padStart(4, '0')).join('');
}

/** The collector's `collect`. */
export function collectSysinfo(ctx: CollectContext): void {
  for (const [field, get] of facts()) {
    const key = `sysinfo://${field}`;
    try {
      ctx.add({ key, attributes: { value: get() } });
    } catch (err) {
      ctx.error(key, messageOf(err));
    }
  }
  let ifs: Map<string, Attributes>;
  try {
    ifs = interfaces();
  } catch (err) {
    ctx.error('sysinfo://interface/', messageOf(err));
    return;
  }
  for (const [name, attributes] of ifs) ctx.add({ key: `sysinfo://interface/${encodePath(name)}`, attributes });
}

export const sysinfoCollector: Collector = {
  name: 'sysinfo',
  description: 'Steady system facts: host names, OS release, kernel, boot, CPU, memory, machine id and network interfaces.',
  options: {},
  items: SYSINFO_ITEMS,
  async collect(ctx) {
    collectSysinfo(ctx);
  },
};
