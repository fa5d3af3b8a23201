/** Severity of listener changes (README "Severities"); annotated (expected) listeners are info in the core. */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { splitKey } from '../../keys.js';
import { valueOf } from '../common/severity.js';

/** Whether a listener is on loopback: its `local` attribute, else the address in its key. */
function isLocal(c: ReportChange): boolean {
  const local = valueOf(c, 'local');
  if (typeof local === 'boolean') return local;
  const address = splitKey(c.key).rest.split('/').slice(1, -1).join('/').replace(/^\[|\]$/g, '');
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

export function portsSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const where = splitKey(c.key).rest;
  if (c.change === 'removed') return { level: 'info', reason: 'listener gone' };
  const local = isLocal(c);
  if (c.change === 'added') {
    const program = valueOf(c, 'program');
    return local
      ? { level: 'info', reason: 'new loopback listener' }
      : { level: 'high', reason: `new listener on ${where}${program ? ` (${program})` : ''}` };
  }
  if (!local) {
    const changed = ['program', 'exe', 'user'].filter((n) => c.attributes[n]);
    if (changed.length) return { level: 'high', reason: `${changed.join(', ')} of the listener on ${where} changed` };
  }
  return undefined;
}
