/**
 * The rule → inputs map of a SCAP source datastream: for each XCCDF rule, what its OVAL checks
 * read. Literal file paths, directory + file-name patterns, implicit backing files (the dpkg
 * status file behind package checks, /etc/passwd behind password objects), runtime sources no
 * file describes (sysctl, systemd state, partitions, processes), paths computed from other
 * objects (dynamic) and filesystem-wide walks. It decides which rules a file change can affect,
 * and so which rules an incremental run re-evaluates.
 *
 * The datastream is read once with the streaming parser (saxes); the map is cached per
 * datastream sha256 in the storage directory (a 10 MB datastream takes about a second to map,
 * the cached map milliseconds to load).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SaxesParser } from 'saxes';
import { readXmlFile } from './xccdf.js';
import { type InputClass, type InputPattern, type RuleInputs, classify, emptyInputs } from '../common/inputs.js';

/** Bumped when the map's shape or the mapping rules change: older caches are rebuilt. */
export const RULEMAP_VERSION = 1;

export interface MappedRule extends RuleInputs {
  /** Rules this one requires (XCCDF `requires`, its own and its groups'), transitively. */
  requires: string[];
  /** CPE platforms (`#package_pam`); their checks read the dpkg status, which forces a full evaluation. */
  platforms: string[];
  /** Whether the rule has an OVAL check at all (OCIL-only rules are never re-evaluated incrementally). */
  oval: boolean;
  severity: string;
}

export interface ProfileDef {
  id: string;
  extends: string;
  /** idref (rule or group) → selected. */
  selects: Record<string, boolean>;
}

export interface RuleMap {
  version: number;
  datastream_sha256: string;
  /** Every rule of the benchmark, by full id. */
  rules: Record<string, MappedRule>;
  /** Group tree: rule or group id → its parent group ('' for the benchmark). */
  parents: Record<string, string>;
  /** Default `selected` of rules and groups. */
  defaults: Record<string, boolean>;
  profiles: Record<string, ProfileDef>;
}

// ---------------------------------------------------------------------------------------------
// OVAL model read from the datastream

interface Entity {
  value: string;
  op: string;
  varRef: string;
  nil: boolean;
}

interface OvalObject {
  type: string;
  filepath?: Entity;
  path?: Entity;
  filename?: Entity;
  recurse?: { direction: string; maxDepth: number };
  /** `set` object references. */
  refs: string[];
  /** var_ref of other children (patterns, keys), which may name objects. */
  varRefs: string[];
  /** States used as filters. */
  filters: string[];
}

interface OvalVariable {
  objects: string[];
  vars: string[];
  /** The values when the variable is a constant or literal: used as paths. */
  values?: string[];
}

interface OvalModel {
  defs: Map<string, { tests: string[]; defs: string[] }>;
  tests: Map<string, { objects: string[]; states: string[] }>;
  objects: Map<string, OvalObject>;
  states: Map<string, string[]>;
  variables: Map<string, OvalVariable>;
}

