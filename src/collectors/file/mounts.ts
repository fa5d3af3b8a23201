/**
 * Mount points from /proc/self/mountinfo, so the walk can skip pseudo filesystems.
 */
import { readFileSync } from 'node:fs';

/** Mount point (as a latin1 string of its exact bytes) → filesystem type. */
export type MountTable = Map<string, string>;

/** `\040` style octal escapes → the raw bytes, as a latin1 string. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse mountinfo text (see proc(5)). Later mounts on the same point win. */
export function parseMountinfo(text: string): MountTable {
  const table: MountTable = new Map();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 6 || f.length < sep + 2) continue;
    table.set(unescapeOctal(f[4]!), f[sep + 1]!);
  }
  return table;
}

/** The mount table of this process, empty when it cannot be read. */
export function readMounts(): MountTable {
  try {
    return parseMountinfo(readFileSync('/proc/self/mountinfo', 'latin1'));
  } catch {
    return new Map();
  }
}
