/**
 * A real MariaDB server for tests: a fresh datadir made by mariadb-install-db in a temporary
 * directory, mariadbd on a private socket with networking off, never the system service. Root
 * (the test runs as root) connects through unix_socket authentication.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function haveMariadb(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v mariadbd && command -v mariadb-install-db && command -v mariadb'], { stdio: 'ignore' });
    return process.geteuid?.() === 0;
  } catch {
    return false;
  }
}

export class TestMariadb {
  readonly dir: string;
  readonly socket: string;
  private child: ChildProcess | undefined;

  private constructor(dir: string) {
    this.dir = dir;
    this.socket = join(dir, 'mysqld.sock');
  }

  static async start(): Promise<TestMariadb> {
    const db = new TestMariadb(mkdtempSync(join(tmpdir(), 'scm-mariadb-')));
    const data = join(db.dir, 'data');
    execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'], { stdio: 'ignore' });
    db.child = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, `--socket=${db.socket}`, '--skip-networking', `--pid-file=${join(db.dir, 'mysqld.pid')}`, '--user=root', `--log-error=${join(db.dir, 'error.log')}`, '--innodb-buffer-pool-size=16M', '--skip-log-bin'], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (db.child.exitCode !== null) throw new Error(`mariadbd exited (${db.child.exitCode}); see ${join(db.dir, 'error.log')}`);
      if (existsSync(db.socket) && statSync(db.socket).isSocket()) {
        try {
          db.sql('SELECT 1');
          return db;
        } catch { /* not ready yet */ }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await db.stop();
    throw new Error('mariadbd did not answer within 60s');
  }

  /** Run SQL as root over the socket (on stdin: passwords in it stay off the command line). */
  sql(sql: string): string {
    return execFileSync('mariadb', ['--no-defaults', `--socket=${this.socket}`, '--user=root', '--batch', '--skip-column-names'], { encoding: 'utf8', input: sql, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
