/**
 * The regular expressions of SCA policies, matched in linear time.
 *
 * Two dialects are parsed into one syntax tree and run on one Pike VM (a Thompson NFA that
 * follows every alternative at once, with capture groups), so the cost of a match is bounded by
 * (pattern size × line length) whatever the pattern: a hostile policy cannot hang a run.
 *
 * - `osregex`: Wazuh's OS_Regex, the dialect of 4.x policies. `\w` is `[A-Za-z0-9@_-]`, `\s` a
 *   space only, `\t` a tab, `\p` punctuation, `\.` any character, a bare `.` a literal dot;
 *   `*` and `+` apply to backslash classes only (after a bare character they are literal);
 *   `^` and `$` anchor only at the ends of a pattern; `|` separates whole patterns; `( )` capture.
 *   Matching ignores case, as OS_Regex does.
 * - `pcre2`: the PCRE2 subset that policies use: literals, `.`, classes with ranges, negation,
 *   escapes and POSIX names, `\d\D\w\W\s\S\b\B`, anchors `^ $ \A \z \Z`, groups (capturing,
 *   `(?:…)`, named), alternation, quantifiers `* + ? {m} {m,} {m,n}` (lazy `?` suffix;
 *   possessive `+` suffix read as greedy), `(?i)` / `(?i:…)`. Backreferences and lookaround need
 *   backtracking and are refused with a message naming them.
 */

export type Dialect = 'osregex' | 'pcre2';

type Test = (c: number) => boolean;

type Node =
  | { t: 'set'; test: Test }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number; greedy: boolean }
  | { t: 'group'; node: Node; index: number | null }
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'wordb'; neg: boolean };

const enum Op {
  Char,
  Split,
  Jmp,
  Save,
  Bol,
  Eol,
  WordB,
  NotWordB,
  Match,
}

interface Inst {
  op: Op;
  test?: Test;
  x?: number;
  y?: number;
  n?: number;
}

/** Bound on compiled program size (a `{1000}` repeat of a long group is refused, not run). */
const MAX_PROGRAM = 50_000;

export class RegexError extends Error {}

const code = (s: string) => s.charCodeAt(0);
const isDigit: Test = (c) => c >= 48 && c <= 57;
const isUpper: Test = (c) => c >= 65 && c <= 90;
const isLower: Test = (c) => c >= 97 && c <= 122;
const isAlpha: Test = (c) => isUpper(c) || isLower(c);
const isWordPcre: Test = (c) => isAlpha(c) || isDigit(c) || c === 95;
const isSpacePcre: Test = (c) => c === 32 || (c >= 9 && c <= 13);
const OS_PUNCT = new Set([...'()*+,-.:;<=>?[]!"\'#$%&|{}'].map(code));
const OS_WORD_EXTRA = new Set([...'-@_'].map(code));
const isWordOs: Test = (c) => isAlpha(c) || isDigit(c) || OS_WORD_EXTRA.has(c);

const literal = (ch: number, ci: boolean): Test => {
  if (ci && (isAlpha(ch))) {
    const lo = ch | 0x20;
    return (c) => (c | 0x20) === lo && isAlpha(c);
  }
  return (c) => c === ch;
};

const foldCase = (t: Test, ci: boolean): Test => (ci ? (c) => t(c) || (isAlpha(c) && t(c ^ 0x20)) : t);

// ---- OS_Regex ---------------------------------------------------------------------------

const OS_CLASSES: Record<string, Test> = {
  w: isWordOs,
  W: (c) => !isWordOs(c),
  d: isDigit,
  D: (c) => !isDigit(c),
  s: (c) => c === 32,
  S: (c) => c !== 32,
  t: (c) => c === 9,
  p: (c) => OS_PUNCT.has(c),
  '.': () => true,
};

function splitTopLevel(src: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length) {
      cur += c + src[i + 1];
      i++;
    } else if (c === '|') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function parseOsRegex(src: string, counter: { n: number }): Node {
  const alts = splitTopLevel(src).map((p) => parseOsPattern(p, counter));
  return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
}

