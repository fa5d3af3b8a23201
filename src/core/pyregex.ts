/**
 * Regular expressions in Python's `re` syntax, matched in linear time.
 *
 * The globs of the Python tool (globre) are Python regular expressions; matching them with a
 * backtracking engine lets one pattern hold a run for minutes. Here a pattern is parsed into a
 * syntax tree, built into a Thompson NFA and run as a lazily built DFA: each character of the
 * subject costs one table lookup once the DFA state is known, and at most one pass over the
 * NFA when it is not. Nothing backtracks.
 *
 * Supported: literals and escapes (`\t`, `\x41`, `\u00e9`, `\U0001f600`, octal `\0`, `\101`),
 * `.`, classes `[...]`/`[^...]` with ranges and `\d \D \w \W \s \S` (Unicode, as for Python
 * `str` patterns), groups `(...)`, `(?:...)`, `(?P<name>...)`, comments `(?#...)`,
 * alternation `|`, repeats `* + ? {m} {m,} {,n} {m,n}` and their lazy forms, anchors `^ $ \A
 * \Z`. Refused with a message (they need backtracking or are rare enough not to carry):
 * back-references, look-around, atomic groups, possessive repeats, conditionals, inline flags,
 * `\b`, `\B`, `\N{...}`.
 *
 * Matching follows `re.match` without flags: anchored at the start, a match of any prefix
 * counts (so an alternative without `$` matches every extension), `.` does not match `\n`,
 * `$` matches at the end and before a final `\n`.
 */

/** A parse error; the message says what and where (0-based position in the pattern). */
export class RegexError extends Error {}

// ---- character sets -------------------------------------------------------------------------

type ClassName = 'd' | 'D' | 'w' | 'W' | 's' | 'S';

interface CharSet {
  neg: boolean;
  /** Inclusive code point ranges. */
  ranges: [number, number][];
  classes: ClassName[];
}

const RE_DIGIT = /\p{Nd}/u;
const RE_WORD = /[\p{L}\p{N}_]/u;

/** Python's `str.isspace` (the whitespace of `\s` in a `str` pattern). */
function isSpace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp === 0x85 || cp === 0xa0 || cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000
  );
}

function inClass(name: ClassName, cp: number): boolean {
  switch (name) {
    case 'd': return cp < 128 ? cp >= 48 && cp <= 57 : RE_DIGIT.test(String.fromCodePoint(cp));
    case 'D': return !inClass('d', cp);
    case 'w': return cp < 128 ? (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95 : RE_WORD.test(String.fromCodePoint(cp));
    case 'W': return !inClass('w', cp);
    case 's': return isSpace(cp);
    case 'S': return !isSpace(cp);
  }
}

function setHas(set: CharSet, cp: number): boolean {
  let hit = false;
  for (const [lo, hi] of set.ranges) {
    if (cp >= lo && cp <= hi) {
      hit = true;
      break;
    }
  }
  if (!hit) for (const c of set.classes) if (inClass(c, cp)) { hit = true; break; }
  return hit !== set.neg;
}

const single = (cp: number): CharSet => ({ neg: false, ranges: [[cp, cp]], classes: [] });
const NOT_NEWLINE: CharSet = { neg: true, ranges: [[10, 10]], classes: [] };

/** The code point a set stands for when it is exactly one, else undefined. */
function singleOf(set: CharSet): number | undefined {
  if (set.neg || set.classes.length > 0 || set.ranges.length === 0) return undefined;
  const [lo, hi] = set.ranges[0]!;
  if (lo !== hi) return undefined;
  return set.ranges.every(([a, b]) => a === lo && b === lo) ? lo : undefined;
}

// ---- syntax tree ------------------------------------------------------------------------------

type AssertKind = 'start' | 'end' | 'endZ';

type Node =
  | { t: 'set'; set: CharSet }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: AssertKind }
  | { t: 'empty' };

/** The largest repeat count accepted (the NFA grows with it). */
export const MAX_REPEAT = 1000;
/** The largest NFA built; a pattern needing more is refused. */
const MAX_STATES = 100_000;

