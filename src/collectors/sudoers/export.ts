/**
 * `export --format sudo-rules`: who may run what as whom, one effective rule a line, as
 * tab-separated columns for an audit (file, users, hosts, runas users, runas groups, tags,
 * commands). Aliases are expanded and runas/tags carried over as the collector stores them.
 */
import type { ExportFormat, StoredItem } from '../../types.js';
import { visibleControls } from '../../core/visible.js';

const COLUMNS = ['file', 'users', 'hosts', 'runas_users', 'runas_groups', 'tags', 'commands'] as const;

/**
 * A cell on one line, for a terminal: tabs and line breaks as spaces, every other control
 * character (ESC, C1, bidi) shown as visibleControls shows it, never raw.
 */
const cell = (v: unknown): string => visibleControls((v === null || v === undefined ? '' : String(v)).replace(/[\t\r\n]+/g, ' '));

export const sudoRulesExport: ExportFormat = {
  description: "the session's effective sudo rules, one per line, tab-separated: file, users, hosts, runas users and groups, tags, commands",
  *write(items: Iterable<StoredItem>) {
    yield `${COLUMNS.join('\t')}\n`;
    for (const item of items) {
      if (item.error || item.attributes.kind !== 'rule') continue;
      yield `${COLUMNS.map((c) => cell(item.attributes[c])).join('\t')}\n`;
    }
  },
};
