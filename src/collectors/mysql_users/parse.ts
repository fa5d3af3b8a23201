/**
 * The pure parts of mysql_users: option files (`[client]` of debian.cnf), the client's batch
 * output, grant normalisation (the IDENTIFIED clause, which holds a password hash, is cut out)
 * and the password state of an account. No I/O.
 */

export interface ClientCredentials {
  user?: string;
  password?: string;
  socket?: string;
}

/** Sections of an option file a client reads. */
const CLIENT_SECTIONS = new Set(['client', 'client-server', 'client-mariadb', 'mysql', 'mariadb-client']);

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    const inner = v.slice(1, -1);
    return inner.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', b: '\b', s: ' ' } as Record<string, string>)[c] ?? c);
  }
  return v;
}

/**
 * `user`, `password` and `socket` of the client sections of an option file (the last value
 * wins, as the client reads them). Problems name the line, never its text (it may be a password).
 */
export function parseOptionFile(text: string): { creds: ClientCredentials; problems: { line: number; message: string }[] } {
  const creds: ClientCredentials = {};
  const problems: { line: number; message: string }[] = [];
  let inClient = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('!')) return; // !include, !includedir: not followed
    const sec = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
    if (sec) {
      inClient = CLIENT_SECTIONS.has(sec[1]!.trim().toLowerCase());
      return;
    }
    if (!inClient) return;
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).trim().toLowerCase().replace(/_/g, '-');
    if (eq < 0) {
      if (name === 'password') problems.push({ line: i + 1, message: 'password without a value (the client would ask for one); ignored' });
      return;
    }
    const value = unquote(line.slice(eq + 1).trim());
    if (name === 'user') creds.user = value;
    else if (name === 'password') creds.password = value;
    else if (name === 'socket') creds.socket = value;
  });
  return { creds, problems };
}

/** A value for an option file the client reads: double-quoted, `\` and `"` escaped. */
export function optionFileValue(v: string): string {
  if (/[\n\r\0]/.test(v)) throw new Error('a credential holds a line break or NUL; not usable in an option file');
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One field of `--batch` output: `\\`, `\t`, `\n`, `\0` unescaped; `NULL` is null. */
export function batchField(f: string): string | null {
  if (f === 'NULL') return null;
  return f.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', '0': '\0', '\\': '\\' } as Record<string, string>)[c] ?? `\\${c}`);
}

export function batchRows(out: string): (string | null)[][] {
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t').map(batchField));
}

/** A string literal for SQL in any sql_mode: quotes doubled, backslashes written as `\\` only when the session allows (we set sql_mode ''). */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\0/g, '\\0')}'`;
}

interface Token {
  text: string;
  quoted: boolean;
}

function tokens(stmt: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < stmt.length) {
    const c = stmt[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < stmt.length) {
        if (stmt[j] === '\\' && c !== '`') j += 2;
        else if (stmt[j] === c && stmt[j + 1] === c) j += 2;
        else if (stmt[j] === c) break;
        else j++;
      }
      // A quoted name may run into the next part (`bob`@`localhost`): keep them one token.
      let k = Math.min(j + 1, stmt.length);
      while (k < stmt.length && !/\s/.test(stmt[k]!) && stmt[k] !== ',') k++;
      out.push({ text: stmt.slice(i, k), quoted: true });
      i = k;
      continue;
    }
    let j = i;
    while (j < stmt.length && !/\s/.test(stmt[j]!)) {
      if (stmt[j] === "'" || stmt[j] === '`' || stmt[j] === '"') {
        const q = stmt[j]!;
        j++;
        while (j < stmt.length && stmt[j] !== q) j += stmt[j] === '\\' && q !== '`' ? 2 : 1;
      }
      j++;
    }
    out.push({ text: stmt.slice(i, j), quoted: false });
    i = j;
  }
  return out;
}

/**
 * A grant as SHOW GRANTS prints it, normalised: whitespace collapsed, names quoted with
 * backticks as MariaDB prints them, and the `IDENTIFIED BY PASSWORD '…'` / `IDENTIFIED VIA …
 * USING '…'` clause cut out (it holds the password hash; the account's plugins and password
 * state are recorded on their own).
 */
export function normaliseGrant(stmt: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const tok of tokens(stmt.trim().replace(/;$/, ''))) {
    const word = tok.quoted ? '' : tok.text.toUpperCase();
    if (word === 'IDENTIFIED') {
      skipping = true;
      continue;
    }
    if (skipping && word !== 'REQUIRE' && word !== 'WITH') continue;
    skipping = false;
    const grantee = /^'((?:[^'\\]|'')*)'@'((?:[^'\\]|'')*)'$/.exec(tok.text);
    out.push(grantee ? `\`${grantee[1]!.replace(/''/g, "'")}\`@\`${grantee[2]!.replace(/''/g, "'")}\`` : tok.text);
  }
  return out.join(' ');
}

/** The state of one authentication string as the query reports it (never the string itself). */
export type AuthState = 'null' | 'empty' | 'invalid' | 'hash' | 'other';

/** Plugins that check a password (an empty authentication string: no password at all). */
export const PASSWORD_PLUGINS = new Set(['', 'mysql_native_password', 'mysql_old_password', 'caching_sha2_password', 'sha256_password', 'ed25519', 'parsec', 'mysql_clear_password']);

/**
 * The password state of an account from its authentication methods (plugin and the state of its
 * string): `empty` when any password method has an empty string (anyone may log in with no
 * password), else `set` when one has a usable string, `invalid` when every password method has
 * a string no password matches, `none` when no method uses a password (unix_socket, roles).
 */
export function passwordState(methods: { plugin: string; auth: AuthState }[], role: boolean): 'set' | 'empty' | 'invalid' | 'none' {
  if (role) return 'none';
  const pw = methods.filter((m) => PASSWORD_PLUGINS.has(m.plugin));
  if (pw.length === 0) return 'none';
  if (pw.some((m) => m.auth === 'empty' || m.auth === 'null')) return 'empty';
  if (pw.some((m) => m.auth === 'hash' || (m.auth === 'other' && m.plugin !== 'mysql_native_password'))) return 'set';
  return 'invalid';
}
