/**
 * Evaluates SCA checks as Wazuh does: each rule is true, false or not applicable; a check's
 * `condition` folds its rules (Wazuh's truth table); content tests match line by line.
 *
 * Files are read under `root` without following a symlink that leaves it: a link is followed
 * only when it is owned by root (or us) and its target stays under root. Paths are walked
 * component by component from directory descriptors (openat with O_NOFOLLOW), never
 * re-resolved between the check and the read; a file must be a regular file, at most
 * MAX_FILE bytes. Commands run as the
 * command collector runs them: `/bin/sh -c` in their own process group, fixed environment,
 * timeout, capped output. Each distinct file and command is read or run once per scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CommandResult, runCommand } from '../command/run.js';
import { AT_FDCWD, errCode, errMessage, native, S, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, sameEntry, STAT_FIELDS } from '../../fsnative.js';
import type { Check, Condition, ContentTest, NameTest, Policy, Rule } from './policy.js';

export type RuleValue = 'true' | 'false' | 'na';

export interface RuleOutcome {
  value: RuleValue;
  /** Why not applicable. */
  reason?: string;
  /** What was found or missed (for a failed check's item). */
  evidence?: string;
}

export type CheckResult = 'passed' | 'failed' | 'not applicable';

export interface CheckOutcome {
  result: CheckResult;
  reason?: string;
  /** For a failed check: the rule that decided it and what it saw. */
  rule?: string;
  evidence?: string;
}

export interface EvalOptions {
  root: string;
  allowCommands: boolean;
  timeoutMs: number;
  maxOutput: number;
  parallel: number;
  /** Where process rules look (the host's /proc; tests may point elsewhere). */
  procDir?: string;
}

const MAX_FILE = 8 * 1024 * 1024;
const MAX_WALK = 20_000;
const MAX_DEPTH = 16;
const EVIDENCE = 300;

const cut = (s: string, n = EVIDENCE) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Fold rule values by condition, per Wazuh's table. */
export function fold(condition: Condition, values: RuleValue[]): 'passed' | 'failed' | 'na' {
  const anyTrue = values.includes('true');
  const anyFalse = values.includes('false');
  const anyNa = values.includes('na');
  switch (condition) {
    case 'all':
      if (anyFalse) return 'failed';
      return anyNa ? 'na' : 'passed';
    case 'any':
      if (anyTrue) return 'passed';
      return anyNa ? 'na' : 'failed';
    case 'none':
      if (anyTrue) return 'failed';
      return anyNa ? 'na' : 'passed';
  }
}

interface FileRead {
  lines?: string[];
  /** Set when the file could not be read (missing files have `missing`). */
  error?: string;
  missing?: boolean;
  isDir?: boolean;
}

export class Evaluator {
  private readonly files = new Map<string, FileRead>();
  private readonly commands = new Map<string, Promise<CommandResult>>();
  private processes?: Set<string>;
  private readonly uid = process.getuid?.() ?? 0;

  constructor(private readonly o: EvalOptions) {}