interface XccdfRule {
  id: string;
  selected: boolean;
  severity: string;
  requires: string[];
  platforms: string[];
  checks: string[];
  /** A check-content-ref without a name (every definition of the file): unmappable. */
  unnamed: boolean;
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** Object types whose inputs are one backing file. */
const IMPLICIT: Record<string, string> = {
  dpkginfo: '/var/lib/dpkg/status',
  password: '/etc/passwd',
  shadow: '/etc/shadow',
  group: '/etc/group',
};

/** File object types: they read the file(s) their filepath or path + filename name. */
const FILE_TYPES = new Set(['textfilecontent54', 'textfilecontent', 'file', 'filehash58', 'filehash', 'fileextendedattribute', 'xmlfilecontent', 'fileeffectiverights', 'fileaudit', 'inetd', 'xinetd']);

/** Types read from no file (or from the kernel): their results change without a file event. */
const RUNTIME_NAMES: Record<string, string> = {};

const OVAL_SYSTEM = 'http://oval.mitre.org/XMLSchema/oval-definitions-5';

/** Parse a datastream (or an XCCDF benchmark with its OVAL files beside it, concatenated) into the map. */
export function buildRuleMap(file: string): RuleMap {
  const sha = sha256File(file);
  const parser = new SaxesParser({ xmlns: false });
  const m: OvalModel = { defs: new Map(), tests: new Map(), objects: new Map(), states: new Map(), variables: new Map() };
  const rules: XccdfRule[] = [];
  const parents: Record<string, string> = {};
  const defaults: Record<string, boolean> = {};
  const groupRequires = new Map<string, string[]>();
  const profiles: Record<string, ProfileDef> = {};

  // XCCDF state
  const groups: string[] = [];
  let rule: XccdfRule | undefined;
  let profile: ProfileDef | undefined;
  let inOvalCheck = false;
  let inCpeList = 0;
  // OVAL state
  const stack: string[] = [];
  let section = '';
  let sectionDepth = -1;
  let entity: { kind: string; id: string; depth: number } | undefined;
  let def: { tests: string[]; defs: string[] } | undefined;
  let test: { objects: string[]; states: string[] } | undefined;
  let obj: OvalObject | undefined;
  let state: string[] | undefined;
  let variable: (OvalVariable & { kind: string; literals: string[]; complex: boolean }) | undefined;
  let entityChild: Entity | undefined;
  let text = '';

  const idrefs = (v: string) => v.split(/\s+/).filter(Boolean);

  parser.on('opentag', (node) => {
    const name = local(node.name);
    const a = (k: string) => {
      const v = node.attributes[k];
      return typeof v === 'string' ? v : '';
    };
    stack.push(name);
    text = '';
    const depth = stack.length;
    if (name === 'cpe-list' || name === 'platform-specification') inCpeList++;
    // --- XCCDF
    if (name === 'Profile' && !inCpeList) {
      profile = { id: a('id'), extends: a('extends'), selects: {} };
      return;
    }
    if (profile) {
      if (name === 'select') profile.selects[a('idref')] = a('selected') === 'true';
      return;
    }
    if (name === 'Group' && !inCpeList) {
      const id = a('id');
      parents[id] = groups[groups.length - 1] ?? '';
      defaults[id] = a('selected') !== 'false';
      groups.push(id);
      return;
    }
    if (name === 'Rule' && !inCpeList) {
      const id = a('id');
      parents[id] = groups[groups.length - 1] ?? '';
      defaults[id] = a('selected') !== 'false';
      rule = { id, selected: defaults[id]!, severity: a('severity') || 'unknown', requires: [], platforms: [], checks: [], unnamed: false };
      return;
    }
    if (rule) {
      if (name === 'requires') rule.requires.push(...idrefs(a('idref')));
      else if (name === 'platform') rule.platforms.push(a('idref'));
      else if (name === 'check') inOvalCheck = a('system') === OVAL_SYSTEM;
      else if (name === 'check-content-ref' && inOvalCheck) {
        if (a('name')) rule.checks.push(a('name'));
        else rule.unnamed = true;
      }
      return;
    }
    if (name === 'requires' && groups.length && stack[depth - 2] === 'Group') {
      const g = groups[groups.length - 1]!;
      (groupRequires.get(g) ?? groupRequires.set(g, []).get(g)!).push(...idrefs(a('idref')));
      return;
    }
    // --- OVAL
    if (['definitions', 'tests', 'objects', 'states', 'variables'].includes(name) && stack[depth - 2] === 'oval_definitions') {
      section = name;
      sectionDepth = depth;
      return;
    }
    if (!section) return;
    if (depth === sectionDepth + 1) {
      const id = a('id');
      entity = { kind: name, id, depth };
      if (section === 'definitions') m.defs.set(id, (def = { tests: [], defs: [] }));
      else if (section === 'tests') m.tests.set(id, (test = { objects: [], states: [] }));
      else if (section === 'objects') m.objects.set(id, (obj = { type: name.replace(/_object$/, ''), refs: [], varRefs: [], filters: [] }));
      else if (section === 'states') m.states.set(id, (state = []));
      else if (section === 'variables') {
        variable = { kind: name, objects: [], vars: [], literals: [], complex: false };
        m.variables.set(id, variable);
      }
      return;
    }
    if (!entity) return;
    if (def) {
      if (name === 'criterion' && a('test_ref')) def.tests.push(a('test_ref'));
      else if (name === 'extend_definition' && a('definition_ref')) def.defs.push(a('definition_ref'));
    } else if (test) {
      if (name === 'object' && a('object_ref')) test.objects.push(a('object_ref'));
      else if (name === 'state' && a('state_ref')) test.states.push(a('state_ref'));
    } else if (obj) {
      if (depth === entity.depth + 1 && (name === 'filepath' || name === 'path' || name === 'filename')) {
        entityChild = { value: '', op: a('operation') || 'equals', varRef: a('var_ref'), nil: a('xsi:nil') === 'true' };
        obj[name] = entityChild;
      } else if (name === 'behaviors') {
        obj.recurse = { direction: a('recurse_direction') || 'none', maxDepth: Number(a('max_depth') || '-1') };
      } else if (a('var_ref')) obj.varRefs.push(a('var_ref'));
    } else if (state) {
      if (a('var_ref')) state.push(a('var_ref'));
    } else if (variable) {
      if (name === 'object_component') {
        variable.objects.push(a('object_ref'));
        variable.complex = true;
      } else if (name === 'variable_component') {
        variable.vars.push(a('var_ref'));
        variable.complex = true;
      } else if (name !== 'literal_component' && name !== 'value' && name !== 'concat') variable.complex = true;
    }
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (node) => {
    const name = local(node.name);
    const depth = stack.length;
    stack.pop();
    const value = text;
    text = '';
    if (name === 'cpe-list' || name === 'platform-specification') inCpeList--;
    if (profile) {
      if (name === 'Profile') {
        profiles[profile.id] = profile;
        profile = undefined;
      }
      return;
    }
    if (rule) {
      if (name === 'check') inOvalCheck = false;
      else if (name === 'Rule') {
        rules.push(rule);
        rule = undefined;
      }
      return;
    }
    if (name === 'Group' && groups.length && !section) {
      groups.pop();
      return;
    }
    if (!section) return;
    if (depth === sectionDepth) {
      section = '';
      sectionDepth = -1;
      return;
    }
    if (entity && depth === entity.depth) {
      if (variable && !variable.complex && variable.literals.length) {
        variable.values = variable.kind === 'constant_variable' ? variable.literals : [variable.literals.join('')];
      }
      entity = undefined;
      def = test = obj = state = variable = undefined;
      return;
    }
    if (obj) {
      if (entityChild && (name === 'filepath' || name === 'path' || name === 'filename')) {
        entityChild.value = value.trim();
        entityChild = undefined;
      } else if (name === 'object_reference') obj.refs.push(value.trim());
      else if (name === 'filter') obj.filters.push(value.trim());
    } else if (variable) {
      if (name === 'literal_component' || name === 'value') variable.literals.push(value);
    }
  });
  readXmlFile(parser, file);

  const out: RuleMap = { version: RULEMAP_VERSION, datastream_sha256: sha, rules: {}, parents, defaults, profiles };
  const byId = new Map(rules.map((r) => [r.id, r]));
  const closure = (id: string): string[] => {
    const seen = new Set<string>();
    const walk = (rid: string) => {
      const direct = [...(byId.get(rid)?.requires ?? [])];
      for (let g = parents[rid]; g; g = parents[g]) direct.push(...(groupRequires.get(g) ?? []));
      for (const r of direct) {
        if (seen.has(r) || r === id) continue;
        seen.add(r);
        walk(r);
      }
    };
    walk(id);
    return [...seen].sort();
  };
  for (const r of rules) {
    const inputs = emptyInputs();
    if (r.unnamed) inputs.other.push('check without a definition name (all definitions of the file)');
    const walker = new InputWalker(m, inputs);
    for (const d of r.checks) walker.definition(d);
    finish(inputs);
    const mapped: MappedRule = { ...inputs, requires: closure(r.id), platforms: r.platforms, oval: r.checks.length > 0, severity: r.severity };
    mapped.class = r.checks.length === 0 && !r.unnamed ? 'none' : classify(inputs);
    out.rules[r.id] = mapped;
  }
  return out;
}

/** Walks definitions → tests → objects, states and variables, collecting what they read. */
class InputWalker {
  private readonly seen = new Set<string>();
  constructor(
    private readonly m: OvalModel,
    private readonly inputs: RuleInputs,
  ) {}

  definition(id: string): void {
    if (this.mark(id)) return;
    const d = this.m.defs.get(id);
    if (!d) {
      this.inputs.other.push(`missing definition ${id}`);
      return;
    }
    for (const t of d.tests) this.test(t);
    for (const e of d.defs) this.definition(e);
  }

  private mark(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    return false;
  }

  private test(id: string): void {
    if (this.mark(id)) return;
    const t = this.m.tests.get(id);
    if (!t) return;
    for (const o of t.objects) this.object(o);
    for (const s of t.states) this.state(s);
  }

  private state(id: string): void {
    if (this.mark(id)) return;
    for (const v of this.m.states.get(id) ?? []) this.variable(v);
  }

  private variable(id: string): void {
    if (this.mark(id)) return;
    const v = this.m.variables.get(id);
    if (!v) return;
    for (const o of v.objects) this.object(o);
    for (const x of v.vars) this.variable(x);
  }

  private object(id: string): void {
    if (this.mark(id)) return;
    const o = this.m.objects.get(id);
    if (!o) return;
    for (const r of o.refs) this.object(r);
    for (const s of o.filters) this.state(s);
    for (const v of o.varRefs) this.variable(v);
    if (o.refs.length) return; // a set: its members say what is read
    const i = this.inputs;
    if (IMPLICIT[o.type]) {
      i.implicit.push(IMPLICIT[o.type]!);
      return;
    }
    if (o.type === 'variable') return; // ind:variable_object: the variable's own inputs, walked above
    if (!FILE_TYPES.has(o.type)) {
      i.runtime.push(RUNTIME_NAMES[o.type] ?? o.type);
      return;
    }
    this.fileObject(id, o);
  }

  private values(e: Entity): string[] | undefined {
    if (!e.varRef) return [e.value];
    const v = this.m.variables.get(e.varRef);
    if (v) this.variable(e.varRef);
    return v?.values;
  }

  private fileObject(id: string, o: OvalObject): void {
    const i = this.inputs;
    if (o.filepath) {
      const values = this.values(o.filepath);
      if (!values) {
        i.varpath.push(id);
        return;
      }
      for (const v of values) {
        if (o.filepath.op === 'pattern match') addPathPattern(i, v, id);
        else if (o.filepath.op === 'equals') i.literal.push(v);
        else i.other.push(`${id}: filepath operation ${o.filepath.op}`);
      }
      return;
    }
    if (!o.path) {
      i.other.push(`${id}: no path`);
      return;
    }
    const dirValues = this.values(o.path);
    if (!dirValues) {
      i.varpath.push(id);
      return;
    }
    let dirs: string[] | undefined = [];
    if (o.path.op === 'pattern match') {
      for (const v of dirValues) {
        const expanded = expandAlternatives(v);
        if (!expanded) {
          dirs = undefined;
          break;
        }
        dirs.push(...expanded);
      }
      if (!dirs) {
        // Not a finite set of directories: a walk under the literal prefix.
        for (const v of dirValues) addPathPattern(i, `${v.replace(/\$$/, '')}/[^/]*$`, id);
        return;
      }
    } else if (o.path.op === 'equals') dirs = dirValues;
    else {
      i.other.push(`${id}: path operation ${o.path.op}`);
      return;
    }
    const recursive = o.recurse && o.recurse.direction === 'down' && o.recurse.maxDepth !== 0;
    const nameValues = o.filename && !o.filename.nil ? this.values(o.filename) : [];
    if (!nameValues) {
      i.varpath.push(id);
      return;
    }
    for (const dir of dirs) {
      if (recursive) {
        const pat: InputPattern = { dir: dir.replace(/(.)\/+$/, '$1'), name: o.filename && !o.filename.nil ? nameValues.map((n) => (o.filename!.op === 'pattern match' ? n : `^${escapeRegex(n)}$`)).join('|') : '', depth: o.recurse!.maxDepth };
        if (isFilesystemWide(pat.dir, pat.depth)) i.fswide.push(`${pat.dir} (recursive)`);
        else i.pattern.push(pat);
        continue;
      }
      if (!o.filename || o.filename.nil) {
        i.literal.push(dir.replace(/(.)\/+$/, '$1'));
        continue;
      }
      for (const n of nameValues) {
        if (o.filename.op === 'equals') i.literal.push(path.posix.join(dir, n));
        else if (o.filename.op === 'pattern match') i.pattern.push({ dir: dir.replace(/(.)\/+$/, '$1'), name: n, depth: 0 });
        else i.other.push(`${id}: filename operation ${o.filename.op}`);
      }
    }
  }
}

/** A recursive walk from / or a top-level directory, or without a depth limit from a shallow one. */
function isFilesystemWide(dir: string, depth: number): boolean {
  const parts = dir.split('/').filter(Boolean).length;
  return parts === 0 || (parts === 1 && (depth < 0 || depth > 2));
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The finite set of strings a path regex matches when it is made of literal text and
 * `(a|b)` groups only (`/etc/(ssh|ssh/sshd_config.d)`), anchors allowed; undefined otherwise.
 */
export function expandAlternatives(re: string, dotLiteral = false): string[] | undefined {
  let s = re;
  if (s.startsWith('^')) s = s.slice(1);
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1);
  let pos = 0;
  const seq = (): string[] | undefined => {
    let acc = [''];
    while (pos < s.length) {
      const c = s[pos]!;
      if (c === '|' || c === ')') return acc;
      if (c === '(') {
        pos++;
        if (s.startsWith('?:', pos)) pos += 2;
        const alts: string[] = [];
        for (;;) {
          const part = seq();
          if (!part) return undefined;
          alts.push(...part);
          if (s[pos] === '|') {
            pos++;
            continue;
          }
          if (s[pos] === ')') {
            pos++;
            break;
          }
          return undefined;
        }
        if ('*+?{'.includes(s[pos] ?? 'x')) return undefined;
        acc = acc.flatMap((x) => alts.map((y) => x + y));
        if (acc.length > 64) return undefined;
        continue;
      }
      if (c === '\\') {
        const n = s[pos + 1];
        if (n === undefined || /[A-Za-z0-9]/.test(n)) return undefined;
        acc = acc.map((x) => x + n);
        pos += 2;
        continue;
      }
      if (c === '.' && dotLiteral && !'*+?{'.includes(s[pos + 1] ?? 'x')) {
        acc = acc.map((x) => x + c);
        pos++;
        continue;
      }
      if ('.[]*+?{}^$'.includes(c)) return undefined;
      if ('*+?{'.includes(s[pos + 1] ?? 'x')) return undefined;
      acc = acc.map((x) => x + c);
      pos++;
    }
    return acc;
  };
  const r = seq();
  if (!r || pos !== s.length) return undefined;
  return r;
}

/**
 * A filepath regex. When it splits into a finite set of directories and a name regex
 * (`^/etc/cron.(daily|weekly)/[^/]*$`), one pattern per directory; otherwise a walk from the
 * directory of its literal prefix, entering only entries on that prefix (`^/etc/sudoers(|\\.d/.*)$`
 * walks /etc/sudoers and /etc/sudoers.d only). A `.` in the directory part is read as itself.
 */
function addPathPattern(i: RuleInputs, re: string, id: string): void {
  const alts = topAlternatives(re);
  if (alts) {
    for (const a of alts) addPathPattern(i, a, id);
    return;
  }
  // Without a closing $ a regex matches every path below what it spells too.
  const closed = re.endsWith('$') && !re.endsWith('\\$');
  const exact = closed ? expandAlternatives(re, true) : undefined;
  if (exact) {
    i.literal.push(...exact);
    return;
  }
  const body = re.startsWith('^') ? re.slice(1) : re;
  const cut = lastTopSlash(body);
  if (cut > 0) {
    const dirs = expandAlternatives(body.slice(0, cut), true);
    const rest = body.slice(cut + 1);
    if (dirs && closed && !lastTopSlashAnywhere(rest)) {
      for (const d of dirs) i.pattern.push({ dir: d, name: `^${rest}`, depth: 0 });
      return;
    }
  }
  let s = body;
  let prefix = '';
  while (s.length) {
    const c = s[0]!;
    const quantified = (n: number) => '*+?{'.includes(s[n] ?? 'x');
    if (c === '\\' && s.length > 1 && !/[A-Za-z0-9]/.test(s[1]!)) {
      if (quantified(2)) break;
      prefix += s[1];
      s = s.slice(2);
      continue;
    }
    if (c === '.' && !quantified(1)) {
      prefix += c;
      s = s.slice(1);
      continue;
    }
    if ('.[]()*+?{}|^$\\'.includes(c) || quantified(1)) break;
    prefix += c;
    s = s.slice(1);
  }
  const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) || '/' : '/';
  if (dir === '/') {
    i.fswide.push(`${re} (${id})`);
    return;
  }
  // The rest may cross directories ('.*' matches '/'): walked below, bounded, on the prefix only.
  const depth = /\.\*|\.\+/.test(s) || s.includes('/') ? 4 : 0;
  i.pattern.push({ dir, name: '', path: re, prefix, depth });
}

/**
 * `^a|^b` or `^(a|b)$` as separate anchored regexes, or undefined when the regex is not a
 * top-level alternation.
 */
function topAlternatives(re: string): string[] | undefined {
  const split = (r: string): string[] => {
    const out: string[] = [];
    let start = 0;
    for (const k of topLevelIndexes(r, '|')) {
      out.push(r.slice(start, k));
      start = k + 1;
    }
    out.push(r.slice(start));
    return out;
  };
  const top = split(re);
  if (top.length > 1) return top.every((a) => a.startsWith('^')) ? top : undefined;
  const m = /^\^\((?:\?:)?(.*)\)\$$/.exec(re);
  if (!m) return undefined;
  // The group must wrap the whole body: its parentheses balance inside.
  let depth = 0;
  for (let k = 0; k < m[1]!.length; k++) {
    const c = m[1]![k]!;
    if (c === '\\') k++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return undefined;
  }
  const inner = split(m[1]!);
  return inner.length > 1 ? inner.map((a) => `^${a}$`) : undefined;
}

/** Where `ch` stands in a regex outside groups, classes and escapes. */
function topLevelIndexes(re: string, ch: string): number[] {
  const at: number[] = [];
  let depth = 0;
  let inClass = false;
  for (let k = 0; k < re.length; k++) {
    const c = re[k]!;
    if (c === '\\') {
      k++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ch && depth === 0) at.push(k);
  }
  return at;
}

/** Index of the last '/' outside groups and classes, -1 if none. */
function lastTopSlash(re: string): number {
  return topLevelIndexes(re, '/').at(-1) ?? -1;
}

/** Whether a regex can match a '/' outside a negated class: '/' itself, '.', or a class not excluding it. */
function lastTopSlashAnywhere(re: string): boolean {
  const stripped = re.replace(/\[\^[^\]]*\/[^\]]*\]/g, '');
  return /\/|(^|[^\\])\./.test(stripped) || /\[[^\^]/.test(stripped);
}

