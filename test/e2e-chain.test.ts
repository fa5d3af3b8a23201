/**
 * The tamper-evident history, used as an administrator uses it: runs, cleanup, `verify`,
 * rows edited and sessions deleted with the sqlite3 CLI, `keygen` and signed sessions, a wrong
 * public key, `reset`, an upgraded database, the digests in every report and in syslog.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { localTime } from '../src/core/display.js';

const sql = (sb: Sandbox, text: string) => execFileSync('sqlite3', [path.join(sb.storage, 'db.sqlite'), text], { encoding: 'utf8' }).trim();

interface SessionJson {
  uuid: string;
  started_at: string;
}

/** Runs with one file changed each time; returns the sessions, oldest first. */
function history(sb: Sandbox, runs: number): SessionJson[] {
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`);
  for (let i = 0; i < runs; i++) {
    fs.writeFileSync(path.join(sb.tree, `c${i}`), `run ${i}\n`);
    const r = sb.run('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
  }
  return (sb.json('list-sessions', '--format', 'json') as SessionJson[]).reverse();
}

const idOf = (sb: Sandbox, uuid: string) => Number(sql(sb, `SELECT id FROM sessions WHERE uuid = '${uuid}'`));

test('verify: intact after runs and cleanup; an edited item row names the first session holding it', () => {
  const sb = sandbox();
  try {
    const sessions = history(sb, 8);
    assert.equal(sessions.length, 5, 'session_keep = 5');
    const ok = sb.run('verify');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /chain intact: 8 sessions .*5 stored and recomputed from their items, 3 dropped by cleanup/);
    const j = sb.json('verify', '--format', 'json');
    assert.equal(j.ok, true);
    assert.equal(j.newest.uuid, sessions[4]!.uuid);

    // The row of c6, which appeared in the 7th run (the 4th session still stored).
    const target = sessions[3]!;
    const row = sql(sb, `SELECT i.id FROM items i JOIN keys k ON k.id = i.key_id WHERE k.key = 'file://${sb.tree}/c6'`);
    assert.equal(sql(sb, `SELECT valid_from FROM items WHERE id = ${row}`), String(idOf(sb, target.uuid)));
    sql(sb, `UPDATE items SET attrs = replace(attrs, '"mode":"0644"', '"mode":"4755"') WHERE id = ${row}`);
    const bad = sb.run('verify');
    assert.equal(bad.code, 1);
    const first = bad.stdout.split('\n')[0]!;
    assert.match(first, new RegExp(`^verify: FAILED: session ${target.uuid} \\(started ${target.started_at}\\) does not match its digest`));
    sql(sb, `UPDATE items SET attrs = replace(attrs, '"mode":"4755"', '"mode":"0644"') WHERE id = ${row}`);
    assert.equal(sb.run('verify').code, 0, 'the edit undone, the chain matches again');

    // A row from a session cleanup dropped, still valid: the oldest stored session names it.
    const oldRow = sql(sb, `SELECT i.id FROM items i JOIN keys k ON k.id = i.key_id WHERE k.key = 'file://${sb.tree}/f1'`);
    assert.ok(Number(sql(sb, `SELECT valid_from FROM items WHERE id = ${oldRow}`)) < idOf(sb, sessions[0]!.uuid));
    sql(sb, `UPDATE items SET attrs = replace(attrs, '"size":2', '"size":3') WHERE id = ${oldRow}`);
    const old = sb.run('verify');
    assert.equal(old.code, 1);
    assert.match(old.stdout.split('\n')[0]!, new RegExp(`session ${sessions[0]!.uuid} .*does not match its digest`));
  } finally {
    sb.cleanup();
  }
});

test('verify names a session deleted from the middle, with or without its chain record; and altered content', () => {
  const sb = sandbox();
  try {
    const sessions = history(sb, 5);
    const victim = sessions[2]!;
    const id = idOf(sb, victim.uuid);
    sql(sb, `DELETE FROM sessions WHERE id = ${id}`);
    const r = sb.run('verify');
    assert.equal(r.code, 1);
    assert.match(r.stdout.split('\n')[0]!, new RegExp(`^verify: FAILED: session ${victim.uuid} .*was deleted`));
    // The record removed as well: the link of the next session breaks.
    sql(sb, `DELETE FROM chain WHERE session_id = ${id}`);
    const r2 = sb.run('verify');
    assert.equal(r2.code, 1);
    assert.match(r2.stdout.split('\n')[0]!, new RegExp(`^verify: FAILED: session ${sessions[3]!.uuid} .*previous digest is not that of session ${sessions[1]!.uuid}`));
  } finally {
    sb.cleanup();
  }
  const sb2 = sandbox();
  try {
    history(sb2, 2);
    sql(sb2, `UPDATE blobs SET data = CAST('run 1 tampered' || char(10) AS BLOB) WHERE data = CAST('run 1' || char(10) AS BLOB)`);
    const r = sb2.run('verify');
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`stored content [0-9a-f]{64} \\(of conffile://${sb2.tree}/c1\\) no longer matches its SHA-256`));
  } finally {
    sb2.cleanup();
  }
});