function parseOsPattern(p: string, counter: { n: number }): Node {
  const stack: { items: Node[]; index: number }[] = [{ items: [], index: -1 }];
  let i = 0;
  const top = () => stack[stack.length - 1]!.items;
  if (p.startsWith('^')) {
    top().push({ t: 'bol' });
    i = 1;
  }
  for (; i < p.length; i++) {
    const c = p[i]!;
    if (c === '$' && i === p.length - 1) {
      top().push({ t: 'eol' });
    } else if (c === '\\' && i + 1 < p.length) {
      const d = p[++i]!;
      const cls: Test | undefined = Object.hasOwn(OS_CLASSES, d) ? OS_CLASSES[d] : undefined;
      let node: Node = cls ? { t: 'set', test: foldCase(cls, true) } : { t: 'set', test: literal(code(d), true) };
      const m = p[i + 1];
      if (cls && (m === '+' || m === '*')) {
        node = { t: 'rep', node, min: m === '+' ? 1 : 0, max: Infinity, greedy: true };
        i++;
      }
      top().push(node);
    } else if (c === '(') {
      stack.push({ items: [], index: ++counter.n });
    } else if (c === ')' && stack.length > 1) {
      const g = stack.pop()!;
      top().push({ t: 'group', node: { t: 'seq', items: g.items }, index: g.index });
    } else {
      top().push({ t: 'set', test: literal(code(c), true) });
    }
  }
  if (stack.length > 1) throw new RegexError(`unbalanced '(' in ${JSON.stringify(p)}`);
  return { t: 'seq', items: top() };
}

// ---- PCRE2 subset -------------------------------------------------------------------------

const POSIX: Record<string, Test> = {
  alpha: isAlpha,
  digit: isDigit,
  alnum: (c) => isAlpha(c) || isDigit(c),
  upper: isUpper,
  lower: isLower,
  space: isSpacePcre,
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  word: isWordPcre,
  cntrl: (c) => c < 32 || c === 127,
  print: (c) => c >= 32 && c < 127,
  graph: (c) => c > 32 && c < 127,
};

class PcreParser {
  private i = 0;
  ci = false;
  constructor(
    private readonly s: string,
    private readonly counter: { n: number },
  ) {}

  parse(): Node {
    const n = this.alt();
    if (this.i < this.s.length) throw this.err(`unexpected '${this.s[this.i]}'`);
    return n;
  }

  private err(msg: string): RegexError {
    return new RegexError(`${msg} at offset ${this.i} of ${JSON.stringify(this.s)}`);
  }

