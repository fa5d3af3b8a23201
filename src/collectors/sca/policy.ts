/**
 * Reads an SCA policy file (Wazuh's YAML format, 4.x and 5.x) into checks whose rules are
 * parsed up front, so a policy that cannot be evaluated is refused before any session is
 * written, with the file, the check id and the line.
 *
 * 4.x: `compliance` is a list of one-key maps (`- cis: ["5.2.1"]`) and regexes are OS_Regex.
 * 5.x: `compliance` is a map, `mitre` may be present, and `regex_type: pcre2` (on the policy
 * or a check) selects PCRE2. Either shape is read from either version.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { type Dialect, Regex, RegexError } from './regex.js';

export type Condition = 'all' | 'any' | 'none';

export type ContentTest =
  | { kind: 'literal'; negate: boolean; text: string; source: string }
  | { kind: 'regex'; negate: boolean; regex: Regex; source: string }
  | { kind: 'numeric'; negate: boolean; regex: Regex; op: '<' | '<=' | '==' | '!=' | '>=' | '>'; value: number; source: string };

/** A name test for `d:` walks: a literal file name or `r:REGEX`. */
export type NameTest = { kind: 'literal'; text: string } | { kind: 'regex'; regex: Regex };

export interface Rule {
  /** The rule as written (before variables are expanded). */
  text: string;
  negate: boolean;
  type: 'f' | 'd' | 'p' | 'c' | 'r';
  /** Files or directories (f:, d:; a variable may expand to a comma-separated list), the process name (p:), the command line (c:). */
  targets: string[];
  /** d: only, the file name test after the first `->`. */
  name?: NameTest;
  /** Content tests chained with `&&`: one line must pass all of them. */
  content?: ContentTest[];
}

export interface Check {
  id: string;
  title: string;
  description: string;
  rationale: string;
  remediation: string;
  compliance: string;
  references: string[];
  condition: Condition;
  rules: Rule[];
  line: number;
}

export interface Policy {
  file: string;
  sha256: string;
  id: string;
  name: string;
  description: string;
  dialect: Dialect;
  requirements?: { title: string; condition: Condition; rules: Rule[] };
  checks: Check[];
  /** Whether any rule runs a command (c:). */
  usesCommands: boolean;
}

export class PolicyError extends Error {}

const OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

/** `compliance` in either shape, as one line: `cis: 5.2.1, 5.2.2; pci_dss: 2.2.4`. */
function complianceText(v: unknown): string {
  const parts: string[] = [];
  const add = (k: string, val: unknown) => parts.push(`${k}: ${Array.isArray(val) ? val.map(str).join(', ') : str(val)}`);
  if (Array.isArray(v)) {
    for (const entry of v) if (entry && typeof entry === 'object') for (const [k, val] of Object.entries(entry)) add(k, val);
  } else if (v && typeof v === 'object') {
    for (const [k, val] of Object.entries(v)) add(k, val);
  }
  return parts.join('; ');
}

function expand(text: string, vars: Map<string, string>, where: string): string {
  return text.replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, (name) => {
    const v = vars.get(name);
    if (v === undefined) throw new PolicyError(`${where}: unknown variable ${name}`);
    return v;
  });
}

function parseContent(part: string, dialect: Dialect, where: string): ContentTest[] {
  return part.split(' && ').map((raw) => {
    let t = raw;
    let negate = false;
    if (t.startsWith('!')) {
      negate = true;
      t = t.slice(1);
    }
    try {
      if (t.startsWith('r:')) return { kind: 'regex', negate, regex: new Regex(t.slice(2), dialect), source: raw };
      if (t.startsWith('n:')) {
        const at = t.lastIndexOf(' compare ');
        if (at < 0) throw new PolicyError(`${where}: numeric test ${JSON.stringify(raw)} has no ' compare <op> <number>'`);
        const cmp = t.slice(at + ' compare '.length).trim();
        const op = OPS.find((o) => cmp.startsWith(o));
        const value = op ? Number(cmp.slice(op.length).trim()) : Number.NaN;
        if (!op || !Number.isInteger(value)) throw new PolicyError(`${where}: numeric test ${JSON.stringify(raw)}: expected 'compare <|<=|==|!=|>=|> <integer>'`);
        const regex = new Regex(t.slice(2, at), dialect);
        if (regex.groups < 1) throw new PolicyError(`${where}: numeric test ${JSON.stringify(raw)} needs a capture group for the number`);
        return { kind: 'numeric', negate, regex, op, value, source: raw };
      }
    } catch (err) {
      if (err instanceof RegexError) throw new PolicyError(`${where}: ${err.message}`);
      throw err;
    }
    return { kind: 'literal', negate, text: t, source: raw };
  });
}

