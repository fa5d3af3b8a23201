/**
 * Pure parsers for the ports collector: the socket tables of /proc/net/{tcp,tcp6,udp,udp6},
 * the `socket:[inode]` links of /proc/<pid>/fd, and /etc/services.
 */
import { formatIpv6Groups } from '../../core/ipv6.js';

export type Proto = 'tcp' | 'udp';

/** One listening socket of a /proc/net table. */
export interface ProcSocket {
  proto: Proto;
  family: 'ipv4' | 'ipv6';
  address: string;
  port: number;
  /** The socket owner's uid as the kernel records it. */
  uid: number;
  inode: number;
}

const TCP_LISTEN = 0x0a;
const UDP_UNCONNECTED = 0x07;

/**
 * A /proc/net address in hex (host byte order per 32-bit word) → inet_ntop text.
 * `littleEndian` is the host's order (os.endianness() === 'LE').
 */
export function decodeAddress(hex: string, littleEndian: boolean): string {
  const words: number[] = [];
  for (let i = 0; i < hex.length; i += 8) {
    const w = parseInt(hex.slice(i, i + 8), 16);
    words.push(littleEndian ? (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0 : w >>> 0);
  }
  const v4 = (w: number) => `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
  if (words.length === 1) return v4(words[0]!);
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return `::ffff:${v4(words[3]!)}`;
  const groups: string[] = [];
  for (const w of words) groups.push((w >>> 16).toString(16), (w & 0xffff).toString(16));
  return formatIpv6Groups(groups);
}

/** Whether an address is loopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/**
 * The listening sockets of one table: TCP in LISTEN, UDP unbound to a peer (state 07 and a
 * zero remote address, as `ss -lu` shows them). `proto` and `family` name the table.
 */
export function parseProcNet(text: string, proto: Proto, family: 'ipv4' | 'ipv6', littleEndian: boolean): ProcSocket[] {
  const out: ProcSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local, remote, st] = [f[1]!, f[2]!, parseInt(f[3]!, 16)];
    if (proto === 'tcp' ? st !== TCP_LISTEN : st !== UDP_UNCONNECTED || !/^0+:0+$/.test(remote)) continue;
    const [addrHex, portHex] = local.split(':') as [string, string];
    out.push({
      proto,
      family,
      address: decodeAddress(addrHex, littleEndian),
      port: parseInt(portHex, 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return out;
}

/** The inode of a `/proc/<pid>/fd/<n>` link target `socket:[12345]`, else undefined. */
export function socketInode(target: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(target);
  return m ? Number(m[1]) : undefined;
}

/** /etc/services → `port/proto` → the first name. */
export function parseServices(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, portProto] = line.split(/\s+/);
    if (!name || !portProto || !/^\d+\/\w+$/.test(portProto)) continue;
    if (!out.has(portProto)) out.set(portProto, name);
  }
  return out;
}

/** `Uid:` (real uid) of /proc/<pid>/status. */
export function statusUid(status: string): number | undefined {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}
