/**
 * How values read in text and HTML reports (the JSON keeps them exact): times in the host's
 * time zone with its offset, to the second; a mode's special bits named.
 */

const ISO_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-12-01T11:48:40.123456789Z` → `2026-12-01 12:48:40 +01:00` (the host's zone, TZ if set). */
export function localTime(iso: string): string {
  const m = ISO_TIME.exec(iso);
  if (!m) return iso;
  const d = new Date(`${m[1]}Z`);
  if (Number.isNaN(d.getTime())) return iso;
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** The special bits of an octal mode, named: `4755` → `setuid`; empty when none. */
export function specialBits(mode: string): string {
  if (!/^[0-7]{4,6}$/.test(mode)) return '';
  const bits = parseInt(mode, 8);
  return [bits & 0o4000 ? 'setuid' : '', bits & 0o2000 ? 'setgid' : '', bits & 0o1000 ? 'sticky' : ''].filter(Boolean).join(', ');
}

/** An attribute value as reports show it: absent/null `-`, a time local, a mode with its special bits. */
export function displayValue(name: string, value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = String(value);
  if (name === 'mode') {
    const bits = specialBits(text);
    return bits ? `${text} (${bits})` : text;
  }
  if (typeof value === 'string' && ISO_TIME.test(value)) return localTime(value);
  return text;
}
