/**
 * Loading and validating the configuration: the main file (`syschangemon.conf`), then every
 * `*.conf` in `plugin_config_dir`, each key checked against the option schema of its section.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, messageOf, usageError } from '../errors.js';
import type { Collector, OptionSchema, OptionSpec, Options } from '../types.js';
import { decodeConfig, parseIni, pyStrip, type IniSection } from './ini.js';
import { CORE_SECTIONS, MAIN_SECTION } from './sections.js';
import { ignoreAttributesOption } from '../core/ignore.js';
import { ANNOTATIONS_OPTION, loadAnnotations } from '../core/annotations.js';

/** A collector's configuration. */
export interface PluginConfig {
  name: string;
  /** The file holding the collector's section (the last one read, when several do). */
  file?: string;
  /** `enable_plugin` of its section; false when no file has a section for it. */
  enabled: boolean;
  /** Parsed options (without `enable_plugin`), defaults filled in. */
  options: Options;
  /** Where each option given was set (file and line), so a collector's own check can name it. */
  where?: Record<string, { file: string; line: number }>;
}

/** The loaded configuration. */
export interface Config {
  /** Absolute main config file. */
  file: string;
  /** Its directory. */
  dir: string;
  /** True when no config was named or installed and the repo's bundled sample is used. */
  bundled: boolean;
  /** Validated core sections (`CORE_SECTIONS`), defaults filled in. */
  sections: Record<string, Options>;
  /**
   * Absolute storage directory: `[storage] dir`, relative paths resolved against `dir`. With the
   * bundled sample always the user's state dir (`$XDG_STATE_HOME/syschangemon`, else
   * `~/.local/state/syschangemon`), so a first try needs no root.
   */
  storageDir: string;
  /** `<storageDir>/db.sqlite`. */
  dbPath: string;
  /** Absolute `template_dir`, when set. */
  templateDir?: string;
  /** One entry per registered collector. */
  plugins: Map<string, PluginConfig>;
  /** Config files that hold a non-empty `[mail.smtp] password` and are readable by group/others. */
  exposedSecrets: string[];
  /** One-line warnings (`file:line: …`) about settings read as the Python tool read them. */
  warnings: string[];
}

export const SYSTEM_CONFIG_FILE = '/etc/syschangemon/syschangemon.conf';
const CONFIG_FILE_NAME = 'syschangemon.conf';

/**
 * The bundled sample. `src/config/config.ts` and `dist/config/config.js` both sit two levels
 * below the directory holding `etc/`: the repo, or `/usr/lib/syschangemon` in the Debian package.
 */
export const BUNDLED_CONFIG_FILE = fileURLToPath(new URL('../../etc/syschangemon/syschangemon.conf', import.meta.url));

const ENABLE_PLUGIN: OptionSpec = { type: 'bool', default: true, description: 'Run this collector.' };
/** Accepted by every collector; a collector's own `ignore_attributes` (its defaults) wins. */
const IGNORE_ATTRIBUTES: OptionSpec = ignoreAttributesOption();

/**
 * Which main config file to read: the `-c` value (a directory means its `syschangemon.conf`),
 * else `$SYSCHANGEMON_CONFIG`, else `/etc/syschangemon/syschangemon.conf` when it exists, else
 * the bundled sample. `where` exists for tests.
 */
