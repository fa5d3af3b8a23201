/**
 * Times of logins as microseconds since the epoch (wtmp's `ut_tv`, wtmpdb's columns) and
 * their ISO-8601 form with microseconds, so keys and attributes are exact.
 */

/** `2024-05-01T10:00:00.000000Z` for microseconds since the epoch. */
export function isoMicros(us: number): string {
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${base}.${String(frac).padStart(6, '0')}Z`;
}

/**
 * Microseconds since the epoch of an ISO-8601 time with any number of fraction digits
 * (file times carry nanoseconds); NaN when it is not one.
 */
export function isoToMicros(iso: string): number {
  const m = /^(.*?T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(iso);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return NaN;
  const frac = Number(((m[2] ?? '') + '000000').slice(0, 6));
  return ms * 1000 + frac;
}
