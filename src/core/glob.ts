/**
 * Globs as the Python tool read them (globre, `EXACT`): each glob becomes a Python regular
 * expression, which {@link PyRegex} matches in linear time.
 *
 * - `?` one character except `/`; `*` any run of characters except `/`; `**` any run
 *   including `/` (also inside a name: `/lib/**.so`, `**~`).
 * - `\` makes the next character literal.
 * - `[...]` is passed to the regular expression as a character class: `[0-9A-F]`, `[^abc]`
 *   negates (`[!abc]` is the class of `!`, `a`, `b`, `c`, as in the Python tool), and a class
 *   may match `/`.
 * - `{...}` inlines a regular expression: `foo-{\\D{2,4\}}.txt` (inside the braces `\` makes
 *   the next character literal for the glob, so a regex escape is written `\\` and a `}` of
 *   the regex `\}`). There is no `{a,b}` alternation: `{(a|b)}` chooses; a comma is literal.
 * - Dotfiles match like anything else; paths are matched as strings (file names decoded as
 *   UTF-8, invalid bytes as U+FFFD).
 *
 * The whole glob is anchored at the start and, unless the regex text ends with `$` already,
 * at the end, exactly as globre builds it; so a `|` outside parentheses in `{...}` splits the
 * whole glob, and an alternative without the final `$` matches every path it starts. Those
 * surprises are kept (they are what the Python tool did) and reported as warnings.
 *
 * One deliberate difference: `**` also matches a newline in a name (Python's `.` does not,
 * which let a file named with a newline hide from `/etc/**`).
 */
import { compilePyRegex, compilePyRegexUnion, RegexError, type PyRegex } from './pyregex.js';

/** A compiled pattern. */
export interface Glob {
  readonly pattern: string;
  /** The Python regular expression the glob stands for. */
  readonly regex: string;
  /** Whether the whole path matches (`re.match` of {@link regex}). */
  test(path: string): boolean;
  /** The longest literal directory prefix (`/etc` for `/etc/*`, `/` for `**.bak`). */
  readonly base: string;
  /**
   * Where a walk must start to find every match: the literal directory prefix, or the path
   * itself when the glob has no wildcard at all.
   */
  readonly roots: readonly string[];
  /** False when no path strictly below `dir` can match (lets a walk prune `dir`). */
  mayMatchBelow(dir: string): boolean;
  /** Readings a Python-tool user may not expect, one line each. */
  readonly warnings: readonly string[];
}

function bad(pattern: string, why: string): Error {
  return new Error(`bad glob "${pattern}": ${why}`);
}

type Token = { t: 'lit' | 'single' | 'multiple' | 'any' | 'range' | 'regex'; v: string };

/** globre's tokenizer: literals (escapes resolved), `?`, `*`, `**`, `[...]` and `{...}`. */
function tokenize(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const out: Token[] = [];
  let lit = '';
  let i = 0;
  const flush = () => {
    if (lit !== '') out.push({ t: 'lit', v: lit });
    lit = '';
  };
  const scan = (close: string, open: string): string => {
    let v = '';
    while (i < chars.length) {
      const c = chars[i++]!;
      if (c === '\\') {
        if (i >= chars.length) throw bad(pattern, 'dangling backslash');
        v += chars[i++]!;
        continue;
      }
      if (c === close) return v;
      v += c;
    }
    throw bad(pattern, `no closing '${close}' for '${open}'`);
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '\\') {
      i++;
      if (i >= chars.length) throw bad(pattern, 'dangling backslash');
      lit += chars[i++]!;
      continue;
    }
    if (!'?*[{'.includes(c)) {
      lit += c;
      i++;
      continue;
    }
    flush();
    i++;
    if (c === '?') out.push({ t: 'single', v: '?' });
    else if (c === '*') {
      if (chars[i] === '*') {
        i++;
        out.push({ t: 'any', v: '**' });
      } else out.push({ t: 'multiple', v: '*' });
    } else {
      const v = scan(c === '[' ? ']' : '}', c);
      if (v !== '') out.push({ t: c === '[' ? 'range' : 'regex', v });
    }
  }
  flush();
  return out;
}

/** What Python 3.7+'s `re.escape` escapes. */
const RE_SPECIAL = new Set(Array.from('()[]{}?*+-|^$\\.&~# \t\n\r\v\f'));

function reEscape(text: string): string {
  let out = '';
  for (const c of text) out += RE_SPECIAL.has(c) ? `\\${c}` : c;
  return out;
}

