/**
 * The `mysql_users` collector: one item per account and role of a local MariaDB or MySQL server
 * (`mysql_users://<user>@<host>`): its authentication plugins, whether its password is empty,
 * and its grants as SHOW GRANTS prints them, normalised. It asks the server through the
 * `mariadb` (or `mysql`) client on the unix socket. Credentials come from an option file
 * (debian.cnf by default) that must be a regular file, not a symlink anywhere on its path,
 * owned by root (or the user running syschangemon) and unreadable by others; they are copied to
 * a private temporary file for the client and never reach an item, a note or a command line.
 * No password or hash is ever selected: the query asks the server for the state of each
 * authentication string, and the IDENTIFIED clause of SHOW GRANTS is cut out.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Attributes, CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { encodePath } from '../../keys.js';
import { absolutePath, errText, optionValues } from '../common/index.js';
import { readNoFollow } from '../ssh_keys/index.js';
import { type AuthState, batchRows, normaliseGrant, optionFileValue, parseOptionFile, passwordState, sqlString } from './parse.js';
import { MYSQL_USERS_ITEMS } from './items.js';
import { mysqlUsersSeverity } from './severity.js';

export const MYSQL_USERS_OPTIONS: OptionSchema = {
  socket: { type: 'string', default: '/run/mysqld/mysqld.sock', description: 'The server\'s unix socket. Absent: a note ("no server"), no error.', check: absolutePath },
  defaults_file: {
    type: 'string',
    default: '/etc/mysql/debian.cnf',
    description: 'Option file with the [client] user and password. It must be a regular file (no symlink on its path), owned by root or the running user, with no access for group or others. Empty, or absent: connect on the socket as the running user (unix_socket authentication).',
    check: (v) => (v === '' ? undefined : absolutePath(v)),
  },
  user: { type: 'string', default: '', description: 'Connect as this account instead of the user of defaults_file (or the running user).' },
  client: { type: 'string', default: '', description: 'The client program; empty: mariadb, else mysql, from PATH, /usr/bin or /usr/local/bin.', check: (v) => (v === '' ? undefined : absolutePath(v)) },
  timeout: { type: 'duration', default: 30, description: 'Seconds one client run may take before it is killed.' },
};

export interface MysqlUsersOptions {
  socket: string;
  defaultsFile: string;
  user: string;
  client: string;
  timeout: number;
}

export function mysqlUsersOptions(o: Options): MysqlUsersOptions {
  const v = optionValues(MYSQL_USERS_OPTIONS, o);
  return { socket: v.string('socket', { nonEmpty: true }), defaultsFile: v.string('defaults_file'), user: v.string('user'), client: v.string('client'), timeout: v.number('timeout') };
}

export function mysqlUserKey(user: string, host: string): string {
  return `mysql_users://${encodePath(user).replace(/@/g, '%40')}@${encodePath(host)}`;
}

function findClient(configured: string): string | undefined {
  if (configured) return configured;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d)), '/usr/bin', '/usr/local/bin'];
  for (const name of ['mariadb', 'mysql']) {
    for (const d of dirs) {
      try {
        accessSync(join(d, name), constants.X_OK);
        return join(d, name);
      } catch { /* next */ }
    }
  }
  return undefined;
}

/** Thrown when the server does not answer (no socket, refused): a note, not an error. */
class NoServer extends Error {}

interface Client {
  run(sql: string): Promise<{ stdout: string; stderr: string; code: number | null }>;
}

function runClient(bin: string, args: string[], sql: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Nothing of ours (MYSQL_PWD, MYSQL_HOST, ~/.my.cnf) reaches the client.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: '/nonexistent' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > 256 * 1024 * 1024) child.kill('SIGKILL');
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => err.length < 1000 && err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (signal) reject(new Error(`${bin} was killed (${signal}) after ${Math.round(timeoutMs / 1000)}s or too much output`));
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr, code });
    });
    child.stdin.on('error', () => { /* the client exited early; its stderr says why */ });
    child.stdin.end(sql);
  });
}

const firstLine = (s: string) => s.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 300) ?? '';

/** Credentials from the option file, checked: undefined when it does not exist. */
function readCredentials(path: string): ReturnType<typeof parseOptionFile> | undefined {
  const file = readNoFollow(path, 64 * 1024);
  if (!file) return undefined;
  const uid = process.geteuid?.() ?? 0;
  if (file.uid !== 0 && file.uid !== uid) throw new Error(`${path}: owned by uid ${file.uid}, not root; not used`);
  if ((file.mode & 0o077) !== 0) throw new Error(`${path}: mode ${file.mode.toString(8).padStart(4, '0')} lets group or others read it; expected 0600 or 0400; not used`);
  return parseOptionFile(file.text);
}

