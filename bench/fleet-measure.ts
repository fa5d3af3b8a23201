/**
 * What one host sends to the central systems, measured: the built CLI's `run` on the bundled
 * configuration (etc/syschangemon, the real system) with [output.ecs] file, [log.syslog]
 * per_change to a real rsyslog started here on 127.0.0.1 (tcp), and mail through a sendmail
 * stand-in that keeps each message. Run as root from the repository:
 *
 *   npx tsx bench/fleet-measure.ts [STEP ...]
 *
 * Steps: `quiet` (nothing changed on purpose), `reinstall:PKG` (apt-get install --reinstall
 * PKG, as an upgrade replaces a package's files), `etc-add`, `etc-change`, `etc-remove` (a file
 * /etc/syschangemon-fleet-measure.conf). A baseline run comes first. Prints one JSON line per
 * run: changes, ECS lines/bytes, syslog lines/bytes (as the central rsyslog's file has them),
 * mail bytes, seconds; then sizes per message kind and the PatchMon payload.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRsyslog } from '../test/rsyslog.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const ETC_FILE = '/etc/syschangemon-fleet-measure.conf';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-fleet-'));
const etc = path.join(dir, 'etc');
fs.cpSync(path.join(ROOT, 'etc', 'syschangemon'), etc, { recursive: true });
const storage = path.join(dir, 'storage');
fs.mkdirSync(storage, { mode: 0o700 });
fs.writeFileSync(path.join(etc, 'plugins.d', 'storage.conf'), `[storage]\ndir = ${storage}\n`);
const mails = path.join(dir, 'mail');
fs.mkdirSync(mails);
const sendmail = path.join(dir, 'sendmail');
fs.writeFileSync(sendmail, `#!/bin/sh\ncat > "${mails}/$(date +%s%N).eml"\n`, { mode: 0o755 });
const ecs = path.join(dir, 'events.ndjson');

const rs = await startRsyslog();
const conf = path.join(etc, 'syschangemon.conf');
// The bundled main file is all comments but its section headers: the settings for the
// measurement replace it (plugins.d stays the bundled one).
fs.writeFileSync(
  conf,
  `[syschangemon]\nmail_handler = sendmail\n[mail.smtp]\nto_addr = root@localhost\nsendmail_path = ${sendmail}\n` +
    `[log.syslog]\nenabled = true\nmethod = logger\nper_change = true\nserver = 127.0.0.1:${rs.tcpPort}\nprotocol = tcp\n[output.ecs]\nfile = ${ecs}\n`,
);

const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
const lines = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);
const mailBytes = () => fs.readdirSync(mails).reduce((n, f) => n + size(path.join(mails, f)), 0);

async function measured(step: string): Promise<void> {
  const before = { ecsL: lines(ecs), ecsB: size(ecs), sysL: lines(rs.textFile), sysB: size(rs.textFile), mail: mailBytes(), mails: fs.readdirSync(mails).length };
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, '-c', conf, 'run', '--quiet', '--skip-empty-mail'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const secs = (Date.now() - t0) / 1000;
  // rsyslog writes asynchronously: wait until the file stops growing.
  let prev = -1;
  while (size(rs.textFile) !== prev) {
    prev = size(rs.textFile);
    await new Promise((res) => setTimeout(res, 700));
  }
  console.log(
    JSON.stringify({
      step,
      exit: r.status,
      // One ECS event per change of the report.
      changes: lines(ecs) - before.ecsL,
      ecs_lines: lines(ecs) - before.ecsL,
      ecs_bytes: size(ecs) - before.ecsB,
      syslog_lines: lines(rs.textFile) - before.sysL,
      syslog_bytes: size(rs.textFile) - before.sysB,
      mails: fs.readdirSync(mails).length - before.mails,
      mail_bytes: mailBytes() - before.mail,
      seconds: secs,
      stderr: r.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300),
    }),
  );
}

try {
  await measured('baseline');
  for (const step of process.argv.slice(2)) {
    if (step.startsWith('reinstall:')) execFileSync('apt-get', ['install', '-y', '-qq', '--reinstall', step.slice('reinstall:'.length)], { stdio: 'ignore' });
    else if (step === 'etc-add') fs.writeFileSync(ETC_FILE, 'setting = 1\n');
    else if (step === 'etc-change') fs.writeFileSync(ETC_FILE, 'setting = 2\nother = yes\n');
    else if (step === 'etc-remove') fs.rmSync(ETC_FILE, { force: true });
    else if (step !== 'quiet') throw new Error(`unknown step ${step}`);
    await measured(step);
  }
  // Per message sizes, for the estimates.
  const central = fs.existsSync(rs.textFile) ? fs.readFileSync(rs.textFile, 'utf8').split('\n').filter(Boolean) : [];
  const byKind: Record<string, { n: number; bytes: number }> = {};
  for (const m of rs.messages()) {
    const k = m.msgid || '-';
    byKind[k] ??= { n: 0, bytes: 0 };
    byKind[k].n++;
    byKind[k].bytes += Buffer.byteLength(`${m.sd} ${m.msg}`);
  }
  console.log(JSON.stringify({ syslog_by_msgid: byKind, central_lines: central.length }));
  if (fs.existsSync(ecs)) {
    const ev = fs.readFileSync(ecs, 'utf8').split('\n').filter(Boolean);
    const byDataset: Record<string, { n: number; bytes: number }> = {};
    for (const l of ev) {
      const d = (JSON.parse(l) as { event?: { dataset?: string } }).event?.dataset ?? '-';
      byDataset[d] ??= { n: 0, bytes: 0 };
      byDataset[d].n++;
      byDataset[d].bytes += Buffer.byteLength(l) + 1;
    }
    console.log(JSON.stringify({ ecs_by_dataset: byDataset }));
  }
  const payload = spawnSync(process.execPath, [CLI, '-c', conf, 'export', '--format', 'patchmon'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const compact = payload.status === 0 ? JSON.stringify(JSON.parse(payload.stdout)) : '';
  const scans = compact ? (JSON.parse(compact) as { scans: Array<{ profile_name: string; total_rules: number }> }).scans : [];
  console.log(JSON.stringify({ patchmon_payload_bytes: Buffer.byteLength(compact), patchmon_scans: scans.map((x) => `${x.profile_name} (${x.total_rules} results)`) }));
  console.log(JSON.stringify({ database_bytes: size(path.join(storage, 'db.sqlite')) }));
} finally {
  fs.rmSync(ETC_FILE, { force: true });
  await rs.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
