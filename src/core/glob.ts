/**
 * Globs with the Python tool's semantics (not fast-glob's): `?` one character except `/`,
 * `*` any run of characters except `/`, `**` any run including `/` (it may stand inside a
 * segment: `/lib/**.so`, `**~`, `/opt/**conf**`), `\` escapes, `[...]` a class (`!` or `^`
 * negates, `a-z` ranges; never matches `/`), `{a,b}` alternation (nestable). Dotfiles match
 * like anything else. Paths are matched as strings (file names decoded as UTF-8, invalid
 * bytes as U+FFFD).
 */

/** A compiled pattern. */
export interface Glob {
  readonly pattern: string;
  /** Whether the whole path matches. */
  test(path: string): boolean;
  /** The longest literal directory prefix (`/etc` for `/etc/*`, `/` for `**.bak`). */
  readonly base: string;
  /**
   * Where a walk must start to find every match: one per brace alternative, the literal
   * directory prefix, or the path itself when the alternative has no wildcard at all.
   */
  readonly roots: readonly string[];
  /** False when no path strictly below `dir` can match (lets a walk prune `dir`). */
  mayMatchBelow(dir: string): boolean;
}

type Tok =
  | { t: 'lit'; c: string }
  | { t: 'q' }
  | { t: 'star' }
  | { t: 'globstar' }
  | { t: 'class'; neg: boolean; src: string }
  | { t: 'alt'; alts: Tok[][] };

const MAX_EXPANSIONS = 256;

function bad(pattern: string, why: string): Error {
  return new Error(`bad glob "${pattern}": ${why}`);
}

function escapeChar(c: string): string {
  return /[A-Za-z0-9_]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

/** Parse into tokens; `depth` > 0 inside braces, where `,` and `}` end a branch. */
function parse(pattern: string): Tok[] {
  const chars = Array.from(pattern);
  let i = 0;
  const seq = (depth: number): Tok[] => {
    const out: Tok[] = [];
    while (i < chars.length) {
      const c = chars[i]!;
      if (depth > 0 && (c === ',' || c === '}')) return out;
      i++;
      if (c === '\\') {
        if (i >= chars.length) throw bad(pattern, 'trailing backslash');
        out.push({ t: 'lit', c: chars[i++]! });
      } else if (c === '?') out.push({ t: 'q' });
      else if (c === '*') {
        if (chars[i] === '*') {
          while (chars[i] === '*') i++;
          out.push({ t: 'globstar' });
        } else out.push({ t: 'star' });
      } else if (c === '[') out.push(parseClass(pattern, chars, () => i, (v) => (i = v)));
      else if (c === '{') {
        const alts: Tok[][] = [];
        for (;;) {
          alts.push(seq(depth + 1));
          if (i >= chars.length) throw bad(pattern, "unclosed '{'");
          const end = chars[i++]!;
          if (end === '}') break;
        }
        out.push({ t: 'alt', alts });
      } else out.push({ t: 'lit', c });
    }
    return out;
  };
  const toks = seq(0);
  if (i < chars.length) throw bad(pattern, `unexpected '${chars[i]}'`);
  return toks;
}

function parseClass(pattern: string, chars: string[], get: () => number, set: (v: number) => void): Tok {
  let i = get();
  let neg = false;
  if (chars[i] === '!' || chars[i] === '^') {
    neg = true;
    i++;
  }
  let src = '';
  let first = true;
  for (;;) {
    if (i >= chars.length) throw bad(pattern, "unclosed '['");
    let c = chars[i++]!;
    if (c === ']' && !first) break;
    first = false;
    if (c === '\\') {
      if (i >= chars.length) throw bad(pattern, "unclosed '['");
      c = chars[i++]!;
    }
    if (chars[i] === '-' && i + 1 < chars.length && chars[i + 1] !== ']') {
      let hi = chars[i + 1]!;
      i += 2;
      if (hi === '\\') {
        if (i >= chars.length) throw bad(pattern, "unclosed '['");
        hi = chars[i++]!;
      }
      if (hi.codePointAt(0)! < c.codePointAt(0)!) throw bad(pattern, `bad range '${c}-${hi}'`);
      src += `${escapeChar(c)}-${escapeChar(hi)}`;
    } else src += escapeChar(c);
  }
  set(i);
  return { t: 'class', neg, src };
}

function toRegex(toks: Tok[]): string {
  let out = '';
  for (const k of toks) {
    switch (k.t) {
      case 'lit': out += escapeChar(k.c); break;
      case 'q': out += '[^/]'; break;
      case 'star': out += '[^/]*'; break;
      case 'globstar': out += '.*'; break;
      case 'class': out += k.neg ? `(?![/])[^${k.src}]` : `(?![/])[${k.src}]`; break;
      case 'alt': out += `(?:${k.alts.map(toRegex).join('|')})`; break;
    }
  }
  return out;
}

/** Brace-free alternatives, or undefined when there would be too many. */
function expand(toks: Tok[]): Tok[][] | undefined {
  let acc: Tok[][] = [[]];
  for (const k of toks) {
    if (k.t !== 'alt') {
      for (const a of acc) a.push(k);
      continue;
    }
    const options: Tok[][] = [];
    for (const alt of k.alts) {
      const sub = expand(alt);
      if (!sub) return undefined;
      options.push(...sub);
    }
    const next: Tok[][] = [];
    for (const a of acc) for (const o of options) next.push([...a, ...o]);
    if (next.length > MAX_EXPANSIONS) return undefined;
    acc = next;
  }
  return acc;
}

/** Split brace-free tokens on literal `/`. */
function segments(toks: Tok[]): Tok[][] {
  const segs: Tok[][] = [[]];
  for (const k of toks) {
    if (k.t === 'lit' && k.c === '/') segs.push([]);
    else segs[segs.length - 1]!.push(k);
  }
  return segs;
}

const isLiteral = (seg: Tok[]) => seg.every((k) => k.t === 'lit');
const litText = (seg: Tok[]) => seg.map((k) => (k as { c: string }).c).join('');

function joinSegs(segs: string[]): string {
  const p = segs.join('/');
  return p === '' ? '/' : p;
}

interface SegMatcher {
  /** Regex for a whole segment, or for the prefix before a `**` (then `open`). */
  re: RegExp;
  open: boolean;
}

/** Literal walk root of one brace-free alternative. */
function rootOf(segs: Tok[][]): string {
  if (segs.every(isLiteral)) {
    const p = segs.map(litText).join('/');
    return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p || '/';
  }
  const lit: string[] = [];
  for (let i = 0; i < segs.length - 1 && isLiteral(segs[i]!); i++) lit.push(litText(segs[i]!));
  if (lit.length === 0 || lit[0] !== '') return '/';
  return joinSegs(lit);
}

function commonDir(paths: string[]): string {
  const split = paths.map((p) => (p === '/' ? [''] : p.split('/')));
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const s = split[0]![i];
    if (s === undefined || split.some((q) => q[i] !== s)) break;
    out.push(s);
  }
  return out.length === 0 || out[0] !== '' ? '/' : joinSegs(out);
}

