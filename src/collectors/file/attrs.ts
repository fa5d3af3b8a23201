/**
 * Pure helpers that turn an lstat result into the file item's attributes.
 */
import type { BigIntStats } from 'node:fs';
import type { Attributes } from '../../types.js';
import { encodePath } from '../../keys.js';

/** `type` attribute values. */
export type FileType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

/** The `type` of an lstat result (never follows links). */
export function fileType(st: BigIntStats): FileType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

/** Permission bits incl. setuid/setgid/sticky as 4 octal digits: `0644`, `4755`, `1777`. */
export function formatMode(mode: bigint | number): string {
  return (Number(mode) & 0o7777).toString(8).padStart(4, '0');
}

const NS = 1_000_000_000n;

/** Nanoseconds since the epoch → `2026-11-23T23:24:04.123456789Z`. */
export function formatTimeNs(ns: bigint): string {
  let sec = ns / NS;
  let frac = ns % NS;
  if (frac < 0n) {
    frac += NS;
    sec -= 1n;
  }
  const iso = new Date(Number(sec) * 1000).toISOString();
  return `${iso.slice(0, -5)}.${frac.toString().padStart(9, '0')}Z`;
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

/** Attributes of an entry (without `sha256`). `target` is the link text, key-encoded. */
export function statAttributes(st: BigIntStats, ids: IdNames, target?: Buffer): Attributes {
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const attrs: Attributes = {
    type: fileType(st),
    mode: formatMode(st.mode),
    uid,
    gid,
    user: ids.users.get(uid) ?? String(uid),
    group: ids.groups.get(gid) ?? String(gid),
    size: Number(st.size),
    mtime: formatTimeNs(st.mtimeNs),
    ctime: formatTimeNs(st.ctimeNs),
    inode: Number(st.ino),
    nlink: Number(st.nlink),
  };
  if (target) attrs.target = encodePath(target);
  return attrs;
}

/** `EACCES: permission denied, open` — Node's message without the path (names can be anything). */
export function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = e instanceof Error ? e.message : String(err);
  if (e && typeof e.syscall === 'string') {
    const i = msg.indexOf(`, ${e.syscall} '`);
    if (i >= 0) return msg.slice(0, i + 2 + e.syscall.length);
  }
  return msg.replace(/\s*\n\s*/g, ' ');
}
