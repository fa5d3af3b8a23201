/**
 * The logger interface the core writes to. The configured implementation (levels, log file,
 * syslog) lives in src/log/; this module holds the interface and a plain stderr logger.
 */

import { visibleControls } from './visible.js';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Record a message in the log file only (the console has it already), if there is one. */
  record?(level: Level, message: string): void;
}

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger that writes `syschangemon: <level>: message` lines at or above `level` to stderr. */
export function stderrLogger(level: Level): Logger {
  const at = (l: Level) => (message: string) => {
    if (ORDER[l] >= ORDER[level]) process.stderr.write(`syschangemon: ${l === 'info' ? '' : `${l}: `}${visibleControls(message)}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
