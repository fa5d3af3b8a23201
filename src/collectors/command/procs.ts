/**
 * Finding what a command left behind, from /proc: the processes of its session and process
 * group (a shell's `&` and subshells stay in both), the children it started (followed while it
 * runs, so a `setsid` child is known even after it left the session) and any process still
 * holding its output pipes (a daemon that escaped both).
 */
import * as fs from 'node:fs';

/** A process as /proc shows it; `start` (clock ticks since boot) tells a reused pid apart. */
export interface Proc {
  pid: number;
  name: string;
  start: string;
}

interface Stat extends Proc {
  ppid: number;
  pgrp: number;
  session: number;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone. */
export function procStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The name is in parentheses and may itself hold spaces and parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid 4, pgrp 5, session 6, starttime 22.
  if (f[0] === 'Z') return undefined;
  return { pid, name: text.slice(open + 1, close), ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), start: f[19] ?? '' };
}

function pids(): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const n = Number(name);
    if (Number.isInteger(n) && n > 0 && n !== process.pid) out.push(n);
  }
  return out;
}

/** The children of `pid` (all its threads'), as /proc/<pid>/task/<tid>/children lists them. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) {
        if (c.trim()) out.push(Number(c));
      }
    } catch {
      // gone, or a kernel without the file: the session scan still finds most
    }
  }
  return out;
}

/**
 * Processes in session or process group `sid`, and, with `pipes`, processes holding a file
 * descriptor whose /proc link starts with one of those paths.
 */
export function findLeftovers(sid: number, pipes: readonly string[] = []): Proc[] {
  const found: Proc[] = [];
  for (const pid of pids()) {
    const st = procStat(pid);
    if (!st) continue;
    if (st.session === sid || st.pgrp === sid) {
      found.push(st);
      continue;
    }
    if (pipes.length === 0) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (pipes.some((p) => target.startsWith(p))) {
        found.push(st);
        break;
      }
    }
  }
  return found;
}

/** SIGKILL a process found before, unless its pid now names another process. */
/**
 * Wait (blocking, at most `ms`) until every process of `procs` is gone or a zombie: a SIGKILL
 * is only delivered when the process next runs, which on a busy host can be after the caller
 * went on. Returns those still running at the deadline.
 */
export function waitGone(procs: Iterable<Proc>, ms: number): Proc[] {
  let left = [...procs];
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  for (;;) {
    left = left.filter((p) => procStat(p.pid)?.start === p.start);
    if (left.length === 0 || Date.now() >= deadline) return left;
    Atomics.wait(tick, 0, 0, 5);
  }
}

export function killProc(p: Proc): boolean {
  const now = procStat(p.pid);
  if (!now || now.start !== p.start) return false;
  try {
    process.kill(p.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