const DIGITS = '0123456789';
const OCT = '01234567';
const HEX = /^[0-9a-fA-F]+$/;

class Parser {
  private i = 0;
  private readonly cps: number[];
  private groups = 0;
  constructor(private readonly src: string) {
    this.cps = Array.from(src, (c) => c.codePointAt(0)!);
  }

  private fail(why: string, at = this.i): never {
    throw new RegexError(`${why} at position ${at}`);
  }
  private peek(k = 0): string | undefined {
    const cp = this.cps[this.i + k];
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }
  private next(): string | undefined {
    const c = this.peek();
    if (c !== undefined) this.i++;
    return c;
  }
  private eat(s: string): boolean {
    if (this.peek() === s) {
      this.i++;
      return true;
    }
    return false;
  }

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.cps.length) this.fail('unbalanced parenthesis');
    return node;
  }

  private alternation(): Node {
    const items = [this.sequence()];
    while (this.eat('|')) items.push(this.sequence());
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const start = this.i;
      if ('*+?{'.includes(c)) {
        const rep = this.repeatSpec();
        if (!rep) {
          // `{` that is not a repeat count is a literal.
          this.i++;
          items.push({ t: 'set', set: single(0x7b) });
          continue;
        }
        const last = items[items.length - 1];
        if (!last || last.t === 'assert' || last.t === 'empty') this.fail('nothing to repeat', start);
        if ((last as { repeated?: boolean }).repeated) this.fail('multiple repeat', start);
        if (this.eat('+')) this.fail('possessive repeats are not supported in globs', start);
        this.eat('?'); // lazy: the same set of matches
        const node: Node & { repeated?: boolean } = { t: 'rep', node: last, min: rep[0], max: rep[1] };
        node.repeated = true;
        items[items.length - 1] = node;
        continue;
      }
      const atom = this.atom();
      if (atom.t !== 'empty') items.push(atom); // a comment adds nothing
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  /** At `* + ? {`: the repeat bounds, consuming them; undefined for a literal `{`. */
  private repeatSpec(): [number, number] | undefined {
    const c = this.next()!;
    if (c === '*') return [0, Infinity];
    if (c === '+') return [1, Infinity];
    if (c === '?') return [0, 1];
    const here = this.i;
    if (this.peek() === '}') {
      this.i = here - 1;
      return undefined;
    }
    let lo = '';
    let hi = '';
    while (this.peek() !== undefined && DIGITS.includes(this.peek()!)) lo += this.next();
    if (this.eat(',')) {
      while (this.peek() !== undefined && DIGITS.includes(this.peek()!)) hi += this.next();
    } else hi = lo;
    if (!this.eat('}')) {
      this.i = here - 1;
      return undefined;
    }
    const min = lo ? Number(lo) : 0;
    const max = hi ? Number(hi) : Infinity;
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) this.fail(`repeat count above ${MAX_REPEAT}`, here - 1);
    if (max < min) this.fail('min repeat greater than max repeat', here - 1);
    return [min, max];
  }

  private atom(): Node {
    const start = this.i;
    const c = this.next()!;
    switch (c) {
      case '.': return { t: 'set', set: NOT_NEWLINE };
      case '^': return { t: 'assert', kind: 'start' };
      case '$': return { t: 'assert', kind: 'end' };
      case '[': return { t: 'set', set: this.charClass(start) };
      case '(': return this.group(start);
      case '\\': return this.escape(start);
      default: return { t: 'set', set: single(c.codePointAt(0)!) };
    }
  }

  private group(start: number): Node {
    if (this.eat('?')) {
      const k = this.next();
      if (k === ':') return this.closeGroup(start);
      if (k === 'P') {
        if (this.eat('<')) {
          let name = '';
          while (this.peek() !== undefined && this.peek() !== '>') name += this.next();
          if (!this.eat('>') || !/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) this.fail('bad group name', start);
          this.groups++;
          return this.closeGroup(start);
        }
        if (this.peek() === '=') this.fail('back-references are not supported in globs', start);
        this.fail('unknown extension ?P', start);
      }
      if (k === '#') {
        while (this.peek() !== undefined && this.peek() !== ')') this.i++;
        if (!this.eat(')')) this.fail('missing ), unterminated comment', start);
        return { t: 'empty' };
      }
      if (k === '=' || k === '!' || k === '<') this.fail('look-around is not supported in globs', start);
      if (k === '>') this.fail('atomic groups are not supported in globs', start);
      if (k === '(') this.fail('conditional groups are not supported in globs', start);
      if (k !== undefined && /[aiLmsux-]/.test(k)) this.fail('inline flags are not supported in globs', start);
      this.fail(`unknown extension ?${k ?? ''}`, start);
    }
    this.groups++;
    return this.closeGroup(start);
  }

  private closeGroup(start: number): Node {
    const inner = this.alternation();
    if (!this.eat(')')) this.fail('missing ), unterminated subpattern', start);
    // A group is one atom: a repeat after it applies to all of it.
    return inner.t === 'empty' ? { t: 'cat', items: [] } : { t: 'cat', items: [inner] };
  }

  /** After a backslash outside a class. */
  private escape(start: number): Node {
    const c = this.next();
    if (c === undefined) this.fail('bad escape (end of pattern)', start);
    switch (c) {
      case 'A': return { t: 'assert', kind: 'start' };
      case 'Z': return { t: 'assert', kind: 'endZ' };
      case 'b': case 'B': return this.fail('word boundaries (\\b, \\B) are not supported in globs', start);
      case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
        return { t: 'set', set: { neg: false, ranges: [], classes: [c] } };
      default:
    }
    if (DIGITS.includes(c)) {
      // Octal `\0`, `\0nn`, `\nnn`; otherwise a group reference.
      if (c === '0') return { t: 'set', set: single(this.octal('0', 2)) };
      if (OCT.includes(c) && this.peek() !== undefined && OCT.includes(this.peek()!) && this.peek(1) !== undefined && OCT.includes(this.peek(1)!)) {
        const v = parseInt(c + this.next()! + this.next()!, 8);
        if (v > 0o377) this.fail('octal escape value outside of range 0-0o377', start);
        return { t: 'set', set: single(v) };
      }
      this.fail('back-references are not supported in globs', start);
    }
    return { t: 'set', set: single(this.charEscape(c, start, false)) };
  }

  private octal(first: string, more: number): number {
    let s = first;
    while (more-- > 0 && this.peek() !== undefined && OCT.includes(this.peek()!)) s += this.next();
    return parseInt(s, 8);
  }

  /** A literal escape (`\n`, `\x41`, `\.`, …) after the backslash and `c`. */
  private charEscape(c: string, start: number, inSet: boolean): number {
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
    if (inSet && c === 'b') return 8;
    if (Object.hasOwn(simple, c)) return simple[c]!;
    const hex = (n: number) => {
      let s = '';
      for (let k = 0; k < n; k++) s += this.next() ?? '';
      if (s.length !== n || !HEX.test(s)) this.fail(`incomplete escape \\${c}${s}`, start);
      const v = parseInt(s, 16);
      if (v > 0x10ffff) this.fail(`bad escape \\${c}${s}`, start);
      return v;
    };
    if (c === 'x') return hex(2);
    if (c === 'u') return hex(4);
    if (c === 'U') return hex(8);
    if (c === 'N') this.fail('\\N{...} is not supported in globs', start);
    if (/^[A-Za-z]$/.test(c)) this.fail(`bad escape \\${c}`, start);
    return c.codePointAt(0)!;
  }

  private charClass(start: number): CharSet {
    const set: CharSet = { neg: false, ranges: [], classes: [] };
    if (this.eat('^')) set.neg = true;
    let first = true;
    for (;;) {
      const here = this.i;
      const c = this.next();
      if (c === undefined) this.fail('unterminated character set', start);
      if (c === ']' && !first) break;
      first = false;
      const lo = this.classItem(c, here);
      if (this.peek() === '-') {
        this.i++;
        const d = this.next();
        if (d === undefined) this.fail('unterminated character set', start);
        if (d === ']') {
          this.addItem(set, lo);
          set.ranges.push([45, 45]);
          break;
        }
        const hi = this.classItem(d, this.i - 1);
        if (typeof lo !== 'number' || typeof hi !== 'number') this.fail('bad character range', here);
        if (hi < lo) this.fail('bad character range', here);
        set.ranges.push([lo, hi]);
        continue;
      }
      this.addItem(set, lo);
    }
    return set;
  }

  private addItem(set: CharSet, item: number | ClassName): void {
    if (typeof item === 'number') set.ranges.push([item, item]);
    else set.classes.push(item);
  }

  private classItem(c: string, at: number): number | ClassName {
    if (c !== '\\') return c.codePointAt(0)!;
    const e = this.next();
    if (e === undefined) this.fail('unterminated character set', at);
    if ('dDwWsS'.includes(e)) return e as ClassName;
    if (OCT.includes(e)) return this.octalInSet(e, at);
    if (DIGITS.includes(e)) this.fail(`bad escape \\${e}`, at);
    return this.charEscape(e, at, true);
  }

  private octalInSet(first: string, at: number): number {
    const v = this.octal(first, 2);
    if (v > 0o377) this.fail('octal escape value outside of range 0-0o377', at);
    return v;
  }
}

