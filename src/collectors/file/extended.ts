/**
 * The attributes AIDE, Samhain and Tripwire record beyond lstat: file capabilities (`caps`,
 * as getcap prints them), POSIX ACLs (`acl`, `acl_default`, as getfacl's entries joined by
 * commas), the SELinux label (`selinux`), inode flags (`flags`, as lsattr prints them) and
 * every other extended attribute (`xattr.<name>`). Read through the native addon: Node has no
 * listxattr/getxattr or FS_IOC_GETFLAGS.
 */
import { createHash } from 'node:crypto';
import { AT_FDCWD, S_IFDIR, S_IFMT, S_IFREG, STAT_FIELDS, native, sameEntry } from '../../fsnative.js';
import type { IdNames } from './attrs.js';

/** Attribute names this module sets (besides `xattr.*`). */
export const EXTENDED_NAMES = ['acl', 'acl_default', 'caps', 'flags', 'selinux'] as const;

/** Whether an attribute name is one this module sets. */
export function isExtended(name: string): boolean {
  return name.startsWith('xattr.') || (EXTENDED_NAMES as readonly string[]).includes(name);
}

// ---- capabilities (security.capability, struct vfs_cap_data) ----------------------------

const CAP_NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid',
  'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw',
  'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct',
  'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod',
  'lease', 'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog',
  'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf', 'checkpoint_restore',
];
const CAP_E = 1;
const CAP_P = 2;
const CAP_I = 4;
const flagText = (f: number) => `${f & CAP_E ? 'e' : ''}${f & CAP_I ? 'i' : ''}${f & CAP_P ? 'p' : ''}`;
const capName = (n: number) => (n < CAP_NAMES.length ? `cap_${CAP_NAMES[n]}` : String(n));

/**
 * security.capability → getcap's text (`cap_net_bind_service,cap_net_raw=ep`): capabilities
 * grouped by their e/i/p combination (groups in libcap's order: eip, ei, ep, e… with e = 1,
 * p = 2, i = 4, highest first; the first written with `=`, the others with `+`), the most common combination
 * among the known capabilities written as a leading `=…` base when it is not empty (as
 * libcap's cap_to_text does). Undefined when the value is not a capability set.
 */
export function decodeCaps(v: Buffer): string | undefined {
  if (v.length < 4) return undefined;
  const magic = v.readUInt32LE(0);
  const version = magic & 0xff000000;
  const words = version === 0x01000000 ? 1 : version === 0x02000000 || version === 0x03000000 ? 2 : 0;
  if (words === 0 || v.length < 4 + 8 * words) return undefined;
  const effective = (magic & 1) !== 0;
  const bits = words * 32;
  const state: number[] = [];
  for (let n = 0; n < bits; n++) {
    const w = n >> 5;
    const bit = 1 << (n & 31);
    const p = (v.readUInt32LE(4 + 8 * w) & bit) !== 0;
    const i = (v.readUInt32LE(8 + 8 * w) & bit) !== 0;
    state.push((p ? CAP_P : 0) | (i ? CAP_I : 0) | (effective && (p || i) ? CAP_E : 0));
  }
  const known = CAP_NAMES.length;
  const histo = new Array<number>(8).fill(0);
  for (let n = 0; n < known; n++) histo[state[n]!]!++;
  let m = 7;
  for (let t = 7; t-- > 0;) if (histo[t]! >= histo[m]!) m = t;
  for (let n = known; n < bits; n++) histo[state[n]!]!++;
  const parts: string[] = m ? [`=${flagText(m)}`] : [];
  for (let t = 8; t-- > 0;) {
    if (t === m || histo[t] === 0) continue;
    const names: string[] = [];
    // Unnamed (newer than this list) capabilities only when set.
    for (let n = 0; n < bits; n++) if (state[n] === t && (n < known || t !== 0)) names.push(capName(n));
    if (names.length === 0) continue;
    let text = names.join(',');
    const add = t & ~m;
    const drop = ~t & m;
    if (add) text += `${!m && parts.length === 0 ? '=' : '+'}${flagText(add)}`;
    if (drop) text += `-${flagText(drop)}`;
    parts.push(text);
  }
  let out = parts.join(' ');
  if (version === 0x03000000 && v.length >= 24) {
    const rootid = v.readUInt32LE(20);
    if (rootid !== 0) out += ` [rootid=${rootid}]`;
  }
  return out.length > 0 ? out : '=';
}

// ---- POSIX ACLs (system.posix_acl_access / _default) -------------------------------------

const ACL_TAGS: Record<number, string> = { 0x01: 'user', 0x02: 'user', 0x04: 'group', 0x08: 'group', 0x10: 'mask', 0x20: 'other' };

/** A POSIX ACL xattr → getfacl's entries joined by commas (`user::rw-,user:nobody:rwx,…`). */
export function decodeAcl(v: Buffer, ids: IdNames): string | undefined {
  if (v.length < 4 || v.readUInt32LE(0) !== 2 || (v.length - 4) % 8 !== 0) return undefined;
  const out: string[] = [];
  for (let off = 4; off < v.length; off += 8) {
    const tag = v.readUInt16LE(off);
    const perm = v.readUInt16LE(off + 2);
    const id = v.readUInt32LE(off + 4);
    const name = ACL_TAGS[tag];
    if (name === undefined) return undefined;
    const qual = tag === 0x02 ? (ids.users.get(id) ?? String(id)) : tag === 0x08 ? (ids.groups.get(id) ?? String(id)) : '';
    out.push(`${name}:${qual}:${perm & 4 ? 'r' : '-'}${perm & 2 ? 'w' : '-'}${perm & 1 ? 'x' : '-'}`);
  }
  return out.join(',');
}

// ---- inode flags (FS_IOC_GETFLAGS), in lsattr's order ------------------------------------

