/**
 * Who is accepting: the login uid the kernel keeps for the session (`/proc/self/loginuid`,
 * set at login and kept across su and sudo, so root reached through sudo still names the
 * person), else `SUDO_USER`, else the user running the program.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Acceptor } from '../store/accepted.js';

const UNSET = 4294967295;

/** The name of a uid from a passwd file, if it has one. */
export function userName(uid: number, passwd = '/etc/passwd'): string | undefined {
  try {
    for (const line of fs.readFileSync(passwd, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[0]) return f[0];
    }
  } catch {
    // unreadable: the number is recorded
  }
  return undefined;
}

export function currentAcceptor(env: NodeJS.ProcessEnv = process.env, loginuidFile = '/proc/self/loginuid'): Acceptor {
  const sudo = env.SUDO_USER && /^[A-Za-z0-9._-]{1,64}$/.test(env.SUDO_USER) ? env.SUDO_USER : undefined;
  let login: number | undefined;
  try {
    const n = Number(fs.readFileSync(loginuidFile, 'utf8').trim());
    if (Number.isInteger(n) && n >= 0 && n !== UNSET) login = n;
  } catch {
    // no audit login uid (a container, or no pam_loginuid)
  }
  if (login !== undefined) {
    const name = userName(login) ?? `uid ${login}`;
    return { user: name, uid: login, via: sudo && sudo !== name ? `loginuid (SUDO_USER=${sudo})` : 'loginuid' };
  }
  const uid = process.getuid?.() ?? null;
  if (sudo) return { user: sudo, uid: userUid(sudo), via: 'SUDO_USER' };
  return { user: safeUser() ?? (uid === null ? 'unknown' : `uid ${uid}`), uid, via: 'uid' };
}

function userUid(name: string, passwd = '/etc/passwd'): number | null {
  try {
    for (const line of fs.readFileSync(passwd, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 3) return Number(f[2]);
    }
  } catch {
    // unreadable
  }
  return null;
}

function safeUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
