/**
 * syslog to a central server, end to end: the built CLI's `run` with `[log.syslog] server` and
 * `protocol` sends through the real logger(1) to a real rsyslog started here on 127.0.0.1
 * (imtcp and imudp, its own config). The central files must hold the run summary and each
 * change of the report with this host's name, the app name, the MSGID and the structured data
 * (parsed by rsyslog's mmpstrucdata, so malformed structured data would not parse), hostile
 * file names included; a central server that is down is a warning, and the digest lines it
 * missed reach it at the next run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { RSYSLOGD, startRsyslog, type CentralMessage, type Rsyslog } from './rsyslog.js';

const SD = 'syschangemon@32473';
const haveRsyslog = fs.existsSync(RSYSLOGD);

function syslogConf(port: number, protocol: 'tcp' | 'udp', extra = ''): string {
  return `[log.syslog]\nenabled = true\nmethod = logger\nper_change = true\nfacility = local4\nserver = 127.0.0.1:${port}\nprotocol = ${protocol}\n${extra}`;
}

const ours = (m: CentralMessage[]) => m.filter((x) => x.app === 'syschangemon');

describe('central rsyslog over TCP', { skip: !haveRsyslog && `${RSYSLOGD} is not installed` }, () => {
  let rs: Rsyslog;
  let sb: Sandbox;
  let report: any;
  let central: CentralMessage[];
  const hostile = 'evil"]\n<13>1 - fake - - - [x a="b"] forged\x1b[2J';

  before(async () => {
    rs = await startRsyslog();
    sb = sandbox(undefined, syslogConf(rs.tcpPort, 'tcp'));
    fs.writeFileSync(path.join(sb.tree, 'hosts'), '127.0.0.1 localhost\n');
    fs.writeFileSync(path.join(sb.tree, 'doomed'), 'z\n');
    const first = await sb.runAsync('run', '--quiet');
    assert.equal(first.code, 0, first.stderr);
    await rs.waitFor((m) => ours(m).some((x) => x.msgid === 'summary'), 'the baseline summary');

    fs.writeFileSync(path.join(sb.tree, 'hosts'), '127.0.0.1 localhost\n10.0.0.1 evil\n');
    fs.unlinkSync(path.join(sb.tree, 'doomed'));
    fs.writeFileSync(path.join(sb.tree, 'new-file'), 'fresh\n');
    fs.writeFileSync(path.join(sb.tree, hostile), 'x\n');
    const second = await sb.runAsync('run', '--quiet');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, '', 'no syslog warning');
    report = sb.json('print-report', '--format', 'json');
    assert.ok(report.changes.length >= 4, 'the second run reported the changes');
    central = await rs.waitFor(
      (m) => ours(m).filter((x) => x.msgid === 'change' && x.parsed[SD]?.report === report.uuid).length === report.changes.length && ours(m).filter((x) => x.msgid === 'digest').length >= 2,
      'every change line and both digest lines',
    );
  });
  after(async () => {
    sb?.cleanup();
    await rs?.stop();
  });

  test('the baseline run sent its summary, with host, app name and structured data', () => {
    const base = ours(central).find((x) => x.msgid === 'summary' && x.parsed[SD]?.baseline === 'true');
    assert.ok(base, 'baseline summary');
    assert.equal(base.host, os.hostname());
    assert.equal(base.facility, 'local4');
    assert.equal(base.severity, 'info');
    assert.match(base.msg, /^session \S+: baseline, \d+ items, 0 errors$/);
    assert.equal(base.parsed[SD]!.errors, '0');
    assert.match(base.parsed[SD]!.session!, /^[0-9a-f-]{36}$/);
  });

  test('the run summary names the report and its counts, in the text and in the structured data', () => {
    const sum = ours(central).find((x) => x.msgid === 'summary' && x.parsed[SD]?.report === report.uuid);
    assert.ok(sum, 'summary of the second run');
    assert.equal(sum.host, os.hostname());
    assert.equal(sum.severity, 'notice');
    const s = report.summary;
    assert.equal(sum.msg, `session ${report.new_session.uuid}: ${s.added} added, ${s.removed} removed, ${s.changed} changed, ${s.errors} errors; report ${report.uuid}`);
    assert.deepEqual(
      { ...sum.parsed[SD] },
      { session: report.new_session.uuid, report: report.uuid, added: String(s.added), removed: String(s.removed), changed: String(s.changed), errors: String(s.errors) },
    );
    // The plain-text file written by a %structured-data% template has it too.
    const text = fs.readFileSync(rs.textFile, 'utf8');
    assert.ok(text.includes(`${os.hostname()} syschangemon `), text);
    assert.ok(text.includes(` summary local4.notice [timeQuality `) && text.includes(`[${SD} session="${report.new_session.uuid}" report="${report.uuid}" added="${s.added}"`), text);
  });

  test('each change of the report arrived as one line with its key, change, plugin, severity and attributes', () => {
    const lines = ours(central).filter((x) => x.msgid === 'change' && x.parsed[SD]?.report === report.uuid);
    assert.equal(lines.length, report.changes.length);
    const visible = (k: string) => k.replace(/\n/g, '\\n').replace(/\x1b/g, '\\x1b');
    for (const c of report.changes) {
      const l = lines.find((x) => x.parsed[SD]!.key === visible(c.key));
      assert.ok(l, `a line for ${JSON.stringify(c.key)}`);
      assert.equal(l.host, os.hostname());
      assert.equal(l.parsed[SD]!.change, c.change);
      assert.equal(l.parsed[SD]!.plugin, c.plugin);
      assert.equal(l.parsed[SD]!.severity, c.severity);
      const attrs = Object.keys(c.attributes ?? {}).sort().join(',');
      if (c.change === 'changed' && attrs) assert.equal(l.parsed[SD]!.attrs, attrs);
      assert.ok(l.msg.startsWith(`${c.change} ${visible(c.key)}`), l.msg);
      assert.ok(['crit', 'warning', 'notice', 'info'].includes(l.severity));
    }
    const hosts = lines.find((x) => x.parsed[SD]!.key === `file://${sb.tree}/hosts`);
    assert.equal(hosts?.parsed[SD]!.change, 'changed');
    assert.ok(hosts?.parsed[SD]!.attrs?.includes('sha256'));
    assert.ok(lines.some((x) => x.parsed[SD]!.key === `file://${sb.tree}/doomed` && x.parsed[SD]!.change === 'removed'));
  });

  test('a hostile file name stays inside its value: no forged line, no control character', () => {
    // The key scheme percent-encodes the newline and escape of a file name; '"' and ']' are left
    // for the syslog escaping.
    const key = `file://${sb.tree}/evil"]%0A<13>1 - fake - - - [x a="b"] forged%1B[2J`;
    const l = ours(central).find((x) => x.msgid === 'change' && x.parsed[SD]?.key === key);
    assert.ok(l, `the hostile name, escaped, as one value: ${JSON.stringify(ours(central).map((x) => x.parsed[SD]?.key))}`);
    assert.deepEqual(Object.keys(l.parsed).sort(), [SD, 'timeQuality'].sort(), 'no SD element forged from the name');
    assert.ok(!central.some((x) => x.app === 'fake' || x.msg.startsWith('forged')), 'no forged message');
    for (const m of central) assert.doesNotMatch(m.sd + m.msg, /[\x00-\x1f\x7f]/);
    assert.ok(!/[\x00-\x09\x0b-\x1f\x7f]/.test(fs.readFileSync(rs.textFile, 'utf8')), 'no raw control in the central file');
  });

  test('each session\'s digest line arrived with the chain in its structured data', () => {
    const digests = ours(central).filter((x) => x.msgid === 'digest');
    const newest = digests.find((x) => x.parsed[SD]?.session === report.new_session.uuid);
    assert.ok(newest, 'the digest of the new session');
    assert.match(newest.parsed[SD]!.digest!, /^[0-9a-f]{64}$/);
    assert.match(newest.parsed[SD]!.prev!, /^[0-9a-f]{64}$/);
    assert.equal(newest.parsed[SD]!.signed, 'false');
    const first = digests.find((x) => x.parsed[SD]?.session === report.old_session.uuid);
    assert.equal(first?.parsed[SD]!.digest, newest.parsed[SD]!.prev, 'the chain links');
  });
});

describe('central rsyslog over UDP, and a server that is down', { skip: !haveRsyslog && `${RSYSLOGD} is not installed` }, () => {
  test('udp: the summary and change lines arrive', async () => {
    const rs = await startRsyslog();
    const sb = sandbox(undefined, syslogConf(rs.udpPort, 'udp', 'tag = scm-udp\n'));
    try {
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      fs.writeFileSync(path.join(sb.tree, 'a'), 'changed\n');
      const r = await sb.runAsync('run', '--quiet');
      assert.equal(r.code, 0, r.stderr);
      const report = sb.json('print-report', '--format', 'json');
      const isChange = (x: CentralMessage) => x.app === 'scm-udp' && x.msgid === 'change' && x.parsed[SD]?.report === report.uuid && x.parsed[SD]?.plugin === 'file';
      const m = await rs.waitFor((all) => all.some(isChange), 'the udp change line');
      const change = m.find(isChange)!;
      assert.equal(change.host, os.hostname());
      assert.equal(change.parsed[SD]!.key, `file://${sb.tree}/a`);
      assert.ok(m.some((x) => x.app === 'scm-udp' && x.msgid === 'summary' && x.parsed[SD]?.report === report.uuid));
    } finally {
      sb.cleanup();
      await rs.stop();
    }
  });

  test('tcp to a stopped server: a warning, the run succeeds, and the missed digest lines follow at the next run', async () => {
    let rs = await startRsyslog();
    const port = rs.tcpPort;
    const sb = sandbox(undefined, syslogConf(port, 'tcp'));
    try {
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      await rs.waitFor((m) => ours(m).some((x) => x.msgid === 'digest'), 'the first digest');
      await rs.stop();

      fs.writeFileSync(path.join(sb.tree, 'a'), 'b\n');
      const down = await sb.runAsync('run');
      assert.equal(down.code, 0, 'a syslog failure does not change the exit status');
      assert.match(down.stderr, /syslog: logger exited with 1/);
      const missed = sb.json('print-report', '--format', 'json');

      // The central server is back (on the same port): the next run sends its own lines and
      // the digest line of the session the stopped server missed.
      rs = await startRsyslog({ tcpPort: port });
      fs.writeFileSync(path.join(sb.tree, 'a'), 'c\n');
      const back = await sb.runAsync('run', '--quiet');
      assert.equal(back.code, 0, back.stderr);
      assert.equal(back.stderr, '');
      const m = await rs.waitFor((all) => ours(all).filter((x) => x.msgid === 'digest').length >= 2, 'both digest lines');
      const sessions = ours(m).filter((x) => x.msgid === 'digest').map((x) => x.parsed[SD]!.session);
      assert.ok(sessions.includes(missed.new_session.uuid), 'the missed session\'s digest arrived');
    } finally {
      sb.cleanup();
      await rs.stop();
    }
  });
});