/** Compile a pattern; throws `Error('bad glob "…": …')` when it is malformed. */
export function compileGlob(pattern: string): Glob {
  const toks = parse(pattern);
  const re = new RegExp(`^${toRegex(toks)}$`, 'su');
  const alts = expand(toks);
  const altSegs = alts?.map(segments);
  const roots = altSegs ? [...new Set(altSegs.map(rootOf))] : ['/'];
  const dirBases = altSegs
    ? altSegs.map((segs) => {
        const lit: string[] = [];
        for (let i = 0; i < segs.length - 1 && isLiteral(segs[i]!); i++) lit.push(litText(segs[i]!));
        return lit.length === 0 || lit[0] !== '' ? '/' : joinSegs(lit);
      })
    : ['/'];
  const base = commonDir(dirBases);
  const matchers: SegMatcher[][] | undefined = altSegs?.map((segs) => {
    const ms: SegMatcher[] = [];
    for (const seg of segs) {
      const g = seg.findIndex((k) => k.t === 'globstar');
      if (g >= 0) {
        ms.push({ re: new RegExp(`^${toRegex(seg.slice(0, g))}`, 'su'), open: true });
        break;
      }
      ms.push({ re: new RegExp(`^${toRegex(seg)}$`, 'su'), open: false });
    }
    return ms;
  });
  return {
    pattern,
    test: (path) => re.test(path),
    base,
    roots,
    mayMatchBelow(dir: string): boolean {
      if (!matchers) return true;
      const parts = dir === '/' ? [''] : (dir.endsWith('/') ? dir.slice(0, -1) : dir).split('/');
      return matchers.some((ms) => {
        for (let i = 0; i < parts.length; i++) {
          const m = ms[i];
          if (!m) return false;
          if (m.open) return m.re.test(parts[i]!);
          if (!m.re.test(parts[i]!)) return false;
        }
        // A path below has at least one more segment than dir.
        return ms.length > parts.length || ms[ms.length - 1]!.open;
      });
    },
  };
}

/** For `OptionSpec.check`: a list of patterns (or one) → the first error, if any. */
export function checkGlob(value: unknown): string | undefined {
  const list = Array.isArray(value) ? value : [value];
  for (const p of list) {
    if (typeof p !== 'string') return 'expected a glob pattern';
    try {
      compileGlob(p);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

/** Several patterns; a path matches when any does. */
export class GlobSet {
  readonly globs: readonly Glob[];
  constructor(patterns: readonly string[]) {
    this.globs = patterns.map(compileGlob);
  }
  get empty(): boolean {
    return this.globs.length === 0;
  }
  test(path: string): boolean {
    for (const g of this.globs) if (g.test(path)) return true;
    return false;
  }
  mayMatchBelow(dir: string): boolean {
    for (const g of this.globs) if (g.mayMatchBelow(dir)) return true;
    return false;
  }
}