export function resolveConfigPath(
  cliValue?: string,
  where: { env?: NodeJS.ProcessEnv; systemFile?: string; bundledFile?: string } = {},
): { file: string; bundled: boolean } {
  const env = where.env ?? process.env;
  if (Array.isArray(cliValue)) {
    throw usageError(`-c/--config given ${cliValue.length} times (${cliValue.map(String).join(', ')}): give one config file or directory`);
  }
  if (cliValue === '') throw usageError('-c/--config needs a config file or directory');
  const named = cliValue || env.SYSCHANGEMON_CONFIG;
  if (named) {
    const file = resolve(named);
    return { file: isDirectory(file) ? join(file, CONFIG_FILE_NAME) : file, bundled: false };
  }
  const systemFile = where.systemFile ?? SYSTEM_CONFIG_FILE;
  if (exists(systemFile)) return { file: systemFile, bundled: false };
  return { file: where.bundledFile ?? BUNDLED_CONFIG_FILE, bundled: true };
}

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** The `-c` value, if any (see {@link resolveConfigPath}). */
  file?: string;
  /** Registered collectors: their names are the plugin sections, their schemas check keys. */
  collectors: readonly Collector[];
  /** Environment for `$SYSCHANGEMON_CONFIG`, `$XDG_STATE_HOME`, `$HOME`; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Overrides for tests: where the installed and bundled configs are looked for. */
  systemFile?: string;
  bundledFile?: string;
  /** The directory relative include globs and paths are resolved against (default: the current one). */
  cwd?: string;
}

/** Where a merged key came from. */
interface Located {
  value: string;
  file: string;
  line: number;
  /** Inherited from a `[DEFAULT]` section. */
  inherited?: boolean;
}

type KeyMap = Map<string, Located>;

/** `[storage]` is configured like a collector (`plugins.d/storage.conf`), as in the Python tool. */
const STORAGE_SECTION = 'storage';

