/**
 * Pure parsers of the files system facts come from: /etc/os-release, /etc/hosts,
 * /proc/stat, /proc/meminfo, /proc/cpuinfo and /proc/net/if_inet6.
 */
import { formatIpv6Groups } from '../../core/ipv6.js';

/** `KEY=value` pairs of os-release(5); quotes and backslash escapes removed. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\(["\\`$])/g, '$1');
    }
    out.set(m[1]!, v);
  }
  return out;
}

/**
 * The fully qualified name as getfqdn() finds it in /etc/hosts: the first name containing a dot
 * on the first line naming the host; the host name itself when none (no DNS lookup).
 */
export function fqdnFromHosts(hostname: string, hostsText: string): string {
  if (hostname.includes('.')) return hostname;
  for (const raw of hostsText.split('\n')) {
    const names = raw.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    if (!names.some((n) => n === hostname || n.split('.')[0] === hostname)) continue;
    const dotted = names.find((n) => n.includes('.') && n.split('.')[0] === hostname) ?? names.find((n) => n.includes('.'));
    if (dotted) return dotted;
  }
  return hostname;
}

/** Boot time (seconds since the epoch) from the `btime` line of /proc/stat. */
export function parseBtime(text: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** MemTotal of /proc/meminfo in bytes. */
export function parseMemTotal(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The first `model name` (x86) or `Model`/`cpu model` line of /proc/cpuinfo. */
export function parseCpuModel(text: string): string | undefined {
  const m = /^(?:model name|Model|cpu model|cpu)\s*:\s*(.+?)\s*$/m.exec(text);
  return m?.[1];
}

/** Temporary (privacy) IPv6 addresses of /proc/net/if_inet6, in the compact text form. */
export function temporaryIpv6(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0]!)) continue;
    // IFA_F_TEMPORARY: these addresses rotate on their own and are not a change to report.
    if ((parseInt(f[4]!, 16) & 0x01) === 0) continue;
    out.add(compactIpv6(f[0]!));
  }
  return out;
}

/** `fe80000000000000…` (32 hex digits) → `fe80::…`, as Node prints IPv6 addresses. */
export function compactIpv6(hex32: string): string {
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex32.slice(i, i + 4), 16).toString(16));
  return formatIpv6Groups(groups);
}
