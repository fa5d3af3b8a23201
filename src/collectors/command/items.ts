/** The items the command collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const COMMAND_ITEMS: readonly ItemSpec[] = [
  {
    key: 'command://<name>',
    description: 'The result of one configured `command.<name>`.',
    attributes: {
      exit_code: { type: 'number', nullable: true, summary: true, description: 'Exit code; null when killed' },
      signal: { type: 'string', optional: true, summary: true, description: 'The signal that killed it' },
      truncated: { type: 'boolean', optional: true, description: '`true` when output was cut at `max_output`' },
      killed: { type: 'string', optional: true, summary: true, description: 'The names of processes the command left running and that were killed when it finished, e.g. `sleep`' },
    },
    contents: { stdout: 'Standard output, decoded as UTF-8 (invalid bytes become U+FFFD)', stderr: 'Standard error, decoded likewise' },
  },
];
