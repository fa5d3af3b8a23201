/**
 * Reduced datastreams: a copy of a SCAP source datastream that keeps only some rules, and of
 * its OVAL only the definitions, tests, objects, states and variables those rules reach.
 * `oscap` parses and loads the whole datastream before it evaluates even one `--rule` (about
 * 0.8 s of CPU for the 10 MB SSG Debian 12 datastream); a datastream of a few rules loads in a
 * fraction of that, and its results file is small too. Everything a rule's result depends on
 * is kept whole: the profiles (selection and refined values), every Value, the groups above the
 * kept rules (their platforms), the CPE dictionary and its OVAL, OCIL, and the datastream
 * structure; nothing is rewritten, elements are only left out.
 *
 * Reduced copies are cached in `<storage>/scap-reduced/` (0700, files 0600), named by the
 * sha256 of the datastream's sha256 and the rule set, so a changed datastream never meets an
 * old copy; the most recently used ones are kept.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bumped when what a reduced datastream keeps changes: older copies are not used. */
export const REDUCE_VERSION = 1;
/** Reduced copies kept in the cache (most recently used first). */
export const REDUCED_KEEP = 24;

interface Item {
  kind: 'Rule' | 'Group' | 'Value' | 'Profile' | 'check';
  id: string;
  start: number;
  end: number;
  /** Ids this item references (check items: other items of its file; Rule: its check names; Profile: the one it extends). */
  refs: string[];
  /** Group: the rules, groups and values directly in it. */
  children: Item[];
}

/** Where the parts of a datastream are (string offsets of its UTF-8 text), and what refers to what. */
export interface DatastreamIndex {
  version: number;
  datastream_sha256: string;
  /** Top-level Groups, Rules and Values of the benchmark. */
  top: Item[];
  /** The benchmark's profiles. */
  profiles: Item[];
  /** Items (OVAL definitions, tests, objects, states, variables; OCIL questionnaires, test actions, questions) of each check file. */
  blocks: Item[][];
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);
/** Check files (OVAL, OCIL) and the sections of their items. */
const BLOCKS = new Set(['oval_definitions', 'ocil']);
const SECTIONS = new Set(['definitions', 'tests', 'objects', 'states', 'variables', 'questionnaires', 'test_actions', 'questions']);
const REF_ATTRS = ['test_ref', 'definition_ref', 'object_ref', 'state_ref', 'var_ref', 'question_ref'];
/** Elements whose text is an item id. */
const REF_TEXT = new Set(['object_reference', 'filter', 'var_ref', 'test_action_ref']);
const ATTR_RES = new Map<string, RegExp>();

