/** Severity of VPN certificate changes (README "Severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { decodePath, splitKey } from '../../keys.js';
import { valueOf } from '../common/severity.js';

export function openvpnUsersSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const cn = decodePath(splitKey(c.key).rest).toString('utf8');
  const a = c.attributes;
  if (c.change === 'removed') return { level: 'medium', reason: `certificate of ${cn} no longer in index.txt` };
  const status = valueOf(c, 'status');
  if (c.change === 'added' && status === 'valid') return { level: 'high', reason: `new VPN certificate for ${cn}` };
  if (a.status && a.status.new === 'valid') return { level: 'high', reason: `${cn} can connect again (was ${a.status.old})` };
  if (a.serial && status === 'valid') return { level: 'high', reason: `new certificate for ${cn} (serial ${a.serial.new})` };
  const vc = a.valid_certificates;
  if (vc && typeof vc.new === 'number' && typeof vc.old === 'number' && vc.new > vc.old && vc.new > 1) return { level: 'high', reason: `${cn} has ${vc.new} valid certificates` };
  if (a.in_crl && a.in_crl.new === false && valueOf(c, 'status') === 'revoked') return { level: 'high', reason: `${cn} is revoked but not in the CRL` };
  if (a.expiring && a.expiring.new === true) return { level: 'low', reason: `${cn} expires within the warning period` };
  if (a.status && (a.status.new === 'revoked' || a.status.new === 'expired')) return { level: 'info', reason: `${cn} ${a.status.new}` };
  return undefined;
}
