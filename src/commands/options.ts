/**
 * The command line's options: the ones every command takes, the ones several commands share
 * (each command names those it uses, and its `--help` lists only them), and the checks made
 * before anything runs: an unknown option or one the command does not use is named, and a uuid
 * value must be a prefix of at least four characters.
 */
import type { CommandSpec, OptionDef } from './command.js';

/** Options of every command. */
export const GLOBAL_OPTIONS: Record<string, OptionDef> = {
  config: { alias: 'c', type: 'string', describe: 'main config file or directory (default: $SYSCHANGEMON_CONFIG, /etc/syschangemon/syschangemon.conf, else the bundled sample)' },
  debug: { type: 'boolean', describe: 'toggle debug output' },
  quiet: { type: 'boolean', describe: 'suppress all output but errors' },
};

/** Options some commands use; a command lists them in `uses`. */
export const SHARED_OPTIONS = {
  'skip-empty-mail': { alias: 's', type: 'boolean', describe: 'skip email sending if report contains no differences' },
  html: { alias: 't', type: 'boolean', describe: 'prefer HTML output when possible' },
  'report-uuid': { alias: 'r', type: 'string', describe: 'choose report by uuid or a unique prefix of 4+ characters (instead of most recent)' },
  'old-session-uuid': { alias: 'o', type: 'string', describe: 'choose the old session by uuid or prefix (instead of second most recent)' },
  'session-uuid': { alias: 'u', type: 'string', describe: 'choose the (new) session by uuid or prefix (instead of most recent)' },
} satisfies Record<string, OptionDef>;

export type SharedOption = keyof typeof SHARED_OPTIONS;

/** `--min-severity` of print-report and email-report. */
export const MIN_SEVERITY_OPTION: OptionDef = {
  type: 'string',
  choices: ['critical', 'high', 'medium', 'low', 'info'],
  describe: 'show only changes of this severity or higher (critical, high, medium, low, info); the rest are counted',
};

/** `--exit-status` of run and diff. */
export const EXIT_STATUS_OPTION: OptionDef = {
  type: 'boolean',
  describe: "exit with AIDE's bitmask: 1 items added, 2 removed, 4 changed (0: none); failures then exit 17 (usage, configuration) or 18 (anything else)",
};

/** The exit status `--exit-status` gives a report: 1 added, 2 removed, 4 changed. */
export function changeBits(summary: { added: number; removed: number; changed: number } | undefined): number {
  if (!summary) return 0;
  return (summary.added > 0 ? 1 : 0) | (summary.removed > 0 ? 2 : 0) | (summary.changed > 0 ? 4 : 0);
}

/** `--help` and `--version`, which yargs declares itself. */
const BUILTIN: Record<string, OptionDef> = {
  help: { alias: 'h', type: 'boolean', describe: 'show this help message and exit' },
  version: { alias: 'V', type: 'boolean', describe: 'show version information and exit' },
};

/** The shared options a command takes (every one when it names none, as before `uses` existed). */
export function sharedOptionsOf(spec: CommandSpec): SharedOption[] {
  return spec.uses ? [...spec.uses] : (Object.keys(SHARED_OPTIONS) as SharedOption[]);
}

/** The `--format` option of a command that has formats. */
export function formatOption(spec: CommandSpec): OptionDef | undefined {
  if (!spec.formats?.length) return undefined;
  return { type: 'string', describe: `output format: ${spec.formats.join('|')} (default: ${spec.formats[0]})` };
}

/** Every option a command takes, by long name. */
export function optionsOf(spec: CommandSpec): Record<string, OptionDef> {
  const all: Record<string, OptionDef> = { ...GLOBAL_OPTIONS, ...BUILTIN };
  for (const name of sharedOptionsOf(spec)) all[name] = SHARED_OPTIONS[name];
  const format = formatOption(spec);
  if (format) all.format = format;
  return { ...all, ...spec.options };
}

const flag = (name: string, def: OptionDef) => (def.alias ? `-${def.alias}/--${name}` : `--${name}`);

/** Shown in a message: control characters and quotes escaped. */
const shown = (s: string) => JSON.stringify(s);

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface Known {
  name: string;
  def: OptionDef;
  /** The commands that take it (every command for global ones). */
  commands: CommandSpec[] | 'all';
}

/**
 * Check the raw arguments before yargs reads them: returns one line naming what is wrong, or
 * undefined. Catches what yargs would misreport: an unknown option before the command
 * (`--bogus run` reads as "--bogus=run" and then "a command is required"), an option the
 * command does not use, an option that takes a value given none.
 */
