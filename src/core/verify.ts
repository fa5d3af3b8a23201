/**
 * `syschangemon verify`: recompute the digest chain (src/store/chain.ts) and name the first
 * session that does not match. What it checks:
 * - every chain record links to the one before (the first to none): a record removed from the
 *   middle, or one altered, breaks the link of the next;
 * - every stored complete session has a record, and its digest recomputed from its items now
 *   equals the recorded one: an item row, a session row or a record edited afterwards differs;
 * - a session whose record remains may be missing only at the old end (cleanup drops the oldest
 *   sessions and keeps their records); one missing after a stored one was deleted;
 * - stored contents still hash to their names (they are addressed by their SHA-256);
 * - with a public key: from the first signed record on, every record is signed and its
 *   signature verifies. A signature covers the history before it through the links.
 */
import type * as crypto from 'node:crypto';
import { type BucketDigests, type ChainRecord, sessionDigest, signedText, stateDigest } from '../store/chain.js';
import type { SessionRow, Store } from '../store/store.js';
import { verifyText } from './signing.js';

export interface VerifyProblem {
  /** The session named, when the problem belongs to one. */
  session?: { uuid: string; started_at: string };
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  problems: VerifyProblem[];
  /** Chain records (sessions written since the chain began). */
  records: number;
  /** Of those, sessions still stored whose digests were recomputed. */
  recomputed: number;
  /** Of those, sessions dropped by cleanup (their links checked). */
  dropped: number;
  first?: ChainRecord;
  newest?: ChainRecord;
  /** How the chain began: 'new database', 'reset at …', or 'schema upgrade'. */
  start: string;
  signatures?: { valid: number; unsignedBefore: number };
}

/** Check the whole history; reads one consistent snapshot of the database. */
export function verifyChain(store: Store, publicKey?: crypto.KeyObject): VerifyResult {
  return store.snapshot(() => check(store, publicKey));
}

function ref(r: { uuid: string; started_at: string }) {
  return { uuid: r.uuid, started_at: r.started_at };
}

function check(store: Store, publicKey: crypto.KeyObject | undefined): VerifyResult {
  const records = [...store.chainRecords()];
  const sessions = new Map<number, SessionRow>();
  for (const s of store.completeSessions()) sessions.set(s.id, s);
  // [session id, problem], sorted at the end so the first named is the oldest.
  const found: [number, VerifyProblem][] = [];
  let recomputed = 0;
  let dropped = 0;
  let storedSeen: ChainRecord | undefined;
  // The bucket digests of the last stored session checked: each next one follows from them.
  let from: { session: SessionRow; buckets: BucketDigests; matched: boolean } | undefined;
  const byId = new Set<number>();
  records.forEach((r, i) => {
    byId.add(r.session_id);
    const before = records[i - 1];
    if (!before && r.prev_digest !== null) {
      found.push([r.session_id, { session: ref(r), message: 'the oldest chain record links to a digest no record holds: the records before it were removed' }]);
    } else if (before && r.prev_digest === null) {
      found.push([r.session_id, { session: ref(r), message: `starts a new chain after session ${before.uuid}: the history before it was replaced` }]);
    } else if (before && r.prev_digest !== before.digest) {
      found.push([r.session_id, { session: ref(r), message: `its previous digest is not that of session ${before.uuid} (started ${before.started_at}): a session between them was removed, or a record altered` }]);
    }
    const s = sessions.get(r.session_id);
    if (!s) {
      if (storedSeen) {
        found.push([r.session_id, { session: ref(r), message: `was deleted: its digest is recorded but the session is gone, while the older session ${storedSeen.uuid} is still stored (cleanup drops only the oldest)` }]);
      } else dropped++;
      return;
    }
    storedSeen = r;
    recomputed++;
    if (s.uuid !== r.uuid || s.started_at !== r.started_at || s.finished_at !== r.finished_at) {
      found.push([r.session_id, { session: ref(s), message: `does not match its chain record (uuid or times differ: the record names ${r.uuid}, started ${r.started_at})` }]);
      return;
    }
    const { state, buckets } = store.sessionState(s, from);
    const matched = sessionDigest(s, r.prev_digest, state) === r.digest;
    from = { session: s, buckets, matched };
    if (!matched) {
      found.push([r.session_id, { session: ref(s), message: 'does not match its digest: its items or its metadata were changed after it was written' }]);
    }
  });
  // The bucket digests kept for the next session must be the newest session's own.
  const kept = store.keptBuckets();
  if (from?.matched && kept.session_id === from.session.id && !stateDigest(kept.buckets).equals(stateDigest(from.buckets))) {
    found.push([kept.session_id, { session: ref(from.session), message: 'the bucket digests kept for the next session do not match its items: they were altered' }]);
  }
  for (const s of sessions.values()) {
    if (!byId.has(s.id)) found.push([s.id, { session: ref(s), message: 'has no chain record: it was added, or its record removed, outside of syschangemon' }]);
  }
  for (const b of store.alteredBlobs()) {
    found.push([Number.MAX_SAFE_INTEGER - 1, { message: `stored content ${b.hash}${b.key ? ` (of ${b.key})` : ''} no longer matches its SHA-256: its bytes were changed` }]);
  }
  let signatures: VerifyResult['signatures'];
  if (publicKey) {
    const firstSigned = records.findIndex((r) => r.signature !== null);
    if (firstSigned < 0) {
      found.push([Number.MAX_SAFE_INTEGER, { message: records.length ? 'no session is signed (is signing_key set?)' : 'there are no sessions to check' }]);
      signatures = { valid: 0, unsignedBefore: records.length };
    } else {
      let valid = 0;
      for (const r of records.slice(firstSigned)) {
        if (r.signature === null) found.push([r.session_id, { session: ref(r), message: 'is not signed, although the sessions before it are' }]);
        else if (!verifyText(publicKey, signedText(r), r.signature)) found.push([r.session_id, { session: ref(r), message: 'has a signature that does not verify with this public key' }]);
        else valid++;
      }
      signatures = { valid, unsignedBefore: firstSigned };
    }
  }
  found.sort((a, b) => a[0] - b[0]);
  const first = records[0];
  const startNote = store.meta('chain_start');
  const start = first?.origin === 'upgrade' ? 'schema upgrade' : startNote ?? 'new database';
  return {
    ok: found.length === 0,
    problems: found.map(([, p]) => p),
    records: records.length,
    recomputed,
    dropped,
    first,
    newest: records[records.length - 1],
    start,
    signatures,
  };
}