const FLAG_LETTERS: [number, string][] = [
  [0x00000001, 's'], [0x00000002, 'u'], [0x00000008, 'S'], [0x00010000, 'D'], [0x00000010, 'i'],
  [0x00000020, 'a'], [0x00000040, 'd'], [0x00000080, 'A'], [0x00000004, 'c'], [0x00000800, 'E'],
  [0x00004000, 'j'], [0x00001000, 'I'], [0x00008000, 't'], [0x00020000, 'T'], [0x00080000, 'e'],
  [0x00800000, 'C'], [0x02000000, 'x'], [0x40000000, 'F'], [0x10000000, 'N'], [0x20000000, 'P'],
  [0x00100000, 'V'], [0x00000400, 'm'],
];

/** Texts of the flag words seen (a tree has a handful: most files carry only `e`). */
const flagTexts = new Map<number, string>();

/** An inode flag word → lsattr's 22-character text (`----i---------e-------`). */
export function formatFlags(flags: number): string {
  let s = flagTexts.get(flags);
  if (s !== undefined) return s;
  s = '';
  for (const [bit, letter] of FLAG_LETTERS) s += flags & bit ? letter : '-';
  if (flagTexts.size < 256) flagTexts.set(flags, s);
  return s;
}

// ---- other extended attributes -----------------------------------------------------------

/** Short printable UTF-8 text stays text; anything else is `sha256:<hex>`. */
export function xattrValue(v: Buffer): string {
  const text = v.length > 0 && v[v.length - 1] === 0 ? v.subarray(0, v.length - 1) : v;
  if (text.length <= 128) {
    const s = text.toString('utf8');
    // eslint-disable-next-line no-control-regex
    if (Buffer.byteLength(s) === text.length && !s.includes('\ufffd') && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(s)) return s;
  }
  return `sha256:${createHash('sha256').update(v).digest('hex')}`;
}

/** Decode a list of (name, value) pairs as the native addon returns them into attributes. */
export function decodeXattrs(list: Array<string | Buffer | number>, ids: IdNames, out: Record<string, string>): void {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i] as string;
    const value = list[i + 1]!;
    if (typeof value === 'number') continue; // gone between list and get
    const v = value as Buffer;
    let decoded: string | undefined;
    let attr: string;
    if (name === 'security.capability') {
      attr = 'caps';
      decoded = decodeCaps(v);
    } else if (name === 'system.posix_acl_access') {
      attr = 'acl';
      decoded = decodeAcl(v, ids);
    } else if (name === 'system.posix_acl_default') {
      attr = 'acl_default';
      decoded = decodeAcl(v, ids);
    } else if (name === 'security.selinux') {
      attr = 'selinux';
      decoded = xattrValue(v);
    } else {
      out[`xattr.${Buffer.from(name, 'latin1').toString('utf8')}`] = xattrValue(v);
      continue;
    }
    // A value that does not parse is still recorded, by its hash.
    out[attr] = decoded ?? `sha256:${createHash('sha256').update(v).digest('hex')}`;
  }
}

/**
 * Read the extended attributes of an entry the walk just yielded: through `fd` when the
 * entry is open already (a file to hash, a directory being descended), else relative to its
 * directory without following it. Flags only for regular files and directories (as lsattr),
 * then through a descriptor opened for the purpose and checked against the walk's lstat.
 */
export function readExtended(r: { dirfd: number; name: Buffer; st: Float64Array }, fd: number, ids: IdNames): Record<string, string> {
  const out: Record<string, string> = {};
  const type = r.st[0]! & S_IFMT;
  let own = -1;
  if (fd < 0 && (r.dirfd === AT_FDCWD || type === S_IFREG || type === S_IFDIR)) {
    own = type === S_IFDIR ? native.openDirAt(r.dirfd, r.name) : native.openFileAt(r.dirfd, r.name, false);
    if (own >= 0) {
      const st = new Float64Array(STAT_FIELDS);
      if (native.fstat(own, st) < 0 || !sameEntry(st, r.st)) {
        native.close(own);
        own = -1;
      }
    }
    if (own < 0 && r.dirfd === AT_FDCWD) return out;
  }
  const use = fd >= 0 ? fd : own;
  try {
    const list = use >= 0 ? native.xattrs(use, -1, null) : native.xattrs(-1, r.dirfd, r.name);
    if (typeof list !== 'number') decodeXattrs(list, ids, out);
    if (use >= 0 && (type === S_IFREG || type === S_IFDIR)) {
      const flags = native.getFlags(use);
      if (flags > 0) out.flags = formatFlags(flags);
    }
  } finally {
    if (own >= 0) native.close(own);
  }
  return out;
}

/**
 * Sorted attributes with sorted extras (and `sha256`, when given) merged in, both key lists in
 * sorted order: one new object, or `a` itself when there is nothing to merge.
 */
export function mergeSorted(a: Record<string, unknown>, extra: Record<string, string>, sha256?: string): Record<string, unknown> {
  const ek = Object.keys(extra);
  if (sha256 !== undefined) ek.push('sha256');
  if (ek.length === 0) return a;
  if (ek.length > 1) ek.sort();
  const value = (k: string) => (k === 'sha256' && sha256 !== undefined ? sha256 : extra[k]);
  const out: Record<string, unknown> = {};
  let j = 0;
  for (const k in a) {
    while (j < ek.length && ek[j]! < k) {
      out[ek[j]!] = value(ek[j]!);
      j++;
    }
    if (j < ek.length && ek[j] === k) {
      out[k] = value(k);
      j++;
      continue;
    }
    out[k] = a[k];
  }
  while (j < ek.length) {
    out[ek[j]!] = value(ek[j]!);
    j++;
  }
  return out;
}
