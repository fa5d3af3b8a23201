/**
 * Test helper: wtmp files made by util-linux `utmpdump -r` from its text form
 * (`[type] [pid] [id] [user] [line] [host] [addr] [time]`, as in fixtures/wtmp/wtmp.txt).
 */
import { spawnSync } from 'node:child_process';

/** One record in utmpdump's text form. */
export interface TextRecord {
  type: number;
  user?: string;
  line: string;
  host?: string;
  addr?: string;
  /** ISO time, e.g. `2024-05-01T10:00:00Z`. */
  time: string;
  pid?: number;
}

function dumpTime(iso: string): string {
  const d = new Date(iso);
  const us = /\.(\d+)Z$/.exec(iso)?.[1] ?? '0';
  return `${d.toISOString().slice(0, 19)},${(us + '000000').slice(0, 6)}+00:00`;
}

/** The text line utmpdump reads. Its pid field must be zero-padded to five digits. */
function textLine(r: TextRecord): string {
  // utmpdump wants the id field four characters wide.
  const id = (r.line === '~' ? '~~' : r.line.replace(/^pts\//, 'ts/').slice(-4)).padEnd(4, ' ');
  return `[${r.type}] [${String(r.pid ?? 1000).padStart(5, '0')}] [${id}] [${r.user ?? ''}] [${r.line}] [${r.host ?? ''}] [${r.addr ?? '0.0.0.0'}] [${dumpTime(r.time)}]`;
}

/** Binary wtmp bytes for these records (runs `utmpdump -r`). */
export function wtmpBytes(records: TextRecord[]): Buffer {
  const res = spawnSync('utmpdump', ['-r'], { input: records.map(textLine).join('\n') + '\n' });
  if (res.status !== 0) throw new Error(`utmpdump -r failed: ${res.stderr}`);
  if (res.stdout.length !== records.length * 384) throw new Error(`utmpdump -r wrote ${res.stdout.length} bytes for ${records.length} records`);
  return res.stdout;
}