/** The values cement's `is_true` takes for true; everything else is false. */
const ENABLE_TRUE = new Set(['true', 'True', '1']);
/** False values that need no warning. */
const ENABLE_FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * Read, merge and validate the main config and the plugin configs the way the Python tool
 * (cement 2.8 on `RawConfigParser`) did. Throws {@link ConfigError}.
 *
 * - Every `*.conf` of `plugin_config_dir`, in name order, counts only with its first section,
 *   and only when that section (or the file's `[DEFAULT]`) has `enable_plugin`; a file without
 *   it is ignored and does not enable anything. The last such file decides whether the
 *   collector is enabled; its keys override those of earlier files.
 * - `enable_plugin` is true only for `true`, `True` or `1`.
 * - A section of the main file with `enable_plugin` decides last.
 * - A key the main file sets (in the section or its `[DEFAULT]`) wins over every plugin file.
 * - Core sections (`[syschangemon]`, `[mail.smtp]`, `[log.*]`) are read from the main file only.
 */
export function loadConfig(opts: LoadOptions): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const { file, bundled } = resolveConfigPath(opts.file, { env, systemFile: opts.systemFile, bundledFile: opts.bundledFile });
  const dir = dirname(file);
  const collectors = new Map(opts.collectors.map((c) => [c.name, c]));
  const warnings: string[] = [];
  const warn = (message: string, at?: { file: string; line?: number }) => {
    const text = at ? `${at.file}${at.line ? `:${at.line}` : ''}: ${message}` : message;
    if (!warnings.includes(text)) warnings.push(text);
  };
  const schemaOf = (name: string): OptionSchema | undefined => {
    if (Object.hasOwn(CORE_SECTIONS, name)) return CORE_SECTIONS[name];
    const c = collectors.get(name);
    return c ? { ...c.options, ignore_attributes: c.options.ignore_attributes ?? IGNORE_ATTRIBUTES, annotations: ANNOTATIONS_OPTION, enable_plugin: ENABLE_PLUGIN } : undefined;
  };
  const sectionNames = [...Object.keys(CORE_SECTIONS), ...collectors.keys()];
  const isPlugin = (name: string) => collectors.has(name) || name === STORAGE_SECTION;

  const toMap = (section: IniSection | undefined, from: string, inherited = false): KeyMap =>
    new Map((section?.entries ?? []).map((e) => [e.key, { value: e.value, file: from, line: e.line, ...(inherited ? { inherited } : {}) }]));
  const checkKeys = (section: IniSection, schema: OptionSchema, from: string) => {
    for (const entry of section.entries) {
      // enable_plugin in a core section: false is harmless, true is refused below.
      if (specFor(schema, entry.key) || entry.key === 'enable_plugin') continue;
      const names = Object.entries(schema).map(([k, s]) => (s.prefix ? `${k}.<name>` : k));
      throw new ConfigError(
        `unknown key '${entry.key}' in [${section.name}]; expected one of: ${names.join(', ')}${didYouMean(entry.key, Object.keys(schema))}`,
        { file: from, line: entry.line },
      );
    }
  };
  const readEnable = (at: Located, section: string): boolean => {
    if (ENABLE_TRUE.has(at.value)) return true;
    if (!ENABLE_FALSE.has(at.value.toLowerCase())) {
      warn(`[${section}] enable_plugin = '${clip(at.value)}' reads as false: only true, True or 1 enable a collector (as in the Python tool)`, at);
    }
    return false;
  };

  // The main file.
  const main = readConfigFile(file, bundled ? 'bundled sample config' : 'config file')!;
  const mainIni = parseIni(main.text, file);
  const mainDefaults = toMap(mainIni.defaults, file, true);
  const mainSections = new Map<string, KeyMap>();
  for (const section of mainIni.sections) {
    const schema = schemaOf(section.name);
    if (!schema) {
      throw new ConfigError(
        `unknown section [${section.name}]; expected one of: ${sectionNames.join(', ')}${didYouMean(section.name, sectionNames)}`,
        { file, line: section.line },
      );
    }
    checkKeys(section, schema, file);
    mainSections.set(section.name, toMap(section, file));
  }
  /** The main file's keys for a section: its own over its `[DEFAULT]`'s. */
  const mainKeys = (name: string): KeyMap => new Map([...mainDefaults, ...(mainSections.get(name) ?? [])]);

  const exposedSecrets: string[] = [];
  const password = mainKeys('mail.smtp').get('password');
  if (password && pyStrip(password.value) !== '' && (main.mode & 0o077) !== 0) exposedSecrets.push(file);

  // The plugin files.
  const pluginDirRaw = mainKeys(MAIN_SECTION).get('plugin_config_dir');
  const pluginDirValue = (pluginDirRaw && pyStrip(pluginDirRaw.value)) || String(CORE_SECTIONS[MAIN_SECTION]!.plugin_config_dir!.default);
  const pluginDir = resolve(dir, pluginDirValue);
  let names: string[];
  try {
    names = readdirSync(pluginDir).filter((n) => n.endsWith('.conf')).sort();
  } catch (err) {
    throw new ConfigError(`cannot read plugin_config_dir ${pluginDir}: ${errnoText(err)}`, pluginDirRaw ?? { file });
  }
  const enabledBy = new Map<string, boolean>();
  const pluginKeys = new Map<string, KeyMap>();
  const pluginFile = new Map<string, string>();
  for (const name of names) {
    const path = join(pluginDir, name);
    const plugin = readConfigFile(path, 'plugin config', true);
    if (!plugin) continue;
    const ini = parseIni(plugin.text, path);
    const [first, ...rest] = ini.sections;
    if (!first) {
      if (ini.defaults?.entries.length) warn('ignored: a plugin config needs a section besides [DEFAULT]', { file: path });
      continue;
    }
    for (const s of rest) {
      if (s.entries.length) warn(`[${s.name}] is ignored: only the first section of a plugin config counts (as in the Python tool)`, { file: path, line: s.line });
    }
    const keys = new Map([...toMap(ini.defaults, path, true), ...toMap(first, path)]);
    const flag = keys.get('enable_plugin') ?? (first.name === STORAGE_SECTION ? { value: 'true', file: path, line: first.line } : undefined);
    // [storage] needs no enable_plugin: the Python tool could not run without it, and its dir
    // must never silently fall back to the default.
    if (!flag) {
      warn(`[${first.name}] has no enable_plugin, so this file is ignored (as in the Python tool); add 'enable_plugin = true' to use it`, { file: path, line: first.line });
      continue;
    }
    const on = readEnable(flag, first.name);
    if (!isPlugin(first.name)) {
      if (!on) continue;
      if (Object.hasOwn(CORE_SECTIONS, first.name)) {
        throw new ConfigError(`[${first.name}] is not a collector and cannot be enabled from plugin_config_dir; move it to ${file}`, flag);
      }
      const known = [...collectors.keys()];
      throw new ConfigError(`unknown collector [${first.name}]; expected one of: ${known.join(', ')}${didYouMean(first.name, known)}`, { file: path, line: first.line });
    }
    checkKeys({ ...first }, schemaOf(first.name)!, path);
    enabledBy.set(first.name, on);
    let acc = pluginKeys.get(first.name);
    if (!acc) pluginKeys.set(first.name, (acc = new Map()));
    for (const [k, v] of keys) acc.set(k, v);
    pluginFile.set(first.name, path);
  }
  // The main file's sections decide last.
  for (const name of mainSections.keys()) {
    if (!isPlugin(name)) continue;
    const flag = mainKeys(name).get('enable_plugin');
    if (flag) enabledBy.set(name, readEnable(flag, name));
  }

  // A core section cannot be enabled as a collector (the Python tool failed to load it).
  for (const name of new Set([MAIN_SECTION, ...mainSections.keys()])) {
    if (isPlugin(name)) continue;
    const flag = mainKeys(name).get('enable_plugin');
    if (flag && readEnable(flag, name)) throw new ConfigError(`[${name}] is not a collector: enable_plugin cannot be true here`, flag);
  }

  /** Main-file keys, then the plugin files' keys the main file does not set. */
  const mergedKeys = (name: string): KeyMap => {
    const keys = mainKeys(name);
    if (isPlugin(name) && enabledBy.has(name)) {
      for (const [k, v] of pluginKeys.get(name) ?? []) if (!keys.has(k)) keys.set(k, v);
    }
    return keys;
  };

  const parseSection = (name: string, schema: OptionSchema, keys: KeyMap, lenient = false): Options => {
    const out: Options = {};
    for (const [key, spec] of Object.entries(schema)) {
      if (spec.default !== undefined) out[key] = spec.default;
    }
    for (const [key, at] of keys) {
      const spec = specFor(schema, key);
      if (!spec || key === 'enable_plugin') continue; // an inherited [DEFAULT] key this section does not take
      try {
        out[key] = parseOptionValue(spec, at.value, (v) => resolveRelative(spec, v, cwd, (m) => warn(`[${name}] ${key}: ${m}`, at)));
        if (!lenient) for (const m of spec.warnings?.(out[key]) ?? []) warn(`[${name}] ${key}: ${m}`, at);
      } catch (err) {
        if (lenient) continue;
        throw new ConfigError(`bad value for '${key}' in [${name}]: ${messageOf(err)}`, at);
      }
    }
    return out;
  };

  const sections: Record<string, Options> = {};
  for (const [name, schema] of Object.entries(CORE_SECTIONS)) {
    sections[name] = parseSection(name, schema, mergedKeys(name));
    delete sections[name]!.enable_plugin;
  }
  if (enabledBy.get(STORAGE_SECTION) === false) {
    warn('[storage] is always on: enable_plugin = false is ignored', mainKeys(STORAGE_SECTION).get('enable_plugin') ?? { file: pluginFile.get(STORAGE_SECTION) ?? file });
  }

  const plugins = new Map<string, PluginConfig>();
  for (const [name] of collectors) {
    const enabled = enabledBy.get(name) === true;
    const keys = mergedKeys(name);
    const options = parseSection(name, schemaOf(name)!, keys, !enabled);
    delete options.enable_plugin;
    const from = pluginFile.get(name) ?? (mainSections.has(name) ? file : undefined);
    const where = Object.fromEntries([...keys].map(([k, at]) => [k, { file: at.file, line: at.line }]));
    // An annotations file is checked now, so a bad entry stops the run before anything is written.
    if (enabled && typeof options.annotations === 'string' && options.annotations !== '') {
      try {
        loadAnnotations(options.annotations);
      } catch (err) {
        if (err instanceof ConfigError && !err.located) throw new ConfigError(`[${name}] ${err.message}`, where.annotations);
        throw err;
      }
    }
    plugins.set(name, { name, ...(from ? { file: from } : {}), enabled, options, where });
  }

  const storageRaw = mergedKeys(STORAGE_SECTION).get('dir');
  const storageValue = String(sections.storage!.dir);
  if (!bundled && storageRaw && !isAbsolute(storageValue)) {
    warn(`[storage] dir '${clip(storageValue)}' is relative: resolved against the config directory ${dir} (the Python tool used the current directory)`, storageRaw);
  }
  const storageDir = bundled ? userStateDir(env) : resolve(dir, storageValue);

  const templateRaw = String(sections[MAIN_SECTION]!.template_dir ?? '');
  let templateDir: string | undefined;
  if (templateRaw) {
    templateDir = resolve(dir, templateRaw);
    if (!isDirectory(templateDir)) {
      throw new ConfigError(`template_dir ${templateDir}: no such directory`, mainKeys(MAIN_SECTION).get('template_dir') ?? { file });
    }
  }
  return {
    file,
    dir,
    bundled,
    sections,
    storageDir,
    dbPath: join(storageDir, 'db.sqlite'),
    ...(templateDir ? { templateDir } : {}),
    plugins,
    exposedSecrets,
    warnings,
  };
}