// ---- NFA ---------------------------------------------------------------------------------------

const CHAR = 0;
const SPLIT = 1;
const ASSERT = 2;
const MATCH = 3;
const EPS = 4;

interface NState {
  kind: number;
  set?: CharSet;
  assert?: AssertKind;
  out: number;
  out2: number;
}

interface Frag {
  start: number;
  /** States whose `out` (or `out2` when negative: -(id+1)) dangle. */
  dangling: number[];
}

class Builder {
  readonly states: NState[] = [];
  add(kind: number, extra: Partial<NState> = {}): number {
    if (this.states.length >= MAX_STATES) throw new RegexError('pattern too large for a glob');
    this.states.push({ kind, out: -1, out2: -1, ...extra });
    return this.states.length - 1;
  }
  patch(list: number[], to: number): void {
    for (const d of list) {
      if (d >= 0) this.states[d]!.out = to;
      else this.states[-d - 1]!.out2 = to;
    }
  }
  build(node: Node): Frag {
    switch (node.t) {
      case 'set': {
        const s = this.add(CHAR, { set: node.set });
        return { start: s, dangling: [s] };
      }
      case 'assert': {
        const s = this.add(ASSERT, { assert: node.kind });
        return { start: s, dangling: [s] };
      }
      case 'empty': {
        const s = this.add(EPS);
        return { start: s, dangling: [s] };
      }
      case 'cat': {
        if (node.items.length === 0) return this.build({ t: 'empty' });
        let first: Frag | undefined;
        let prev: Frag | undefined;
        for (const item of node.items) {
          const f = this.build(item);
          if (prev) this.patch(prev.dangling, f.start);
          else first = f;
          prev = f;
        }
        return { start: first!.start, dangling: prev!.dangling };
      }
      case 'alt': {
        const frags = node.items.map((n) => this.build(n));
        let start = frags[frags.length - 1]!.start;
        for (let k = frags.length - 2; k >= 0; k--) start = this.add(SPLIT, { out: frags[k]!.start, out2: start });
        return { start, dangling: frags.flatMap((f) => f.dangling) };
      }
      case 'rep': {
        const { min, max } = node;
        const parts: Frag[] = [];
        for (let k = 0; k < min; k++) parts.push(this.build(node.node));
        if (max === Infinity) {
          const body = this.build(node.node);
          const split = this.add(SPLIT, { out: body.start });
          this.patch(body.dangling, split);
          parts.push({ start: split, dangling: [-split - 1] });
        } else {
          // x{0,k}: nested optionals, (x(x(x)?)?)?
          const opts: { split: number; body: Frag }[] = [];
          for (let k = min; k < max; k++) {
            const body = this.build(node.node);
            const split = this.add(SPLIT, { out: body.start });
            opts.push({ split, body });
          }
          if (opts.length > 0) {
            const dangling: number[] = [];
            for (let k = 0; k < opts.length; k++) {
              const o = opts[k]!;
              dangling.push(-o.split - 1);
              if (k + 1 < opts.length) this.patch(o.body.dangling, opts[k + 1]!.split);
              else dangling.push(...o.body.dangling);
            }
            parts.push({ start: opts[0]!.split, dangling });
          }
        }
        if (parts.length === 0) return this.build({ t: 'empty' });
        for (let k = 1; k < parts.length; k++) this.patch(parts[k - 1]!.dangling, parts[k]!.start);
        return { start: parts[0]!.start, dangling: parts[parts.length - 1]!.dangling };
      }
    }
  }
}