/** Parse one rule string (variables expanded in its location part only, as Wazuh does). */
export function parseRule(text: string, vars: Map<string, string>, dialect: Dialect, where: string): Rule {
  let rest = text.trim();
  let negate = false;
  if (/^not\s/.test(rest)) {
    negate = true;
    rest = rest.replace(/^not\s+/, '');
  }
  const m = /^([fdpcr]):/.exec(rest);
  if (!m) throw new PolicyError(`${where}: rule ${JSON.stringify(text)} does not start with f:, d:, p:, c: or r:`);
  const type = m[1] as Rule['type'];
  rest = rest.slice(2);
  const rule: Rule = { text, negate, type, targets: [] };
  if (type === 'r') {
    rule.targets = [rest];
    return rule;
  }
  const parts = rest.split(' -> ');
  const maxParts = type === 'd' ? 3 : type === 'p' ? 1 : 2;
  if (parts.length > maxParts) {
    // Only the last part may itself contain ' -> ' (a content test); join it back.
    const head = parts.slice(0, maxParts - 1);
    parts.splice(0, parts.length, ...head, parts.slice(maxParts - 1).join(' -> '));
  }
  const location = expand(parts[0]!.trim(), vars, where);
  if (!location) throw new PolicyError(`${where}: rule ${JSON.stringify(text)} names no target`);
  rule.targets = type === 'f' || type === 'd' ? location.split(',').map((s) => s.trim()).filter(Boolean) : [location];
  if ((type === 'f' || type === 'd') && rule.targets.some((p) => !p.startsWith('/'))) {
    throw new PolicyError(`${where}: rule ${JSON.stringify(text)}: paths must be absolute`);
  }
  if (type === 'c' && parts.length < 2) throw new PolicyError(`${where}: command rule ${JSON.stringify(text)} has no '-> <content test>'`);
  if (type === 'd' && parts.length >= 2) {
    const n = parts[1]!.trim();
    try {
      rule.name = n.startsWith('r:') ? { kind: 'regex', regex: new Regex(n.slice(2), dialect) } : { kind: 'literal', text: n };
    } catch (err) {
      if (err instanceof RegexError) throw new PolicyError(`${where}: ${err.message}`);
      throw err;
    }
    if (parts.length === 3) rule.content = parseContent(parts[2]!, dialect, where);
  } else if (parts.length === 2) rule.content = parseContent(parts[1]!, dialect, where);
  return rule;
}

function condition(v: unknown, where: string): Condition {
  const c = str(v).trim();
  if (c === 'all' || c === 'any' || c === 'none') return c;
  throw new PolicyError(`${where}: condition must be all, any or none (got ${JSON.stringify(c)})`);
}

function dialectOf(v: unknown, where: string, fallback: Dialect): Dialect {
  if (v === undefined || v === null || v === '') return fallback;
  const s = str(v).toLowerCase();
  if (s === 'pcre2') return 'pcre2';
  if (s === 'osregex' || s === 'os_regex') return 'osregex';
  throw new PolicyError(`${where}: regex_type must be osregex or pcre2 (got ${JSON.stringify(s)})`);
}

