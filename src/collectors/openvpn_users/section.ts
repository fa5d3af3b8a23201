/**
 * The openvpn_users collector's own part of the report: the valid certificates of the new
 * session that expire within `warn_days`, soonest first, whether or not anything changed —
 * what an administrator renews before clients are locked out.
 */
import type { OptionSchema, Options, ReportHookContext } from '../../types.js';
import { decodePath, splitKey } from '../../keys.js';
import { optionValues } from '../common/index.js';

export interface ExpiringCertificate {
  cn: string;
  serial: string;
  expiry: string;
  days_left: number;
}

export interface OpenvpnUsersSection {
  warn_days: number;
  expiring: ExpiringCertificate[];
}

export function openvpnUsersSection(schema: OptionSchema) {
  return (ctx: ReportHookContext, options: Options): OpenvpnUsersSection | undefined => {
    const expiring: ExpiringCertificate[] = [];
    for (const item of ctx.newItems('openvpn_users')) {
      const a = item.attributes;
      if (item.error || a.status !== 'valid' || a.expiring !== true) continue;
      expiring.push({
        cn: decodePath(splitKey(item.key).rest).toString('utf8'),
        serial: String(a.serial ?? ''),
        expiry: String(a.expiry ?? ''),
        days_left: Number(a.days_left ?? 0),
      });
    }
    if (expiring.length === 0) return undefined;
    expiring.sort((x, y) => x.days_left - y.days_left || x.cn.localeCompare(y.cn));
    return { warn_days: optionValues(schema, options).number('warn_days'), expiring };
  };
}
