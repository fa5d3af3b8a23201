/**
 * The `openvpn_users` collector: one item per common name of an easy-rsa PKI
 * (`openvpn_users://<CN>`), from its `index.txt` (the openssl ca database), its issued
 * certificates and its CRL: valid, revoked or expired, serial, expiry and days left. Files are
 * opened without following a symlink at any component; the private keys are never opened.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { Attributes, CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { encodePath } from '../../keys.js';
import { absolutePath, errText, optionValues } from '../common/index.js';
import { ignoreAttributesOption } from '../../core/ignore.js';
import { readNoFollow } from '../ssh_keys/index.js';
import { type CrlInfo, type IndexEntry, parseCrlText, parseIndex, serialKey } from './parse.js';
import { OPENVPN_USERS_ITEMS } from './items.js';
import { openvpnUsersSeverity } from './severity.js';
import { openvpnUsersSection } from './section.js';

export const OPENVPN_USERS_OPTIONS: OptionSchema = {
  pki: { type: 'string', default: '/etc/openvpn/easy-rsa/pki', description: 'The easy-rsa PKI directory (index.txt, issued/, certs_by_serial/, crl.pem).', check: absolutePath },
  crl_path: { type: 'string', default: '', description: 'The CRL OpenVPN checks (its crl-verify); empty: <pki>/crl.pem.', check: (v) => (v === '' ? undefined : absolutePath(v)) },
  warn_days: { type: 'int', default: 30, description: 'A valid certificate expiring within this many days is `expiring`.' },
  ignore_attributes: { ...ignoreAttributesOption(['days_left']), description: 'Attributes, or KEY_GLOB:attribute, whose change alone is not reported; days_left by default (it changes every day; status and expiring do not).' },
};

export interface OpenvpnUsersOptions {
  pki: string;
  crlPath: string;
  warnDays: number;
  /** The time the status and days left are computed at (tests may move it). */
  now: Date;
}

export function openvpnUsersOptions(o: Options): OpenvpnUsersOptions {
  const v = optionValues(OPENVPN_USERS_OPTIONS, o);
  const pki = v.string('pki', { nonEmpty: true }).replace(/\/+$/, '') || '/';
  return { pki, crlPath: v.string('crl_path') || join(pki, 'crl.pem'), warnDays: v.number('warn_days'), now: new Date() };
}

export function openvpnUserKey(cn: string): string {
  return `openvpn_users://${encodePath(cn)}`;
}

const MAX = 64 * 1024 * 1024;
const EKU: Record<string, string> = { '1.3.6.1.5.5.7.3.2': 'client', '1.3.6.1.5.5.7.3.1': 'server' };

