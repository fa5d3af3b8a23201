/**
 * A sudoers(5) parser for auditing: aliases, Defaults, user specifications split into one
 * normalised rule per host and command group ("who on which hosts may run what as whom, with
 * which tags"), simple aliases expanded, and the include directives.
 */

export type AliasKind = 'User_Alias' | 'Runas_Alias' | 'Host_Alias' | 'Cmnd_Alias';

export interface SudoRule {
  kind: 'rule';
  users: string[];
  hosts: string[];
  runasUsers: string[];
  runasGroups: string[];
  tags: string[];
  commands: string[];
  line: number;
}

export interface SudoDefaults {
  kind: 'defaults';
  /** `Defaults`, `Defaults:alice`, `Defaults>root`, `Defaults!/bin/ls`, `Defaults@host`. */
  scope: string;
  settings: string[];
  line: number;
}

export interface Include {
  kind: 'include' | 'includedir';
  path: string;
  line: number;
}

export interface ParsedSudoers {
  aliases: Map<string, { kind: AliasKind; members: string[] }>;
  entries: (SudoRule | SudoDefaults)[];
  includes: Include[];
  problems: { line: number; message: string }[];
}

const TAGS = new Set(['NOPASSWD', 'PASSWD', 'NOEXEC', 'EXEC', 'SETENV', 'NOSETENV', 'LOG_INPUT', 'NOLOG_INPUT', 'LOG_OUTPUT', 'NOLOG_OUTPUT', 'MAIL', 'NOMAIL', 'FOLLOW', 'NOFOLLOW', 'INTERCEPT', 'NOINTERCEPT']);
const ALIAS_KINDS = new Set(['User_Alias', 'Runas_Alias', 'Host_Alias', 'Cmnd_Alias', 'Cmd_Alias']);

/** Split on a separator outside double quotes and not escaped by a backslash. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const list = (s: string) => splitTop(s, ',').map((x) => x.trim().replace(/\s+/g, ' ')).filter((x) => x !== '');

/** Logical lines: comments removed, backslash-newline continuations joined, with the first line's number. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let s = raw[i]!.replace(/\r$/, '');
    while (s.endsWith('\\') && i + 1 < raw.length) s = s.slice(0, -1) + ' ' + raw[++i]!.replace(/\r$/, '');
    const t = s.trim();
    if (/^[#@]include(dir)?\s/.test(t)) {
      out.push({ text: t, line: start });
      continue;
    }
    // A comment starts at an unescaped # that is not a uid/gid (#1000) right after a separator.
    let cut = t.length;
    for (let j = 0; j < t.length; j++) {
      if (t[j] === '\\') {
        j++;
        continue;
      }
      if (t[j] === '#' && !/\d/.test(t[j + 1] ?? '')) {
        cut = j;
        break;
      }
    }
    const body = t.slice(0, cut).trim();
    if (body) out.push({ text: body, line: start });
  }
  return out;
}

/** One command group `(runas) TAG: TAG: cmnd` → its parts; runas carries over when absent. */
function commandSpec(s: string, prev: { users: string[]; groups: string[]; tags: string[] }) {
  let rest = s.trim();
  let users = prev.users;
  let groups = prev.groups;
  let tags = prev.tags;
  const r = /^\(([^)]*)\)\s*/.exec(rest);
  if (r) {
    const [u, g] = r[1]!.split(':');
    users = list(u ?? '');
    groups = list(g ?? '');
    if (users.length === 0 && groups.length === 0) users = ['root'];
    rest = rest.slice(r[0].length);
  }
  for (;;) {
    const t = /^([A-Z_]+):\s*/.exec(rest);
    if (!t || !TAGS.has(t[1]!)) break;
    tags = [...tags.filter((x) => !opposite(x, t[1]!)), t[1]!];
    rest = rest.slice(t[0].length);
  }
  return { users, groups, tags, command: rest.trim().replace(/\s+/g, ' ') };
}

function opposite(a: string, b: string): boolean {
  return a === b || a === `NO${b}` || b === `NO${a}` || (a === 'PASSWD' && b === 'NOPASSWD') || (a === 'NOPASSWD' && b === 'PASSWD');
}

