/**
 * Sessions from wtmpdb (`/var/lib/wtmpdb/wtmp.db`, Debian 13): SQLite table `wtmp` with
 * `Type` (1 boot, 3 user), `User`, `Login`, `Logout` (microseconds since the epoch), `TTY`,
 * `RemoteHost`, `Service`. A boot row's Login is the boot and its Logout the shutdown.
 */
import Database from 'better-sqlite3';
import type { Session } from './sessions.js';

/** A row of the `wtmp` table. */
export interface WtmpdbRow {
  ID: number;
  Type: number;
  User: string;
  Login: number | null;
  Logout: number | null;
  TTY: string | null;
  RemoteHost: string | null;
  Service: string | null;
}

const WTMPDB_BOOT = 1;
const WTMPDB_USER = 3;

/**
 * Sessions from rows (pure). A user row without Logout is open, unless a later boot exists:
 * then it ended with that boot's previous shutdown ("reboot") or, without one, "crash".
 */
export function wtmpdbSessions(rows: readonly WtmpdbRow[]): Session[] {
  const boots = rows
    .filter((r) => r.Type === WTMPDB_BOOT && typeof r.Login === 'number')
    .sort((a, b) => a.Login! - b.Login!);
  const out: Session[] = [];
  for (const r of rows) {
    if (r.Type !== WTMPDB_USER || typeof r.Login !== 'number') continue;
    const s: Session = {
      user: r.User,
      line: r.TTY ?? '',
      host: r.RemoteHost ?? '',
      login: r.Login,
      logout: typeof r.Logout === 'number' ? r.Logout : null,
      end: typeof r.Logout === 'number' ? 'logout' : null,
    };
    if (s.logout === null) {
      const next = boots.findIndex((b) => b.Login! > s.login);
      if (next >= 0) {
        const current = next > 0 ? boots[next - 1]! : undefined;
        if (current && typeof current.Logout === 'number' && current.Logout >= s.login && current.Logout <= boots[next]!.Login!) {
          s.logout = current.Logout;
          s.end = 'reboot';
        } else {
          s.logout = boots[next]!.Login!;
          s.end = 'crash';
        }
      }
    }
    out.push(s);
  }
  return out;
}

/** All rows of a wtmpdb file, opened read-only. Throws when it is not a wtmpdb database. */
export function readWtmpdb(path: string): { sessions: Session[]; oldest: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT ID, Type, User, Login, Logout, TTY, RemoteHost, Service FROM wtmp ORDER BY ID').all() as WtmpdbRow[];
    let oldest = Infinity;
    for (const r of rows) if (typeof r.Login === 'number' && r.Login < oldest) oldest = r.Login;
    return { sessions: wtmpdbSessions(rows), oldest };
  } finally {
    db.close();
  }
}
