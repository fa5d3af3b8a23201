/**
 * Secret detection and redaction for every text syschangemon keeps (configuration files,
 * command output). A file is either secret as a whole (a key file, a password database:
 * only its attributes and hash are kept), or its text is kept with each secret value
 * replaced by the fixed marker {@link REDACTED}. The marker never depends on the value (not
 * even its length), so nothing derived from a secret is stored.
 *
 * The rules are pure functions of the text; the configured `secret_paths` and
 * `secret_patterns` (plugins.d/conffile.conf) extend the built-in ones.
 */
import { GlobSet } from './glob.js';

/** What replaces each secret value in a stored text. */
export const REDACTED = '«redacted»';

/** Bumped whenever the built-in rules change, so texts kept under older rules are re-read. */
export const RULES_VERSION = 1;

/**
 * Files secret as a whole, by path (also under a chroot or container root, hence `**`):
 * password databases, key files, PPP/IPsec secrets, htpasswd files.
 */
export const BUILTIN_SECRET_PATHS: readonly string[] = [
  '**/etc/shadow*',
  '**/etc/gshadow*',
  '**/etc/security/opasswd*',
  '**/ssl/private/**',
  '**/pki/tls/private/**',
  '**/ipsec.d/private/**',
  '**/swanctl/private/**',
  '**/swanctl/rsa/**',
  '**/swanctl/ecdsa/**',
  '**/swanctl/pkcs8/**',
  '**/private-keys-v1.d/**',
  '**/secring.gpg',
  '**.key',
  '**/privatekey',
  '**.ppk',
  '**-secrets',
  '**.secrets',
  '**/.htpasswd*',
  '**.htpasswd',
  '**/htpasswd',
  '**/.pgpass',
  '**/.netrc',
  '**/id_rsa',
  '**/id_dsa',
  '**/id_ecdsa',
  '**/id_ed25519',
  '**/id_ecdsa_sk',
  '**/id_ed25519_sk',
  '**/id_xmss',
  '**/ssh_host_*_key',
];

