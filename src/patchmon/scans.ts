/**
 * The compliance scans of a session as PatchMon receives them: each evaluated OpenSCAP
 * profile and Docker Bench (scap collector), and each SCA policy (sca collector, sent as an
 * openscap-type scan named by its policy id; see src/collectors/sca/patchmon.ts). Each scan
 * is tagged with the scanner that made it, for `[patchmon] schedule.<scanner>`, and an SCA
 * scan with the checksum of its results: SCA policies are evaluated every run (they are cheap),
 * so an SCA scan is new to PatchMon when its results changed, not at every evaluation.
 */
import { scaPatchmonScans } from '../collectors/sca/patchmon.js';
import { patchmonScans, type PatchmonScan } from '../collectors/scap/patchmon.js';
import type { SessionRow, Store } from '../store/store.js';

export type Scanner = 'openscap' | 'docker-bench' | 'sca';

export interface TaggedScan {
  scanner: Scanner;
  scan: PatchmonScan;
  /** SCA: the policy summary's results checksum. */
  checksum?: string;
}

export function sessionScans(store: Store, session: SessionRow): TaggedScan[] {
  const dated = (sc: PatchmonScan) => (sc.started_at ? sc : { ...sc, started_at: session.started_at });
  return [
    ...patchmonScans(store.sessionItems(session, 'scap')).map((scan) => ({ scanner: scan.profile_type, scan: dated(scan) })),
    ...scaPatchmonScans(store.sessionItems(session, 'sca')).map((scan) => {
      const summary = store.sessionItem(session, `sca://${scan.profile_name}/_summary`);
      const checksum = summary?.attributes.checksum;
      return { scanner: 'sca' as const, scan: dated(scan), ...(typeof checksum === 'string' ? { checksum } : {}) };
    }),
  ];
}
