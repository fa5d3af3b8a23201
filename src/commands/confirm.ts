/**
 * Asking before something that cannot be undone, on a terminal only: cron, systemd and scripts
 * (stdin not a terminal) go on as before, and `--yes` skips the question.
 */
import * as readline from 'node:readline';

/** True when the user answered y/yes, or when there is no terminal to ask on. */
export async function confirmed(question: string, opts: { yes?: boolean; input?: NodeJS.ReadStream } = {}): Promise<boolean> {
  const input = opts.input ?? process.stdin;
  if (opts.yes || !input.isTTY) return true;
  const rl = readline.createInterface({ input, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      // End of input (Ctrl-D) is a no.
      rl.once('close', () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