/** A glob with every glob character of `text` escaped. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\?*[{]/g, (c) => `\\${c}`);
}

/**
 * Resolve relative values the way the Python tool did: against the current directory. `say`
 * gets a warning for each, since cron runs from the home directory, not the config's.
 */
function resolveRelative(spec: OptionSpec, value: unknown, cwd: string, say: (message: string) => void): unknown {
  const why = `resolved against the current directory ${cwd} as the Python tool did (cron starts in the home directory: write an absolute path)`;
  if (spec.resolve === 'path' && typeof value === 'string' && value !== '' && !isAbsolute(value)) {
    say(`'${clip(value)}' is relative: ${why}`);
    return resolve(cwd, value);
  }
  if ((spec.resolve === 'include' || spec.resolve === 'globs') && Array.isArray(value)) {
    const base = escapeGlob(cwd === '/' ? '' : cwd);
    return value.map((p: string) => {
      const c = p[0];
      // `**x`, `*x` match absolute paths as they are (and any path, in the Python tool) in an
      // exclude list; an include starting with them walked the current directory.
      const relative = c !== undefined && c !== '/' && c !== '[' && c !== '{' && (c !== '*' || spec.resolve === 'include');
      if (!relative) return p;
      say(`'${clip(p)}' is relative: ${why}`);
      return `${base}/${p}`;
    });
  }
  return value;
}

