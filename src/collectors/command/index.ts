/**
 * The `command` collector: runs the administrator's commands (`command.<name> = <command line>`)
 * and keeps their exit code, stdout and stderr, so the report shows a unified diff of output
 * that changed. A command that hangs, fails to start or is killed becomes an error item; the
 * other commands still run.
 */
import { ConfigError } from '../../errors.js';
import type { CollectContext, Collector, OptionSchema, Options } from '../../types.js';
import { optionValues } from '../common/index.js';
import { encodePath } from '../../keys.js';
import { type SecretRules, checkSecretPatterns, redactOutput, secretRules } from '../../core/secrets.js';
import { type CommandResult, runCommand } from './run.js';
import { COMMAND_ITEMS } from './items.js';

const PREFIX = 'command.';
const TIMEOUT_PREFIX = 'timeout.';

export const COMMAND_OPTIONS: OptionSchema = {
  command: { type: 'string', prefix: true, description: 'command.<name> = <shell command line>: a command to run; item command://<name>.' },
  timeout: {
    type: 'duration', default: 30, prefix: true,
    description: 'Seconds a command may run before its process group is killed; timeout.<name> overrides it for one command.',
  },
  max_output: { type: 'size', default: 1024 * 1024, description: 'Bytes of stdout and of stderr kept per command; the rest is cut and the item says so.' },
  shell: { type: 'string', default: '/bin/sh', description: 'The shell that runs each command line (as `shell -c line`).' },
  secret_patterns: {
    type: 'list', default: [], check: checkSecretPatterns,
    description: 'Regular expressions of more secret values in the output (beside the built-in rules): what they match is stored as «redacted».',
  },
  parallel: { type: 'int', default: 4, description: 'Commands run at the same time.', check: (v) => ((v as number) >= 1 ? undefined : 'expected at least 1') },
};

/** One `command.<name>` of the configuration. */
export interface ConfiguredCommand {
  name: string;
  line: string;
  timeoutMs: number;
}

/** The configured commands, in config order, with their timeouts. */
export function commandsOf(options: Options): ConfiguredCommand[] {
  const defaultTimeout = optionValues(COMMAND_OPTIONS, options).number('timeout');
  const specs: ConfiguredCommand[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    const t = options[`${TIMEOUT_PREFIX}${name}`];
    specs.push({ name, line: String(value), timeoutMs: Number(t ?? defaultTimeout) * 1000 });
  }
  return specs;
}

/**
 * The item for one command's result. Secret values in the output (`cat /etc/mysql/debian.cnf`)
 * are replaced by «redacted» before anything is kept, as in configuration files.
 */
function commandItem(name: string, r: CommandResult, rules?: SecretRules) {
  const attributes: Record<string, string | number | boolean | null> = { exit_code: r.exitCode };
  if (r.signal) attributes.signal = r.signal;
  if (r.truncated) attributes.truncated = true;
  // Processes it left running (a daemon, a `&` job), killed when it finished: named, no pids.
  if (r.killed?.length) attributes.killed = r.killed.join(', ');
  // The shell's 127 (the program is not installed) is a result like any other exit code: kept,
  // and a note when first seen (see collect), not an error in every report.
  const stdout = redactOutput(r.stdout, rules);
  const stderr = redactOutput(r.stderr, rules);
  const error = r.error;
  return {
    key: `command://${encodePath(name)}`,
    attributes,
    contents: { stdout, stderr },
    ...(error ? { error } : {}),
  };
}

export const commandCollector: Collector = {
  name: 'command',
  description: 'Runs configured commands and keeps their exit code, stdout and stderr.',
  options: COMMAND_OPTIONS,
  items: COMMAND_ITEMS,
  init(options) {
    for (const key of Object.keys(options)) {
      if (key.startsWith(TIMEOUT_PREFIX) && options[`${PREFIX}${key.slice(TIMEOUT_PREFIX.length)}`] === undefined) {
        throw new ConfigError(`[command] ${key} names no command ${PREFIX}${key.slice(TIMEOUT_PREFIX.length)}`);
      }
      // Any name the Python tool took (`command.disk usage`), but no control characters.
      if (key.startsWith(PREFIX) && /[\u0000-\u001f\u007f]/.test(key.slice(PREFIX.length))) {
        throw new ConfigError(`[command] ${JSON.stringify(key)}: a command name may not hold control characters`);
      }
    }
  },
  async collect(ctx: CollectContext, options: Options) {
    const specs = commandsOf(options);
    const v = optionValues(COMMAND_OPTIONS, options);
    const shell = v.string('shell');
    const maxOutput = v.number('max_output');
    const parallel = Math.max(1, v.number('parallel'));
    const rules = secretRules([], v.list('secret_patterns'));
    const results: Promise<CommandResult>[] = new Array(specs.length);
    let next = 0;
    let running = 0;
    let wake: (() => void) | undefined;
    // Start at most `parallel` at a time; add items in config order as they finish.
    const start = () => {
      while (running < parallel && next < specs.length) {
        const s = specs[next++]!;
        running++;
        results[specs.indexOf(s)] = runCommand(s.line, { shell, timeoutMs: s.timeoutMs, maxOutput }).finally(() => {
          running--;
          start();
          wake?.();
        });
      }
    };
    start();
    for (let i = 0; i < specs.length; i++) {
      while (results[i] === undefined) await new Promise<void>((r) => (wake = r));
      const r = await results[i]!;
      const item = commandItem(specs[i]!.name, r, rules);
      if (r.exitCode === 127 && !r.error) {
        const prev = ctx.previous(item.key);
        if (!prev || prev.error !== null || prev.attributes.exit_code !== 127) {
          const why = item.contents.stderr.trim().split('\n')[0] ?? '';
          ctx.note(`command: ${specs[i]!.name}: program not found (exit 127${why ? `: ${why}` : ''}); recorded, and reported as a change once it runs`);
        }
      }
      ctx.add(item);
      ctx.progress(i + 1, specs.length);
    }
  },
};