// ---- lazy DFA ----------------------------------------------------------------------------------

/** Position context bits: at the start, at the end, before a final `\n`. */
const AT_START = 1;
const AT_END = 2;
const BEFORE_FINAL_NL = 4;

interface DState {
  /** NFA states: CHAR, MATCH and end assertions not yet passable; sorted. */
  ids: number[];
  accept: boolean;
  /** No match can follow. */
  dead: boolean;
  /** Next state for code points < 128, built on first use. */
  ascii: (DState | undefined)[];
  other: Map<number, DState>;
  /** This state re-closed under an end context. */
  reclosed: Map<number, DState>;
}

/** The most DFA states cached; beyond, the cache starts over (matching stays linear). */
const MAX_DSTATES = 4096;

/** A compiled pattern (or a union of patterns). */
export class PyRegex {
  readonly source: string;
  private readonly nfa: NState[];
  private readonly start: number;
  private readonly live: Uint8Array;
  private byKey = new Map<string, DState>();
  private starts = new Map<number, DState>();
  private readonly mark: Int32Array;
  private markGen = 0;

  constructor(sources: string | readonly string[]) {
    const list = typeof sources === 'string' ? [sources] : sources;
    this.source = list.join(' | ');
    const asts = list.map((s) => new Parser(s).parse());
    const ast: Node = asts.length === 1 ? asts[0]! : { t: 'alt', items: asts.map((a) => ({ t: 'cat', items: [a] }) as Node) };
    const b = new Builder();
    const frag = b.build(ast);
    const match = b.add(MATCH);
    b.patch(frag.dangling, match);
    this.nfa = b.states;
    this.start = frag.start;
    this.mark = new Int32Array(this.nfa.length);
    this.live = this.liveStates(match);
  }

