/**
 * `mail_handler = sendmail` under the packaged systemd unit's view of the filesystem: the
 * program runs in a mount namespace where, as `ProtectSystem=strict` makes it, every mount is
 * read-only except the unit's `ReadWritePaths=` (and the state directory), with
 * `NoNewPrivileges` when the unit sets it. The sendmail is Debian's own exim4 with its stock
 * configuration, delivering to the mailbox of a user the test creates. Without the MTA's
 * spool among the writable paths (the unit as it was) the mail fails, and exim's own words are
 * in the error line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { CLI, ROOT, sandbox, type Sandbox } from './helpers.js';

const UNIT = path.join(ROOT, 'debian', 'syschangemon.service');
const SENDMAIL = '/usr/sbin/sendmail';
const USER = 'scmmailtest';
const MAILBOX = `/var/mail/${USER}`;
const usable =
  process.getuid?.() === 0 &&
  fs.existsSync('/usr/sbin/exim4') &&
  fs.existsSync(SENDMAIL) &&
  spawnSync('unshare', ['--mount', 'true']).status === 0;

/** The unit's settings that decide what the program may write. */
function unitSandbox(): { strict: boolean; readWrite: string[]; noNewPrivileges: boolean } {
  const text = fs.readFileSync(UNIT, 'utf8');
  const values = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1]!.trim().split(/\s+/));
  return {
    strict: values('ProtectSystem').includes('strict'),
    readWrite: values('ReadWritePaths'),
    noNewPrivileges: values('NoNewPrivileges').includes('yes'),
  };
}

/** Run the program with the filesystem read-only but for `readWrite` (a "-" prefix: skip if absent). */
function underUnit(sb: Sandbox, readWrite: string[], noNewPrivileges: boolean, args: string[]) {
  const script = [
    'set -e',
    // Every mount read-only (as ProtectSystem=strict; /proc, /sys and /dev stay as they are).
    `for mp in $(awk '{print $2}' /proc/self/mounts | grep -v -e '^/proc' -e '^/sys' -e '^/dev'); do mount -o remount,bind,ro "$mp" 2>/dev/null || true; done`,
    // Then the writable paths, bound onto themselves and made writable again.
    'for p in "$@"; do case "$p" in -*) p=${p#-}; [ -e "$p" ] || continue;; esac; mount --bind "$p" "$p"; mount -o remount,bind,rw "$p"; done',
    `exec ${noNewPrivileges ? 'setpriv --no-new-privs ' : ''}"${process.execPath}" "${CLI}" -c "${path.join(sb.etc, 'syschangemon.conf')}" ${args.join(' ')}`,
  ].join('\n');
  // A required path the package would have created (its state directory) is made for the run,
  // and removed again if it was not there before.
  const made = readWrite.filter((p) => !p.startsWith('-') && !fs.existsSync(p));
  for (const p of made) fs.mkdirSync(p, { recursive: true, mode: 0o700 });
  try {
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...readWrite, sb.dir], {
      encoding: 'utf8',
      env: { ...process.env, SYSCHANGEMON_CONFIG: '' },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    for (const p of made) fs.rmSync(p, { recursive: true, force: true });
  }
}

async function waitForMailbox(): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const text = fs.existsSync(MAILBOX) ? fs.readFileSync(MAILBOX, 'utf8') : '';
    if (text || Date.now() > until) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('mail_handler = sendmail under the systemd unit', { skip: usable ? false : 'needs root, unshare and exim4-daemon-light' }, () => {
  let sb: Sandbox;
  before(() => {
    spawnSync('userdel', ['-r', USER]);
    // A home: exim4's local delivery changes into it.
    assert.equal(spawnSync('useradd', ['-m', '-s', '/usr/sbin/nologin', USER]).status, 0);
    fs.rmSync(MAILBOX, { force: true });
    sb = sandbox(undefined, `mail_handler = sendmail\n[mail.smtp]\nto_addr = ${USER}@localhost\nfrom = root@localhost\nsendmail_path = ${SENDMAIL}\ntimeout = 60\n`);
    fs.writeFileSync(path.join(sb.tree, 'motd'), 'one\n');
    assert.equal(sb.run('collect', '--quiet').code, 0);
    fs.writeFileSync(path.join(sb.tree, 'motd'), 'two\n');
    assert.equal(sb.run('collect', '--quiet').code, 0);
    assert.equal(sb.run('diff', '--quiet').code, 0);
  });
  after(() => {
    sb?.cleanup();
    // Nothing left in exim's queue for the user, nor the user.
    const queued = spawnSync('exiqgrep', ['-i', '-r', USER], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    if (queued.length) spawnSync('exim4', ['-Mrm', ...queued]);
    spawnSync('userdel', ['-r', USER]);
    fs.rmSync(MAILBOX, { force: true });
  });

  test('the unit as it was (only its state writable): the mail fails, in the words of exim', () => {
    const unit = unitSandbox();
    assert.ok(unit.strict, 'the unit protects the system read-only');
    const r = underUnit(sb, ['/var/lib/syschangemon'], true, ['email-report']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^syschangemon: mail: sendmail exited with code \d+: .*(Read-only file system|read-only).* \(\/usr\/sbin\/sendmail\)\n$/i);
    assert.equal(sb.json('list-reports', '--format', 'json')[0].mail.state, 'failed');
  });

  test("the packaged unit: exim4's sendmail takes the report and delivers it to the user's mailbox", async () => {
    const unit = unitSandbox();
    const r = underUnit(sb, unit.readWrite, unit.noNewPrivileges, ['email-report']);
    assert.deepEqual([r.code, r.stderr], [0, '']);
    const text = await waitForMailbox();
    assert.ok(text, `nothing in ${MAILBOX}`);
    const mail = await simpleParser(text.replace(/^From \S+ .*\n/, ''));
    assert.match(mail.subject!, /: 0 added, 0 removed, 2 changed/);
    assert.match(mail.text!, /motd/);
    assert.equal(sb.json('list-reports', '--format', 'json')[0].mail.state, 'sent');
  });
});
