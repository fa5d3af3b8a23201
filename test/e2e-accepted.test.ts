/**
 * The accepted baseline (`baseline = accepted`), used as an administrator uses it: a change
 * stays in every report until it is accepted; accept by glob, --all or a report; who accepted
 * (login uid, SUDO_USER); list-accepts; a change made again after the report accepted; mail
 * while changes are unaccepted, and mail_only_new.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { startSmtp } from '../src/mail/test-smtp.js';
import { CLI, sandbox, type Sandbox } from './helpers.js';
import { localTime } from '../src/core/display.js';

interface Change {
  key: string;
  change: string;
  attributes: Record<string, { old: unknown; new: unknown }>;
  unaccepted_since?: string;
  changed_this_run?: boolean;
}

const report = (sb: Sandbox) => sb.json('print-report', '--format', 'json') as { baseline?: string; changes: Change[]; summary: Record<string, number>; new_session: { started_at: string }; notes: string[] };
const keys = (sb: Sandbox) => report(sb).changes.map((c) => c.key).sort();
const run = (sb: Sandbox) => {
  const r = sb.run('run', '--quiet');
  assert.equal(r.code, 0, r.stderr);
};

test('baseline = accepted: a change stays in every report until accepted; accept by glob, then --all', () => {
  const sb = sandbox(undefined, 'baseline = accepted\n');
  try {
    for (const f of ['a', 'b', 'c']) fs.writeFileSync(path.join(sb.tree, f), `${f}\n`);
    run(sb);
    fs.writeFileSync(path.join(sb.tree, 'a'), 'a changed\n');
    fs.writeFileSync(path.join(sb.tree, 'new'), 'new\n');
    run(sb);
    const first = report(sb);
    assert.equal(first.baseline, 'accepted');
    const since = first.new_session.started_at;
    assert.deepEqual(keys(sb), [`conffile://${sb.tree}/a`, `conffile://${sb.tree}/new`, `file://${sb.tree}/a`, `file://${sb.tree}/new`]);
    assert.ok(first.changes.every((c) => c.unaccepted_since === since && c.changed_this_run === true));
    assert.ok(first.notes.some((n) => n.startsWith('accepted baseline established as of session')));

    // Nothing changes: the changes are still there, not new.
    run(sb);
    const second = report(sb);
    assert.equal(second.changes.length, 4);
    assert.ok(second.changes.every((c) => c.unaccepted_since === since && c.changed_this_run === false));
    assert.equal(second.summary.changed_this_run, 0);
    const text = sb.run('print-report').stdout;
    assert.match(text, /baseline  the accepted state of each item/);
    assert.ok(text.includes(`unaccepted since ${localTime(since)}\n`), text);

    // A change that goes back to the accepted state leaves the report by itself: the text of b
    // (conffile) is back; the file's ctime is not, so file://…/b stays.
    fs.writeFileSync(path.join(sb.tree, 'b'), 'b changed\n');
    run(sb);
    assert.ok(keys(sb).includes(`conffile://${sb.tree}/b`));
    fs.writeFileSync(path.join(sb.tree, 'b'), 'b\n');
    run(sb);
    assert.ok(!keys(sb).includes(`conffile://${sb.tree}/b`), 'b is back to its accepted content');
    assert.ok(keys(sb).includes(`file://${sb.tree}/b`), 'its ctime is not');

    // Usage errors: no note, nothing named.
    assert.equal(sb.run('accept', '--all').code, 2);
    assert.equal(sb.run('accept', '--note', 'x').code, 2);
    const nothing = sb.run('accept', 'file:///nonexistent/**', '--note', 'x');
    assert.equal(nothing.code, 1);
    assert.match(nothing.stdout, /nothing to accept/);

    // Accept by glob (a path glob matches file:// and conffile:// keys alike).
    const a = sb.run('accept', `${sb.tree}/a`, '--note', 'ticket 42: new motd');
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^accepted 2 changes as of session .* by \S+ \((uid|SUDO_USER|loginuid[^)]*)\): ticket 42: new motd$/m);
    run(sb);
    assert.deepEqual(keys(sb), [`conffile://${sb.tree}/new`, `file://${sb.tree}/b`, `file://${sb.tree}/new`]);

    const all = sb.run('accept', '--all', '--note', 'the rest is fine');
    assert.equal(all.code, 0, all.stderr);
    run(sb);
    assert.deepEqual(report(sb).changes, []);

    const log = sb.json('list-accepts', '--format', 'json') as { note: string; count: number; keys: { key: string; change: string; since: string }[]; user: string; via: string }[];
    assert.deepEqual(log.map((l) => [l.note, l.count]), [['the rest is fine', 3], ['ticket 42: new motd', 2]]);
    assert.deepEqual(log[1]!.keys.map((k) => [k.key, k.change, k.since]), [[`conffile://${sb.tree}/a`, 'changed', since], [`file://${sb.tree}/a`, 'changed', since]]);
    assert.deepEqual(log[0]!.keys.map((k) => k.change), ['added', 'changed', 'added']);
    assert.match(sb.run('list-accepts').stdout, /note: ticket 42: new motd\n/);
  } finally {
    sb.cleanup();
  }
});

test('accept -r an older report: a key changed again after it stays unaccepted against the state that report showed', () => {
  const sb = sandbox(undefined, 'baseline = accepted\n');
  try {
    fs.writeFileSync(path.join(sb.tree, 'f'), 'one\n');
    run(sb);
    fs.writeFileSync(path.join(sb.tree, 'f'), 'two\n');
    run(sb);
    const older = (sb.json('list-reports', '--format', 'json') as { uuid: string }[])[0]!.uuid;
    fs.writeFileSync(path.join(sb.tree, 'f'), 'three\n');
    run(sb);
    const r = sb.run('accept', `conffile://${sb.tree}/f`, '-r', older, '--note', 'two was right');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 of them changed again after that session and stay unaccepted/);
    run(sb);
    const [c] = report(sb).changes.filter((x) => x.key === `conffile://${sb.tree}/f`);
    assert.ok(c, 'still reported');
    const diff = (c as Change & { diff?: string }).diff ?? '';
    assert.match(diff, /^-two$/m, 'against the accepted state "two"');
    assert.match(diff, /^\+three$/m);
  } finally {
    sb.cleanup();
  }
});

test('accept records who: the login uid when set (a real user), else SUDO_USER; refused with baseline = previous', () => {
  const sb = sandbox(undefined, 'baseline = accepted\n');
  const user = `scmacc${process.pid % 10000}`;
  try {
    fs.writeFileSync(path.join(sb.tree, 'x'), '1\n');
    run(sb);
    fs.writeFileSync(path.join(sb.tree, 'x'), '2\n');
    fs.writeFileSync(path.join(sb.tree, 'y'), '2\n');
    run(sb);
    const conf = path.join(sb.etc, 'syschangemon.conf');
    const sudo = spawnSync(process.execPath, [CLI, '-c', conf, 'accept', `${sb.tree}/x`, '--note', 'via sudo'], {
      encoding: 'utf8',
      env: { ...process.env, SYSCHANGEMON_CONFIG: '', SUDO_USER: 'alice' },
    });
    assert.equal(sudo.status, 0, sudo.stderr);
    const loginuid = fs.readFileSync('/proc/self/loginuid', 'utf8').trim();
    const log = sb.json('list-accepts', '--format', 'json') as { user: string; via: string; uid: number | null }[];
    if (loginuid === '4294967295') assert.deepEqual([log[0]!.user, log[0]!.via], ['alice', 'SUDO_USER']);

    // A login session of a real user: its login uid is what the kernel says, whatever SUDO_USER claims.
    assert.equal(spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', user]).status, 0);
    const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    const as = spawnSync('sh', ['-c', `echo ${uid} > /proc/self/loginuid && exec "$0" "$@"`, process.execPath, CLI, '-c', conf, 'accept', `${sb.tree}/y`, '--note', 'logged in'], {
      encoding: 'utf8',
      env: { ...process.env, SYSCHANGEMON_CONFIG: '', SUDO_USER: 'mallory' },
    });
    if (as.status === 0) {
      const l = (sb.json('list-accepts', '--format', 'json') as { user: string; via: string; uid: number | null }[])[0]!;
      assert.deepEqual([l.user, l.uid, l.via], [user, uid, 'loginuid (SUDO_USER=mallory)']);
    } else {
      // Setting the login uid needs CAP_AUDIT_CONTROL (not in every container).
      assert.match(as.stderr, /loginuid|Operation not permitted|Permission denied/);
    }

    const prev = sandbox();
    try {
      const r = prev.run('accept', '--all', '--note', 'x');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /accept needs 'baseline = accepted'/);
    } finally {
      prev.cleanup();
    }
  } finally {
    spawnSync('userdel', [user]);
    sb.cleanup();
  }
});

test('--skip-empty-mail still mails while changes are unaccepted; mail_only_new mails only when something changed', async () => {
  const server = await startSmtp();
  const smtp = `[mail.smtp]\nto_addr = root@example.com\nhost = 127.0.0.1\nport = ${server.port}\ntimeout = 5\n`;
  const sb = sandbox(undefined, `baseline = accepted\n${smtp}`);
  const sb2 = sandbox(undefined, `baseline = accepted\nmail_only_new = true\n${smtp}`);
  try {
    for (const s of [sb, sb2]) {
      fs.writeFileSync(path.join(s.tree, 'a'), 'a\n');
      assert.equal((await s.runAsync('run', '-s', '--quiet')).code, 0);
      fs.writeFileSync(path.join(s.tree, 'a'), 'b\n');
      assert.equal((await s.runAsync('run', '-s', '--quiet')).code, 0);
    }
    assert.equal(server.received.length, 2, 'both mail the new change');
    assert.equal((await sb.runAsync('run', '-s', '--quiet')).code, 0);
    assert.equal(server.received.length, 3, 'unaccepted: mailed again under -s');
    assert.match(server.received[2]!.mail.text ?? '', /unaccepted since/);
    assert.equal((await sb2.runAsync('run', '-s', '--quiet')).code, 0);
    assert.equal(server.received.length, 3, 'mail_only_new: nothing changed in this run, no mail');
    assert.equal(sb2.json('list-reports', '--format', 'json')[0].mail.state, 'skipped');
    fs.writeFileSync(path.join(sb2.tree, 'c'), 'c\n');
    assert.equal((await sb2.runAsync('run', '-s', '--quiet')).code, 0);
    assert.equal(server.received.length, 4, 'mail_only_new: a new change is mailed');
    assert.equal(sb.run('accept', '--all', '--note', 'ok').code, 0);
    assert.equal((await sb.runAsync('run', '-s', '--quiet')).code, 0);
    assert.equal(server.received.length, 4, 'all accepted: the empty report is skipped');
  } finally {
    sb.cleanup();
    sb2.cleanup();
    await server.close();
  }
});