  /** States from which MATCH can be reached (through any edge). */
  private liveStates(match: number): Uint8Array {
    const n = this.nfa.length;
    const rev: number[][] = Array.from({ length: n }, () => []);
    this.nfa.forEach((s, id) => {
      if (s.out >= 0) rev[s.out]!.push(id);
      if (s.out2 >= 0) rev[s.out2]!.push(id);
    });
    const live = new Uint8Array(n);
    const stack = [match];
    live[match] = 1;
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (const p of rev[id]!) if (!live[p]) { live[p] = 1; stack.push(p); }
    }
    return live;
  }

  /** Close `seeds` over epsilon edges and the assertions `ctx` lets through. */
  private closure(seeds: Iterable<number>, ctx: number): number[] {
    const gen = ++this.markGen;
    const out: number[] = [];
    const stack = [...seeds];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (this.mark[id] === gen || !this.live[id]) continue;
      this.mark[id] = gen;
      const s = this.nfa[id]!;
      switch (s.kind) {
        case CHAR:
        case MATCH:
          out.push(id);
          break;
        case EPS:
          stack.push(s.out);
          break;
        case SPLIT:
          stack.push(s.out2, s.out);
          break;
        case ASSERT: {
          const ok = s.assert === 'start' ? (ctx & AT_START) !== 0 : s.assert === 'endZ' ? (ctx & AT_END) !== 0 : (ctx & (AT_END | BEFORE_FINAL_NL)) !== 0;
          if (ok) stack.push(s.out);
          else if (s.assert !== 'start') out.push(id); // may pass at a later position
          break;
        }
      }
    }
    return out.sort((a, b) => a - b);
  }

  private dstate(ids: number[]): DState {
    const key = ids.join(',');
    const known = this.byKey.get(key);
    if (known) return known;
    if (this.byKey.size >= MAX_DSTATES) {
      // States already handed out stay correct; they are just no longer shared.
      this.byKey = new Map();
      this.starts = new Map();
    }
    const d: DState = {
      ids,
      accept: ids.some((id) => this.nfa[id]!.kind === MATCH),
      dead: ids.length === 0,
      ascii: new Array<DState | undefined>(128).fill(undefined),
      other: new Map(),
      reclosed: new Map(),
    };
    this.byKey.set(key, d);
    return d;
  }

  private startState(ctx: number): DState {
    let s = this.starts.get(ctx);
    if (!s) {
      s = this.dstate(this.closure([this.start], ctx));
      this.starts.set(ctx, s);
    }
    return s;
  }

  private build(d: DState, cp: number): DState {
    const next: number[] = [];
    for (const id of d.ids) {
      const s = this.nfa[id]!;
      if (s.kind === CHAR && setHas(s.set!, cp)) next.push(s.out);
    }
    const nd = this.dstate(this.closure(next, 0));
    if (cp < 128) d.ascii[cp] = nd;
    else d.other.set(cp, nd);
    return nd;
  }

  private reclose(d: DState, ctx: number): DState {
    let r = d.reclosed.get(ctx);
    if (!r) {
      r = this.dstate(this.closure(d.ids, ctx));
      d.reclosed.set(ctx, r);
    }
    return r;
  }

  /** `re.match(pattern, s)` is not None (for a union: any of them). */
  test(s: string): boolean {
    const n = s.length;
    let d = this.startState(n === 0 ? AT_START | AT_END : n === 1 && s.charCodeAt(0) === 10 ? AT_START | BEFORE_FINAL_NL : AT_START);
    if (d.accept) return true;
    for (let i = 0; i < n; ) {
      let cp = s.charCodeAt(i++);
      if (cp >= 0xd800 && cp <= 0xdbff && i < n) {
        const lo = s.charCodeAt(i);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
          i++;
        }
      }
      d = (cp < 128 ? d.ascii[cp] : d.other.get(cp)) ?? this.build(d, cp);
      if (i >= n - 1) {
        if (i === n) d = this.reclose(d, AT_END);
        else if (s.charCodeAt(i) === 10) d = this.reclose(d, BEFORE_FINAL_NL);
      }
      if (d.accept) return true;
      if (d.dead) return false;
    }
    return false;
  }

  /**
   * Whether some string starting with `prefix` (and longer than it) can match: false lets a
   * walk prune a directory.
   */
  mayMatchAfter(prefix: string): boolean {
    let d = this.startState(AT_START);
    if (d.accept) return true;
    for (const ch of prefix) {
      const cp = ch.codePointAt(0)!;
      d = (cp < 128 ? d.ascii[cp] : d.other.get(cp)) ?? this.build(d, cp);
      if (d.accept) return true;
      if (d.dead) return false;
    }
    return true;
  }

  /**
   * The literal text every match starts with, and whether the pattern matches exactly that
   * text and nothing longer (apart from a final `\n`).
   */
  literalPrefix(limit = 4096): { prefix: string; exact: boolean } {
    let d = this.startState(AT_START);
    let prefix = '';
    for (let k = 0; k < limit; k++) {
      if (d.accept) return { prefix, exact: false };
      let cp: number | undefined;
      let chars = 0;
      for (const id of d.ids) {
        const s = this.nfa[id]!;
        if (s.kind !== CHAR) continue;
        chars++;
        const one = singleOf(s.set!);
        if (one === undefined || (cp !== undefined && one !== cp)) return { prefix, exact: false };
        cp = one;
      }
      if (chars === 0) return { prefix, exact: d.ids.length > 0 };
      prefix += String.fromCodePoint(cp!);
      d = (cp! < 128 ? d.ascii[cp!] : d.other.get(cp!)) ?? this.build(d, cp!);
    }
    return { prefix, exact: false };
  }
}

/** Compile a Python regular expression; throws {@link RegexError}. */
export function compilePyRegex(source: string): PyRegex {
  return new PyRegex(source);
}

/** One automaton matching when any of `sources` matches (each as `re.match`). */
export function compilePyRegexUnion(sources: readonly string[]): PyRegex {
  return new PyRegex(sources);
}
