/**
 * The pure parts of openvpn_users: the openssl `ca` database easy-rsa keeps (`index.txt`), its
 * ASN.1 times, the CN of a subject, and the revoked serials of `openssl crl -text`. No I/O.
 */

export interface IndexEntry {
  line: number;
  /** V valid, R revoked, E expired (as `openssl ca -updatedb` marks it). */
  flag: 'V' | 'R' | 'E';
  /** ISO time. */
  expiry: string;
  revokedAt: string | null;
  reason: string | null;
  /** Upper-case hex, as openssl writes it. */
  serial: string;
  subject: string;
  cn: string | null;
}

/** An ASN.1 UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as ISO, or undefined. */
export function asn1Time(t: string): string | undefined {
  let m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(t);
  let year: number;
  if (m) year = Number(m[1]) < 50 ? 2000 + Number(m[1]) : 1900 + Number(m[1]);
  else {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(t);
    if (!m) return undefined;
    year = Number(m[1]);
  }
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace('.000Z', 'Z');
}

/** The last CN of an openssl one-line subject (`/C=DE/O=x/CN=client1`, or `CN = client1, O = x`). */
export function subjectCN(subject: string): string | null {
  const slash = [...subject.matchAll(/\/CN=((?:[^/\\]|\\.)*)/g)];
  if (slash.length) return slash[slash.length - 1]![1]!.replace(/\\(.)/g, '$1');
  const comma = [...subject.matchAll(/(?:^|,)\s*CN\s*=\s*((?:[^,\\]|\\.)*)/g)];
  return comma.length ? comma[comma.length - 1]![1]!.trim().replace(/\\(.)/g, '$1') : null;
}

/** The entries of index.txt; a bad line is a problem naming its number, never its text. */
export function parseIndex(text: string): { entries: IndexEntry[]; problems: { line: number; message: string }[] } {
  const entries: IndexEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    const f = raw.split('\t');
    if (f.length < 6) return void problems.push({ line, message: `expected 6 tab-separated fields, found ${f.length}` });
    const [flag, exp, rev, serial] = f as [string, string, string, string];
    const subject = f.slice(5).join('\t');
    if (flag !== 'V' && flag !== 'R' && flag !== 'E') return void problems.push({ line, message: `unknown status '${flag.slice(0, 3)}' (expected V, R or E)` });
    const expiry = asn1Time(exp);
    if (!expiry) return void problems.push({ line, message: 'bad expiry time' });
    if (!/^[0-9A-Fa-f]+$/.test(serial)) return void problems.push({ line, message: 'bad serial' });
    let revokedAt: string | null = null;
    let reason: string | null = null;
    if (flag === 'R') {
      const [t, r] = rev.split(',');
      revokedAt = asn1Time(t ?? '') ?? null;
      if (!revokedAt) return void problems.push({ line, message: 'revoked without a valid revocation time' });
      reason = r ?? null;
    }
    entries.push({ line, flag, expiry, revokedAt, reason, serial: serial.toUpperCase(), subject, cn: subjectCN(subject) });
  });
  return { entries, problems };
}

export interface CrlInfo {
  serials: Set<string>;
  /** ISO, or null when the CRL has none. */
  lastUpdate: string | null;
  nextUpdate: string | null;
}

function opensslDate(s: string): string | null {
  const d = new Date(s.replace(/\s+GMT$/, ' UTC'));
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('.000Z', 'Z');
}

/** What `openssl crl -noout -text` prints: the revoked serials (upper-case hex) and the update times. */
export function parseCrlText(text: string): CrlInfo {
  const serials = new Set<string>();
  for (const m of text.matchAll(/^\s*Serial Number:\s*([0-9A-Fa-f]+)\s*$/gm)) serials.add(m[1]!.toUpperCase().replace(/^0+(?=.)/, ''));
  const last = /Last Update:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const next = /Next Update:\s*(.+)$/m.exec(text)?.[1]?.trim();
  return { serials, lastUpdate: last ? opensslDate(last) : null, nextUpdate: next && next !== 'NONE' ? opensslDate(next) : null };
}

/** A serial as the CRL compares it: upper-case hex without leading zeros. */
export function serialKey(s: string): string {
  return s.toUpperCase().replace(/^0+(?=.)/, '');
}
