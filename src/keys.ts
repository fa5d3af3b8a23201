/**
 * Item keys. A file name on Linux is bytes; a key must name exactly one of them and be
 * reversible. `file://` + the path, with `%XX` for every byte that is `%`, a control byte
 * (0x00–0x1f, 0x7f) or part of an invalid UTF-8 sequence. Valid UTF-8 stays readable.
 */

const HEX = '0123456789ABCDEF';

function pct(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 if it is not valid there. */
function utf8SeqLen(buf: Uint8Array, i: number): number {
  const b = buf[i]!;
  let n: number;
  let min: number;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) { n = 2; min = 0x80; }
  else if (b >= 0xe0 && b <= 0xef) { n = 3; min = 0x800; }
  else if (b >= 0xf0 && b <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > buf.length) return 0;
  let cp = b & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const c = buf[i + k]!;
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/** Encode raw path bytes as the path part of a key. */
export function encodePath(path: Uint8Array | string): string {
  const buf = typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
  let out = '';
  let plainStart = -1;
  const flush = (end: number) => {
    if (plainStart >= 0) {
      out += Buffer.from(buf.buffer, buf.byteOffset + plainStart, end - plainStart).toString('utf8');
      plainStart = -1;
    }
  };
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    if (b === 0x25 || b < 0x20 || b === 0x7f) {
      flush(i);
      out += pct(b);
      i++;
      continue;
    }
    const n = utf8SeqLen(buf, i);
    if (n === 0) {
      flush(i);
      out += pct(b);
      i++;
      continue;
    }
    if (plainStart < 0) plainStart = i;
    i += n;
  }
  flush(buf.length);
  return out;
}

/** Decode the path part of a key back to the exact bytes. */
export function decodePath(encoded: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (let i = 0; i < encoded.length; i++) {
    if (encoded.charCodeAt(i) === 0x25 && i + 2 < encoded.length + 0) {
      const hex = encoded.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        parts.push(Buffer.from(encoded.slice(last, i), 'utf8'), Buffer.from([parseInt(hex, 16)]));
        i += 2;
        last = i + 1;
      }
    }
  }
  parts.push(Buffer.from(encoded.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** `file:///etc/hosts` for the path bytes `/etc/hosts`. */
export function fileKey(path: Uint8Array | string, scheme = 'file'): string {
  return `${scheme}://${encodePath(path)}`;
}

/** Split a key into scheme and the rest: `file:///etc/x` → `['file', '/etc/x']`. */
export function splitKey(key: string): { scheme: string; rest: string } {
  const i = key.indexOf('://');
  if (i < 0) return { scheme: '', rest: key };
  return { scheme: key.slice(0, i), rest: key.slice(i + 3) };
}

/** The path bytes of a `file://`-style key. */
export function keyPath(key: string): Buffer {
  return decodePath(splitKey(key).rest);
}

/** A path for display: the key's path part (already escaped where it was not printable). */
export function displayPath(key: string): string {
  return splitKey(key).rest;
}
