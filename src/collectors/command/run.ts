/**
 * Runs one configured command line: in its own process group (killed whole on timeout), with a
 * fixed environment and stdin closed, capturing at most `maxOutput` bytes of stdout and stderr.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  truncated: boolean;
  /** Why the command did not complete normally (timeout, spawn failure). */
  error?: string;
}

export interface RunOptions {
  shell: string;
  timeoutMs: number;
  maxOutput: number;
}

/** The environment commands run with: stable output, a known PATH, nothing inherited. */
const COMMAND_ENV: NodeJS.ProcessEnv = {
  LC_ALL: 'C',
  LANG: 'C',
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
};

class Capped {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.size += room;
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function runCommand(line: string, opts: RunOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const out = new Capped(opts.maxOutput);
    const err = new Capped(opts.maxOutput);
    let timedOut = false;
    let settled = false;
    let child: ReturnType<typeof spawn>;
    const finish = (r: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    try {
      // The command line is the administrator's own shell text from the config file.
      child = spawn(opts.shell, ['-c', line], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...COMMAND_ENV, HOME: process.env.HOME ?? '/root' },
        cwd: '/',
      });
    } catch (e) {
      resolve({ stdout: '', stderr: '', exitCode: null, signal: null, truncated: false, error: `cannot start ${opts.shell}: ${(e as Error).message}` });
      return;
    }
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      finish({ stdout: out.text(), stderr: err.text(), exitCode: null, signal: null, truncated: false, error: `cannot start ${opts.shell}: ${e.message}` });
    });
    // 'close' waits for the pipes, which a background grandchild may hold open; on timeout the
    // whole group is killed, so 'close' follows.
    child.on('close', (code, signal) => {
      // Leave no stragglers behind in the group (a command that forked into the background).
      killGroup();
      const r: CommandResult = {
        stdout: out.text(),
        stderr: err.text(),
        exitCode: timedOut ? null : code,
        signal: timedOut ? 'SIGKILL' : signal,
        truncated: out.truncated || err.truncated,
      };
      if (timedOut) r.error = `timed out after ${opts.timeoutMs / 1000} s; process group killed`;
      else if (signal) r.error = `killed by ${signal}`;
      finish(r);
    });
  });
}