export function checkArgv(argv: readonly string[], commands: readonly CommandSpec[]): string | undefined {
  const long = new Map<string, Known>();
  // A short name can mean different options for different commands (-o: diff's old session,
  // print-report's output file); the command named decides.
  const short = new Map<string, Known[]>();
  const add = (name: string, def: OptionDef, spec: CommandSpec | 'all') => {
    let k = long.get(name);
    if (!k) {
      k = { name, def, commands: spec === 'all' ? 'all' : [] };
      long.set(name, k);
      if (def.alias) short.set(def.alias, [...(short.get(def.alias) ?? []), k]);
    }
    if (spec !== 'all' && k.commands !== 'all' && !k.commands.includes(spec)) k.commands.push(spec);
  };
  for (const [name, def] of Object.entries({ ...GLOBAL_OPTIONS, ...BUILTIN })) add(name, def, 'all');
  for (const spec of commands) {
    for (const [name, def] of Object.entries(optionsOf(spec))) if (!(name in GLOBAL_OPTIONS) && !(name in BUILTIN)) add(name, def, spec);
  }

  let command: CommandSpec | undefined;
  let commandSeen = false;
  const seen: { token: string; known: Known }[] = [];
  const unknown = (token: string) =>
    command
      ? `unknown option ${shown(token)} for ${command.name}; see 'syschangemon ${command.name} --help'`
      : `unknown option ${shown(token)}${commandSeen ? '' : ' before the command'}; see 'syschangemon --help'`;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (!token.startsWith('-') || token === '-') {
      if (!commandSeen) {
        commandSeen = true;
        command = commands.find((c) => c.name === token);
        if (!command) {
          const near = commands.filter((c) => editDistance(c.name, token) <= 2 || c.name.startsWith(token)).map((c) => c.name);
          return `unknown command ${shown(token)}${near.length ? `; did you mean ${near.join(' or ')}?` : ''}; see 'syschangemon --help'`;
        }
      }
      continue;
    }
    const needsValue = (k: Known, inline: string | undefined): string | undefined => {
      if (k.def.type === 'boolean') return undefined;
      if (inline !== undefined) return undefined;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) return `${flag(k.name, k.def)} needs a value`;
      i++;
      return undefined;
    };
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      let name = kebab(token.slice(2, eq < 0 ? undefined : eq));
      const inline = eq < 0 ? undefined : token.slice(eq + 1);
      let k = long.get(name);
      if (!k && name.startsWith('no-') && long.get(name.slice(3))?.def.type === 'boolean') k = long.get((name = name.slice(3)));
      if (!k) return unknown(token);
      const problem = needsValue(k, inline);
      if (problem) return problem;
      seen.push({ token, known: k });
      continue;
    }
    // A cluster of short options (`-st`), the last of which may take a value (`-rabcd`, `-r abcd`).
    for (let j = 1; j < token.length; j++) {
      const candidates = short.get(token[j]!) ?? [];
      const k = candidates.find((c) => c.commands === 'all' || (command !== undefined && c.commands.includes(command))) ?? candidates[0];
      if (!k) return unknown(`-${token[j]}`);
      seen.push({ token: `-${token[j]}`, known: k });
      if (k.def.type !== 'boolean') {
        const rest = token.slice(j + 1);
        if (rest === '=') return `${flag(k.name, k.def)} needs a value`;
        const problem = needsValue(k, rest === '' ? undefined : rest.replace(/^=/, ''));
        if (problem) return problem;
        break;
      }
    }
  }
  if (!command) return undefined; // no command: yargs says so
  if (seen.some((s) => s.known.name === 'help' || s.known.name === 'version')) return undefined;
  for (const { known } of seen) {
    if (known.commands === 'all' || known.commands.includes(command)) continue;
    const users = known.commands.map((c) => c.name).join(', ');
    return `${command.name} does not use ${flag(known.name, known.def)} (${users} ${known.commands.length === 1 ? 'does' : 'do'}); see 'syschangemon ${command.name} --help'`;
  }
  return undefined;
}

const UUID_ARGS: Record<string, { name: SharedOption; what: string; list: string }> = {
  reportUuid: { name: 'report-uuid', what: 'report', list: 'list-reports' },
  oldSessionUuid: { name: 'old-session-uuid', what: 'session', list: 'list-sessions' },
  sessionUuid: { name: 'session-uuid', what: 'session', list: 'list-sessions' },
};

/** The uuid options given: a uuid or a unique prefix of at least four characters, once. */
export function checkUuidArgs(args: Record<string, unknown>): string | undefined {
  for (const [key, u] of Object.entries(UUID_ARGS)) {
    const value = args[key];
    if (value === undefined) continue;
    const opt = flag(u.name, SHARED_OPTIONS[u.name]);
    if (Array.isArray(value)) return `${opt} given ${value.length} times; name one ${u.what}`;
    const v = String(value);
    if (v === '') return `${opt}: empty value; name a ${u.what} by its uuid or a unique prefix of at least 4 characters (see 'syschangemon ${u.list}')`;
    if (!/^[0-9a-fA-F-]+$/.test(v)) return `${opt} ${shown(v)}: not a uuid (hex digits and '-'; see 'syschangemon ${u.list}')`;
    if (v.length < 4) return `${opt} ${shown(v)}: prefix too short: at least 4 characters`;
  }
  return undefined;
}

/** Levenshtein distance, for suggesting a command. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
