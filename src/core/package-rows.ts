/**
 * The one PACKAGES block of the text and HTML reports: the package operations between the
 * sessions, one row per dpkg.log action (install, upgrade, remove, purge; oldest first) with
 * how many changes it explains, and a row for each package that changed without a logged
 * action. Built from `report.packages` and `report.package_log`; the changes themselves are
 * counted, not listed.
 */
import type { Report } from './report-model.js';

export interface PackageRow {
  /** ISO time of the dpkg.log line, null for a package change that dpkg.log does not have. */
  time: string | null;
  action: string;
  /** `<name>:<arch>`. */
  package: string;
  /** `1.0 → 1.1`, `1.0` for an install, removal or reinstall. */
  versions: string;
  explained: number;
  logged: boolean;
}

function versions(old: string | null, neu: string | null): string {
  if (old && neu && old !== neu) return `${old} → ${neu}`;
  return neu ?? old ?? '';
}

const ACTION: Record<string, string> = { added: 'install', removed: 'remove', changed: 'upgrade' };

/** The rows; the explained count of a package goes to its last logged action. */
export function packageRows(report: Report): PackageRow[] {
  const rows: PackageRow[] = (report.package_log ?? []).map((a) => ({
    time: a.time,
    action: a.action,
    package: a.arch ? `${a.package}:${a.arch}` : a.package,
    versions: versions(a.old, a.new),
    explained: 0,
    logged: true,
  }));
  for (const p of report.packages ?? []) {
    const id = `${p.name}:${p.arch}`;
    const last = rows.findLast((r) => r.logged && r.package === id);
    if (last) {
      last.explained += p.explained;
      continue;
    }
    const action = p.change === 'changed' && p.old === p.new ? 'reinstall' : (ACTION[p.change] ?? p.change);
    rows.push({ time: null, action, package: id, versions: versions(p.old, p.new), explained: p.explained, logged: false });
  }
  return rows;
}