test('keygen writes a private key 0600 outside the database and prints the public key; signed sessions verify, a wrong key fails', () => {
  const sb = sandbox();
  try {
    history(sb, 2);
    const key = path.join(sb.etc, 'signing.key');
    const g = sb.run('keygen');
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    assert.equal(fs.statSync(key).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(`${key}.pub`, 'utf8'), g.stdout);
    assert.match(g.stderr, /set 'signing_key = /);
    const again = sb.run('keygen');
    assert.equal(again.code, 1, 'never overwrites a key');
    assert.match(again.stderr, /exists; keygen never overwrites a key/);
    assert.equal(sb.run('keygen', '--out', path.join(sb.storage, 'k')).code, 2, 'not inside the storage directory');

    const conf = path.join(sb.etc, 'syschangemon.conf');
    fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('[syschangemon]\n', '[syschangemon]\nsigning_key = signing.key\n'));
    for (let i = 0; i < 2; i++) {
      fs.writeFileSync(path.join(sb.tree, `s${i}`), `${i}\n`);
      assert.equal(sb.run('run', '--quiet').code, 0);
    }
    const ok = sb.run('verify', '--public-key', `${key}.pub`);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /signatures: 2 valid .*the 2 sessions before the first signed one/);

    const other = path.join(sb.dir, 'other.key');
    assert.equal(sb.run('keygen', '--out', other).code, 0);
    const wrong = sb.run('verify', '--public-key', `${other}.pub`);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout.split('\n')[0]!, /has a signature that does not verify with this public key/);

    // A signature stripped from the newest session.
    sql(sb, 'UPDATE chain SET signature = NULL WHERE session_id = (SELECT max(session_id) FROM chain)');
    const stripped = sb.run('verify', '--public-key', `${key}.pub`);
    assert.equal(stripped.code, 1);
    assert.match(stripped.stdout, /is not signed, although the sessions before it are/);

    // A key readable by others is refused: the session is stored unsigned, with a note.
    fs.chmodSync(key, 0o644);
    const loose = sb.run('collect');
    assert.equal(loose.code, 0, loose.stderr);
    assert.match(loose.stderr, /signing_key .* is readable by other users .*chmod 600/);
  } finally {
    sb.cleanup();
  }
});

test('reset starts a new chain and says so; reports show both digests and times; syslog gets each digest', () => {
  const sb = sandbox(undefined, '[log.syslog]\nenabled = true\nmethod = stderr\n');
  try {
    history(sb, 3);
    const report = sb.json('print-report', '--format', 'json');
    const records = sql(sb, 'SELECT uuid || \' \' || digest FROM chain ORDER BY session_id').split('\n');
    assert.equal(`${report.old_session.uuid} ${report.old_session.digest}`, records[1]);
    assert.equal(`${report.new_session.uuid} ${report.new_session.digest}`, records[2]);
    const text = sb.run('print-report').stdout;
    // Text shows times in the host's zone, to the second.
    assert.ok(text.includes(`baseline  ${localTime(report.old_session.started_at)}  digest ${report.old_session.digest}`), text);
    assert.ok(text.includes(`new       ${localTime(report.new_session.started_at)}  digest ${report.new_session.digest}`), text);
    const html = sb.run('print-report', '--format', 'html').stdout;
    assert.ok(html.includes(`<code>${report.new_session.digest}</code>`));

    fs.writeFileSync(path.join(sb.tree, 'x'), 'x\n');
    const run = sb.run('run', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    const newest = sql(sb, "SELECT uuid || ' ' || digest || ' ' || prev_digest FROM chain ORDER BY session_id DESC LIMIT 1").split(' ');
    assert.match(run.stderr, new RegExp(`^<6>session ${newest[0]} started \\S+ digest ${newest[1]} prev ${newest[2]}, unsigned$`, 'm'));

    const reset = sb.run('reset');
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /^reset: a new digest chain starts at session [0-9a-f-]{36} \(digest [0-9a-f]{64}\); the earlier history was dropped$/m);
    const v = sb.json('verify', '--format', 'json');
    assert.equal(v.ok, true);
    assert.equal(v.records, 1);
    assert.match(v.start, /^reset at \d{4}-/);
    const after = sb.run('run', '--quiet');
    assert.match(after.stderr, /^<5>session \S+ started \S+ digest [0-9a-f]{64} starts a new chain \(reset at [^)]+\), unsigned$/m, 'the reset chain start reaches syslog');
  } finally {
    sb.cleanup();
  }
});

test('a database of schema version 2 gains the chain at its next run: its sessions join it, verify passes', () => {
  const sb = sandbox();
  try {
    const sessions = history(sb, 3);
    // Back to version 2 exactly: the tables version 3 added are gone.
    sql(sb, 'DROP TABLE chain; DROP TABLE chain_buckets; DROP TABLE meta; DROP TABLE accept_keys; DROP TABLE accepts; DROP TABLE accepted_base; PRAGMA user_version = 2;');
    const ro = sb.run('verify');
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /needs a schema upgrade/);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const v = sb.json('verify', '--format', 'json');
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.records, sessions.length + 1);
    assert.equal(v.start, 'schema upgrade');
    assert.equal(sql(sb, "SELECT count(*) FROM chain WHERE origin = 'upgrade'"), String(sessions.length));
  } finally {
    sb.cleanup();
  }
});