  /** Run every command of these rules now (at most `parallel` at once), so checks need not wait one by one. */
  async prefetch(rules: Rule[]): Promise<void> {
    if (!this.o.allowCommands) return;
    const lines = [...new Set(rules.filter((r) => r.type === 'c').map((r) => r.targets[0]!))].filter((l) => !this.commands.has(l));
    let next = 0;
    const worker = async () => {
      while (next < lines.length) {
        const line = lines[next++]!;
        await this.command(line);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.parallel, lines.length) }, worker));
  }

  private command(line: string): Promise<CommandResult> {
    let p = this.commands.get(line);
    if (!p) {
      p = runCommand(line, { shell: '/bin/sh', timeoutMs: this.o.timeoutMs, maxOutput: this.o.maxOutput });
      this.commands.set(line, p);
    }
    return p;
  }

  /**
   * Open `target` under root component by component from directory descriptors, never by
   * path: each directory is opened O_NOFOLLOW relative to the one before, so nothing is
   * resolved twice and a directory swapped for a symlink between two steps is refused
   * (ELOOP), not followed. A symlink is followed only when it is owned by root (or us) and
   * still the same inode after its target was read; `..` never climbs above root, an absolute
   * link starts again at root. `last`: `file` opens the final component (no symlink followed
   * at that open either), `dir` opens it as a directory, `stat` only stats it.
   */
  private openUnder(target: string, last: 'file' | 'dir' | 'stat'): { fd?: number; st?: Float64Array; error?: string; missing?: boolean } {
    const rootFd = native.openDirAt(AT_FDCWD, Buffer.from(path.resolve(this.o.root)));
    if (rootFd < 0) return { error: `${this.o.root}: ${errMessage(rootFd, 'open')}` };
    // The directories from root down to the current one (index 0 is root).
    const stack: number[] = [rootFd];
    const parts = target.split('/').filter(Boolean);
    let hops = 0;
    const closeAll = () => {
      for (const fd of stack) native.close(fd);
      stack.length = 0;
    };
    const fail = (code: number, what: string) => {
      closeAll();
      const c = errCode(code);
      if (c === 'ENOENT' || c === 'ENOTDIR') return { missing: true };
      if (c === 'ELOOP') return { error: `${target}: ${what} changed into a symbolic link while it was read, not followed` };
      return { error: `${target}: ${errMessage(code, 'open')}` };
    };
    try {
      if (!parts.length) {
        if (last === 'file') return { error: `${target} is a directory` };
        const st = new Float64Array(STAT_FIELDS);
        native.fstat(rootFd, st);
        if (last === 'dir') return { fd: stack.pop()!, st };
        return { st };
      }
      while (parts.length) {
        const name = parts.shift()!;
        if (name === '.') continue;
        if (name === '..') {
          if (stack.length > 1) native.close(stack.pop()!);
          continue;
        }
        const dirfd = stack[stack.length - 1]!;
        const nb = Buffer.from(name);
        const st = new Float64Array(STAT_FIELDS);
        const r = native.statAt(dirfd, nb, st);
        if (r < 0) return fail(r, name);
        if (((st[S.MODE]! & S_IFMT) >>> 0) === S_IFLNK) {
          if (++hops > 32) return { error: `${target}: too many symbolic links` };
          const uid = st[S.UID]!;
          if (uid !== 0 && uid !== this.uid) return { error: `${target}: symbolic link ${name} is owned by uid ${uid}, not followed` };
          const link = native.readlinkAt(dirfd, nb);
          if (typeof link === 'number') return fail(link, name);
          const again = new Float64Array(STAT_FIELDS);
          if (native.statAt(dirfd, nb, again) < 0 || !sameEntry(st, again)) return { error: `${target}: symbolic link ${name} changed while it was read, not followed` };
          const text = link.toString();
          if (text.startsWith('/')) while (stack.length > 1) native.close(stack.pop()!);
          parts.unshift(...text.split('/').filter(Boolean));
          continue;
        }
        const final = parts.length === 0;
        if (final && last === 'stat') return { st };
        if (final && last === 'file') {
          const fd = native.openFileAt(dirfd, nb, false);
          if (fd < 0) return fail(fd, name);
          const fst = new Float64Array(STAT_FIELDS);
          native.fstat(fd, fst);
          return { fd, st: fst };
        }
        const next = native.openDirAt(dirfd, nb);
        if (next < 0) return fail(next, name);
        stack.push(next);
        if (final) {
          const fst = new Float64Array(STAT_FIELDS);
          native.fstat(next, fst);
          return { fd: stack.pop()!, st: fst };
        }
      }
      // The target ended in '..' or '.': the directory reached.
      const cur = stack[stack.length - 1]!;
      const st = new Float64Array(STAT_FIELDS);
      native.fstat(cur, st);
      if (last === 'file') return { error: `${target} is a directory` };
      if (last === 'dir') return { fd: stack.pop()!, st };
      return { st };
    } finally {
      closeAll();
    }
  }

  private read(target: string): FileRead {
    const cached = this.files.get(target);
    if (cached) return cached;
    const r = this.readUncached(target);
    this.files.set(target, r);
    return r;
  }

  private readUncached(target: string): FileRead {
    const res = this.openUnder(target, 'file');
    if (res.missing) return { missing: true };
    if (res.error) return { error: res.error };
    const fd = res.fd!;
    try {
      const type = (res.st![S.MODE]! & S_IFMT) >>> 0;
      if (type === S_IFDIR) return { isDir: true, error: `${target} is a directory` };
      if (type !== S_IFREG) return { error: `${target} is not a regular file` };
      const chunks: Buffer[] = [];
      let total = 0;
      const buf = Buffer.allocUnsafe(65536);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n <= 0) break;
        total += n;
        if (total > MAX_FILE) return { error: `${target} is larger than ${MAX_FILE} bytes` };
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      return { lines: splitLines(Buffer.concat(chunks).toString('utf8')) };
    } catch (err) {
      return { error: `${target}: ${(err as Error).message}` };
    } finally {
      native.close(fd);
    }
  }

  private kind(target: string): 'file' | 'dir' | 'other' | 'missing' | string {
    const res = this.openUnder(target, 'stat');
    if (res.missing) return 'missing';
    if (res.error) return res.error;
    const type = (res.st![S.MODE]! & S_IFMT) >>> 0;
    return type === S_IFREG ? 'file' : type === S_IFDIR ? 'dir' : 'other';
  }

  /**
   * Regular files under a directory, as paths in root's view: listed from directory
   * descriptors (each subdirectory opened O_NOFOLLOW from its parent), no symlink followed.
   */
  private walk(dir: string): { files: string[]; error?: string } {
    const res = this.openUnder(dir, 'dir');
    if (res.missing) return { files: [], error: 'missing' };
    if (res.error) {
      if (/ENOTDIR/.test(res.error)) return { files: [], error: 'missing' };
      return { files: [], error: res.error };
    }
    const out: string[] = [];
    const base = `/${dir.split('/').filter(Boolean).join('/')}`;
    const visit = (fd: number, shown: string, depth: number) => {
      if (depth > MAX_DEPTH || out.length >= MAX_WALK) return;
      const names = native.readDir(fd);
      if (typeof names === 'number') return;
      for (const nb of names) {
        const st = new Float64Array(STAT_FIELDS);
        if (native.statAt(fd, nb, st) < 0) continue;
        const type = (st[S.MODE]! & S_IFMT) >>> 0;
        const p = shown === '/' ? `/${nb.toString()}` : `${shown}/${nb.toString()}`;
        if (type === S_IFREG) out.push(p);
        else if (type === S_IFDIR) {
          const sub = native.openDirAt(fd, nb);
          if (sub < 0) continue;
          try {
            visit(sub, p, depth + 1);
          } finally {
            native.close(sub);
          }
        }
        if (out.length >= MAX_WALK) return;
      }
    };
    try {
      visit(res.fd!, base, 0);
    } finally {
      native.close(res.fd!);
    }
    return { files: out };
  }

  private processNames(): Set<string> {
    if (this.processes) return this.processes;
    const names = new Set<string>();
    const proc = this.o.procDir ?? '/proc';
    for (const pid of fs.readdirSync(proc)) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        names.add(fs.readFileSync(path.join(proc, pid, 'comm'), 'utf8').trim());
        const argv0 = fs.readFileSync(path.join(proc, pid, 'cmdline'), 'utf8').split('\0')[0];
        if (argv0) {
          names.add(argv0);
          names.add(path.basename(argv0));
        }
      } catch {
        // the process is gone
      }
    }
    this.processes = names;
    return names;
  }

  /** Evaluate one rule. */
  async rule(r: Rule): Promise<RuleOutcome> {
    const o = await this.ruleInner(r);
    if (!r.negate || o.value === 'na') return o;
    return { ...o, value: o.value === 'true' ? 'false' : 'true' };
  }

  private async ruleInner(r: Rule): Promise<RuleOutcome> {
    switch (r.type) {
      case 'r':
        return { value: 'na', reason: 'registry rules apply to Windows only' };
      case 'p': {
        const name = r.targets[0]!;
        const found = this.processNames().has(name);
        return { value: found ? 'true' : 'false', evidence: found ? `process ${name} is running` : `no process ${name} is running` };
      }
      case 'c': {
        const line = r.targets[0]!;
        if (!this.o.allowCommands) return { value: 'na', reason: 'commands are not allowed for this policy (allow_commands)' };
        const res = await this.command(line);
        if (res.error) return { value: 'na', reason: `${line}: ${res.error}` };
        if (res.exitCode === 127) return { value: 'na', reason: `${line}: command not found` };
        const lines = splitLines(res.stdout + (res.stdout && res.stderr && !res.stdout.endsWith('\n') ? '\n' : '') + res.stderr);
        return matchLines(lines, r.content!, `output of ${line}`);
      }
      case 'f': {
        if (!r.content) {
          const kinds = r.targets.map((t) => this.kind(t));
          const found = r.targets.find((_, i) => kinds[i] === 'file' || kinds[i] === 'other');
          return { value: found ? 'true' : 'false', evidence: found ? `${found} exists` : `${r.targets.join(', ')} does not exist` };
        }
        const misses: string[] = [];
        let readable = 0;
        let first: RuleOutcome | undefined;
        for (const t of r.targets) {
          const f = this.read(t);
          if (f.missing) continue;
          if (!f.lines) {
            misses.push(f.error ?? `${t}: cannot be read`);
            continue;
          }
          readable++;
          const m = matchLines(f.lines, r.content, t);
          if (m.value === 'true') return m;
          first ??= m;
        }
        if (readable === 0) {
          return { value: 'na', reason: misses[0] ?? `${r.targets.join(', ')} does not exist` };
        }
        return first!;
      }
      case 'd': {
        let anyDir = false;
        let first: RuleOutcome | undefined;
        for (const t of r.targets) {
          if (!r.name) {
            if (this.kind(t) === 'dir') return { value: 'true', evidence: `${t} exists` };
            continue;
          }
          const w = this.walk(t);
          if (w.error && w.error !== 'missing') return { value: 'na', reason: w.error };
          if (w.error) continue;
          anyDir = true;
          const named = w.files.filter((f) => nameMatches(r.name!, path.basename(f)));
          if (!r.content) {
            if (named.length) return { value: 'true', evidence: `${named[0]} exists` };
            first ??= { value: 'false', evidence: `no file in ${t} matches ${describeName(r.name)}` };
            continue;
          }
          for (const f of named) {
            const rd = this.read(f);
            if (!rd.lines) continue;
            const m = matchLines(rd.lines, r.content, f);
            if (m.value === 'true') return m;
            first ??= m;
          }
          first ??= { value: 'false', evidence: `no file in ${t} matches ${describeName(r.name)}` };
        }
        if (!r.name) return { value: 'false', evidence: `${r.targets.join(', ')} is not a directory` };
        if (!anyDir) return r.content ? { value: 'na', reason: `${r.targets.join(', ')} does not exist` } : { value: 'false', evidence: `${r.targets.join(', ')} does not exist` };
        return first!;
      }
    }
  }

  /** Evaluate a list of rules by condition, stopping as soon as the result is known. */
  async fold(condition: Condition, rules: Rule[]): Promise<CheckOutcome> {
    const values: RuleValue[] = [];
    let reason: string | undefined;
    let decisive: { rule: Rule; o: RuleOutcome } | undefined;
    let lastFalse: { rule: Rule; o: RuleOutcome } | undefined;
    for (const r of rules) {
      const o = await this.rule(r);
      values.push(o.value);
      if (o.value === 'na') reason ??= o.reason;
      if ((condition === 'all' && o.value === 'false') || (condition === 'none' && o.value === 'true')) {
        decisive = { rule: r, o };
        break;
      }
      if (condition === 'any' && o.value === 'true') break;
      if (o.value === 'false') lastFalse ??= { rule: r, o };
    }
    const f = fold(condition, values);
    if (f === 'passed') return { result: 'passed' };
    if (f === 'na') return { result: 'not applicable', reason: reason ?? 'not applicable' };
    const d = decisive ?? lastFalse;
    const out: CheckOutcome = { result: 'failed' };
    if (d) {
      out.rule = d.rule.text;
      if (d.o.evidence) out.evidence = cut(d.o.evidence);
    }
    return out;
  }

  async check(c: Check): Promise<CheckOutcome> {
    return this.fold(c.condition, c.rules);
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function nameMatches(t: NameTest, name: string): boolean {
  return t.kind === 'literal' ? t.text === name : t.regex.test(name);
}

function describeName(t: NameTest): string {
  return t.kind === 'literal' ? JSON.stringify(t.text) : `r:${t.regex.source}`;
}

function testLine(t: ContentTest, line: string): boolean {
  let ok: boolean;
  if (t.kind === 'literal') ok = line === t.text;
  else if (t.kind === 'regex') ok = t.regex.test(line);
  else {
    const m = t.regex.exec(line);
    const n = m?.[1] !== undefined ? Number.parseInt(m[1], 10) : Number.NaN;
    if (Number.isNaN(n)) ok = false;
    else {
      switch (t.op) {
        case '<': ok = n < t.value; break;
        case '<=': ok = n <= t.value; break;
        case '==': ok = n === t.value; break;
        case '!=': ok = n !== t.value; break;
        case '>=': ok = n >= t.value; break;
        case '>': ok = n > t.value; break;
      }
    }
  }
  return t.negate ? !ok : ok;
}

/** Files whose lines are never quoted: they hold password hashes or keys. */
const SECRET_FILE = /(^|\/)(shadow-?|gshadow-?|opasswd|[^/]*secrets?|[^/]*\.key|[^/]*\.pem|[^/]*private[^/]*|debian\.cnf|\.htpasswd)$/;
/** Lines that assign a secret value (`password = …`, `PrivateKey: …`). */
const SECRET_LINE = /(pass(word|wd|phrase)?|secret|token|psk|private[_ -]?key|api[_-]?key)\s*[=:]/i;

/** What a matched line may show: the line, unless it or its file holds a secret. */
export function quoteLine(where: string, n: number, line: string): string {
  if (SECRET_FILE.test(where) || SECRET_LINE.test(line)) return `${where}:${n}: a line matches (not shown: it may hold a secret)`;
  return `${where}:${n}: ${line}`;
}

/** True when one line passes every test (Wazuh's line-by-line semantics). */
function matchLines(lines: string[], tests: ContentTest[], where: string): RuleOutcome {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (tests.every((t) => testLine(t, line))) return { value: 'true', evidence: quoteLine(where, i + 1, line) };
  }
  const desc = tests.map((t) => t.source).join(' && ');
  return { value: 'false', evidence: `no line of ${where} matches ${desc}` };
}

/** Evaluate a whole policy: requirements, then each check. */
export async function evaluatePolicy(policy: Policy, o: EvalOptions): Promise<{ requirements?: CheckOutcome; checks: Map<string, CheckOutcome> }> {
  const ev = new Evaluator(o);
  const checks = new Map<string, CheckOutcome>();
  let requirements: CheckOutcome | undefined;
  if (policy.requirements) {
    await ev.prefetch(policy.requirements.rules);
    requirements = await ev.fold(policy.requirements.condition, policy.requirements.rules);
    if (requirements.result !== 'passed') {
      const why = `requirements not met: ${policy.requirements.title || 'policy requirements'}${requirements.reason ? ` (${requirements.reason})` : ''}`;
      for (const c of policy.checks) checks.set(c.id, { result: 'not applicable', reason: why });
      return { requirements, checks };
    }
  }
  await ev.prefetch(policy.checks.flatMap((c) => c.rules));
  for (const c of policy.checks) checks.set(c.id, await ev.check(c));
  return { requirements, checks };
}
