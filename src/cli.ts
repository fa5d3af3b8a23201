#!/usr/bin/env node
/**
 * Entry point: composes the app from its parts (collectors, logger, progress display, the
 * steps `run` takes after the report), parses the command line, runs one command, maps errors
 * to one line on stderr and an exit code (0 success, 1 failure, 2 usage/configuration, 75 lock
 * held). This is the only place the parts are named; nothing registers itself by being imported.
 */
// First import: memory.ts sets V8's generation growth and malloc's arenas as it is evaluated,
// before the other modules load (their code and data are the first old-generation objects).
import { memorySettings } from './memory.js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { COMMANDS as BUILTIN_COMMANDS } from './commands/index.js';
import type { CommandSpec } from './commands/command.js';
import { checkArgv, checkUuidArgs, GLOBAL_OPTIONS, optionsOf } from './commands/options.js';
import { COLLECTORS } from './collectors/index.js';
import { type App, createApp, type GlobalArgs } from './core/app.js';
import { programVersion } from './core/paths.js';
import { visibleControls } from './core/visible.js';
import { makeProgress } from './core/progress.js';
import { EXIT_FAILURE, EXIT_USAGE, messageOf, SysError } from './errors.js';
import { makeLogger } from './log/configured-logger.js';
import { syslogRunStep } from './log/run-step.js';
import { emailPending } from './mail/step.js';
import { patchmonRunStep } from './patchmon/submit.js';
import { ecsRunStep } from './output/step.js';

/** The commands, with the --format values the collectors add (export --format sudo-rules). */
const COMMANDS: readonly CommandSpec[] = BUILTIN_COMMANDS.map((spec) =>
  spec.collectorFormats ? { ...spec, formats: [...(spec.formats ?? []), ...spec.collectorFormats(COLLECTORS)] } : spec,
);

const makeApp = createApp({
  collectors: COLLECTORS,
  logger: makeLogger,
  progress: makeProgress,
  // After the report is printed: mail it (and any still pending), the syslog lines, the ECS
  // events, then the compliance results to PatchMon.
  steps: [(app, args) => emailPending(app, args), (app, args, reportUuid) => syslogRunStep(app, args, reportUuid), (app, _args, reportUuid) => ecsRunStep(app, reportUuid), (app) => patchmonRunStep(app)],
});

// `syschangemon … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** `--exit-status`: exit codes 1 to 7 are AIDE's change bits, so failures move out of their way. */
let exitStatusMode = false;

/** A failure's exit code under --exit-status: usage and configuration 17, the lock 75, anything else 18. */
function failureCode(code: number): number {
  if (!exitStatusMode || code === 0 || code === 75) return code;
  return code === EXIT_USAGE ? 17 : 18;
}

function fail(message: string, code: number): never {
  process.stderr.write(`syschangemon: ${visibleControls(message)}\n`);
  process.exit(failureCode(code));
}

async function execute(spec: CommandSpec, argv: GlobalArgs & Record<string, unknown>): Promise<number> {
  if (argv.format !== undefined && !(spec.formats ?? []).includes(argv.format)) {
    const allowed = spec.formats?.length ? spec.formats.join(', ') : 'none';
    fail(`${spec.name}: unknown --format '${argv.format}' (expected: ${allowed})`, EXIT_USAGE);
  }
  const badUuid = checkUuidArgs(argv);
  if (badUuid) fail(`${spec.name}: ${badUuid}`, EXIT_USAGE);
  let app: App | undefined;
  try {
    app = makeApp(argv);
    app.log.debug(`memory: ${memorySettings.length ? memorySettings.join(' ') : 'node defaults (SYSCHANGEMON_NODE_DEFAULTS=1)'}`);
    const code = await spec.run(app, argv);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (argv.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // Close before exiting: a failed write's transaction is rolled back and its WAL given back.
    try {
      app?.close();
    } catch {
      // the error below is the one to report
    }
    // The failure goes to the log file too (stderr gets it below).
    app?.log.record?.('error', `${spec.name}: ${messageOf(err)}`);
    if (err instanceof SysError) fail(err.message, err.exitCode);
    const code = (err as { code?: unknown }).code;
    if (app && typeof code === 'string' && code.startsWith('SQLITE_')) {
      // The database failed under us: name it, and say what to do.
      const hint = /CORRUPT|NOTADB/.test(code)
        ? "; move it away or run 'syschangemon reset'"
        : /FULL|IOERR/.test(code)
          ? '; free some space; the sessions stored before are intact'
          : '';
      return fail(`database ${app.cfg.dbPath}: ${messageOf(err)}${hint}`, EXIT_FAILURE);
    }
    return fail(messageOf(err), EXIT_FAILURE);
  } finally {
    app?.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const end = argv.indexOf('--');
  exitStatusMode = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--exit-status' || a === '--exit-status=true');
  const problem = checkArgv(argv, COMMANDS);
  if (problem) fail(problem, EXIT_USAGE);
  let exitCode = 0;
  let cli = yargs(argv)
    .scriptName('syschangemon')
    .usage('usage: syschangemon <command> [options]\n\nSystem change monitor')
    .options(Object.fromEntries(Object.entries(GLOBAL_OPTIONS).map(([name, def]) => [name, { ...def, global: true }])))
    .version('version', 'show version information and exit', programVersion())
    .alias('version', 'V')
    .help('help', 'show this help message and exit')
    .alias('help', 'h')
    .strict()
    .recommendCommands()
    .demandCommand(1, 'a command is required')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) fail(messageOf(err), err instanceof SysError ? err.exitCode : EXIT_FAILURE);
      fail(`${msg}; see 'syschangemon --help'`, EXIT_USAGE);
    });
  for (const spec of COMMANDS) {
    cli = cli.command(
      spec.positional ? `${spec.name} ${spec.positional}` : spec.name,
      spec.describe + (spec.formats ? ` [--format ${spec.formats.join('|')}]` : ''),
      (y) => {
        // Only the options this command uses, so its --help lists only them.
        for (const [name, def] of Object.entries(optionsOf(spec))) if (!(name in GLOBAL_OPTIONS) && name !== 'help' && name !== 'version') y.option(name, def);
        return y;
      },
      async (argv) => {
        exitCode = await execute(spec, argv as unknown as GlobalArgs & Record<string, unknown>);
      },
    );
  }
  await cli.parseAsync();
  process.exitCode = exitCode;
}

main(hideBin(process.argv)).catch((err: unknown) => {
  fail(messageOf(err), EXIT_FAILURE);
});
