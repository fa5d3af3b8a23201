/**
 * What a compliance rule reads, and a cheap fingerprint of it: the one mechanism behind the
 * incremental evaluation of OpenSCAP rules (scap) and Wazuh SCA checks (sca). A rule whose
 * inputs' fingerprint is unchanged since its last evaluation keeps its result.
 *
 * The fingerprint is built from lstat (and stat behind a symlink) of each literal path and of
 * each file a pattern matches: device, inode, type and mode, owner, size, mtime and ctime in
 * nanoseconds. Any write, chmod, chown, rename over or removal changes it; no content is read.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * How a rule's result can change: `files` only through the files it names (re-evaluated when
 * they change), `runtime` also through state no file holds (sysctl, systemd, partitions,
 * processes), `dynamic` through files whose names are computed at evaluation time, `fswide`
 * through a walk of the whole filesystem, `none` not at all (no automated check). All but
 * `files` are re-evaluated on the collector's `interval`.
 */
export type InputClass = 'files' | 'runtime' | 'dynamic' | 'fswide' | 'none';

export const INPUT_CLASSES: readonly InputClass[] = ['files', 'runtime', 'dynamic', 'fswide', 'none'];

export interface InputPattern {
  /** The directory listed (or walked). */
  dir: string;
  /** Regex on the entry name ('' : any). */
  name: string;
  /** Regex on the whole path, when the check gives one. */
  path?: string;
  /** Only entries on this literal path prefix are looked at (the walk of `^/etc/sudoers(|\.d/.*)$` enters /etc/sudoers.d only). */
  prefix?: string;
  /** Levels walked below `dir`: 0 its entries only, -1 unbounded. */
  depth: number;
}

export interface RuleInputs {
  class: InputClass;
  /** Files and directories read by name. */
  literal: string[];
  pattern: InputPattern[];
  /** Backing files no check names but every such probe reads (the dpkg status for package checks). */
  implicit: string[];
  /** Sources no file describes: probe or object types (sysctl, systemdunitproperty, partition…). */
  runtime: string[];
  /** Objects whose paths come from other objects at evaluation time. */
  varpath: string[];
  /** Filesystem-wide walks. */
  fswide: string[];
  /** Anything not understood (an unknown operation): the rule is treated as dynamic. */
  other: string[];
}

export const emptyInputs = (): RuleInputs => ({ class: 'files', literal: [], pattern: [], implicit: [], runtime: [], varpath: [], fswide: [], other: [] });

export function classify(i: RuleInputs): InputClass {
  if (i.fswide.length) return 'fswide';
  if (i.runtime.length) return 'runtime';
  if (i.varpath.length || i.other.length) return 'dynamic';
  if (i.literal.length || i.pattern.length || i.implicit.length) return 'files';
  return 'none';
}

/** One pattern as text: `/etc/sysctl.d/  [name~^.*\.conf$]`. */
export function patternText(p: InputPattern): string {
  const parts: string[] = [];
  if (p.name) parts.push(`name~${p.name}`);
  if (p.path) parts.push(`path~${p.path}`);
  if (p.depth !== 0) parts.push(p.depth < 0 ? 'recursive' : `depth ${p.depth}`);
  return `${p.dir.endsWith('/') ? p.dir : `${p.dir}/`}  [${parts.join(', ')}]`;
}

/** Every path a rule's fingerprint covers, for the report and for watching: literal and implicit files. */
export function namedPaths(i: RuleInputs): string[] {
  return [...i.literal, ...i.implicit];
}

/** Directories to watch so that any change of these inputs is seen (the parents of named files, pattern dirs). */
export function watchDirs(i: RuleInputs): string[] {
  const dirs = new Set<string>();
  for (const p of namedPaths(i)) dirs.add(path.posix.dirname(p));
  for (const p of i.pattern) dirs.add(p.dir);
  return [...dirs].sort();
}

/** Whether a path (as the host sees it) is one of the inputs, or matched by one of the patterns. */
export function inputCovers(i: RuleInputs, p: string): boolean {
  if (i.literal.includes(p) || i.implicit.includes(p)) return true;
  for (const lit of i.literal) if (p.startsWith(`${lit}/`) && path.posix.dirname(p) === lit) return true; // an entry of a named directory
  for (const pat of i.pattern) if (patternMatches(pat, p)) return true;
  return false;
}