  private alt(): Node {
    const alts = [this.seq()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.seq());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private seq(): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom();
      if (atom) items.push(this.quant(atom));
    }
    return { t: 'seq', items };
  }

  private quant(atom: Node): Node {
    let node = atom;
    for (;;) {
      const c = this.s[this.i];
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
        if (!m) return node; // a literal '{'
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (max < min) throw this.err('quantifier range out of order');
        if (min > 1000 || (max !== Infinity && max > 1000)) throw this.err('repeat count over 1000');
        this.i += m[0].length - 1;
      } else return node;
      this.i++;
      let greedy = true;
      if (this.s[this.i] === '?') {
        greedy = false;
        this.i++;
      } else if (this.s[this.i] === '+') this.i++;
      node = { t: 'rep', node, min, max, greedy };
    }
  }

  private atom(): Node | undefined {
    const c = this.s[this.i++]!;
    switch (c) {
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '.':
        return { t: 'set', test: (x) => x !== 10 };
      case '[':
        return this.cls();
      case '(':
        return this.group();
      case '\\':
        return this.escape(false) as Node;
      default:
        return { t: 'set', test: literal(code(c), this.ci) };
    }
  }

  private group(): Node | undefined {
    let index: number | null = null;
    const saved = this.ci;
    if (this.s[this.i] === '?') {
      const rest = this.s.slice(this.i + 1);
      if (rest.startsWith(':')) this.i += 2;
      else if (/^(=|!|<=|<!)/.test(rest)) throw this.err('lookaround is not supported (it needs backtracking)');
      else if (rest.startsWith('>')) this.i += 2; // atomic group: matched as a plain group
      else if (/^(P?<[A-Za-z_]\w*>|'[A-Za-z_]\w*')/.test(rest)) {
        const m = /^(P?<[A-Za-z_]\w*>|'[A-Za-z_]\w*')/.exec(rest)!;
        this.i += 1 + m[0].length;
        index = ++this.counter.n;
      } else {
        const m = /^([imsx]*)(-[imsx]*)?(:|\))/.exec(rest);
        if (!m) throw this.err('unsupported group syntax');
        this.i += 1 + m[0].length;
        const on = m[1]!.includes('i');
        const off = (m[2] ?? '').includes('i');
        if (m[3] === ')') {
          // (?i) switches case folding for the rest of the enclosing group.
          if (on) this.ci = true;
          if (off) this.ci = false;
          return undefined;
        }
        if (on) this.ci = true;
        if (off) this.ci = false;
      }
    } else index = ++this.counter.n;
    const node = this.alt();
    if (this.s[this.i] !== ')') throw this.err("missing ')'");
    this.i++;
    this.ci = saved;
    return { t: 'group', node, index };
  }

  private escape(inClass: boolean): Node | Test {
    const c = this.s[this.i++];
    if (c === undefined) throw this.err('trailing backslash');
    const wrap = (t: Test): Node | Test => (inClass ? t : { t: 'set', test: foldCase(t, this.ci) });
    switch (c) {
      case 'd':
        return wrap(isDigit);
      case 'D':
        return wrap((x) => !isDigit(x));
      case 'w':
        return wrap(isWordPcre);
      case 'W':
        return wrap((x) => !isWordPcre(x));
      case 's':
        return wrap(isSpacePcre);
      case 'S':
        return wrap((x) => !isSpacePcre(x));
      case 'h':
        return wrap((x) => x === 32 || x === 9);
      case 't':
        return wrap((x) => x === 9);
      case 'n':
        return wrap((x) => x === 10);
      case 'r':
        return wrap((x) => x === 13);
      case 'f':
        return wrap((x) => x === 12);
      case 'v':
        return wrap((x) => x === 11);
      case 'e':
        return wrap((x) => x === 27);
      case 'x': {
        const m = /^(\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2})/.exec(this.s.slice(this.i));
        if (!m) throw this.err('bad \\x escape');
        this.i += m[0].length;
        const v = parseInt(m[0].replace(/[{}]/g, ''), 16);
        return wrap((x) => x === v);
      }
    }
    if (!inClass) {
      if (c === 'b') return { t: 'wordb', neg: false };
      if (c === 'B') return { t: 'wordb', neg: true };
      if (c === 'A') return { t: 'bol' };
      if (c === 'z' || c === 'Z') return { t: 'eol' };
      if (/[1-9k]/.test(c)) throw this.err('backreferences are not supported (they need backtracking)');
    }
    if (/[pPQEGXRK]/.test(c)) throw this.err(`\\${c} is not supported`);
    const v = code(c);
    return inClass ? (x) => x === v : { t: 'set', test: literal(v, this.ci) };
  }

  private cls(): Node {
    let neg = false;
    if (this.s[this.i] === '^') {
      neg = true;
      this.i++;
    }
    const tests: Test[] = [];
    let first = true;
    for (;;) {
      if (this.i >= this.s.length) throw this.err("missing ']'");
      let c = this.s[this.i]!;
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.s.slice(this.i));
      if (posix) {
        const t = POSIX[posix[2]!];
        if (!t) throw this.err(`unknown class [:${posix[2]}:]`);
        tests.push(posix[1] ? (x) => !t(x) : t);
        this.i += posix[0].length;
        continue;
      }
      let lo: number;
      this.i++;
      if (c === '\\') {
        const e = this.escape(true) as Test;
        // A single-character escape can start a range; a class escape cannot.
        const probe = [...Array(128).keys()].filter((x) => e(x));
        if (probe.length !== 1) {
          tests.push(e);
          continue;
        }
        lo = probe[0]!;
      } else lo = code(c);
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== undefined && this.s[this.i + 1] !== ']') {
        this.i++;
        c = this.s[this.i++]!;
        let hi: number;
        if (c === '\\') {
          const e = this.escape(true) as Test;
          const probe = [...Array(128).keys()].filter((x) => e(x));
          if (probe.length !== 1) throw this.err('bad range end');
          hi = probe[0]!;
        } else hi = code(c);
        if (hi < lo) throw this.err('class range out of order');
        tests.push((x) => x >= lo && x <= hi);
      } else {
        const v = lo;
        tests.push((x) => x === v);
      }
    }
    const any = foldCase((x: number) => tests.some((t) => t(x)), this.ci);
    return { t: 'set', test: neg ? (x) => !any(x) : any };
  }
}

// ---- compiler and VM --------------------------------------------------------------------

function compile(root: Node): Inst[] {
  const prog: Inst[] = [];
  const emit = (i: Inst) => {
    if (prog.length >= MAX_PROGRAM) throw new RegexError('pattern too large');
    prog.push(i);
    return prog.length - 1;
  };
  const gen = (n: Node): void => {
    switch (n.t) {
      case 'set':
        emit({ op: Op.Char, test: n.test });
        return;
      case 'bol':
        emit({ op: Op.Bol });
        return;
      case 'eol':
        emit({ op: Op.Eol });
        return;
      case 'wordb':
        emit({ op: n.neg ? Op.NotWordB : Op.WordB });
        return;
      case 'seq':
        for (const it of n.items) gen(it);
        return;
      case 'group':
        if (n.index !== null) emit({ op: Op.Save, n: n.index * 2 });
        gen(n.node);
        if (n.index !== null) emit({ op: Op.Save, n: n.index * 2 + 1 });
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let k = 0; k < n.alts.length; k++) {
          if (k < n.alts.length - 1) {
            const split = emit({ op: Op.Split });
            prog[split]!.x = prog.length;
            gen(n.alts[k]!);
            jumps.push(emit({ op: Op.Jmp }));
            prog[split]!.y = prog.length;
          } else gen(n.alts[k]!);
        }
        for (const j of jumps) prog[j]!.x = prog.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) gen(n.node);
        if (n.max === Infinity) {
          const split = emit({ op: Op.Split });
          const body = prog.length;
          gen(n.node);
          emit({ op: Op.Jmp, x: split });
          const out = prog.length;
          prog[split]!.x = n.greedy ? body : out;
          prog[split]!.y = n.greedy ? out : body;
        } else {
          const splits: number[] = [];
          for (let k = n.min; k < n.max; k++) {
            const split = emit({ op: Op.Split });
            splits.push(split);
            prog[split]!.x = prog.length; // provisional, fixed below for lazy
            gen(n.node);
          }
          const out = prog.length;
          for (const s of splits) {
            const body = s + 1;
            prog[s]!.x = n.greedy ? body : out;
            prog[s]!.y = n.greedy ? out : body;
          }
        }
        return;
      }
    }
  };
  gen(root);
  emit({ op: Op.Match });
  return prog;
}

