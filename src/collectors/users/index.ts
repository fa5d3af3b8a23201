/**
 * The `users` collector: one item per account of /etc/passwd (`users://<name>`), with the
 * password metadata of /etc/shadow when it can be read. The password itself is classified
 * (`set`, `empty`, `locked`, `none`) and never kept: no hash, no part of one, reaches an item,
 * a note or an error.
 */
import { readFileSync } from 'node:fs';
import type { Attributes, CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { encodePath, fileKey } from '../../keys.js';
import { dayToDate, parsePasswd, parseShadow, type ShadowEntry } from './parse.js';
import { USERS_ITEMS } from './items.js';
import { absolutePath, readFailure } from '../common/index.js';
import { usersSeverity } from './severity.js';

/** Shells that refuse a login; any other shell (an empty one is /bin/sh) counts as usable. */
export const NOLOGIN_SHELLS = ['/usr/sbin/nologin', '/sbin/nologin', '/bin/false', '/usr/bin/false', '/bin/sync', '/usr/bin/sync'];

export const USERS_OPTIONS: OptionSchema = {
  passwd_path: { type: 'string', default: '/etc/passwd', description: 'The passwd file.', check: absolutePath },
  shadow_path: { type: 'string', default: '/etc/shadow', description: 'The shadow file; only its metadata is recorded, never a hash. Unreadable (not root): a note, and no password metadata.', check: absolutePath },
  nologin_shells: { type: 'list', separator: 'commas', default: NOLOGIN_SHELLS, description: 'Shells that refuse a login (login = false).' },
};

export interface UsersOptions {
  passwdPath: string;
  shadowPath: string;
  nologinShells: string[];
}

export function usersOptions(o: Options): UsersOptions {
  return {
    passwdPath: typeof o.passwd_path === 'string' ? o.passwd_path : '/etc/passwd',
    shadowPath: typeof o.shadow_path === 'string' ? o.shadow_path : '/etc/shadow',
    nologinShells: Array.isArray(o.nologin_shells) ? o.nologin_shells.map(String) : NOLOGIN_SHELLS,
  };
}

/** Whether an account's shell lets it log in. */
export function loginShell(shell: string, nologin: readonly string[]): boolean {
  const s = shell.trim() === '' ? '/bin/sh' : shell.trim();
  return !nologin.includes(s);
}

export function userKey(name: string): string {
  return `users://${encodePath(name)}`;
}

/** The collector's `collect`. */
export function collectUsers(ctx: CollectContext, o: UsersOptions): void {
  let passwdText: string;
  try {
    passwdText = readFileSync(o.passwdPath, 'utf8');
  } catch (err) {
    ctx.error(fileKey(o.passwdPath, 'users'), `${o.passwdPath}: ${readFailure(err)}`);
    return;
  }
  const passwd = parsePasswd(passwdText);
  for (const p of passwd.problems) ctx.note(`users: ${o.passwdPath}:${p.line}: ${p.message}; line skipped`);

  let shadow: Map<string, ShadowEntry> | undefined;
  try {
    const parsed = parseShadow(readFileSync(o.shadowPath, 'utf8'));
    for (const p of parsed.problems) ctx.note(`users: ${o.shadowPath}:${p.line}: ${p.message}; line skipped`);
    shadow = new Map();
    for (const e of parsed.entries) {
      if (shadow.has(e.name)) ctx.note(`users: ${o.shadowPath}:${e.line}: second entry for ${e.name} ignored`);
      else shadow.set(e.name, e);
    }
  } catch (err) {
    ctx.note(`users: ${o.shadowPath}: ${readFailure(err)}; password metadata not recorded`);
  }

  const seen = new Set<string>();
  for (const u of passwd.entries) {
    if (seen.has(u.name)) {
      ctx.note(`users: ${o.passwdPath}:${u.line}: second entry for ${u.name} ignored (the system uses the first)`);
      continue;
    }
    seen.add(u.name);
    const attributes: Attributes = {
      uid: u.uid,
      gid: u.gid,
      gecos: u.gecos,
      home: u.home,
      shell: u.shell,
      login: loginShell(u.shell, o.nologinShells),
    };
    const s = shadow?.get(u.name);
    if (u.password !== 'shadow') {
      // A password field in passwd itself wins over shadow, as glibc does.
      attributes.password = u.password;
      attributes.password_in_passwd = true;
    } else if (shadow) {
      attributes.password = s ? s.password : 'none';
    }
    if (s) {
      attributes.last_change = s.lastChange === 0 ? 'must change' : dayToDate(s.lastChange);
      attributes.min = s.min;
      attributes.max = s.max;
      attributes.warn = s.warn;
      attributes.inactive = s.inactive;
      attributes.expire = dayToDate(s.expire);
    }
    ctx.add({ key: userKey(u.name), attributes });
  }
  if (shadow) {
    for (const name of shadow.keys()) {
      if (!seen.has(name)) ctx.note(`users: ${o.shadowPath}: entry for ${name} has no account in ${o.passwdPath}`);
    }
  }
}

export const usersCollector: Collector = {
  name: 'users',
  description: 'Accounts from passwd with shadow password metadata (set, empty, locked, none; ageing), never a hash.',
  options: USERS_OPTIONS,
  items: USERS_ITEMS,
  severity: usersSeverity,
  async collect(ctx, options) {
    collectUsers(ctx, usersOptions(options));
  },
};
