/**
 * The tamper-evident history. Each complete session gets a digest:
 *
 *   SHA-256( "syschangemon session digest v2\n"
 *            JSON [previous digest | null, uuid, hostname, started_at, finished_at,
 *                  item_count, error_count, notes] "\n"
 *            state digest )
 *
 * so the digests form a hash chain. The state digest covers every item valid in the session:
 * the items are split into buckets of BUCKET consecutive key ids; a bucket's digest is SHA-256
 * over the canonical states `JSON [key, plugin, attrs, contents, error]` of its items in key-id
 * order, and the state digest is SHA-256 over the (bucket, digest) pairs in bucket order. The
 * next session's bucket digests are this one's with only the buckets recomputed that hold an
 * item that began or ended, so a run costs in proportion to what changed, not to the size of
 * the system; `verify` recomputes every stored session's from its items.
 *
 * The `chain` table keeps one record per session written since the last reset, also after
 * cleanup has dropped the session itself: the links stay checkable from the first session on,
 * and the digests of the sessions still stored are recomputed from their items. A record may
 * carry an Ed25519 signature of its digest (src/core/signing.ts), which covers the whole
 * history before it through the links.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SessionRow } from './store.js';

type DB = Database.Database;

/** Where a chain record came from. */
export type ChainOrigin = 'collect' | 'upgrade';

export interface ChainRecord {
  session_id: number;
  uuid: string;
  started_at: string;
  finished_at: string;
  /** The digest of the session before, or null for the first session of a chain. */
  prev_digest: string | null;
  digest: string;
  /** Base64 Ed25519 signature of signedText(record), when a signing key was set. */
  signature: string | null;
  origin: ChainOrigin;
}

const HEADER = 'syschangemon session digest v2\n';
/** Key ids per bucket. */
export const BUCKET = 64;

/** Bucket number → SHA-256 of its items' states (empty buckets absent). */
export type BucketDigests = Map<number, Buffer>;

type StateRow = [key_id: number, key: string, plugin: string, attrs: string, contents: string | null, error: string | null];

const COLUMNS = 'i.key_id, k.key, k.plugin, i.attrs, i.contents, i.error FROM items i JOIN keys k ON k.id = i.key_id';
const VALID = 'i.valid_from <= @s AND (i.valid_to IS NULL OR i.valid_to >= @s)';

/** Hash rows given in key-id order into their buckets' digests. */
function hashBuckets(rows: Iterable<StateRow>, into: BucketDigests): void {
  let bucket = -1;
  let h: ReturnType<typeof createHash> | undefined;
  let buf = '';
  const flush = () => {
    if (h) into.set(bucket, h.update(buf).digest());
    buf = '';
  };
  for (const r of rows) {
    const b = Math.floor(r[0] / BUCKET);
    if (b !== bucket) {
      flush();
      bucket = b;
      h = createHash('sha256');
    }
    buf += `${JSON.stringify([r[1], r[2], r[3], r[4], r[5]])}\n`;
    if (buf.length >= 1 << 16) {
      h!.update(buf);
      buf = '';
    }
  }
  flush();
}

/** String.prototype.isWellFormed (Node 20 has it; the TypeScript lib here does not declare it). */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Bucket digests computed while a session's items are written, for a session whose items are
 * all new rows in key-id order (the first session of an empty store): `add` takes each item's
 * state as it is inserted, so `finish` need not read every item back. `digests()` is undefined
 * when an item could not be taken exactly (a text that does not survive SQLite's UTF-8 as it
 * is, or an id out of order): the digests are then read in full as before.
 */
export class BucketHasher {
  private readonly out: BucketDigests = new Map();
  private bucket = -1;
  private lastId = 0;
  private h: ReturnType<typeof createHash> | undefined;
  private buf = '';
  private exact = true;