/** Content that makes a whole text secret (a key file, whatever its name). */
const SECRET_FILE_CONTENT: readonly RegExp[] = [
  // ssh.com / Tectia SSH2 private keys.
  /^---- BEGIN SSH2 (?:ENCRYPTED )?PRIVATE KEY ----/m,
  // PuTTY private key files (.ppk), versions 1 to 3.
  /^PuTTY-User-Key-File-\d+:/m,
  // OpenVPN static keys (ta.key, --secret) and tls-crypt-v2 keys, when not inline in a config.
  /^-----BEGIN OpenVPN [A-Za-z0-9 -]*key[A-Za-z0-9 ]*-----/im,
  // GnuPG private-keys-v1.d files: S-expression and extended key format.
  /^\s*\((?:protected-|shadowed-)?private-key\b/m,
  /^Key:\s*\((?:protected-|shadowed-)?private-key\b/m,
];

/** A JSON Web Key (or key set) holding private or symmetric key material. */
const JWK_TYPE = /"kty"\s*:\s*"/;
const JWK_PRIVATE = /"(?:d|k|p|q|dp|dq|qi)"\s*:\s*"[A-Za-z0-9_=-]{8,}/;


/**
 * Key names whose value is a secret, as the whole key or its end: `password`,
 * `aws_secret_access_key`, `PrivateKey` (WireGuard), `psk` (NetworkManager, wpa_supplicant),
 * `client-key-data` (kubeconfig), `wpa_passphrase`, `AuthPass`, `client_secret`, `token`…
 * `PasswordAuthentication` or `password_min_length` do not end so and are kept.
 */
const KEY = String.raw`[A-Za-z0-9_.-]*?(?:pass(?:word|wd|phrase)?|secret|secret[_-]?(?:access[_-]?)?key|private[_-]?key|pre[_-]?shared[_-]?key|psk|token|api[_-]?key|auth[_-]?key|client-key-data|wep-key[0-3]|requirepass|masterauth|bindpw|rootpw)`;

/** `key = value`, `key: value`, `export KEY=value`, also commented out (`# password = x`). */
const KEY_VALUE_LINE = new RegExp(
  String.raw`^([ \t]*(?:[#;]+[ \t]*)?(?:export[ \t]+)?["']?(?:${KEY})["']?[ \t]*[=:][ \t]*)(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'|([^ \t\r\n][^\r\n]*?))([ \t]*,?[ \t]*\r?)$`,
  'gim',
);
/** Directives whose value follows a space: redis `requirepass x`, LDAP `bindpw x`, `rootpw x`. */
const KEY_SPACE_LINE = /^([ \t]*(?:[#;]+[ \t]*)?(?:requirepass|masterauth|bindpw|rootpw)[ \t]+)([^ \t\r\n][^\r\n]*?)([ \t]*\r?)$/gim;
/** A YAML block scalar under a secret key (`password: |` and the more indented lines below). */
const YAML_BLOCK = new RegExp(String.raw`^([ \t]*)(["']?(?:${KEY})["']?[ \t]*:[ \t]*[|>][+-]?\d*[ \t]*\r?\n)((?:\1[ \t]+[^\n]*(?:\n|$)|[ \t]*\r?\n)*)`, 'gim');
/** `--password=value` or `--password value` in a command line (a cron job, a unit's ExecStart). */
const OPTION_VALUE = new RegExp(String.raw`(--(?:${KEY})[= ])("[^"\n]*"|'[^'\n]*'|[^\s"']+)`, 'gi');
/** `"password": "value"` anywhere (minified JSON). */
const JSON_PAIR = new RegExp(String.raw`("(?:${KEY})"\s*:\s*")((?:[^"\\\n]|\\.)*)(")`, 'gi');
/** `<password>value</password>` on one line. */
const XML_ELEMENT = new RegExp(String.raw`(<(${KEY})>)([^<\n]*)(</\2>)`, 'gi');
/** OpenVPN inline keys and credentials: `<tls-auth>…</tls-auth>`, `<key>`, `<secret>`… */
const OPENVPN_INLINE = /(<(key|tls-auth|tls-crypt|tls-crypt-v2|secret|pkcs12|auth-user-pass|http-proxy-user-pass)>)([\s\S]*?)(<\/\2>|$(?![\s\S]))/gi;
/** `scheme://user:password@host`. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)([^\s/@]+)(@)/gi;
/** Password hashes: crypt(3) ($1$, $5$, $6$, bcrypt, yescrypt, argon2…), LDAP/htpasswd {SSHA}, GRUB PBKDF2. */
const PASSWORD_HASHES: readonly RegExp[] = [
  /\$(?:1|2[abxy]|5|6|7|y|gy|apr1|md5|sha1|scrypt|argon2(?:id|i|d)|pbkdf2[\w-]*)\$[./A-Za-z0-9$=+,-]{20,}/g,
  /\{(?:S?SHA\d*|S?MD5|CRYPT|PBKDF2[\w-]*|ARGON2|BLF-CRYPT|SHA\d+-CRYPT)\}[./A-Za-z0-9$=+,-]{16,}/gi,
  /\bgrub\.pbkdf2\.sha\d+\.\d+\.[0-9A-Fa-f.]+/g,
];
/** Tokens recognisable by their form wherever they stand. */
const TOKENS: readonly RegExp[] = [
  /\bAGE-SECRET-KEY-1[0-9A-Z]{20,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
];

/** The configured additions to the built-in rules. */
export interface SecretRules {
  /** Built-in and configured `secret_paths`. */
  readonly paths: GlobSet;
  /** Configured `secret_patterns`, compiled (flags `gmd`). */
  readonly patterns: readonly RegExp[];
}

/** Compile one configured pattern, or say what is wrong with it. */
export function compileSecretPattern(source: string): RegExp | string {
  let re: RegExp;
  try {
    re = new RegExp(source, 'gmd');
  } catch (err) {
    return `bad pattern "${source}": ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`;
  }
  if (new RegExp(source, 'm').test('')) return `bad pattern "${source}": it matches the empty text`;
  return re;
}

/** For `OptionSpec.check`: a list of secret patterns → the first error, if any. */
export function checkSecretPatterns(value: unknown): string | undefined {
  for (const p of Array.isArray(value) ? value : [value]) {
    if (typeof p !== 'string') return 'expected a regular expression';
    const r = compileSecretPattern(p);
    if (typeof r === 'string') return r;
  }
  return undefined;
}

/** The rules with the configured additions (already validated). */
export function secretRules(paths: readonly string[] = [], patterns: readonly string[] = []): SecretRules {
  return {
    paths: new GlobSet([...BUILTIN_SECRET_PATHS, ...paths]),
    patterns: patterns.map((p) => {
      const r = compileSecretPattern(p);
      if (typeof r === 'string') throw new Error(r);
      return r;
    }),
  };
}

/** The built-in rules alone. */
export const BUILTIN_RULES = secretRules();

/** Whether a file is secret as a whole by its path. */
export function isSecretPath(rules: SecretRules, path: string): boolean {
  return rules.paths.test(path);
}

/**
 * Whether bytes hold key material that makes the whole file secret: a PEM private key, an
 * ssh.com or PuTTY key, an OpenVPN static key, a GnuPG private key, a private JWK. Checked on
 * any bytes (also those that are not UTF-8 text).
 */
export function holdsSecretKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/.test(text) || holdsKeyFile(text);
}

/** The key formats other than PEM that make a whole text secret. */
function holdsKeyFile(text: string): boolean {
  if (SECRET_FILE_CONTENT.some((re) => re.test(text))) return true;
  return JWK_TYPE.test(text) && JWK_PRIVATE.test(text);
}

export interface Redaction {
  /** The text with each secret value replaced by REDACTED. */
  text: string;
  /** How many values were replaced. */
  count: number;
  /** The text is a key file: keep nothing of it (conffile `stored = secret`). */
  secretFile: boolean;
}

/**
 * Replace each secret value in a text by REDACTED. OpenVPN inline keys (`<key>`, `<tls-auth>`…)
 * are replaced whole; a text that holds any other private key is a secret file.
 */
export function redactText(text: string, rules: SecretRules = BUILTIN_RULES): Redaction {
  let count = 0;
  let out = text;
  const sub = (re: RegExp, fn: (...m: string[]) => string): void => {
    re.lastIndex = 0;
    out = out.replace(re, (...args: unknown[]) => {
      count++;
      return fn(...(args.slice(0, -2) as string[]).map((s) => s ?? ''));
    });
  };
  // OpenVPN inline blocks first: they may hold PEM private keys and static keys.
  sub(OPENVPN_INLINE, (_m, open, _tag, _body, close) => `${open}\n${REDACTED}\n${close}`);
  // Any other private key (PEM, ssh.com, PuTTY, OpenVPN static, GnuPG, JWK): a key file.
  if (holdsSecretKey(out)) return { text: '', count: count + 1, secretFile: true };
  sub(YAML_BLOCK, (_m, indent, head) => `${indent}${head}${indent}  ${REDACTED}\n`);
  sub(JSON_PAIR, (_m, open, _v, close) => `${open}${REDACTED}${close}`);
  sub(XML_ELEMENT, (_m, open, _tag, _v, close) => `${open}${REDACTED}${close}`);
  KEY_VALUE_LINE.lastIndex = 0;
  out = out.replace(KEY_VALUE_LINE, (m, head: string, dq?: string, sq?: string, bare?: string, tail?: string) => {
    const value = dq ?? sq ?? bare ?? '';
    if (value === REDACTED || /^[|>][+-]?\d*$/.test(value)) return m;
    count++;
    const q = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
    return `${head}${q}${REDACTED}${q}${tail ?? ''}`;
  });
  sub(KEY_SPACE_LINE, (_m, head, _v, tail) => `${head}${REDACTED}${tail}`);
  sub(OPTION_VALUE, (_m, head, v) => `${head}${v.startsWith('"') ? `"${REDACTED}"` : v.startsWith("'") ? `'${REDACTED}'` : REDACTED}`);
  sub(URL_PASSWORD, (_m, head, _v, at) => `${head}${REDACTED}${at}`);
  for (const re of [...PASSWORD_HASHES, ...TOKENS]) sub(re, () => REDACTED);
  for (const re of rules.patterns) {
    const r = redactPattern(out, re);
    out = r.text;
    count += r.count;
  }
  return { text: out, count, secretFile: false };
}

/**
 * Replace what a configured pattern matches: its capture groups when it has any (so
 * `^api_key\s*=\s*(.+)$` keeps the key name), else the whole match.
 */
function redactPattern(text: string, re: RegExp): { text: string; count: number } {
  const ranges: [number, number][] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    const idx = m.indices!;
    if (idx.length > 1) {
      for (let g = 1; g < idx.length; g++) if (idx[g] && idx[g]![1] > idx[g]![0]) ranges.push(idx[g]!);
    } else ranges.push(idx[0]!);
  }
  if (!ranges.length) return { text, count: 0 };
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  let count = 0;
  for (const [s, e] of ranges) {
    if (e <= at) continue;
    out += text.slice(at, Math.max(at, s)) + REDACTED;
    at = e;
    count++;
  }
  return { text: out + text.slice(at), count };
}

/**
 * A command's output as it may be stored: secret values replaced, and an output that is a
 * key file (`cat /etc/ssh/ssh_host_ed25519_key`) replaced whole by one marker line.
 */
export function redactOutput(text: string, rules: SecretRules = BUILTIN_RULES): string {
  if (!text) return text;
  const r = redactText(text, rules);
  return r.secretFile ? `${REDACTED} (the output holds a private key)\n` : r.text;
}
