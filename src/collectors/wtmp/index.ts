/**
 * The `wtmp` collector: one item per login session, paired from /var/log/wtmp (and its
 * rotated `.1`) and from wtmpdb's SQLite database where it exists. Its report hook lists the
 * sessions active between the compared snapshots and those open when each file changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CollectContext, Collector, Item, OptionSchema, Options, StoredItem } from '../../types.js';
import { messageOf } from '../../errors.js';
import { encodePath, fileKey } from '../../keys.js';
import { absolutePath, optionValues } from '../common/index.js';
import { parseWtmp, type WtmpRecord } from './parse.js';
import { pairSessions, type Session, type SessionEnd } from './sessions.js';
import { readWtmpdb } from './wtmpdb.js';
import { loginOf, loginsOf } from './logins.js';
import { isoMicros, isoToMicros } from './time.js';
import { WTMP_ITEMS } from './items.js';

export const WTMP_OPTIONS: OptionSchema = {
  wtmp_path: { type: 'string', default: '/var/log/wtmp', description: 'The wtmp file (glibc utmp records).', check: absolutePath, resolve: 'path' },
  wtmpdb_path: { type: 'string', default: '/var/lib/wtmpdb/wtmp.db', description: 'The wtmpdb SQLite database, read when it exists.', check: absolutePath, resolve: 'path' },
  rotated: { type: 'bool', default: true, description: 'Also read `<wtmp_path>.1`, the file logrotate moved away last.' },
  max_age: {
    type: 'duration', default: 31 * 86400, description: 'Sessions that logged in longer ago than this are not stored (open ones are).',
    check: (v) => (typeof v === 'number' && v > 0 ? undefined : 'expected a duration above zero'),
  },
};

/** Options after defaults. */
export interface WtmpOptions {
  wtmpPath: string;
  wtmpdbPath: string;
  rotated: boolean;
  /** Seconds. */
  maxAge: number;
}

export function wtmpOptions(o: Options): WtmpOptions {
  const v = optionValues(WTMP_OPTIONS, o);
  return { wtmpPath: v.string('wtmp_path'), wtmpdbPath: v.string('wtmpdb_path'), rotated: v.bool('rotated'), maxAge: v.number('max_age') };
}

/** `wtmp://<user>@<line>/<login ISO>`, each part key-encoded. */
export function sessionKey(s: Pick<Session, 'user' | 'line' | 'login'>): string {
  return `wtmp://${encodePath(s.user)}@${encodePath(s.line)}/${isoMicros(s.login)}`;
}

/** The item of a session. */
function sessionItem(s: Session): Item {
  return {
    key: sessionKey(s),
    attributes: {
      user: s.user,
      line: s.line,
      host: s.host,
      login: isoMicros(s.login),
      logout: s.logout === null ? null : isoMicros(s.logout),
      end: s.end,
    },
  };
}

/** The session a stored item holds, if it is a well-formed session item. */
function sessionOfItem(item: StoredItem): Session | undefined {
  const a = item.attributes;
  if (item.error || typeof a.login !== 'string') return undefined;
  const login = isoToMicros(a.login);
  const logout = typeof a.logout === 'string' ? isoToMicros(a.logout) : null;
  if (Number.isNaN(login) || Number.isNaN(logout)) return undefined;
  const end = ['logout', 'reboot', 'crash'].includes(String(a.end)) ? (a.end as SessionEnd) : null;
  return { user: String(a.user ?? ''), line: String(a.line ?? ''), host: String(a.host ?? ''), login, logout, end: logout === null ? null : end ?? 'logout' };
}

/** Read records of one wtmp file; false when it does not exist. */
function readWtmpFile(ctx: CollectContext, path: string, into: WtmpRecord[]): boolean {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    ctx.error(fileKey(path, 'wtmp'), messageOf(err));
    return true;
  }
  const { records, skipped } = parseWtmp(buf);
  if (skipped > 0) ctx.note(`wtmp: ${path}: skipped ${skipped} invalid record${skipped === 1 ? '' : 's'}`);
  ctx.debug(`${path}: ${records.length} records`);
  for (const r of records) into.push(r);
  return true;
}

/** The collector's `collect`, with the clock as a parameter for tests. */
export function collectWtmp(ctx: CollectContext, o: WtmpOptions, nowMicros = Date.now() * 1000): void {
  const cutoff = nowMicros - o.maxAge * 1e6;
  const keep = (s: Session) => s.login >= cutoff || s.logout === null;

  const records: WtmpRecord[] = [];
  if (o.rotated) readWtmpFile(ctx, `${o.wtmpPath}.1`, records);
  const haveWtmp = readWtmpFile(ctx, o.wtmpPath, records);

  let dbSessions: Session[] = [];
  let oldest = Infinity;
  let haveDb = false;
  if (existsSync(o.wtmpdbPath)) {
    haveDb = true;
    try {
      const db = readWtmpdb(o.wtmpdbPath);
      dbSessions = db.sessions;
      oldest = db.oldest;
    } catch (err) {
      ctx.error(fileKey(o.wtmpdbPath, 'wtmp'), `wtmpdb: ${messageOf(err)}`);
    }
  } else {
    ctx.debug(`${o.wtmpdbPath} does not exist`);
  }
  if (!haveWtmp) {
    if (haveDb) ctx.debug(`${o.wtmpPath} does not exist`);
    else ctx.note(`wtmp: ${o.wtmpPath} does not exist`);
  }
  for (const r of records) if (r.time < oldest) oldest = r.time;

  // Sessions whose records logrotate moved beyond what is read stay as they were; open ones
  // among them may still be closed by a later record on their line.
  const seeds: Session[] = [];
  const carried = ctx.carryPrevious((item) => {
    const s = sessionOfItem(item);
    if (!s || !(s.login < oldest) || !keep(s)) return false;
    if (s.logout === null) seeds.push(s);
    return true;
  });
  if (carried > 0) ctx.debug(`kept ${carried} sessions whose records were rotated away`);

  const sessions = [...pairSessions(records, seeds), ...dbSessions].filter(keep).sort((a, b) => a.login - b.login);
  for (const s of sessions) ctx.add(sessionItem(s));
}

export const wtmpCollector: Collector = {
  name: 'wtmp',
  description: 'Login sessions from wtmp and wtmpdb, and who was logged in when things changed.',
  options: WTMP_OPTIONS,
  items: WTMP_ITEMS,
  async collect(ctx, options) {
    collectWtmp(ctx, wtmpOptions(options));
  },
  reportHooks(ctx) {
    const sessions = [];
    for (const item of ctx.newItems('wtmp')) {
      const s = loginOf(item);
      if (s) sessions.push(s);
    }
    const l = loginsOf(ctx.report, sessions);
    ctx.report.logins = l.logins;
    return { change: l.change };
  },
};