function patternMatches(pat: InputPattern, p: string): boolean {
  const dir = pat.dir.endsWith('/') ? pat.dir : `${pat.dir}/`;
  if (!p.startsWith(dir)) return false;
  const rest = p.slice(dir.length);
  const levels = rest.split('/').length - 1;
  if (pat.depth >= 0 && levels > pat.depth) return false;
  if (pat.prefix && !p.startsWith(pat.prefix)) return false;
  try {
    if (pat.path) return new RegExp(pat.path).test(p);
    return !pat.name || new RegExp(pat.name).test(path.posix.basename(p));
  } catch {
    return true;
  }
}

/** Entries a pattern may look at before its fingerprint gives up (and is then "too many"). */
const MAX_ENTRIES = 5000;

/** The host path `p` under `root` ('' or '/': the host itself). */
const under = (root: string, p: string) => (root && root !== '/' ? path.join(root, p) : p);

/** A stat line for one path: what changes when the file is written, moved, chmodded or chowned. */
export function statLine(file: string): string {
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(file, { bigint: true });
  } catch (err) {
    return `${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  const line = `${st.dev}:${st.ino}:${st.mode.toString(8)}:${st.uid}:${st.gid}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  if (!st.isSymbolicLink()) return line;
  // A link's target may change behind it: its own stat counts too (metadata only, nothing read).
  try {
    const t = fs.statSync(file, { bigint: true });
    return `${line}>${t.dev}:${t.ino}:${t.mode.toString(8)}:${t.uid}:${t.gid}:${t.size}:${t.mtimeNs}:${t.ctimeNs}`;
  } catch (err) {
    return `${line}>${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/**
 * Fingerprints of inputs, memoised for one run: many rules share /etc/ssh/sshd_config, each
 * path is stat'ed once.
 */
export class Fingerprinter {
  private readonly stats = new Map<string, string>();
  private readonly listings = new Map<string, string>();
  constructor(readonly root = '') {}

  stat(p: string): string {
    let s = this.stats.get(p);
    if (s === undefined) this.stats.set(p, (s = statLine(under(this.root, p))));
    return s;
  }

  /** Names and stats of the entries a pattern matches. */
  pattern(pat: InputPattern): string {
    const k = JSON.stringify(pat);
    let s = this.listings.get(k);
    if (s !== undefined) return s;
    // The directory's own times change with any entry: only the matching entries count.
    const lines: string[] = [];
    let count = 0;
    let nameRe: RegExp | undefined;
    let pathRe: RegExp | undefined;
    try {
      nameRe = pat.name ? new RegExp(pat.name) : undefined;
      pathRe = pat.path ? new RegExp(pat.path) : undefined;
    } catch {
      // An expression JavaScript cannot read: every entry counts.
    }
    const walk = (dir: string, level: number) => {
      let names: string[];
      try {
        names = fs.readdirSync(under(this.root, dir)).sort();
      } catch (err) {
        lines.push(`${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
        return;
      }
      for (const n of names) {
        if (++count > MAX_ENTRIES) {
          lines.push('too many entries');
          return;
        }
        const p = path.posix.join(dir, n);
        if (pat.prefix && !p.startsWith(pat.prefix) && !pat.prefix.startsWith(`${p}/`)) continue;
        const st = this.stat(p);
        const isDir = st.split(':')[2]?.startsWith('4') && st.split(':')[2]!.length === 5;
        const match = pathRe ? pathRe.test(p) : !nameRe || nameRe.test(n);
        if (match) lines.push(`${p} ${st}`);
        if (isDir && (pat.depth < 0 || level < pat.depth)) {
          lines.push(`${p}/`);
          walk(p, level + 1);
        }
        if (count > MAX_ENTRIES) return;
      }
    };
    walk(pat.dir, 0);
    s = createHash('sha256').update(lines.join('\n')).digest('hex');
    this.listings.set(k, s);
    return s;
  }

  /** One hash over everything a rule's files read: named files, implicit files and patterns. */
  inputs(i: RuleInputs): string {
    const h = createHash('sha256');
    for (const p of i.literal) h.update(`L${p} ${this.stat(p)}\n`);
    for (const p of i.implicit) h.update(`I${p} ${this.stat(p)}\n`);
    for (const p of i.pattern) h.update(`P${patternText(p)} ${this.pattern(p)}\n`);
    return h.digest('hex').slice(0, 32);
  }
}