function readCrl(ctx: CollectContext, path: string, now: Date): CrlInfo | undefined {
  let file;
  try {
    file = readNoFollow(path, MAX);
  } catch (err) {
    ctx.note(`openvpn_users: ${path}: ${errText(err)}; revocations are taken from index.txt only`);
    return undefined;
  }
  if (!file) {
    ctx.note(`openvpn_users: ${path} does not exist; revocations are taken from index.txt only (OpenVPN without crl-verify accepts revoked certificates)`);
    return undefined;
  }
  if (!/-----BEGIN X509 CRL-----/.test(file.text)) {
    ctx.note(`openvpn_users: ${path}: not a PEM CRL; revocations are taken from index.txt only`);
    return undefined;
  }
  let text: string;
  try {
    text = execFileSync('openssl', ['crl', '-inform', 'PEM', '-noout', '-text'], { input: file.text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: MAX, timeout: 60_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') ctx.note('openvpn_users: no openssl program (Debian: apt install openssl); the CRL was not read');
    else ctx.note(`openvpn_users: ${path}: not a CRL openssl can read; revocations are taken from index.txt only`);
    return undefined;
  }
  const crl = parseCrlText(text);
  if (crl.nextUpdate && crl.nextUpdate < now.toISOString()) ctx.note(`openvpn_users: ${path}: its next update was due ${crl.nextUpdate}; OpenVPN refuses clients with an expired CRL (easyrsa gen-crl)`);
  return crl;
}

interface Cert {
  usage: string | null;
  fingerprint: string;
}

/** The issued certificate of an entry: certs_by_serial/<serial>.pem, else issued/<CN>.crt, when its serial matches. */
function issuedCert(pki: string, e: IndexEntry): Cert | undefined {
  const candidates = [join(pki, 'certs_by_serial', `${e.serial}.pem`), join(pki, 'newcerts', `${e.serial}.pem`)];
  if (e.cn && !e.cn.includes('/') && e.cn !== '.' && e.cn !== '..') candidates.push(join(pki, 'issued', `${e.cn}.crt`));
  for (const path of candidates) {
    let file;
    try {
      file = readNoFollow(path, 1024 * 1024);
    } catch {
      continue;
    }
    const pem = file && /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(file.text)?.[0];
    if (!pem) continue;
    try {
      const x = new X509Certificate(pem);
      if (serialKey(x.serialNumber) !== serialKey(e.serial)) continue;
      const usage = (x.keyUsage ?? []).map((o) => EKU[o]).filter(Boolean);
      return { usage: usage.length ? [...new Set(usage)].sort().join(',') : null, fingerprint: x.fingerprint256 };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The collector's `collect`. */
export function collectOpenvpnUsers(ctx: CollectContext, o: OpenvpnUsersOptions): void {
  const indexPath = join(o.pki, 'index.txt');
  let index;
  try {
    index = readNoFollow(indexPath, MAX);
  } catch (err) {
    ctx.error(openvpnUserKey(''), `${indexPath}: ${errText(err)}`);
    return;
  }
  if (!index) {
    ctx.note(`openvpn_users: ${indexPath} does not exist; no PKI, nothing recorded`);
    return;
  }
  const parsed = parseIndex(index.text);
  for (const p of parsed.problems) ctx.note(`openvpn_users: ${indexPath}:${p.line}: ${p.message}; line skipped`);
  const crl = readCrl(ctx, o.crlPath, o.now);
  const now = o.now.getTime();
  const status = (e: IndexEntry): 'valid' | 'revoked' | 'expired' => {
    if (e.flag === 'R' || crl?.serials.has(serialKey(e.serial))) return 'revoked';
    if (e.flag === 'E' || Date.parse(e.expiry) <= now) return 'expired';
    return 'valid';
  };
  const byCn = new Map<string, IndexEntry[]>();
  for (const e of parsed.entries) {
    if (e.cn === null) {
      ctx.note(`openvpn_users: ${indexPath}:${e.line}: a subject without CN; skipped`);
      continue;
    }
    byCn.set(e.cn, [...(byCn.get(e.cn) ?? []), e]);
  }
  for (const [cn, entries] of [...byCn].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const valid = entries.filter((e) => status(e) === 'valid');
    const chosen = valid.length ? valid.reduce((a, b) => (b.expiry >= a.expiry ? b : a)) : entries[entries.length - 1]!;
    const st = status(chosen);
    const daysLeft = Math.floor((Date.parse(chosen.expiry) - now) / 86_400_000);
    const inCrl = crl ? crl.serials.has(serialKey(chosen.serial)) : null;
    if (chosen.flag === 'R' && inCrl === false) ctx.note(`openvpn_users: ${cn} (serial ${chosen.serial}) is revoked in index.txt but not in ${o.crlPath}: OpenVPN still accepts it until the CRL is regenerated (easyrsa gen-crl)`);
    const cert = issuedCert(o.pki, chosen);
    const attributes: Attributes = {
      status: st,
      serial: chosen.serial,
      expiry: chosen.expiry,
      days_left: daysLeft,
      expiring: st === 'valid' && daysLeft <= o.warnDays,
      revoked_at: chosen.revokedAt,
      revocation_reason: chosen.reason,
      in_crl: inCrl,
      certificates: entries.length,
      valid_certificates: valid.length,
      subject: chosen.subject,
      usage: cert?.usage ?? null,
      fingerprint: cert?.fingerprint ?? null,
    };
    ctx.add({ key: openvpnUserKey(cn), attributes });
  }
}

export const openvpnUsersCollector: Collector = {
  name: 'openvpn_users',
  description: 'Certificates of an easy-rsa PKI (OpenVPN clients): valid, revoked or expired, serial, expiry, days left.',
  options: OPENVPN_USERS_OPTIONS,
  items: OPENVPN_USERS_ITEMS,
  severity: openvpnUsersSeverity,
  report: { partial: true, section: openvpnUsersSection(OPENVPN_USERS_OPTIONS) },
  async collect(ctx, options) {
    collectOpenvpnUsers(ctx, openvpnUsersOptions(options));
  },
};
