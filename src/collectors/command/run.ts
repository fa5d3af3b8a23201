/**
 * Runs one configured command line: in its own session and process group, with a fixed
 * environment, stdin closed and stdout and stderr on real pipes (FIFOs; Node's own child pipes
 * are sockets, which `> /dev/stdout` cannot open), capturing at most `maxOutput` bytes of each.
 *
 * A command is finished when its shell exits and its pipes are drained (at most DRAIN_MS
 * later), or at its timeout. Then whatever it left behind is killed: the processes of its
 * session and group, the children seen while it ran (a `setsid` child leaves the session) and
 * any process still holding its pipes; the result names them. A background process therefore
 * never holds the run, and a SIGTERM, SIGINT or SIGHUP to syschangemon kills the running
 * commands' processes before syschangemon dies of it.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { childrenOf, findLeftovers, killProc, type Proc, procStat, waitGone } from './procs.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  truncated: boolean;
  /** Names of processes the command left running that were killed, sorted, unique. */
  killed?: string[];
  /** Why the command did not complete normally (timeout, spawn failure). */
  error?: string;
}

export interface RunOptions {
  shell: string;
  timeoutMs: number;
  maxOutput: number;
}

/** How long output may still come after the shell exited. */
export const DRAIN_MS = 500;
/** How long killed processes get to let go of the pipes. */
const REAP_MS = 2000;
/** How often the children of a running command are looked up. */
const TRACK_MS = 200;
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

/** A real pipe: a FIFO made in a private directory and unlinked at once. */
interface Pipe {
  read: number;
  write: number;
  /** What /proc/<pid>/fd/<n> shows for it. */
  link: string;
}