  add(keyId: number, key: string, plugin: string, attrs: string, contents: string | null, error: string | null): void {
    if (!this.exact) return;
    // The stored row reads back as JSON of its UTF-8 text: a lone surrogate would not.
    if (keyId <= this.lastId || !wellFormed(key) || !wellFormed(plugin) || !wellFormed(attrs) || (contents !== null && !wellFormed(contents)) || (error !== null && !wellFormed(error))) {
      this.exact = false;
      return;
    }
    this.lastId = keyId;
    const b = Math.floor(keyId / BUCKET);
    if (b !== this.bucket) {
      this.flush();
      this.bucket = b;
      this.h = createHash('sha256');
    }
    this.buf += `${JSON.stringify([key, plugin, attrs, contents, error])}\n`;
    if (this.buf.length >= 1 << 16) {
      this.h!.update(this.buf);
      this.buf = '';
    }
  }

  private flush(): void {
    if (this.h) this.out.set(this.bucket, this.h.update(this.buf).digest());
    this.h = undefined;
    this.buf = '';
  }

  /** The digests of every item added, or undefined when they must be read in full. */
  digests(): BucketDigests | undefined {
    if (!this.exact) return undefined;
    this.flush();
    return this.out;
  }
}

/** The bucket digests of every item valid in session `s`, read in full. */
export function fullBuckets(db: DB, s: number): BucketDigests {
  const out: BucketDigests = new Map();
  const rows = db
    .prepare(`SELECT ${COLUMNS} WHERE ${VALID} ORDER BY i.key_id, i.valid_from, i.id`)
    .raw(true)
    .iterate({ s }) as IterableIterator<StateRow>;
  hashBuckets(rows, out);
  return out;
}

/**
 * Turn the bucket digests of session `a` into those of session `b` (a < b): only the buckets
 * holding an item valid in one of them but not the other (the differ's two row sets) are read
 * again. Changes `buckets` in place.
 */
export function advanceBuckets(db: DB, buckets: BucketDigests, a: number, b: number): void {
  const touched = new Set<number>();
  const ids = db
    .prepare(
      `SELECT i.key_id FROM items i WHERE i.valid_from <= @a AND i.valid_to IS NOT NULL AND i.valid_to >= @a AND i.valid_to < @b
       UNION
       SELECT i.key_id FROM items i WHERE i.valid_from > @a AND i.valid_from <= @b AND (i.valid_to IS NULL OR i.valid_to >= @b)`,
    )
    .pluck()
    .iterate({ a, b }) as IterableIterator<number>;
  for (const id of ids) touched.add(Math.floor(id / BUCKET));
  const stmt = db.prepare(`SELECT ${COLUMNS} WHERE i.key_id >= @lo AND i.key_id < @hi AND ${VALID} ORDER BY i.key_id, i.valid_from, i.id`).raw(true);
  for (const t of touched) {
    buckets.delete(t);
    hashBuckets(stmt.all({ lo: t * BUCKET, hi: (t + 1) * BUCKET, s: b }) as StateRow[], buckets);
  }
}

/** The state digest: SHA-256 over the (bucket, digest) pairs in bucket order. */
export function stateDigest(buckets: BucketDigests): Buffer {
  const h = createHash('sha256');
  const head = Buffer.alloc(8);
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    head.writeBigUInt64BE(BigInt(b));
    h.update(head);
    h.update(buckets.get(b)!);
  }
  return h.digest();
}

/** The digest of a session from its metadata, the previous digest and its state digest. */
export function sessionDigest(session: SessionRow, prev: string | null, state: Buffer): string {
  const h = createHash('sha256');
  h.update(HEADER);
  h.update(
    `${JSON.stringify([prev, session.uuid, session.hostname, session.started_at, session.finished_at, session.item_count, session.error_count, session.notes])}\n`,
  );
  h.update(state);
  return h.digest('hex');
}

/** The text a signature is made over: it names what is signed, so it cannot be reused elsewhere. */
export function signedText(record: Pick<ChainRecord, 'uuid' | 'digest'>): string {
  return `syschangemon session ${record.uuid} digest ${record.digest}`;
}
