/**
 * The pure parts of portscan: port lists (`22, 80, 8000-8100`), targets, nmap's XML output and
 * a bounded pool for the connect scan. No I/O.
 */
import { isIP } from 'node:net';

/** `22, 80, 8000-8100` as a sorted list of ports, or an error text. */
export function parsePorts(spec: string[]): number[] | string {
  const out = new Set<number>();
  for (const part of spec.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) return `bad port or range '${part.slice(0, 40)}' (expected e.g. 22, 8000-8100)`;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b > 65535 || a > b) return `bad port range '${part}' (ports are 1-65535, low-high)`;
    for (let p = a; p <= b; p++) out.add(p);
  }
  return [...out].sort((x, y) => x - y);
}

/** The port list as nmap's -p takes it (ranges collapsed). */
export function nmapPorts(ports: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length; ) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j]! + 1) j++;
    parts.push(i === j ? String(ports[i]) : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A host name or an IP address (no CIDR, no options): an error text, or undefined. */
export function checkTarget(t: string): string | undefined {
  if (isIP(t)) return undefined;
  if (/^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?:\.(?!-)[A-Za-z0-9-]{1,63})*\.?$/.test(t)) return undefined;
  return `bad target '${t.slice(0, 60)}' (expected a host name or an IP address)`;
}

export interface NmapPort {
  proto: string;
  port: number;
  state: string;
}

export interface NmapHost {
  address: string | null;
  status: string | null;
  ports: NmapPort[];
}

const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

/** The hosts of `nmap -oX -` with each port's protocol, number and state. */
export function parseNmapXml(xml: string): NmapHost[] {
  const hosts: NmapHost[] = [];
  for (const h of xml.matchAll(/<host\b[^>]*>([\s\S]*?)<\/host>/g)) {
    const body = h[1]!;
    const addr = /<address\b[^>]*addrtype="ipv[46]"[^>]*\/>/.exec(body)?.[0];
    const status = /<status\b[^>]*\/>/.exec(body)?.[0];
    const ports: NmapPort[] = [];
    for (const p of body.matchAll(/<port\b([^>]*)>([\s\S]*?)<\/port>/g)) {
      const state = /<state\b[^>]*\/>/.exec(p[2]!)?.[0];
      const proto = attr(p[1]!, 'protocol');
      const port = Number(attr(p[1]!, 'portid'));
      if (proto && Number.isInteger(port) && state) ports.push({ proto, port, state: attr(state, 'state') ?? '' });
    }
    hosts.push({ address: addr ? attr(addr, 'addr') ?? null : null, status: status ? attr(status, 'state') ?? null : null, ports });
  }
  return hosts;
}

/** Run `task` over `items` with at most `limit` at once; results in item order. */
export async function boundedMap<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
