/**
 * A pure parser of glibc x86_64 wtmp files: 384-byte `struct utmp` records. A truncated tail
 * or a record that cannot be one (type outside 0..9, microseconds out of range, control bytes
 * or invalid UTF-8 in a text field) is skipped and counted, never thrown.
 */
import { formatIpv6Groups } from '../../core/ipv6.js';

/** Record size of `struct utmp` on glibc x86_64 (and other 64-bit glibc targets). */
export const RECORD_SIZE = 384;

/** `ut_type` values. */
export const UT = {
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
} as const;

/** One wtmp record. Text fields end at their first NUL. */
export interface WtmpRecord {
  type: number;
  pid: number;
  /** Terminal (`pts/0`, `tty1`, `~` for boot and shutdown records). */
  line: string;
  id: string;
  user: string;
  /** Remote host, or the kernel release on boot records. */
  host: string;
  /** `ut_addr_v6` as text (`192.0.2.10`, `2001:db8::1`), empty when all zero. */
  addr: string;
  /** `ut_tv` as microseconds since the epoch. */
  time: number;
}

/** What a wtmp file held. */
export interface ParseResult {
  records: WtmpRecord[];
  /** Records (and a truncated tail) that were not valid. */
  skipped: number;
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/** The text of a NUL-terminated field, or undefined when it holds control bytes or bad UTF-8. */
function text(buf: Buffer, off: number, len: number): string | undefined {
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  for (let i = off; i < end; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b === 0x7f) return undefined;
  }
  try {
    return fatal.decode(buf.subarray(off, end));
  } catch {
    return undefined;
  }
}

function formatAddr(buf: Buffer, off: number): string {
  const a = buf.subarray(off, off + 16);
  if (a.every((b) => b === 0)) return '';
  if (a.subarray(4).every((b) => b === 0)) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
  return formatIpv6Groups(groups);
}

/** Parse one record at `off`; undefined if it is not a valid record. */
function parseRecord(buf: Buffer, off = 0): WtmpRecord | undefined {
  if (off + RECORD_SIZE > buf.length) return undefined;
  const type = buf.readInt32LE(off);
  if (type < 0 || type > 9) return undefined;
  const usec = buf.readInt32LE(off + 344);
  if (usec < 0 || usec > 999_999) return undefined;
  const line = text(buf, off + 8, 32);
  const user = text(buf, off + 44, 32);
  const host = text(buf, off + 76, 256);
  if (line === undefined || user === undefined || host === undefined) return undefined;
  // ut_id is often binary-ish (e.g. "~~\0\0"); it is kept for reference only, never validated.
  const id = buf.subarray(off + 40, off + 44).toString('latin1').replace(/[\0-\x1f\x7f-\xff]/g, '');
  return {
    type,
    pid: buf.readInt32LE(off + 4),
    line,
    id,
    user,
    host,
    addr: formatAddr(buf, off + 348),
    // Unsigned: a 32-bit ut_tv.tv_sec reaches 2106, not 2038.
    time: buf.readUInt32LE(off + 340) * 1e6 + usec,
  };
}

/** Parse a whole wtmp file. */
export function parseWtmp(buf: Buffer): ParseResult {
  const records: WtmpRecord[] = [];
  let skipped = 0;
  const whole = buf.length - (buf.length % RECORD_SIZE);
  for (let off = 0; off < whole; off += RECORD_SIZE) {
    const r = parseRecord(buf, off);
    if (r) records.push(r);
    else skipped++;
  }
  if (whole < buf.length) skipped++;
  return { records, skipped };
}
