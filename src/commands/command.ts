/**
 * The shape of a command: one file per command under src/commands/, registered in index.ts.
 */
import type { App, GlobalArgs } from '../core/app.js';
import type { SharedOption } from './options.js';
import type { Collector } from '../types.js';

export interface OptionDef {
  type: 'string' | 'boolean' | 'number';
  describe: string;
  choices?: readonly string[];
  alias?: string;
  default?: unknown;
}

export interface CommandSpec {
  name: string;
  describe: string;
  /** Positional arguments after the name, in yargs' form (`<collector>`). */
  positional?: string;
  /** Options of this command only (the global ones are declared in src/commands/options.ts). */
  options?: Record<string, OptionDef>;
  /**
   * The shared options (src/commands/options.ts) this command uses; its `--help` lists only
   * these, and any other is refused. Absent: all of them.
   */
  uses?: readonly SharedOption[];
  /** Allowed values of --format for this command (first is the default). */
  formats?: readonly string[];
  /** Further --format values that collectors bring (export: Collector.exports), added by the CLI. */
  collectorFormats?: (collectors: readonly Collector[]) => readonly string[];
  /** Runs the command; returns the exit code (0 when undefined). */
  run(app: App, args: GlobalArgs & Record<string, unknown>): Promise<number | void> | number | void;
}

/** Write to stdout; a closed pipe (`| head`) ends the program quietly. */
export function out(text: string): void {
  process.stdout.write(text);
}

/**
 * Write to stdout and wait while the pipe is full, so long outputs (reports, exports) stream
 * in bounded memory instead of queueing in the process.
 */
export async function outStream(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}

/** Choose the --format value for a command. */
export function formatOf(spec: CommandSpec, args: GlobalArgs): string {
  const formats = spec.formats ?? ['text'];
  return args.format ?? formats[0]!;
}
