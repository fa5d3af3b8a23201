/**
 * The database schema and its migrations. `PRAGMA user_version` holds the schema version;
 * `PRAGMA application_id` marks the file as ours so a foreign database is never written to.
 *
 * Items are stored as validity ranges: a row holds one state of one key from the session
 * `valid_from` to the session `valid_to` (NULL while it is still the current state). A session
 * in which nothing changed therefore adds no rows, and the diff of two sessions reads only the
 * rows that changed between them.
 */

/** 'SCMN' */
export const APPLICATION_ID = 0x53434d4e;

/** Each entry migrates from version (index) to version (index + 1). */
export const MIGRATIONS: readonly string[] = [
  // 0 → 1: the first schema.
  `
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    hostname TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    item_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '[]'
  );
  CREATE TABLE keys (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    plugin TEXT NOT NULL
  );
  CREATE INDEX keys_plugin ON keys(plugin);
  CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    key_id INTEGER NOT NULL REFERENCES keys(id),
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    hash TEXT NOT NULL,
    attrs TEXT NOT NULL,
    contents TEXT,
    error TEXT
  );
  CREATE UNIQUE INDEX items_current ON items(key_id) WHERE valid_to IS NULL;
  CREATE INDEX items_key ON items(key_id, valid_from);
  CREATE INDEX items_from ON items(valid_from);
  CREATE INDEX items_to ON items(valid_to) WHERE valid_to IS NOT NULL;
  CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    old_session_uuid TEXT NOT NULL,
    new_session_uuid TEXT NOT NULL,
    added INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    head TEXT NOT NULL,
    mail_state TEXT NOT NULL DEFAULT 'none',
    mailed_at TEXT,
    mail_error TEXT
  );
  CREATE TABLE report_changes (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (report_id, seq)
  ) WITHOUT ROWID;
  `,
  // 1 → 2: items lose their state hash; the differ compares the stored texts themselves, and
  // computing a hash per item cost the first collect more than the comparison saves.
  `
  ALTER TABLE items DROP COLUMN hash;
  `,
  // 2 → 3: the tamper-evident history (see chain.ts). One row per complete session ever
  // written since the last reset, kept when cleanup drops the session itself, so the chain of
  // digests stays checkable from its first session. `chain_buckets` holds the bucket digests
  // of the newest record's session, from which the next session's are computed. `meta` holds
  // small named values.
  `
  CREATE TABLE chain (
    session_id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    prev_digest TEXT,
    digest TEXT NOT NULL,
    signature TEXT,
    origin TEXT NOT NULL
  );
  CREATE TABLE chain_buckets (
    bucket INTEGER PRIMARY KEY,
    digest BLOB NOT NULL
  );
  CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3 → 4: the accepted baseline (see accepted.ts). `accepted_base` holds, for each key whose
  // state differs from the state last accepted for it, that accepted state (present = 0: the
  // key was accepted as absent); `accepts` and `accept_keys` record who accepted what, when, why.
  `
  CREATE TABLE accepted_base (
    key_id INTEGER PRIMARY KEY,
    present INTEGER NOT NULL,
    attrs TEXT,
    contents TEXT,
    error TEXT,
    since_session INTEGER NOT NULL,
    since TEXT NOT NULL,
    changed_session INTEGER NOT NULL
  );
  CREATE TABLE accepts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    accepted_at TEXT NOT NULL,
    user TEXT NOT NULL,
    uid INTEGER,
    via TEXT NOT NULL,
    note TEXT NOT NULL,
    report_uuid TEXT,
    session_uuid TEXT NOT NULL,
    count INTEGER NOT NULL
  );
  CREATE TABLE accept_keys (
    accept_id INTEGER NOT NULL REFERENCES accepts(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    change TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (accept_id, key)
  ) WITHOUT ROWID;
  `,
  // 4 → 5: the items that carry an error, found without reading every item (a report lists
  // the new session's errors: with a million items that read cost more than the diff).
  `
  CREATE INDEX IF NOT EXISTS items_error ON items(valid_from) WHERE error IS NOT NULL;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
