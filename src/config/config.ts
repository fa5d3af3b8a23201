/**
 * Loading and validating the configuration: the main file (`syschangemon.conf`), then every
 * `*.conf` in `plugin_config_dir`, each key checked against the option schema of its section.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, messageOf } from '../errors.js';
import type { Collector, OptionSchema, OptionSpec, Options } from '../types.js';
import { parseIni, type IniFile } from './ini.js';
import { CORE_SECTIONS, MAIN_SECTION } from './sections.js';

/** A collector's configuration. */
export interface PluginConfig {
  name: string;
  /** The file holding the collector's section (the last one read, when several do). */
  file?: string;
  /** `enable_plugin` of its section; false when no file has a section for it. */
  enabled: boolean;
  /** Parsed options (without `enable_plugin`), defaults filled in. */
  options: Options;
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
}

export const SYSTEM_CONFIG_FILE = '/etc/syschangemon/syschangemon.conf';
const CONFIG_FILE_NAME = 'syschangemon.conf';

/**
 * The bundled sample. `src/config/config.ts` and `dist/config/config.js` both sit two levels
 * below the directory holding `etc/`: the repo, or `/usr/lib/syschangemon` in the Debian package.
 */
export const BUNDLED_CONFIG_FILE = fileURLToPath(new URL('../../etc/syschangemon/syschangemon.conf', import.meta.url));

const ENABLE_PLUGIN: OptionSpec = { type: 'bool', default: true, description: 'Run this collector.' };

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
}

/** Where a merged key came from. */
interface Located {
  value: string;
  file: string;
  line: number;
}