/** Sort and dedupe each list; fill `class`. */
function finish(i: RuleInputs): void {
  const uniq = (a: string[]) => [...new Set(a)].sort();
  i.literal = uniq(i.literal.map((p) => path.posix.normalize(p)));
  i.implicit = uniq(i.implicit);
  i.runtime = uniq(i.runtime);
  i.varpath = uniq(i.varpath);
  i.fswide = uniq(i.fswide);
  i.other = uniq(i.other);
  const seen = new Set<string>();
  i.pattern = i.pattern
    .filter((p) => {
      const k = JSON.stringify(p);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.dir.localeCompare(b.dir) || (a.name ?? '').localeCompare(b.name ?? '') || (a.path ?? '').localeCompare(b.path ?? ''));
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  for (const chunk of fileBuffers(file)) h.update(chunk);
  return h.digest('hex');
}

function* fileBuffers(file: string): Generator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      yield buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The map of a datastream, from the cache in `cacheDir` (`scap-rulemap-<sha256>.json`) when
 * one was built for these bytes, else built and cached. `sha` may be passed when known.
 */
export function loadRuleMap(datastream: string, cacheDir: string | undefined, sha = sha256File(datastream)): { map: RuleMap; cached: boolean } {
  const file = cacheDir ? path.join(cacheDir, `scap-rulemap-${sha}.json`) : undefined;
  if (file) {
    try {
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as RuleMap;
      if (m.version === RULEMAP_VERSION && m.datastream_sha256 === sha) return { map: m, cached: true };
    } catch {
      // absent or unreadable: rebuilt below
    }
  }
  const map = buildRuleMap(datastream);
  if (map.datastream_sha256 !== sha) throw new Error(`${datastream} changed while it was read`);
  if (file) {
    try {
      fs.mkdirSync(cacheDir!, { recursive: true, mode: 0o700 });
      // Maps of older datastream versions: the three most recently built are kept.
      const old = fs
        .readdirSync(cacheDir!)
        .filter((n) => /^scap-rulemap-[0-9a-f]{64}\.json$/.test(n) && n !== path.basename(file))
        .map((n) => ({ n, t: fs.statSync(path.join(cacheDir!, n)).mtimeMs }))
        .sort((a, b) => b.t - a.t);
      for (const o of old.slice(2)) fs.rmSync(path.join(cacheDir!, o.n), { force: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(map), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {
      // a cache that cannot be written costs the next run a rebuild, nothing else
    }
  }
  return { map, cached: false };
}

/** Profiles of a tailoring file (select and extends), to lay over the datastream's. */
export function tailoringProfiles(file: string): Record<string, ProfileDef> {
  const parser = new SaxesParser({ xmlns: false });
  const out: Record<string, ProfileDef> = {};
  let cur: ProfileDef | undefined;
  parser.on('opentag', (node) => {
    const name = local(node.name);
    const a = (k: string) => (typeof node.attributes[k] === 'string' ? (node.attributes[k] as string) : '');
    if (name === 'Profile') cur = { id: a('id'), extends: a('extends'), selects: {} };
    else if (cur && name === 'select') cur.selects[a('idref')] = a('selected') === 'true';
  });
  parser.on('closetag', (node) => {
    if (local(node.name) === 'Profile' && cur) {
      out[cur.id] = cur;
      cur = undefined;
    }
  });
  readXmlFile(parser, file);
  return out;
}

/**
 * The rules a profile selects, as XCCDF selects them: each rule's and group's default,
 * overridden by the profile's `select`s (its `extends` chain first); a rule counts only when
 * every group above it is selected too. `only` / `skip` narrow it as `--rule` / `--skip-rule` do.
 */
export function selectedRules(map: RuleMap, profileId: string, o: { tailoring?: Record<string, ProfileDef>; only?: string[]; skip?: string[] } = {}): string[] {
  const profiles = { ...map.profiles, ...(o.tailoring ?? {}) };
  const chain: ProfileDef[] = [];
  const seen = new Set<string>();
  for (let p = profiles[profileId]; p && !seen.has(p.id); p = profiles[p.extends]) {
    seen.add(p.id);
    chain.unshift(p);
  }
  if (!chain.length) throw new Error(`profile ${profileId} is not in the datastream`);
  const sel: Record<string, boolean> = { ...map.defaults };
  for (const p of chain) Object.assign(sel, p.selects);
  const groupOk = new Map<string, boolean>();
  const groupSelected = (g: string): boolean => {
    if (!g) return true;
    let v = groupOk.get(g);
    if (v === undefined) {
      v = sel[g] !== false && groupSelected(map.parents[g] ?? '');
      groupOk.set(g, v);
    }
    return v;
  };
  const only = o.only?.length ? new Set(o.only) : undefined;
  const skip = new Set(o.skip ?? []);
  return Object.keys(map.rules)
    .filter((r) => sel[r] === true && groupSelected(map.parents[r] ?? '') && (!only || only.has(r)) && !skip.has(r))
    .sort();
}

export type { InputClass };
