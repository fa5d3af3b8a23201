/**
 * The progress display of an interactive `collect`: one line on stderr, redrawn in place,
 * only when stderr is a terminal and neither --quiet nor --debug is given. Under cron, in a
 * pipe or in a log, the sink does nothing, so no stray bytes reach a report or a mail.
 */
import cliProgress from 'cli-progress';
import type { GlobalArgs } from './app.js';
import type { ProgressSink } from './runner.js';

/** A sink that ignores everything. */
const NO_PROGRESS: ProgressSink = { update() {}, stop() {} };

/** A terminal-like stream (process.stderr, or a test's). */
export interface ProgressStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

const line: cliProgress.GenericFormatter = (options, params, payload: { plugin: string; known: boolean }) => {
  if (payload.known && params.total > 0) {
    const bar = cliProgress.Format.BarFormat(params.progress, options);
    return `collect ${payload.plugin} ${bar} ${params.value}/${params.total}`;
  }
  return `collect ${payload.plugin}: ${params.value} items`;
};

/**
 * The App's progress part (composed in src/cli.ts, see `AppParts.progress`): a cli-progress bar on a
 * terminal, else the no-op sink.
 */
export function makeProgress(args: Pick<GlobalArgs, 'quiet' | 'debug'>, stream: ProgressStream = process.stderr): ProgressSink {
  if (args.quiet || args.debug || !stream.isTTY) return NO_PROGRESS;
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  return {
    update(plugin, done, total) {
      const known = total !== undefined;
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream, format: line, hideCursor: false, clearOnComplete: true, barsize: 30, fps: 10 });
        bar.start(total ?? 0, done, { plugin, known });
        current = plugin;
        return;
      }
      if (plugin !== current) {
        current = plugin;
        bar.setTotal(total ?? 0);
      } else if (known) bar.setTotal(total);
      bar.update(done, { plugin, known });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