/** A private option file for the client (mode 0600 in a 0700 directory), removed by the returned function. */
function privateOptionFile(lines: string[]): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'syschangemon-mysql-'));
  const path = join(dir, 'client.cnf');
  try {
    writeFileSync(path, `[client]\n${lines.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const STATE = (x: string) => `CASE WHEN ${x} IS NULL THEN 'null' WHEN ${x} = '' THEN 'empty' WHEN ${x} = 'invalid' THEN 'invalid' WHEN ${x} REGEXP '^[*][0-9A-Fa-f]{40}$' THEN 'hash' ELSE 'other' END`;
const AUTH_OR = 4;

/** The account query: MariaDB 10.4+ (global_priv, roles, auth_or alternatives) or MySQL 5.7+/8. */
function accountsQuery(mariadb: boolean): string {
  if (mariadb) {
    const alts = Array.from({ length: AUTH_OR }, (_, i) => {
      const p = `g.Priv, '$.auth_or[${i}]`;
      return `IFNULL(JSON_LENGTH(${p}'), -1), IFNULL(JSON_VALUE(${p}.plugin'), ''), ${STATE(`JSON_VALUE(${p}.authentication_string')`)}`;
    }).join(', ');
    return `SELECT u.User, u.Host, IFNULL(u.plugin, ''), ${STATE('u.authentication_string')}, u.is_role, u.password_expired, IFNULL(JSON_VALUE(g.Priv, '$.account_locked'), 'false'), IFNULL(JSON_LENGTH(g.Priv, '$.auth_or'), 0), ${alts} FROM mysql.user u LEFT JOIN mysql.global_priv g ON g.User = u.User AND g.Host = u.Host ORDER BY u.User, u.Host;`;
  }
  return `SELECT User, Host, IFNULL(plugin, ''), ${STATE('authentication_string')}, 'N', password_expired, IF(account_locked = 'Y', 'true', 'false'), 0 FROM mysql.user ORDER BY User, Host;`;
}

interface Account {
  user: string;
  host: string;
  role: boolean;
  methods: { plugin: string; auth: AuthState }[];
  locked: boolean;
  expired: boolean;
  more: boolean;
}

function parseAccounts(out: string): Account[] {
  const accounts: Account[] = [];
  for (const r of batchRows(out)) {
    const [user, host, plugin, auth, isRole, expired, locked, orCount, ...alts] = r;
    const role = isRole === 'Y';
    const main = { plugin: plugin ?? '', auth: (auth ?? 'null') as AuthState };
    const methods: Account['methods'] = [];
    const n = Number(orCount ?? 0);
    for (let i = 0; i < Math.min(n, AUTH_OR); i++) {
      const [len, p, a] = alts.slice(i * 3, i * 3 + 3);
      // {} in auth_or stands for the account's own (top-level) method.
      methods.push(len === '0' || !p ? main : { plugin: p, auth: (a ?? 'null') as AuthState });
    }
    if (methods.length === 0 && !role) methods.push(main);
    accounts.push({ user: user ?? '', host: host ?? '', role, methods, locked: locked === 'true' || locked === '1', expired: expired === 'Y', more: n > AUTH_OR });
  }
  return accounts;
}

