/** Severity of scan results (README "Severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { decodePath, splitKey } from '../../keys.js';

export function portscanSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const [target, proto, port] = splitKey(c.key).rest.split('/');
  const where = `${decodePath(target ?? '').toString('utf8')} ${proto}/${port}`;
  if (c.change === 'added') return { level: 'high', reason: `${where} is now open` };
  if (c.change === 'removed') return { level: 'info', reason: `${where} no longer open` };
  return undefined;
}