/** The Python regular expression globre builds for a glob (with `**` matching newlines too). */
export function globToRegex(pattern: string): string {
  let expr = '';
  for (const tok of tokenize(pattern)) {
    switch (tok.t) {
      case 'lit': expr += reEscape(tok.v); break;
      case 'single': expr += '[^/]'; break;
      case 'multiple': expr += '[^/]*?'; break;
      case 'any': expr += '[\\s\\S]*?'; break;
      case 'range': expr += `[${tok.v}]`; break;
      case 'regex': expr += tok.v; break;
    }
  }
  if (!expr.startsWith('^')) expr = `^${expr}`;
  if (!expr.endsWith('$')) expr += '$';
  return expr;
}

/** True when `regex` has a `|` outside every group and class. */
function topLevelBar(regex: string): boolean {
  let depth = 0;
  let inClass = false;
  const chars = Array.from(regex);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (chars[i + 1] === '^') i++;
      if (chars[i + 1] === ']') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

function warningsOf(pattern: string, regex: string): string[] {
  const out: string[] = [];
  let toks: Token[] = [];
  try {
    toks = tokenize(pattern);
  } catch {
    return out;
  }
  for (const tok of toks) {
    if (tok.t === 'regex' && tok.v.replace(/\{\d*,\d*\}/g, '').includes(',')) {
      out.push(`glob "${pattern}": {${tok.v}} is a regular expression as in the Python tool, so its comma is literal; write {(a|b)} for alternatives`);
    }
    if (tok.t === 'range' && tok.v.startsWith('!')) {
      out.push(`glob "${pattern}": [${tok.v}] includes '!' as in the Python tool; write [^${tok.v.slice(1)}] to negate`);
    }
  }
  if (topLevelBar(regex)) {
    out.push(`glob "${pattern}": a '|' outside parentheses in {...} splits the whole glob, as in the Python tool (${regex}); write {(a|b)} to choose between a and b`);
  }
  return out;
}

function dirOf(prefix: string): string {
  const slash = prefix.lastIndexOf('/');
  if (!prefix.startsWith('/') || slash <= 0) return '/';
  return prefix.slice(0, slash);
}

/** Compile a pattern; throws `Error('bad glob "…": …')` when it is malformed. */
export function compileGlob(pattern: string): Glob {
  if (pattern.includes('\0')) throw bad(pattern.replace(/\0/g, '\\0'), 'a NUL byte cannot be in a path');
  const regex = globToRegex(pattern);
  let re: PyRegex;
  try {
    re = compilePyRegex(regex);
  } catch (err) {
    if (err instanceof RegexError) throw bad(pattern, `bad regular expression ${regex}: ${err.message}`);
    throw err;
  }
  const { prefix, exact } = re.literalPrefix();
  const base = dirOf(prefix);
  let root = base;
  if (exact && prefix.startsWith('/')) root = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return {
    pattern,
    regex,
    test: (path) => re.test(path),
    base,
    roots: [root],
    mayMatchBelow(dir: string): boolean {
      return re.mayMatchAfter(dir.endsWith('/') ? dir : `${dir}/`);
    },
    warnings: warningsOf(pattern, regex),
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

/** For `OptionSpec.warnings`: the warnings of a list of patterns. */
export function globWarnings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const p of list) {
    if (typeof p !== 'string') continue;
    try {
      out.push(...compileGlob(p).warnings);
    } catch {
      // checkGlob reports it.
    }
  }
  return out;
}

/** Several patterns; a path matches when any does. */
export class GlobSet {
  readonly globs: readonly Glob[];
  /** All patterns in one automaton: one pass per path, however many patterns. */
  private readonly union?: PyRegex;
  constructor(patterns: readonly string[]) {
    this.globs = patterns.map(compileGlob);
    if (this.globs.length > 1) this.union = compilePyRegexUnion(this.globs.map((g) => g.regex));
  }
  get empty(): boolean {
    return this.globs.length === 0;
  }
  test(path: string): boolean {
    if (this.union) return this.union.test(path);
    return this.globs.length === 1 && this.globs[0]!.test(path);
  }
  mayMatchBelow(dir: string): boolean {
    if (this.union) return this.union.mayMatchAfter(dir.endsWith('/') ? dir : `${dir}/`);
    return this.globs.length === 1 && this.globs[0]!.mayMatchBelow(dir);
  }
}