/** `$XDG_STATE_HOME/syschangemon`, else `~/.local/state/syschangemon`. */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'syschangemon');
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  return join(home, '.local', 'state', 'syschangemon');
}

/**
 * The spec a key falls under: its own name, or a `prefix` option `<name>.<suffix>`. A prefix
 * option with a default also stands alone (`timeout = 30` beside `timeout.slow = 5m`).
 */
function specFor(schema: OptionSchema, key: string): OptionSpec | undefined {
  if (Object.hasOwn(schema, key) && (!schema[key]!.prefix || schema[key]!.default !== undefined)) return schema[key];
  const dot = key.indexOf('.');
  if (dot > 0 && dot < key.length - 1) {
    const base = key.slice(0, dot);
    if (Object.hasOwn(schema, base) && schema[base]!.prefix) return schema[base];
  }
  return undefined;
}

const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'false', 'off']);
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Parse a raw config value by its spec. Sizes use binary multiples (`k`, `K`, `KB` and `KiB`
 * all mean 1024 bytes). Throws `Error('expected …')`.
 */
export function parseOptionValue(spec: OptionSpec, raw: string, prepare?: (value: unknown) => unknown): unknown {
  const text = pyStrip(raw);
  let value: unknown;
  switch (spec.type) {
    case 'bool': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) value = true;
      else if (FALSE_WORDS.has(word)) value = false;
      else throw new Error(`expected a boolean (true/false, yes/no, on/off, 1/0), got '${clip(text)}'`);
      break;
    }
    case 'int':
      value = parsePyInt(text);
      break;
    case 'string':
      value = text;
      break;
    case 'list': {
      const parts = spec.separator === 'commas' ? text.split(/[,\n]/) : text.split('\n');
      value = parts.map((p) => pyStrip(p)).filter((p) => p !== '');
      break;
    }
    case 'duration':
      value = parseDuration(text);
      break;
    case 'size':
      value = parseSize(text);
      break;
    default:
      throw new Error(`expected a known option type, got '${String((spec as OptionSpec).type)}'`);
  }
  if (prepare) value = prepare(value);
  if (spec.choices) {
    const allowed = spec.choices;
    const bad = (Array.isArray(value) ? (value as string[]) : [String(value)]).find((v) => !allowed.includes(v));
    if (bad !== undefined) throw new Error(`expected one of: ${allowed.join(', ')}; got '${clip(bad)}'`);
  }
  const problem = spec.check?.(value);
  if (problem) throw new Error(problem);
  return value;
}

