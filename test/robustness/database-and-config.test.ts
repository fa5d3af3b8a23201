/**
 * Bad databases and bad configuration: one line naming the file, never an overwrite, nothing
 * written for a configuration error.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';
import { CLI, sandbox } from '../helpers.js';

const oneLine = (s: string) => s.trim().split('\n').length === 1;

test('a corrupted or truncated database: one line naming it, suggesting reset, bytes untouched', () => {
  const sb = sandbox();
  try {
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`.repeat(50));
    assert.equal(sb.run('collect').code, 0);
    const db = path.join(sb.storage, 'db.sqlite');
    execFileSync('sqlite3', [db, 'PRAGMA wal_checkpoint(TRUNCATE)']);
    const good = fs.readFileSync(db);
    // Garbage over pages in the middle.
    const bad = Buffer.from(good);
    for (let i = 8192; i < Math.min(bad.length, 8192 * 6); i++) bad[i] = (i * 7919) & 0xff;
    fs.writeFileSync(db, bad);
    const r = sb.run('collect');
    assert.equal(r.code, 1);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.match(r.stderr, /db\.sqlite/);
    assert.match(r.stderr, /reset/);
    assert.ok(fs.readFileSync(db).equals(bad), 'never overwritten');
    // Truncated to half.
    fs.writeFileSync(db, good.subarray(0, Math.floor(good.length / 2)));
    const t = sb.run('list-sessions');
    assert.notEqual(t.code, 0);
    assert.ok(oneLine(t.stderr), t.stderr);
    assert.match(t.stderr, /db\.sqlite/);
    const reset = sb.run('reset');
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(sb.json('list-sessions', '--format', 'json').length, 1);
  } finally {
    sb.cleanup();
  }
});

test('a database of a newer schema is refused; an empty file is initialised', () => {
  const sb = sandbox();
  try {
    assert.equal(sb.run('collect').code, 0);
    const db = path.join(sb.storage, 'db.sqlite');
    execFileSync('sqlite3', [db, 'PRAGMA user_version = 99']);
    const r = sb.run('collect');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /schema version 99, newer than this syschangemon understands/);
    fs.rmSync(sb.storage, { recursive: true });
    fs.mkdirSync(sb.storage, { mode: 0o700 });
    fs.writeFileSync(db, '');
    assert.equal(sb.run('collect').code, 0, 'an empty file is a new database');
  } finally {
    sb.cleanup();
  }
});

test('a database of schema version 1 is migrated by the next run: its sessions kept, the change against them reported', () => {
  const sb = sandbox();
  try {
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`);
    assert.equal(sb.run('collect').code, 0);
    assert.equal(sb.run('collect').code, 0);
    const db = path.join(sb.storage, 'db.sqlite');
    // Rebuild the same contents in a database made by the version-1 schema (items had a hash).
    const v1 = `${db}.v1`;
    const old = new Database(v1);
    old.exec(MIGRATIONS[0]!);
    old.exec(`ATTACH '${db}' AS cur`);
    old.exec(`INSERT INTO sessions SELECT * FROM cur.sessions;
              INSERT INTO keys SELECT * FROM cur.keys;
              INSERT INTO items (id, key_id, valid_from, valid_to, hash, attrs, contents, error)
                SELECT id, key_id, valid_from, valid_to, 'v1-' || id, attrs, contents, error FROM cur.items;
              INSERT INTO blobs SELECT * FROM cur.blobs;`);
    old.exec('DETACH cur');
    old.pragma(`application_id = ${APPLICATION_ID}`);
    old.pragma('user_version = 1');
    old.close();
    const sessions = sb.json('list-sessions', '--format', 'json') as unknown[];
    fs.rmSync(`${db}-wal`, { force: true });
    fs.rmSync(`${db}-shm`, { force: true });
    fs.renameSync(v1, db);

    const ro = sb.run('list-sessions');
    assert.equal(ro.code, 1, 'a read-only command does not migrate');
    assert.match(ro.stderr, /needs a schema upgrade/);

    fs.writeFileSync(path.join(sb.tree, 'f7'), 'changed\n');
    const r = sb.run('run', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { changes: { key: string; change: string }[] };
    assert.deepEqual(
      report.changes.map((c) => [c.key, c.change]).sort(),
      [[`conffile://${sb.tree}/f7`, 'changed'], [`file://${sb.tree}/f7`, 'changed']],
    );
    assert.equal(execFileSync('sqlite3', [db, 'PRAGMA user_version']).toString().trim(), String(SCHEMA_VERSION));
    assert.equal((sb.json('list-sessions', '--format', 'json') as unknown[]).length, sessions.length + 1, 'the old sessions are kept');
    // An old pair of sessions still diffs after the migration.
    const d = sb.run('diff');
    assert.equal(d.code, 0, d.stderr);
  } finally {
    sb.cleanup();
  }
});

const CASES: [string, string, string, RegExp][] = [
  ['unknown collector', 'file', '[fiel]\nenable_plugin = true\ninclude =\n  /tmp/x/**\n', /file\.conf:1: unknown collector \[fiel\].*did you mean 'file'/],
  ['unknown key', 'file', '[file]\nenable_plugin = true\ninclude =\n  /tmp/x/**\nexclud = /a\n', /file\.conf:5: unknown key 'exclud' in \[file\].*did you mean 'exclude'/],
  ['bad number', 'command', '[command]\nenable_plugin = true\ntimeout = soon\n', /command\.conf:3: bad value for 'timeout'/],
  ['bad glob', 'file', '[file]\nenable_plugin = true\ninclude =\n  /tmp/[abc/**\n', /file\.conf:\d+: .*glob/],
  ['bad size', 'conffile', '[conffile]\nenable_plugin = true\nsize_limit = lots\n', /conffile\.conf:3: bad value for 'size_limit'/],
  ['line outside a section', 'wtmp', 'wtmp_path = /var/log/wtmp\n', /wtmp\.conf:1:/],
  ['invalid UTF-8', 'command', '[command]\nenable_plugin = true\ncommand.x = echo \xe9t\xe9\n', /command\.conf:3: invalid UTF-8/],
];

for (const [name, plugin, text, expected] of CASES) {
  test(`config error exits 2 with file:line and writes nothing: ${name}`, () => {
    const sb = sandbox();
    try {
      if (/[\x80-\xff]/.test(text)) fs.writeFileSync(path.join(sb.etc, 'plugins.d', `${plugin}.conf`), Buffer.from(text, 'latin1'));
      else sb.writePlugin(plugin, text);
      const r = sb.run('run');
      assert.equal(r.code, 2, r.stderr);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.match(r.stderr, expected);
      assert.ok(!fs.existsSync(sb.storage), 'no state written');
    } finally {
      sb.cleanup();
    }
  });
}

test('an include whose directory does not exist is not a failure', () => {
  const sb = sandbox();
  try {
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${sb.tree}/missing/**\n  ${sb.tree}/**\n`);
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
  } finally {
    sb.cleanup();
  }
});

test('an unreadable config file (as nobody) is exit 2 naming it', { skip: process.getuid?.() !== 0 && 'needs root to switch user' }, () => {
  const sb = sandbox();
  try {
    fs.chmodSync(sb.dir, 0o755);
    fs.chmodSync(path.join(sb.etc, 'syschangemon.conf'), 0o600);
    const r = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect'], { encoding: 'utf8', uid: 65534, gid: 65534 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /syschangemon\.conf/);
    assert.ok(oneLine(r.stderr), r.stderr);
  } finally {
    sb.cleanup();
  }
});
