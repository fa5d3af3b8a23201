/**
 * The configured logger: levels, an optional log file with size-based rotation
 * (`[log.logging]`), and console lines on stderr. `--debug` lowers both thresholds to debug;
 * `--quiet` leaves only errors on the console, so cron sees nothing on success.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '../config/config.js';
import type { GlobalArgs } from '../core/app.js';
import type { Level, Logger } from '../core/logger.js';
import { visibleControls } from '../core/visible.js';
import { messageOf } from '../errors.js';
import { RotatingFile } from './rotating-file.js';

export const LEVELS: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** What the logger is built from: `[log.logging]` and the command line, resolved. */
export interface LoggingSettings {
  /** Absolute log file, or undefined for none. */
  file?: string;
  /** Lowest level written to the file. */
  fileLevel: Level;
  /** Lowest level written to stderr, or undefined for no console output. */
  consoleLevel?: Level;
  rotate: boolean;
  maxBytes: number;
  maxFiles: number;
}

/** The Python tool's level names mapped to ours (`warning` and `fatal` are accepted). */
export function parseLevel(value: unknown): Level {
  switch (String(value ?? 'info').toLowerCase()) {
    case 'debug':
      return 'debug';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
    case 'fatal':
    case 'critical':
      return 'error';
    default:
      return 'info';
  }
}

const max = (a: Level, b: Level): Level => (LEVELS[a] >= LEVELS[b] ? a : b);

/** Resolve `[log.logging]` (relative files against the config directory) and the flags. */
export function loggingSettings(section: Record<string, unknown>, args: Pick<GlobalArgs, 'debug' | 'quiet'>, configDir = '/'): LoggingSettings {
  const rawFile = typeof section.file === 'string' ? section.file.trim() : '';
  const file = rawFile === '' || rawFile.toLowerCase() === 'none' ? undefined : path.resolve(configDir, rawFile);
  const level = args.debug ? 'debug' : parseLevel(section.level);
  let consoleLevel: Level | undefined;
  if (args.debug) consoleLevel = 'debug';
  else if (args.quiet) consoleLevel = 'error';
  else if (section.to_console !== false) consoleLevel = max('warn', level);
  else consoleLevel = undefined;
  return {
    file,
    fileLevel: level,
    consoleLevel,
    rotate: section.rotate === true,
    maxBytes: Number(section.max_bytes ?? 512000),
    maxFiles: Number(section.max_files ?? 4),
  };
}

/** Where console lines go; stderr unless a test says otherwise. */
export interface LogSinks {
  stderr?: { write(text: string): unknown };
  now?: () => Date;
}

/** A logger that never throws: a log file that cannot be written becomes one console warning. */
export function createLogger(settings: LoggingSettings, sinks: LogSinks = {}): Logger {
  const stderr = sinks.stderr ?? process.stderr;
  const now = sinks.now ?? (() => new Date());
  const consoleAt = settings.consoleLevel === undefined ? Infinity : LEVELS[settings.consoleLevel];
  const toConsole = (level: Level, message: string) => {
    if (LEVELS[level] >= consoleAt) stderr.write(`syschangemon: ${level === 'info' ? '' : `${level}: `}${visibleControls(message)}\n`);
  };
  let file: RotatingFile | undefined;
  let fileBroken = false;
  const fileFailed = (err: unknown) => {
    fileBroken = true;
    // Reported once per run on stderr whatever the console level (also under cron with
    // --quiet, or to_console = false: nobody would learn of it otherwise), and the run goes on.
    const line = `log file ${settings.file}: ${messageOf(err)}; logging to it stopped`;
    stderr.write(`syschangemon: warn: ${visibleControls(line)}\n`);
  };
  const tag = `syschangemon[${process.pid}]`;
  const host = os.hostname();
  const toFile = (level: Level, message: string) => {
    if (!settings.file || fileBroken || LEVELS[level] < LEVELS[settings.fileLevel]) return;
    try {
      file ??= new RotatingFile(settings.file, settings);
      // One record per line, whatever the message holds.
      const text = visibleControls(message).replace(/\n/g, '\\n');
      file.write(`${now().toISOString()} ${host} ${tag}: ${level.toUpperCase()}: ${text}`);
    } catch (err) {
      fileFailed(err);
    }
  };
  const at = (level: Level) => (message: string) => {
    toFile(level, message);
    toConsole(level, message);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), record: toFile };
}

/** The App's logger part (composed in src/cli.ts, see `AppParts.logger`). */
export function makeLogger(cfg: Config, args: GlobalArgs): Logger {
  return createLogger(loggingSettings(cfg.sections['log.logging'] ?? {}, args, cfg.dir));
}
