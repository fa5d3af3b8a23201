/** Severity of account changes (README "Severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { decodePath, splitKey } from '../../keys.js';
import { valueOf } from '../common/severity.js';

export function usersSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const name = decodePath(splitKey(c.key).rest).toString('utf8');
  if (c.change === 'removed') return undefined;
  const a = c.attributes;
  const login = valueOf(c, 'login');
  if (valueOf(c, 'uid') === 0 && name !== 'root' && (c.change === 'added' || a.uid)) {
    return { level: 'critical', reason: c.change === 'added' ? `new account ${name} with uid 0` : `${name} now has uid 0` };
  }
  if (valueOf(c, 'password') === 'empty' && (c.change === 'added' || a.password)) {
    // A changed account lists login only when it changed; unknown counts as able to log in.
    return login === false
      ? { level: 'high', reason: `${name} has an empty password` }
      : { level: 'critical', reason: `${name} can log in with an empty password` };
  }
  if (c.change === 'added' && login === true) return { level: 'high', reason: `new login account ${name}` };
  if (a.login && a.login.old === false && a.login.new === true) return { level: 'high', reason: `${name} can now log in` };
  if (a.password && (a.password.old === 'locked' || a.password.old === 'none') && a.password.new === 'set') {
    return { level: 'high', reason: `${name} now has a password (was ${a.password.old})` };
  }
  if (valueOf(c, 'password_in_passwd') === true && (c.change === 'added' || a.password_in_passwd)) {
    return { level: 'high', reason: `${name} has its password in /etc/passwd` };
  }
  const names = Object.keys(a);
  if (c.change === 'changed' && names.length === 1 && names[0] === 'last_change') return { level: 'info', reason: `${name} changed password` };
  return undefined;
}
