/** Severity of group changes (README "Severities"). */
import type { ReportChange, SeverityLevel } from '../../core/report-model.js';
import { decodePath, splitKey } from '../../keys.js';
import { added, listSet, valueOf } from '../common/severity.js';

/** Groups whose members can become root or read what root reads. */
export const PRIVILEGED_GROUPS = new Set(['sudo', 'wheel', 'admin', 'root', 'adm', 'docker', 'lxd', 'shadow', 'disk']);
const MEMBER_LISTS = ['members', 'primary_members', 'gshadow_members'];

export function groupsSeverity(c: ReportChange): { level: SeverityLevel; reason: string } | undefined {
  if (c.change === 'removed') return undefined;
  const name = decodePath(splitKey(c.key).rest).toString('utf8');
  const a = c.attributes;
  if (valueOf(c, 'gid') === 0 && name !== 'root' && (c.change === 'added' || a.gid)) return { level: 'high', reason: `group ${name} with gid 0` };
  if (PRIVILEGED_GROUPS.has(name)) {
    if (a.gid && c.change === 'changed') return { level: 'high', reason: `gid of ${name} changed` };
    const joined = new Set<string>();
    for (const list of MEMBER_LISTS) {
      if (!a[list]) continue;
      for (const m of added(listSet(c.change === 'added' ? undefined : a[list]!.old), listSet(a[list]!.new))) joined.add(m);
    }
    if (joined.size) return { level: 'high', reason: `${name}: +${[...joined].join(', +')}` };
  }
  const pw = a.password;
  if (pw && (pw.new === 'empty' || pw.new === 'set') && pw.old !== pw.new) return { level: 'high', reason: `group ${name} password ${pw.new}` };
  if (c.change === 'changed' && Object.keys(a).every((n) => MEMBER_LISTS.includes(n))) return { level: 'info', reason: `${name} membership changed` };
  return undefined;
}