function makePipes(n: number): Pipe[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syschangemon-cmd-'));
  const names = Array.from({ length: n }, (_, i) => path.join(dir, `p${i}`));
  const pipes: Pipe[] = [];
  try {
    execFileSync('mkfifo', ['-m', '600', ...names], { stdio: 'ignore' });
    for (const name of names) {
      const read = fs.openSync(name, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const write = fs.openSync(name, fs.constants.O_WRONLY);
      pipes.push({ read, write, link: name });
    }
  } catch (err) {
    for (const p of pipes) {
      fs.closeSync(p.read);
      fs.closeSync(p.write);
    }
    throw err;
  } finally {
    for (const name of names) fs.rmSync(name, { force: true });
    fs.rmdirSync(dir);
  }
  return pipes;
}

/** A command still running, for the signal handler. */
interface Active {
  /** Kills what the command left (its group too); returns the processes it sent SIGKILL to. */
  killAll(): Proc[];
}

const active = new Set<Active>();
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** How long a signal to syschangemon waits for the killed processes to be gone. */
const SIGNAL_WAIT_MS = 2000;

function onSignal(sig: NodeJS.Signals): void {
  const sent: Proc[] = [];
  for (const a of active) sent.push(...a.killAll());
  active.clear();
  // Gone before syschangemon is: whoever started it may rely on nothing being left running.
  waitGone(sent, SIGNAL_WAIT_MS);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // Die of the signal as if no handler had been there.
  process.kill(process.pid, sig);
}

function track(a: Active): void {
  if (active.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  active.add(a);
}

function untrack(a: Active): void {
  active.delete(a);
  if (active.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}

export function runCommand(line: string, opts: RunOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const out = new Capped(opts.maxOutput);
    const err = new Capped(opts.maxOutput);
    const failed = (message: string): CommandResult => ({ stdout: '', stderr: '', exitCode: null, signal: null, truncated: false, error: message });
    let pipes: Pipe[];
    try {
      pipes = makePipes(2);
    } catch (e) {
      resolve(failed(`cannot make pipes for the command: ${(e as Error).message}`));
      return;
    }
    let child: ReturnType<typeof spawn>;
    try {
      // The command line is the administrator's own shell text from the config file.
      child = spawn(opts.shell, ['-c', line], {
        detached: true,
        stdio: ['ignore', pipes[0]!.write, pipes[1]!.write],
        env: { ...COMMAND_ENV, HOME: process.env.HOME ?? '/root' },
        cwd: '/',
      });
    } catch (e) {
      for (const p of pipes) {
        fs.closeSync(p.read);
        fs.closeSync(p.write);
      }
      resolve(failed(`cannot start ${opts.shell}: ${(e as Error).message}`));
      return;
    }
    for (const p of pipes) fs.closeSync(p.write);
    const sid = child.pid;
    const links = pipes.map((p) => p.link);
    const readers = pipes.map((p, i) => {
      const sock = new net.Socket({ fd: p.read, readable: true, writable: false });
      sock.on('data', (c: Buffer) => (i === 0 ? out : err).push(c));
      sock.on('error', () => sock.destroy());
      return sock;
    });
    let open = readers.length;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let startError: string | undefined;
    let timedOut = false;
    let settled = false;
    const killed = new Map<number, Proc>();
    // Children seen while the command runs, so those that leave its session are still known.
    const seen = new Map<number, Proc>();
    const followChildren = () => {
      if (sid === undefined) return;
      const queue = [sid, ...seen.keys()];
      for (const pid of queue) {
        for (const c of childrenOf(pid)) {
          if (seen.has(c)) continue;
          const st = procStat(c);
          if (st) {
            seen.set(c, st);
            queue.push(c);
          }
        }
      }
    };
    const killAll = (): Proc[] => {
      if (sid === undefined) return [];
      followChildren();
      const sent: Proc[] = [];
      // Once the pipes are at EOF no one holds them: looking for holders costs a walk of every fd.
      const candidates = [...findLeftovers(sid, open > 0 ? links : []), ...seen.values()];
      for (const p of candidates) {
        if (p.pid === sid || killed.has(p.pid)) continue;
        if (killProc(p)) {
          killed.set(p.pid, p);
          sent.push(p);
        }
      }
      const leader = procStat(sid);
      try {
        process.kill(-sid, 'SIGKILL');
        if (leader) sent.push(leader);
      } catch {
        // the group is empty
      }
      return sent;
    };
    const self: Active = { killAll };
    track(self);
    const tracker = setInterval(followChildren, TRACK_MS);
    let drainTimer: NodeJS.Timeout | undefined;
    let reapTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      clearTimeout(reapTimer);
      clearInterval(tracker);
      untrack(self);
      for (const r of readers) r.destroy();
      if (startError !== undefined) {
        resolve(failed(startError));
        return;
      }
      const r: CommandResult = {
        stdout: out.text(),
        stderr: err.text(),
        exitCode: timedOut ? null : (exit?.code ?? null),
        signal: timedOut ? 'SIGKILL' : (exit?.signal ?? null),
        truncated: out.truncated || err.truncated,
      };
      const names = [...new Set([...killed.values()].map((p) => p.name))].sort();
      if (names.length > 0) r.killed = names;
      const left = names.length > 0 ? `; left ${killed.size} process${killed.size === 1 ? '' : 'es'} running (${names.join(', ')}), killed` : '';
      if (timedOut) r.error = `timed out after ${opts.timeoutMs / 1000} s; process group killed${left}`;
      else if (exit?.signal) r.error = `killed by ${exit.signal}${left}`;
      resolve(r);
    };
    let reaping = false;
    /** Kill what is left, give the pipes a moment to close, then finish. */
    const reap = () => {
      if (reaping) return;
      reaping = true;
      clearTimeout(drainTimer);
      killAll();
      if (open === 0) finish();
      else reapTimer = setTimeout(finish, REAP_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      reap();
    }, opts.timeoutMs);
    for (const r of readers) {
      r.on('close', () => {
        if (--open > 0 || settled) return;
        if (reaping) finish();
        else if (exit) reap();
        // else: the shell closed its output but still runs; its exit or the timeout ends it.
      });
    }
    child.on('error', (e) => {
      startError = `cannot start ${opts.shell}: ${e.message}`;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (reaping) return;
      if (open === 0) reap();
      else drainTimer = setTimeout(reap, DRAIN_MS);
    });
  });
}
