/**
 * The report hook's pure part: which login sessions were active during the compared
 * interval, and which were open when a changed thing got its new ctime/mtime.
 */
import type { LoginSession, Report, ReportChange } from '../../core/report-model.js';
import type { StoredItem } from '../../types.js';
import { isoToMicros } from './time.js';

/** A login session of a stored wtmp item; undefined for an error item or bad attributes. */
export function loginOf(item: StoredItem): LoginSession | undefined {
  const a = item.attributes;
  if (item.error || typeof a.login !== 'string' || Number.isNaN(isoToMicros(a.login))) return undefined;
  return {
    user: String(a.user ?? ''),
    line: String(a.line ?? ''),
    host: String(a.host ?? ''),
    login: a.login,
    logout: typeof a.logout === 'string' ? a.logout : null,
  };
}

/** Sessions active at some time within [start, end] (µs), sorted by login. */
export function activeBetween(sessions: readonly LoginSession[], start: number, end: number): LoginSession[] {
  return sessions
    .filter((s) => {
      const login = isoToMicros(s.login);
      const logout = s.logout === null ? null : isoToMicros(s.logout);
      return login <= end && (logout === null || Number.isNaN(logout) || logout >= start);
    })
    .sort((a, b) => isoToMicros(a.login) - isoToMicros(b.login) || a.line.localeCompare(b.line));
}

/** The time a change happened: its new ctime, else its new mtime (µs), if any. */
function changeTime(change: ReportChange): number | undefined {
  for (const name of ['ctime', 'mtime']) {
    const v = change.attributes[name]?.new;
    if (typeof v === 'string') {
      const t = isoToMicros(v);
      if (!Number.isNaN(t)) return t;
    }
  }
  return undefined;
}

/**
 * The report hook's two parts: the sessions active between the old session's start and the
 * new one's finish (`report.logins`), and what each change gets: the sessions open at its new
 * ctime/mtime (`logins`; absent if none).
 */
export function loginsOf(report: Pick<Report, 'old_session' | 'new_session' | 'created_at'>, sessions: readonly LoginSession[]): { logins: LoginSession[]; change(c: ReportChange): void } {
  const startIso = report.old_session?.started_at;
  const endIso = report.new_session?.finished_at ?? report.new_session?.started_at ?? report.created_at;
  const start = startIso ? isoToMicros(startIso) : -Infinity;
  const end = endIso ? isoToMicros(endIso) : Infinity;
  return {
    logins: activeBetween(sessions, Number.isNaN(start) ? -Infinity : start, Number.isNaN(end) ? Infinity : end),
    change(c) {
      const t = changeTime(c);
      if (t === undefined) return;
      const open = activeBetween(sessions, t, t);
      if (open.length > 0) c.logins = open;
    },
  };
}

/** Both parts of loginsOf applied to a report held whole. */
export function enrichLogins(report: Report, sessions: readonly LoginSession[]): void {
  const l = loginsOf(report, sessions);
  report.logins = l.logins;
  for (const change of report.changes) l.change(change);
}