function attr(tag: string, name: string): string {
  let re = ATTR_RES.get(name);
  if (!re) ATTR_RES.set(name, (re = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`)));
  const m = re.exec(tag);
  return m ? (m[1] ?? m[2] ?? '') : '';
}

interface Frame {
  name: string;
  item?: Item;
  textFrom?: number;
}

/**
 * One pass over the datastream text: where each XCCDF Profile, Group, Rule and Value and each
 * OVAL / OCIL item starts and ends, and what it references. Comments, CDATA, processing
 * instructions and a quoted `>` are skipped as XML says; a tag left open is an error.
 */
export function indexDatastream(text: string, sha: string): DatastreamIndex {
  const top: Item[] = [];
  const blocks: Item[][] = [];
  const profiles: Item[] = [];
  const stack: Frame[] = [];
  // The innermost open item, and the check file being read.
  const owners: Item[] = [];
  let block: Item[] | undefined;
  let inBenchmark = 0;
  let pos = 0;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) break;
    const c = text.charCodeAt(lt + 1);
    if (c === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) pos = end(text, '-->', lt);
      else if (text.startsWith('<![CDATA[', lt)) pos = end(text, ']]>', lt);
      else pos = end(text, '>', lt);
      continue;
    }
    if (c === 0x3f /* ? */) {
      pos = end(text, '?>', lt);
      continue;
    }
    // The tag's '>' outside quotes.
    let i = text.indexOf('>', lt + 1);
    for (;;) {
      if (i < 0) throw new Error(`not valid XML: the tag at offset ${lt} is not closed`);
      let quotes = 0;
      let q = 0;
      for (let j = lt + 1; j < i; j++) {
        const ch = text.charCodeAt(j);
        if (q) {
          if (ch === q) q = 0;
        } else if (ch === 0x22 || ch === 0x27) (q = ch), quotes++;
      }
      if (!q || !quotes) break;
      i = text.indexOf('>', i + 1);
    }
    pos = i + 1;
    if (c === 0x2f /* / */) {
      const name = local(text.slice(lt + 2, i).trim());
      const f = stack.pop();
      if (!f || f.name !== name) throw new Error(`not valid XML: </${name}> at offset ${lt} does not close <${f?.name ?? ''}>`);
      if (f.textFrom !== undefined) {
        const id = text.slice(f.textFrom, lt).trim();
        const o = owners[owners.length - 1];
        if (o && id) o.refs.push(id);
      }
      if (f.item) {
        f.item.end = pos;
        owners.pop();
      }
      if (name === 'Benchmark') inBenchmark--;
      else if (BLOCKS.has(name)) block = undefined;
      continue;
    }
    const tag = text.slice(lt, pos);
    const selfClosing = text.charCodeAt(i - 1) === 0x2f;
    let n = lt + 1;
    for (; n < i; n++) {
      const ch = text.charCodeAt(n);
      if (ch === 0x20 || ch === 0x0a || ch === 0x09 || ch === 0x0d || ch === 0x2f) break;
    }
    const name = local(text.slice(lt + 1, n));
    const parent = stack[stack.length - 1];
    const frame: Frame = { name };
    const o = owners[owners.length - 1];
    if (name === 'Benchmark') inBenchmark++;
    else if (BLOCKS.has(name) && !inBenchmark) blocks.push((block = []));
    if (inBenchmark) {
      if (name === 'Profile' && parent?.name === 'Benchmark') {
        frame.item = { kind: 'Profile', id: attr(tag, 'id'), start: lt, end: pos, refs: [attr(tag, 'extends')].filter(Boolean), children: [] };
        profiles.push(frame.item);
      } else if ((name === 'Rule' || name === 'Group' || name === 'Value') && (!o || o.kind === 'Group')) {
        frame.item = { kind: name, id: attr(tag, 'id'), start: lt, end: pos, refs: [], children: [] };
        (o ? o.children : top).push(frame.item);
      } else if (o?.kind === 'Rule' && name === 'check-content-ref') {
        const ref = attr(tag, 'name');
        if (ref) o.refs.push(ref);
      }
    } else if (block) {
      if (!o && parent && SECTIONS.has(parent.name) && BLOCKS.has(stack[stack.length - 2]?.name ?? '')) {
        frame.item = { kind: 'check', id: attr(tag, 'id'), start: lt, end: pos, refs: [], children: [] };
        block.push(frame.item);
      } else if (o) {
        for (const a of REF_ATTRS) {
          const v = tag.includes(a) ? attr(tag, a) : '';
          if (v) o.refs.push(v);
        }
        if (REF_TEXT.has(name) && !selfClosing) frame.textFrom = pos;
      }
    }
    if (selfClosing) {
      if (name === 'Benchmark') inBenchmark--;
      else if (BLOCKS.has(name)) block = undefined;
      continue;
    }
    if (frame.item) owners.push(frame.item);
    stack.push(frame);
  }
  if (stack.length) throw new Error(`not valid XML: <${stack[stack.length - 1]!.name}> is not closed`);
  return { version: REDUCE_VERSION, datastream_sha256: sha, top, profiles, blocks };
}

/**
 * The text of a datastream that keeps of the benchmark only `rules` (full ids; every Value
 * stays, and the groups above the rules), of its profiles `profiles` and the profiles they
 * extend (all when none are named: a tailoring file's profile may extend any), and of each
 * check file (OVAL, OCIL) that rules' checks name only what the kept rules reach. Check files
 * no rule points at (the CPE checks) stay whole. Nothing is rewritten, elements are only left out.
 */
export function reduceDatastream(text: string, s: DatastreamIndex, rules: Iterable<string>, profiles: string[] = []): string {
  const keep = new Set(rules);
  const byId = new Map<string, Item>();
  const add = (it: Item) => {
    byId.set(it.id, it);
    for (const c of it.children) add(c);
  };
  for (const it of s.top) add(it);
  for (const r of keep) if (byId.get(r)?.kind !== 'Rule') throw new Error(`rule ${r} is not in the datastream`);
  const cut: [number, number][] = [];
  if (profiles.length) {
    const ps = new Map(s.profiles.map((p) => [p.id, p]));
    const kept = new Set<string>();
    for (const todo = [...profiles]; todo.length; ) {
      const id = todo.pop()!;
      const p = ps.get(id);
      if (!p || kept.has(id)) continue;
      kept.add(id);
      todo.push(...p.refs);
    }
    for (const p of s.profiles) if (!kept.has(p.id)) cut.push([p.start, p.end]);
  }
  // Benchmark: a Group stays when something in it stays; Values always stay.
  const visit = (it: Item): boolean => {
    if (it.kind === 'Value') return true;
    if (it.kind === 'Rule') {
      if (keep.has(it.id)) return true;
      cut.push([it.start, it.end]);
      return false;
    }
    const mark = cut.length;
    let any = false;
    for (const c of it.children) if (visit(c)) any = true;
    if (!any) {
      // The group goes whole, not its rules one by one.
      cut.length = mark;
      cut.push([it.start, it.end]);
    }
    return any;
  };
  for (const it of s.top) visit(it);
  // Check files: what the kept rules' check names reach, within the file.
  const allRefs = new Set<string>();
  const keptRefs: string[] = [];
  for (const it of byId.values()) {
    if (it.kind !== 'Rule') continue;
    for (const r of it.refs) allRefs.add(r);
    if (keep.has(it.id)) keptRefs.push(...it.refs);
  }
  for (const b of s.blocks) {
    if (!b.some((it) => allRefs.has(it.id))) continue;
    const local = new Map(b.map((it) => [it.id, it]));
    const reach = new Set<string>();
    const todo = keptRefs.filter((r) => local.has(r));
    while (todo.length) {
      const id = todo.pop()!;
      const it = local.get(id);
      if (!it || reach.has(id)) continue;
      reach.add(id);
      todo.push(...it.refs);
    }
    for (const it of b) if (!reach.has(it.id)) cut.push([it.start, it.end]);
  }
  cut.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [a, b] of cut) {
    if (a < at) continue;
    // The indentation before a dropped element and the line break after it go too.
    let from = a;
    while (from > at && (text.charCodeAt(from - 1) === 0x20 || text.charCodeAt(from - 1) === 0x09)) from--;
    let to = b;
    if (text.charCodeAt(to) === 0x0a) to++;
    parts.push(text.slice(at, from));
    at = to;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

function end(text: string, close: string, from: number): number {
  const i = text.indexOf(close, from);
  if (i < 0) throw new Error(`not valid XML: no ${close} after offset ${from}`);
  return i + close.length;
}

/** The cache key of a reduced copy: datastream bytes and rule set. */
export function reducedKey(datastreamSha: string, rules: Iterable<string>, profiles: string[] = []): string {
  return createHash('sha256')
    .update(`${REDUCE_VERSION}\n${datastreamSha}\n${[...new Set(profiles)].sort().join(' ')}\n${[...new Set(rules)].sort().join('\n')}`)
    .digest('hex');
}

/** The private cache directory, made 0700 if absent; refused when it is not a directory of ours. */
function cacheDirectory(stateDir: string): string {
  const dir = path.join(stateDir, 'scap-reduced');
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.() ?? st.uid;
  if (!st.isDirectory() || st.uid !== uid) throw new Error(`${dir} is not a directory owned by uid ${uid}`);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return dir;
}

/** Write `data` to `dir/name` through a new temporary file (0600, never through a link) and a rename. */
function writePrivate(dir: string, name: string, data: string): void {
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, name));
}

/** A cached file of ours: regular, our uid, private, not empty. */
function ours(file: string): boolean {
  try {
    const st = fs.lstatSync(file);
    const uid = process.getuid?.() ?? st.uid;
    return st.isFile() && st.uid === uid && (st.mode & 0o077) === 0 && st.size > 0;
  } catch {
    return false;
  }
}

/** The text of a cached file of ours (as `ours` says), checked and read through one descriptor opened without following a link. */
function readOurs(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = process.getuid?.() ?? st.uid;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0 || st.size === 0) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A reduced copy of `datastream` (whose sha256 is `datastreamSha`) keeping `rules` and the
 * profiles named (with those they extend): from the cache when built before, else built from
 * the file's bytes (refused when they no longer have that sha256) with the datastream's index
 * (itself cached per sha256) and cached. Returns the copy's path.
 */
export function reducedDatastream(datastream: string, datastreamSha: string, rules: string[], profiles: string[], stateDir: string): { file: string; cached: boolean } {
  const dir = cacheDirectory(stateDir);
  const key = reducedKey(datastreamSha, rules, profiles);
  const file = path.join(dir, `${key}.xml`);
  if (ours(file)) {
    const now = new Date();
    fs.utimesSync(file, now, now);
    return { file, cached: true };
  }
  fs.rmSync(file, { force: true });
  const { text, index } = readIndexed(dir, datastream, datastreamSha);
  writePrivate(dir, `${key}.xml`, reduceDatastream(text, index, rules, profiles));
  prune(dir, [file, path.join(dir, `index-${datastreamSha}.json`)]);
  return { file, cached: false };
}

/** The datastream's text (refused when its bytes no longer have that sha256) and its index, from the cache or built and cached. */
function readIndexed(dir: string, datastream: string, datastreamSha: string): { text: string; index: DatastreamIndex } {
  const bytes = fs.readFileSync(datastream);
  if (createHash('sha256').update(bytes).digest('hex') !== datastreamSha) throw new Error(`${datastream} changed while it was read`);
  const text = bytes.toString('utf8');
  const indexFile = path.join(dir, `index-${datastreamSha}.json`);
  const cached = readOurs(indexFile);
  if (cached !== undefined) {
    try {
      const x = JSON.parse(cached) as DatastreamIndex;
      if (x.version === REDUCE_VERSION && x.datastream_sha256 === datastreamSha) return { text, index: x };
    } catch {
      // damaged: built again
    }
  }
  const index = indexDatastream(text, datastreamSha);
  writePrivate(dir, path.basename(indexFile), JSON.stringify(index));
  return { text, index };
}

/**
 * Build the datastream's index now, unless it is cached: a full evaluation (which a new
 * datastream brings anyway) pays for it, not the first partial one. Returns whether it was built.
 */
export function prepareIndex(datastream: string, datastreamSha: string, stateDir: string): boolean {
  const dir = cacheDirectory(stateDir);
  if (ours(path.join(dir, `index-${datastreamSha}.json`))) return false;
  readIndexed(dir, datastream, datastreamSha);
  prune(dir, [path.join(dir, `index-${datastreamSha}.json`)]);
  return true;
}

/** Keep the REDUCED_KEEP most recently used copies; leftover temporary files go too. */
function prune(dir: string, keep: string[]): void {
  try {
    const files = fs
      .readdirSync(dir)
      .filter((n) => /^(index-)?[0-9a-f]{64}\.(xml|json)$/.test(n) || /^\..*\.\d+\.tmp$/.test(n))
      .map((n) => {
        const p = path.join(dir, n);
        try {
          return { p, n, t: fs.lstatSync(p).mtimeMs };
        } catch {
          return { p, n, t: 0 };
        }
      })
      .filter((f) => !keep.includes(f.p));
    const old = Date.now() - 3600_000;
    for (const f of files.filter((x) => x.n.endsWith('.tmp') && x.t < old)) fs.rmSync(f.p, { force: true });
    const byAge = (a: { t: number }, b: { t: number }) => b.t - a.t;
    for (const f of files.filter((x) => x.n.endsWith('.xml')).sort(byAge).slice(REDUCED_KEEP - 1)) fs.rmSync(f.p, { force: true });
    // Indexes of older datastream versions: the most recent one stays.
    for (const f of files.filter((x) => x.n.startsWith('index-')).sort(byAge).slice(1)) fs.rmSync(f.p, { force: true });
  } catch {
    // a cache that cannot be pruned holds a few more files, nothing else
  }
}