/** The collector's `collect`. */
export async function collectMysqlUsers(ctx: CollectContext, o: MysqlUsersOptions): Promise<void> {
  const socketGone = (why: string) => {
    if (ctx.previousSessionStartedAt !== undefined) {
      const kept = ctx.carryPrevious();
      ctx.note(`mysql_users: ${why}; no server answers${kept ? `, the last ${kept} account${kept === 1 ? '' : 's'} kept` : ''}`);
    } else ctx.note(`mysql_users: ${why}; no server answers, nothing recorded`);
  };
  try {
    if (!lstatSync(o.socket).isSocket()) return socketGone(`${o.socket} is not a socket`);
  } catch (err) {
    return socketGone(`${o.socket}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : errText(err)}`);
  }
  const bin = findClient(o.client);
  if (!bin) {
    ctx.note('mysql_users: no mariadb or mysql client (Debian: apt install mariadb-client); nothing recorded');
    return;
  }
  let creds: ReturnType<typeof parseOptionFile> | undefined;
  if (o.defaultsFile) {
    creds = readCredentials(o.defaultsFile);
    for (const p of creds?.problems ?? []) ctx.note(`mysql_users: ${o.defaultsFile}:${p.line}: ${p.message}`);
    if (!creds) ctx.debug(`${o.defaultsFile} does not exist; connecting as the running user`);
  }
  const user = o.user || creds?.creds.user || userInfo().username;
  const lines = [`user=${optionFileValue(user)}`, `socket=${optionFileValue(o.socket)}`, 'protocol=socket'];
  if (creds?.creds.password !== undefined && creds.creds.password !== '') lines.push(`password=${optionFileValue(creds.creds.password)}`);
  const opt = privateOptionFile(lines);
  try {
    const args = [`--defaults-file=${opt.path}`, '--batch', '--skip-column-names', `--connect-timeout=${Math.max(1, Math.min(o.timeout, 3600))}`];
    const client: Client = { run: (sql) => runClient(bin, args, sql, o.timeout * 1000) };
    const fail = (r: { stderr: string; code: number | null }, what: string) => {
      const line = firstLine(r.stderr);
      if (/ERROR 200[23]\b/.test(line)) throw new NoServer(line);
      throw new Error(`${what}: ${line || `${bin} exited with ${r.code}`}`);
    };
    const head = await client.run("SELECT VERSION(), (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'global_priv');\n");
    if (head.code !== 0) fail(head, `connecting as ${user}`);
    const [version, gp] = batchRows(head.stdout)[0] ?? [];
    const mariadb = gp === '1';
    ctx.debug(`server ${version ?? '?'}, ${mariadb ? 'MariaDB' : 'MySQL'} account tables`);
    const acc = await client.run(accountsQuery(mariadb) + '\n');
    if (acc.code !== 0) fail(acc, 'reading mysql.user');
    const accounts = parseAccounts(acc.stdout);

    // One client run for every account's grants, a marker row before each; with --force an
    // account whose SHOW GRANTS fails is reported on its own ("at line N").
    const marker = `scm-${randomBytes(8).toString('hex')}`;
    const sql = ["SET SESSION sql_mode = '';"];
    const lineOf = new Map<number, number>();
    accounts.forEach((a, i) => {
      sql.push(`SELECT '${marker} ${i}';`);
      lineOf.set(sql.length + 1, i);
      sql.push(a.role && a.host === '' ? `SHOW GRANTS FOR ${sqlString(a.user)};` : `SHOW GRANTS FOR ${sqlString(a.user)}@${sqlString(a.host)};`);
    });
    const g = accounts.length ? await runClient(bin, [...args, '--force'], sql.join('\n') + '\n', o.timeout * 1000) : { stdout: '', stderr: '', code: 0 };
    const grants = accounts.map(() => [] as string[]);
    let cur = -1;
    for (const row of batchRows(g.stdout)) {
      const f = row[0] ?? '';
      if (row.length === 1 && f.startsWith(`${marker} `)) cur = Number(f.slice(marker.length + 1));
      else if (cur >= 0) grants[cur]!.push(normaliseGrant(f));
    }
    const failed = new Map<number, string>();
    for (const l of g.stderr.split('\n')) {
      const m = /^ERROR (\d+) \([0-9A-Z]+\) at line (\d+)(?: in file: '[^']*')?: (.*)$/.exec(l.trim());
      if (m) {
        const i = lineOf.get(Number(m[2]));
        if (i !== undefined) failed.set(i, `SHOW GRANTS failed: ERROR ${m[1]}: ${m[3]!.slice(0, 200)}`);
      } else if (/ERROR 200[236]\b/.test(l)) throw new Error(`reading grants: ${l.trim().slice(0, 300)}`);
    }
    accounts.forEach((a, i) => {
      const password = passwordState(a.methods, a.role);
      const attributes: Attributes = {
        user: a.user,
        host: a.host,
        role: a.role,
        plugin: [...new Set(a.methods.map((m) => m.plugin))].join(','),
        password,
        empty_password: password === 'empty',
        locked: a.locked,
        password_expired: a.expired,
        grants: [...new Set(grants[i])].sort().join('\n'),
      };
      const key = mysqlUserKey(a.user, a.host);
      if (a.more) ctx.note(`mysql_users: ${key} has more than ${AUTH_OR} authentication methods; the first ${AUTH_OR} recorded`);
      ctx.add({ key, attributes, ...(failed.has(i) ? { error: failed.get(i)! } : {}) });
    });
  } catch (err) {
    if (err instanceof NoServer) return socketGone(`${o.socket}: ${err.message}`);
    throw err;
  } finally {
    opt.remove();
  }
}

export const mysqlUsersCollector: Collector = {
  name: 'mysql_users',
  description: 'Accounts and roles of a local MariaDB/MySQL server: authentication plugins, empty passwords, grants.',
  options: MYSQL_USERS_OPTIONS,
  items: MYSQL_USERS_ITEMS,
  severity: mysqlUsersSeverity,
  async collect(ctx, options) {
    await collectMysqlUsers(ctx, mysqlUsersOptions(options));
  },
};
