/**
 * Pure parsers for the ssh_keys collector: authorized_keys lines (sshd(8) AUTHORIZED_KEYS FILE
 * FORMAT), key blobs (type and size), fingerprints as `ssh-keygen -l` prints them, and the
 * AuthorizedKeysFile directive of sshd_config.
 */
import { createHash } from 'node:crypto';

export interface AuthorizedKey {
  /** The key type as written (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …). */
  type: string;
  /** `SHA256:<base64 without padding>` of the key blob. */
  fingerprint: string;
  bits: number;
  comment: string;
  /** The options field as written (`from="10.0.0.0/8",no-pty`), empty when none. */
  options: string;
  line: number;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;

/** `SHA256:…` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The length-prefixed strings of an SSH wire-format blob. */
function wireStrings(blob: Buffer, max: number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 4 <= blob.length && out.length < max) {
    const n = blob.readUInt32BE(i);
    if (i + 4 + n > blob.length) throw new Error('truncated key blob');
    out.push(blob.subarray(i + 4, i + 4 + n));
    i += 4 + n;
  }
  return out;
}

function mpintBits(b: Buffer): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

/** The type inside a blob and its size in bits, as ssh-keygen -l reports it. */
export function keyInfo(blob: Buffer): { type: string; bits: number } {
  const s = wireStrings(blob, 4);
  const type = s[0]?.toString('latin1') ?? '';
  if (type === 'ssh-rsa') return { type, bits: mpintBits(s[2] ?? Buffer.alloc(0)) };
  if (type === 'ssh-dss') return { type, bits: mpintBits(s[1] ?? Buffer.alloc(0)) };
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') return { type, bits: 256 };
  if (type === 'ssh-ed448') return { type, bits: 456 };
  const ec = /nistp(256|384|521)/.exec(type);
  if (ec) return { type, bits: Number(ec[1]) };
  return { type, bits: 0 };
}

/** Split off the options field: up to the first whitespace outside double quotes. */
function splitOptions(line: string): [string, string] {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return [line.slice(0, i), line.slice(i).trimStart()];
  }
  return [line, ''];
}

/** Parse an authorized_keys text; bad lines are problems with their line number only. */
export function parseAuthorizedKeys(text: string): { keys: AuthorizedKey[]; problems: { line: number; message: string }[] } {
  const keys: AuthorizedKey[] = [];
  const problems: { line: number; message: string }[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    let options = '';
    let rest = line;
    if (!KEY_TYPE.test(line.split(/[ \t]/, 1)[0]!)) [options, rest] = splitOptions(line);
    const m = /^(\S+)[ \t]+([A-Za-z0-9+/]+={0,2})(?:[ \t]+(.*))?$/.exec(rest);
    if (!m || !KEY_TYPE.test(m[1]!)) {
      problems.push({ line: n + 1, message: 'not a public key line' });
      continue;
    }
    const blob = Buffer.from(m[2]!, 'base64');
    let info: { type: string; bits: number };
    try {
      info = keyInfo(blob);
    } catch (err) {
      problems.push({ line: n + 1, message: (err as Error).message });
      continue;
    }
    if (info.type !== m[1]) {
      problems.push({ line: n + 1, message: `key type ${m[1]} does not match the key (${info.type || 'unknown'})` });
      continue;
    }
    keys.push({ type: m[1]!, fingerprint: fingerprint(blob), bits: info.bits, comment: (m[3] ?? '').trim(), options, line: n + 1 });
  }
  return { keys, problems };
}

/** The default of sshd. */
export const DEFAULT_AUTHORIZED_KEYS_FILES = ['.ssh/authorized_keys', '.ssh/authorized_keys2'];

/**
 * sshd_config texts (the main file first, then included ones in order) → the first
 * AuthorizedKeysFile outside Match blocks, as sshd takes the first value it obtains.
 * `includes` receives each Include pattern.
 */
export function authorizedKeysFiles(text: string): { files?: string[]; includes: string[]; inMatch: boolean } {
  const includes: string[] = [];
  let inMatch = false;
  let matchValue = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const kw = m[1]!.toLowerCase();
    if (kw === 'match') inMatch = true;
    else if (kw === 'include' && !inMatch) includes.push(...m[2]!.split(/\s+/));
    else if (kw === 'authorizedkeysfile') {
      if (inMatch) matchValue = true;
      else return { files: m[2]!.split(/\s+/).filter((f) => f !== ''), includes, inMatch: matchValue };
    }
  }
  return { includes, inMatch: matchValue };
}

/** Expand `%h`, `%u`, `%U`, `%%` of an AuthorizedKeysFile token; relative paths are below home. */
export function expandTokens(pattern: string, user: { name: string; uid: number; home: string }): string {
  const s = pattern.replace(/%([%huU])/g, (_, t: string) => (t === '%' ? '%' : t === 'h' ? user.home : t === 'u' ? user.name : String(user.uid)));
  return s.startsWith('/') ? s : `${user.home.replace(/\/+$/, '')}/${s}`;
}
