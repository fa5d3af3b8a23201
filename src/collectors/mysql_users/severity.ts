/** Severity of database account changes (README "Intended severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { splitKey } from '../../keys.js';
import { valueOf } from '../common/severity.js';

const POWERFUL = /\bALL PRIVILEGES ON \*\.\*|\bSUPER\b|\bFILE\b|\bWITH GRANT OPTION\b|\bGRANT PROXY\b|\bSHUTDOWN\b|\bCREATE USER\b/;

function lines(v: unknown): Set<string> {
  return new Set(typeof v === 'string' && v ? v.split('\n') : []);
}

export function mysqlUsersSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  const who = splitKey(c.key).rest;
  if (c.change === 'removed') return { level: 'info', reason: `account ${who} removed` };
  const a = c.attributes;
  if (valueOf(c, 'empty_password') === true && (c.change === 'added' || a.empty_password)) {
    return { level: 'critical', reason: `${who} has an empty password` };
  }
  const host = valueOf(c, 'host');
  if (c.change === 'added' && valueOf(c, 'role') !== true && typeof host === 'string' && !['localhost', '127.0.0.1', '::1'].includes(host)) {
    return { level: 'high', reason: `new account ${who} reachable from ${host === '%' ? 'any host' : host}` };
  }
  if (a.grants) {
    const before = lines(c.change === 'added' ? '' : a.grants.old);
    const gained = [...lines(a.grants.new)].filter((g) => !before.has(g) && POWERFUL.test(g));
    if (gained.length) return { level: 'high', reason: `${who} gained ${gained[0]}` };
  }
  if (c.change === 'added') return { level: 'medium', reason: `new ${valueOf(c, 'role') === true ? 'role' : 'account'} ${who}` };
  if (a.plugin) return { level: 'medium', reason: `authentication of ${who} changed` };
  return undefined;
}
