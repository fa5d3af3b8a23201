/**
 * A real, unprivileged local user for tests that play an attacker: created with useradd,
 * removed by `remove()` (which kills what `spawnSh` started). Root only.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** Run a shell command line as the user; returns its exit code and output. */
  sh(line: string, env?: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string };
  /** Start a shell command line as the user in the background. */
  spawnSh(line: string): ChildProcess;
  remove(): void;
}

let n = 0;

export function createUser(prefix = 'scmt'): TestUser {
  const name = `${prefix}${process.pid % 100000}${n++}`.slice(0, 31);
  execFileSync('useradd', ['-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', '-U', name], { stdio: 'pipe' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  // setpriv execs the command itself, so a spawned child's pid is the user's process.
  const as = ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', 'sh', '-c'];
  const children: ChildProcess[] = [];
  return {
    name,
    uid,
    gid,
    sh(line, env) {
      const r = spawnSync('setpriv', [...as, line], {
        encoding: 'utf8',
        cwd: '/',
        env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    spawnSh(line) {
      const child = spawn('setpriv', [...as, line], { stdio: 'ignore', cwd: '/', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
      children.push(child);
      return child;
    },
    remove() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      spawnSync('userdel', [name]);
    },
  };
}