/** Read, merge and validate the main config and the plugin configs. Throws {@link ConfigError}. */
export function loadConfig(opts: LoadOptions): Config {
  const env = opts.env ?? process.env;
  const { file, bundled } = resolveConfigPath(opts.file, { env, systemFile: opts.systemFile, bundledFile: opts.bundledFile });
  const dir = dirname(file);
  const collectors = new Map(opts.collectors.map((c) => [c.name, c]));
  const schemaOf = (name: string): OptionSchema | undefined => {
    if (Object.hasOwn(CORE_SECTIONS, name)) return CORE_SECTIONS[name];
    const c = collectors.get(name);
    return c ? { ...c.options, enable_plugin: ENABLE_PLUGIN } : undefined;
  };
  const sectionNames = [...Object.keys(CORE_SECTIONS), ...collectors.keys()];

  // Section → key → raw value and its place; files read later override earlier ones, as
  // configparser does when the Python tool reads the plugin configs after the main file.
  const merged = new Map<string, Map<string, Located>>();
  const sectionFile = new Map<string, string>();
  const exposedSecrets: string[] = [];

  const absorb = (ini: IniFile, mode: number) => {
    for (const section of ini.sections) {
      const schema = schemaOf(section.name);
      if (!schema) {
        throw new ConfigError(
          `unknown section [${section.name}]; expected one of: ${sectionNames.join(', ')}${didYouMean(section.name, sectionNames)}`,
          { file: ini.file, line: section.line },
        );
      }
      let keys = merged.get(section.name);
      if (!keys) merged.set(section.name, (keys = new Map()));
      sectionFile.set(section.name, ini.file);
      for (const entry of section.entries) {
        const spec = specFor(schema, entry.key);
        if (!spec) {
          const names = Object.entries(schema).map(([k, s]) => (s.prefix ? `${k}.<name>` : k));
          throw new ConfigError(
            `unknown key '${entry.key}' in [${section.name}]; expected one of: ${names.join(', ')}${didYouMean(entry.key, Object.keys(schema))}`,
            { file: ini.file, line: entry.line },
          );
        }
        keys.set(entry.key, { value: entry.value, file: ini.file, line: entry.line });
      }
      if (section.name === 'mail.smtp' && (mode & 0o077) !== 0) {
        const password = section.entries.find((e) => e.key === 'password');
        if (password && password.value.trim() !== '' && !exposedSecrets.includes(ini.file)) exposedSecrets.push(ini.file);
      }
    }
  };

  const main = readConfigFile(file, bundled ? 'bundled sample config' : 'config file');
  absorb(parseIni(main.text, file), main.mode);

  const pluginDirRaw = merged.get(MAIN_SECTION)?.get('plugin_config_dir');
  const pluginDirValue = pluginDirRaw?.value.trim() || String(CORE_SECTIONS[MAIN_SECTION]!.plugin_config_dir!.default);
  const pluginDir = resolve(dir, pluginDirValue);
  let names: string[];
  try {
    names = readdirSync(pluginDir).filter((n) => n.endsWith('.conf')).sort();
  } catch (err) {
    throw new ConfigError(`cannot read plugin_config_dir ${pluginDir}: ${errnoText(err)}`, pluginDirRaw ?? { file });
  }
  for (const name of names) {
    const path = join(pluginDir, name);
    if (!isFile(path)) continue;
    const plugin = readConfigFile(path, 'plugin config');
    absorb(parseIni(plugin.text, path), plugin.mode);
  }

  const parseSection = (name: string, schema: OptionSchema): Options => {
    const out: Options = {};
    for (const [key, spec] of Object.entries(schema)) {
      if (spec.default !== undefined) out[key] = spec.default;
    }
    for (const [key, at] of merged.get(name) ?? []) {
      const spec = specFor(schema, key)!;
      try {
        out[key] = parseOptionValue(spec, at.value);
      } catch (err) {
        throw new ConfigError(`bad value for '${key}' in [${name}]: ${messageOf(err)}`, at);
      }
    }
    return out;
  };

  const sections: Record<string, Options> = {};
  for (const [name, schema] of Object.entries(CORE_SECTIONS)) sections[name] = parseSection(name, schema);

  const plugins = new Map<string, PluginConfig>();
  for (const [name] of collectors) {
    const options = parseSection(name, schemaOf(name)!);
    const present = merged.has(name);
    const enabled = present && options.enable_plugin !== false;
    delete options.enable_plugin;
    plugins.set(name, { name, ...(present ? { file: sectionFile.get(name) } : {}), enabled, options });
  }

  const storageDir = bundled ? userStateDir(env) : resolve(dir, String(sections.storage!.dir));
  const templateRaw = String(sections[MAIN_SECTION]!.template_dir ?? '').trim();
  return {
    file,
    dir,
    bundled,
    sections,
    storageDir,
    dbPath: join(storageDir, 'db.sqlite'),
    ...(templateRaw ? { templateDir: resolve(dir, templateRaw) } : {}),
    plugins,
    exposedSecrets,
  };
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
export function parseOptionValue(spec: OptionSpec, raw: string): unknown {
  const text = raw.trim();
  let value: unknown;
  switch (spec.type) {
    case 'bool': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) value = true;
      else if (FALSE_WORDS.has(word)) value = false;
      else throw new Error(`expected a boolean (true/false, yes/no, on/off, 1/0), got '${clip(text)}'`);
      break;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new Error(`expected a whole number, got '${clip(text)}'`);
      }
      value = Number(text);
      break;
    }
    case 'string':
      value = text;
      break;
    case 'list': {
      const parts = spec.separator === 'commas' ? text.split(/[,\n]/) : text.split('\n');
      value = parts.map((p) => p.trim()).filter((p) => p !== '');
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
  if (spec.choices) {
    const allowed = spec.choices;
    const bad = (Array.isArray(value) ? (value as string[]) : [String(value)]).find((v) => !allowed.includes(v));
    if (bad !== undefined) throw new Error(`expected one of: ${allowed.join(', ')}; got '${clip(bad)}'`);
  }
  const problem = spec.check?.(value);
  if (problem) throw new Error(problem);
  return value;
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

function readConfigFile(path: string, what: string): { text: string; mode: number } {
  try {
    const text = readFileSync(path, 'utf8');
    return { text, mode: statSync(path).mode };
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${errnoText(err)}`);
  }
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

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function clip(text: string): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
