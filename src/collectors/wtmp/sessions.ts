/**
 * Pairs wtmp records into login sessions, as `last` does: a USER_PROCESS opens a session on
 * its line; a DEAD_PROCESS on that line (or the next USER_PROCESS there) closes it; a
 * shutdown closes every open session ("reboot"), and a boot that finds sessions still open
 * closes them as "crash" at the boot's time.
 */
import { UT, type WtmpRecord } from './parse.js';

/** How a session ended; null while it is open. */
export type SessionEnd = 'logout' | 'reboot' | 'crash' | null;

/** One login session. Times are microseconds since the epoch. */
export interface Session {
  user: string;
  line: string;
  host: string;
  login: number;
  logout: number | null;
  end: SessionEnd;
}

/** Whether a record is a shutdown: RUN_LVL written by `shutdown` on line `~`. */
function isShutdown(r: WtmpRecord): boolean {
  return r.type === UT.RUN_LVL && r.user === 'shutdown' && r.line === '~';
}

/**
 * Sessions from records in file order. `open` are sessions still open from records no longer
 * read (rotated away); later records may close them. Returns every session, open ones last
 * in their login order.
 */
export function pairSessions(records: Iterable<WtmpRecord>, open: readonly Session[] = []): Session[] {
  const done: Session[] = [];
  const byLine = new Map<string, Session>();
  const close = (s: Session, at: number, end: Exclude<SessionEnd, null>) => {
    s.logout = at;
    s.end = end;
    done.push(s);
  };
  for (const s of [...open].sort((a, b) => a.login - b.login)) {
    const prev = byLine.get(s.line);
    if (prev) done.push(prev);
    byLine.set(s.line, { ...s });
  }
  const closeAll = (at: number, end: 'reboot' | 'crash') => {
    for (const s of byLine.values()) close(s, at, end);
    byLine.clear();
  };
  for (const r of records) {
    if (r.type === UT.USER_PROCESS) {
      const prev = byLine.get(r.line);
      if (prev) close(prev, r.time, 'logout');
      byLine.set(r.line, { user: r.user, line: r.line, host: r.host || r.addr, login: r.time, logout: null, end: null });
    } else if (r.type === UT.DEAD_PROCESS) {
      const s = byLine.get(r.line);
      if (s) {
        close(s, r.time, 'logout');
        byLine.delete(r.line);
      }
    } else if (r.type === UT.BOOT_TIME) {
      closeAll(r.time, 'crash');
    } else if (isShutdown(r)) {
      closeAll(r.time, 'reboot');
    }
  }
  return [...done, ...[...byLine.values()].sort((a, b) => a.login - b.login)];
}