/**
 * A whole number as Python's `int()` reads a string: surrounding whitespace, a sign, and
 * single underscores between digits (`1_000`).
 */
export function parsePyInt(text: string): number {
  const t = pyStrip(text);
  if (!/^[+-]?[0-9]+(?:_[0-9]+)*$/.test(t)) throw new Error(`expected a whole number, got '${clip(t)}'`);
  const n = Number(t.replace(/_/g, ''));
  if (!Number.isSafeInteger(n)) throw new Error(`expected a whole number below 2^53, got '${clip(t)}'`);
  return n;
}

function parseDuration(text: string): number {
  const compact = text.replace(/\s+/g, '').toLowerCase();
  if (/^\d+(\.\d+)?$/.test(compact)) return Number(compact);
  const parts = /^(?:\d+(?:\.\d+)?[smhdw])+$/.test(compact) ? compact.match(/\d+(?:\.\d+)?[smhdw]/g) : null;
  if (!parts) throw new Error(`expected a duration (seconds, or a number with s, m, h, d or w, e.g. 90s, 15m, 1h30m), got '${clip(text)}'`);
  return parts.reduce((sum, p) => sum + Number(p.slice(0, -1)) * DURATION_UNITS[p.slice(-1)]!, 0);
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i.exec(text);
  if (!m) throw new Error(`expected a size (bytes, or a number with K, M or G, e.g. 100000, 512K, 10MiB), got '${clip(text)}'`);
  const bytes = Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new Error(`expected a size below 8 PiB, got '${clip(text)}'`);
  return bytes;
}

/** ` (did you mean 'x'?)` for a near miss, else ''. */
function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return best !== undefined && bestDistance <= limit ? `; did you mean '${best}'?` : '';
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** Config files are small; anything larger is not one. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Read a config file through one descriptor opened without blocking (a FIFO or a terminal
 * named by `-c` must not hang the run) that must be a regular file of sane size. With
 * `skipDirectory`, a directory gives undefined (a directory named `*.conf` in plugins.d).
 */
function readConfigFile(path: string, what: string, skipDirectory = false): { text: string; mode: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if (skipDirectory && (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw new ConfigError(`cannot read ${what} ${path}: ${errnoText(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) {
      if (skipDirectory) return undefined;
      throw new ConfigError(`cannot read ${what} ${path}: is a directory`);
    }
    if (!st.isFile()) throw new ConfigError(`cannot read ${what} ${path}: not a regular file (${fileKind(st)})`);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(`cannot read ${what} ${path}: larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(fd);
    } catch (err) {
      throw new ConfigError(`cannot read ${what} ${path}: ${errnoText(err)}`);
    }
    return { text: decodeConfig(bytes, path), mode: st.mode };
  } finally {
    closeSync(fd);
  }
}

function fileKind(st: import('node:fs').Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  if (code === 'EISDIR') return 'is a directory';
  return messageOf(err);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}


function clip(text: string): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
