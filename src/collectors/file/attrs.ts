/**
 * Pure helpers that turn an lstat result into the file item's attributes.
 */
import type { Attributes } from '../../types.js';
import { encodePath } from '../../keys.js';
import { S, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../fsnative.js';

/** `type` attribute values. */
export type FileType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

const TYPES: Record<number, FileType> = {
  [S_IFREG]: 'file', [S_IFDIR]: 'dir', [S_IFLNK]: 'symlink', [0o010000]: 'fifo', [0o140000]: 'socket',
  [S_IFCHR]: 'chardev', [S_IFBLK]: 'blockdev',
};

/** The `type` of a mode from lstat (never follows links). */
export function fileType(mode: number): FileType {
  return TYPES[mode & S_IFMT] ?? 'file';
}

const modeText: string[] = [];

/** Permission bits incl. setuid/setgid/sticky as 4 octal digits: `0644`, `4755`, `1777`. */
export function formatMode(mode: bigint | number): string {
  const bits = Number(mode) & 0o7777;
  return (modeText[bits] ??= bits.toString(8).padStart(4, '0'));
}

const NS = 1_000_000_000n;

/** ISO text of whole seconds, for the few distinct seconds a tree's times fall in. */
const secondsText = new Map<number, string>();

/** Nanoseconds since the epoch → `2026-11-23T23:24:04.123456789Z`. */
export function formatTimeNs(ns: bigint): string {
  let sec = ns / NS;
  let frac = ns - sec * NS;
  if (frac < 0n) {
    frac += NS;
    sec -= 1n;
  }
  return formatTime(Number(sec), Number(frac));
}

/** Seconds and nanoseconds (0 to 999999999) since the epoch → ISO text, as formatTimeNs. */
export function formatTime(sec: number, nsec: number): string {
  let prefix = secondsText.get(sec);
  if (prefix === undefined) {
    prefix = new Date(sec * 1000).toISOString().slice(0, -5);
    if (secondsText.size >= 4096) secondsText.clear();
    secondsText.set(sec, prefix);
  }
  return `${prefix}.${String(nsec).padStart(9, '0')}Z`;
}

/** Whether `text` is formatTime(sec, nsec), without building that text. */
export function isTime(text: unknown, sec: number, nsec: number): boolean {
  if (typeof text !== 'string' || text.length !== 30 || text.charCodeAt(29) !== 0x5a /* Z */) return false;
  let n = 0;
  for (let i = 20; i < 29; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    n = n * 10 + d;
  }
  if (n !== nsec) return false;
  let prefix = secondsText.get(sec);
  if (prefix === undefined) {
    formatTime(sec, 0);
    prefix = secondsText.get(sec)!;
  }
  return text.startsWith(prefix) && text.charCodeAt(19) === 0x2e /* . */;
}

/** Id → name maps from /etc/passwd and /etc/group. */
export interface IdNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

/** Parse passwd/group text (`name:x:id:…` per line) into id → first name. */
export function parseIdFile(text: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2]!)) continue;
    const id = Number(f[2]);
    if (!map.has(id)) map.set(id, f[0]!);
  }
  return map;
}

/**
 * Attributes of an entry (without `sha256`). `target` is the link text, key-encoded. The keys
 * are in sorted order, which the store's canonical form then needs no sorting for.
 */
export function statAttributes(st: Float64Array, ids: IdNames, target?: Buffer): Attributes {
  const uid = st[S.UID]!;
  const gid = st[S.GID]!;
  const attrs: Attributes = {
    ctime: formatTime(st[S.CTIME_S]!, st[S.CTIME_NS]!),
    gid,
    group: ids.groups.get(gid) ?? String(gid),
    inode: st[S.INO_HI]! * 4294967296 + st[S.INO_LO]!,
    mode: formatMode(st[S.MODE]!),
    mtime: formatTime(st[S.MTIME_S]!, st[S.MTIME_NS]!),
    nlink: st[S.NLINK]!,
  };
  const type = st[S.MODE]! & S_IFMT;
  if (type === S_IFCHR || type === S_IFBLK) attrs.rdev = `${st[S.RDEV_MAJOR]}:${st[S.RDEV_MINOR]}`;
  attrs.size = st[S.SIZE]!;
  if (target) attrs.target = encodePath(target);
  attrs.type = fileType(st[S.MODE]!);
  attrs.uid = uid;
  attrs.user = ids.users.get(uid) ?? String(uid);
  return attrs;
}

/** Sorted attributes with `sha256` set, the keys still in sorted order. */
export function withSha256(a: Attributes, sha256: string): Attributes {
  const out: Attributes = {};
  let placed = false;
  for (const k in a) {
    if (k === 'sha256') continue;
    if (!placed && k > 'sha256') {
      out.sha256 = sha256;
      placed = true;
    }
    out[k] = a[k]!;
  }
  if (!placed) out.sha256 = sha256;
  return out;
}