export function parseSudoers(text: string): ParsedSudoers {
  const parsed: ParsedSudoers = { aliases: new Map(), entries: [], includes: [], problems: [] };
  for (const { text: t, line } of logicalLines(text)) {
    const inc = /^[#@](include|includedir)\s+(.+)$/.exec(t);
    if (inc) {
      parsed.includes.push({ kind: inc[1] as 'include' | 'includedir', path: inc[2]!.trim().replace(/^"(.*)"$/, '$1'), line });
      continue;
    }
    const word = t.split(/\s/, 1)[0]!;
    if (ALIAS_KINDS.has(word)) {
      const kind = (word === 'Cmd_Alias' ? 'Cmnd_Alias' : word) as AliasKind;
      for (const def of splitTop(t.slice(word.length), ':')) {
        const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(def);
        if (!m) {
          parsed.problems.push({ line, message: `bad ${word} definition` });
          continue;
        }
        const members = list(m[2]!);
        if (members.length === 0) {
          parsed.problems.push({ line, message: `${word} ${m[1]} has no members` });
          continue;
        }
        parsed.aliases.set(m[1]!, { kind, members });
      }
      continue;
    }
    const d = /^(Defaults(?:[:@>!]\s*[^\s]+)?)\s+(.*)$/.exec(t);
    if (d) {
      parsed.entries.push({ kind: 'defaults', scope: d[1]!.replace(/\s+/g, ''), settings: list(d[2]!), line });
      continue;
    }
    // A user specification: users  host = cmndspecs : host = cmndspecs ...
    const m = /^(.+?)\s+([^\s=][^=]*?)\s*=\s*(.*)$/.exec(t);
    if (!m) {
      parsed.problems.push({ line, message: 'not an alias, Defaults or user specification' });
      continue;
    }
    const users = list(m[1]!);
    const groups = splitTop(`${m[2]}=${m[3]}`, ':');
    // Join pieces back where the colon belonged to a tag or a runas group, not a host separator.
    const hostGroups: string[] = [];
    for (const g of groups) {
      if (hostGroups.length && !/^\s*[^\s=(]+(\s*,\s*[^\s=(]+)*\s*=/.test(g)) hostGroups[hostGroups.length - 1] += `:${g}`;
      else hostGroups.push(g);
    }
    for (const hg of hostGroups) {
      const eq = hg.indexOf('=');
      const hosts = list(hg.slice(0, eq));
      let prev = { users: ['root'], groups: [] as string[], tags: [] as string[] };
      let acc: { spec: ReturnType<typeof commandSpec>; cmds: string[] } | undefined;
      const flush = () => {
        if (acc) parsed.entries.push({ kind: 'rule', users, hosts, runasUsers: acc.spec.users, runasGroups: acc.spec.groups, tags: acc.spec.tags, commands: acc.cmds, line });
      };
      const pieces = splitTop(hg.slice(eq + 1), ',').filter((p) => p.trim() !== '');
      if (pieces.length === 0) parsed.problems.push({ line, message: `no command after '=' for ${hosts.join(', ') || 'the hosts'}` });
      for (const piece of pieces) {
        if (/^\s*\(/.test(piece) && !/^\s*\([^)]*\)/.test(piece)) {
          parsed.problems.push({ line, message: "a runas list '(' is not closed; the rest of the line is ignored" });
          break;
        }
        const spec = commandSpec(piece, prev);
        if (spec.command === '') {
          parsed.problems.push({ line, message: 'a runas list or tag with no command after it' });
          continue;
        }
        prev = spec;
        if (acc && acc.spec.users.join() === spec.users.join() && acc.spec.groups.join() === spec.groups.join() && acc.spec.tags.join() === spec.tags.join()) acc.cmds.push(spec.command);
        else {
          flush();
          acc = { spec, cmds: [spec.command] };
        }
      }
      flush();
    }
  }
  return parsed;
}

/** Replace alias names of a kind by their members, recursively (a cycle stops the expansion). */
export function expand(items: readonly string[], kind: AliasKind, aliases: ParsedSudoers['aliases'], depth = 0): string[] {
  const out: string[] = [];
  for (const item of items) {
    const neg = item.startsWith('!');
    const name = neg ? item.slice(1).trim() : item;
    const a = aliases.get(name);
    if (a && a.kind === kind && depth < 16) {
      const members = expand(a.members, kind, aliases, depth + 1);
      // A negated alias stays as written: "!A, !B" is not simpler than "!ALIAS".
      if (neg) out.push(item);
      else out.push(...members);
    } else out.push(item);
  }
  return [...new Set(out)];
}

/** The normalised text of a rule, as sudo -l would phrase it. */
export function ruleText(r: Pick<SudoRule, 'users' | 'hosts' | 'runasUsers' | 'runasGroups' | 'tags' | 'commands'>): string {
  const runas = `(${r.runasUsers.join(', ')}${r.runasGroups.length ? ` : ${r.runasGroups.join(', ')}` : ''})`;
  return `${r.users.join(', ')} ${r.hosts.join(', ')} = ${runas} ${r.tags.map((t) => `${t}: `).join('')}${r.commands.join(', ')}`;
}