interface Thread {
  pc: number;
  caps: (number | undefined)[];
}

/** A compiled pattern. `exec` finds the leftmost match (PCRE's preference among alternatives). */
export class Regex {
  private readonly prog: Inst[];
  readonly groups: number;

  constructor(
    readonly source: string,
    readonly dialect: Dialect,
  ) {
    const counter = { n: 0 };
    const tree = dialect === 'osregex' ? parseOsRegex(source, counter) : new PcreParser(source, counter).parse();
    this.groups = counter.n;
    this.prog = compile(tree);
  }

  test(s: string): boolean {
    return this.exec(s) !== null;
  }

  /** The match and its groups (group 0 is the whole match), or null. */
  exec(s: string): (string | undefined)[] | null {
    const prog = this.prog;
    const n = s.length;
    const slots = (this.groups + 1) * 2;
    const visited = new Int32Array(prog.length).fill(-1);
    let gen = 0;
    let clist: Thread[] = [];
    let nlist: Thread[];
    let matched: (number | undefined)[] | null = null;
    const isWord = (p: number) => p >= 0 && p < n && isWordPcre(s.charCodeAt(p));
    const add = (list: Thread[], pc0: number, caps0: (number | undefined)[], pos: number) => {
      const stack: Thread[] = [{ pc: pc0, caps: caps0 }];
      while (stack.length) {
        const { pc, caps } = stack.pop()!;
        if (visited[pc] === gen) continue;
        visited[pc] = gen;
        const inst = prog[pc]!;
        switch (inst.op) {
          case Op.Jmp:
            stack.push({ pc: inst.x!, caps });
            break;
          case Op.Split:
            stack.push({ pc: inst.y!, caps });
            stack.push({ pc: inst.x!, caps });
            break;
          case Op.Save: {
            const c = caps.slice();
            c[inst.n!] = pos;
            stack.push({ pc: pc + 1, caps: c });
            break;
          }
          case Op.Bol:
            if (pos === 0) stack.push({ pc: pc + 1, caps });
            break;
          case Op.Eol:
            if (pos === n) stack.push({ pc: pc + 1, caps });
            break;
          case Op.WordB:
          case Op.NotWordB: {
            const b = isWord(pos - 1) !== isWord(pos);
            if (b === (inst.op === Op.WordB)) stack.push({ pc: pc + 1, caps });
            break;
          }
          default:
            list.push({ pc, caps });
        }
      }
    };
    const seed = (pos: number) => {
      const caps: (number | undefined)[] = new Array(slots);
      caps[0] = pos;
      return caps;
    };
    gen++;
    add(clist, 0, seed(0), 0);
    for (let pos = 0; ; pos++) {
      gen++;
      nlist = [];
      const ch = pos < n ? s.charCodeAt(pos) : -1;
      for (const th of clist) {
        const inst = prog[th.pc]!;
        if (inst.op === Op.Match) {
          matched = th.caps.slice();
          matched[1] = pos;
          break; // lower-priority threads are cut
        }
        if (ch >= 0 && inst.test!(ch)) add(nlist, th.pc + 1, th.caps, pos + 1);
      }
      if (pos >= n) break;
      // A match starting further right has the lowest priority, and none once one was found.
      if (matched === null) add(nlist, 0, seed(pos + 1), pos + 1);
      clist = nlist;
      if (clist.length === 0) break;
    }
    if (!matched) return null;
    const out: (string | undefined)[] = [];
    for (let g = 0; g <= this.groups; g++) {
      const a = matched[g * 2];
      const b = matched[g * 2 + 1];
      out.push(a !== undefined && b !== undefined ? s.slice(a, b) : undefined);
    }
    return out;
  }
}
