/** Severity of authorized key changes (README "Severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { decodePath, splitKey } from '../../keys.js';
import { valueOf } from '../common/severity.js';

const RESTRICTIONS = ['from=', 'command=', 'restrict'];

function restrictions(v: unknown): string[] {
  const text = typeof v === 'string' ? v : '';
  return RESTRICTIONS.filter((r) => text.split(',').some((o) => o.trim().startsWith(r)));
}

export function sshKeysSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const rest = splitKey(c.key).rest;
  const user = decodePath(rest.slice(0, Math.max(0, rest.indexOf('/')))).toString('utf8');
  if (c.change === 'removed') return { level: 'info', reason: `key of ${user} removed` };
  const mode = valueOf(c, 'file_mode');
  const writable = typeof mode === 'string' && /^[0-7]+$/.test(mode) && (parseInt(mode, 8) & 0o022) !== 0;
  if (c.change === 'added') {
    if (user === 'root') return { level: 'critical', reason: 'new SSH key for root' };
    return { level: 'high', reason: `new SSH key for ${user}` };
  }
  const opts = c.attributes.options;
  if (opts) {
    const lost = restrictions(opts.old).filter((r) => !restrictions(opts.new).includes(r));
    if (lost.length) return { level: 'high', reason: `key of ${user} lost ${lost.join(', ')}` };
  }
  if (writable && c.attributes.file_mode) return { level: 'high', reason: `${valueOf(c, 'file') ?? 'authorized_keys'} is group or world writable` };
  return undefined;
}