/** Read and parse a policy file. Throws PolicyError naming file, check and line. */
export function loadPolicy(file: string, bytes: Buffer = fs.readFileSync(file)): Policy {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const lc = new LineCounter();
  const doc = parseDocument(bytes.toString('utf8'), { lineCounter: lc, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? '?';
    throw new PolicyError(`${file}:${line}: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (node: YamlNode | null | undefined) => (node?.range ? lc.linePos(node.range[0]).line : 0);
  const root = doc.contents;
  if (!isMap(root)) throw new PolicyError(`${file}:1: not a policy (expected a YAML map with policy and checks)`);
  const data = doc.toJS() as Record<string, unknown>;
  const policy = data.policy as Record<string, unknown> | undefined;
  if (!policy || typeof policy !== 'object') throw new PolicyError(`${file}:1: no 'policy' section`);
  const id = str(policy.id).trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new PolicyError(`${file}:${lineOf(root.get('policy', true) as YamlNode)}: policy id ${JSON.stringify(id)} must be letters, digits, '_', '.' or '-'`);
  const dialect = dialectOf(policy.regex_type, `${file}: policy`, 'osregex');
  const vars = new Map<string, string>();
  const varsData = data.variables as Record<string, unknown> | undefined;
  if (varsData && typeof varsData === 'object') {
    for (const [k, v] of Object.entries(varsData)) vars.set(k.startsWith('$') ? k : `$${k}`, Array.isArray(v) ? v.map(str).join(',') : str(v));
  }
  let usesCommands = false;
  const ruleList = (rules: unknown, where: string, d: Dialect): Rule[] => {
    if (!Array.isArray(rules) || rules.length === 0) throw new PolicyError(`${where}: rules must be a non-empty list`);
    return rules.map((r) => {
      const rule = parseRule(str(r), vars, d, where);
      if (rule.type === 'c') usesCommands = true;
      return rule;
    });
  };
  let requirements: Policy['requirements'];
  const req = data.requirements as Record<string, unknown> | undefined;
  if (req && typeof req === 'object') {
    const where = `${file}:${lineOf(root.get('requirements', true) as YamlNode)}: requirements`;
    requirements = { title: str(req.title), condition: condition(req.condition, where), rules: ruleList(req.rules, where, dialect) };
  }
  const checksNode = root.get('checks', true);
  if (!isSeq(checksNode)) throw new PolicyError(`${file}: no 'checks' list`);
  const seen = new Set<string>();
  const checks: Check[] = checksNode.items.map((node, k) => {
    const line = lineOf(node as YamlNode);
    const c = (data.checks as Record<string, unknown>[])[k] ?? {};
    const cid = str(c.id).trim();
    const where = `${file}:${line}: check ${cid || `#${k + 1}`}`;
    if (!isMap(node) || !cid) throw new PolicyError(`${where}: a check needs an id`);
    if (!/^[A-Za-z0-9_.-]+$/.test(cid)) throw new PolicyError(`${where}: check id must be letters, digits, '_', '.' or '-'`);
    if (seen.has(cid)) throw new PolicyError(`${where}: duplicate check id`);
    seen.add(cid);
    const title = str(c.title ?? c.name).trim();
    if (!title) throw new PolicyError(`${where}: a check needs a title`);
    const d = dialectOf(c.regex_type, where, dialect);
    // A rule's own line, for errors: the rules list items are scalars with ranges.
    const rulesNode = node.get('rules', true);
    const rules = Array.isArray(c.rules)
      ? c.rules.map((r, j) => {
          const item = isSeq(rulesNode) ? rulesNode.items[j] : undefined;
          const rw = `${file}:${isScalar(item) ? lineOf(item) : line}: check ${cid}`;
          const rule = parseRule(str(r), vars, d, rw);
          if (rule.type === 'c') usesCommands = true;
          return rule;
        })
      : ruleList(c.rules, where, d);
    if (rules.length === 0) throw new PolicyError(`${where}: rules must be a non-empty list`);
    return {
      id: cid,
      title,
      description: str(c.description),
      rationale: str(c.rationale),
      remediation: str(c.remediation),
      compliance: complianceText(c.compliance),
      references: Array.isArray(c.references) ? c.references.map(str) : [],
      condition: condition(c.condition, where),
      rules,
      line,
    };
  });
  return { file, sha256, id, name: str(policy.name), description: str(policy.description), dialect, requirements, checks, usesCommands };
}
