/**
 * Nothing a watched file, a command's output or a file name holds steers the terminal that
 * shows the report. A hostile sshd_config (cursor up and erase, an OSC 0 title, an OSC 8
 * link, a C1 CSI, a carriage return, U+202E and U+2028) and a command printing the same are
 * diffed by the real program; print-report runs in a real tmux pane, and capture-pane must
 * show every line of the diff, escaped visibly, with the pane title untouched. The mail's
 * text part (real SMTP server), the HTML report and the syslog lines carry no raw control;
 * the JSON report keeps the exact bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, sandbox } from '../helpers.js';
import { startSmtp } from '../../src/mail/test-smtp.js';

const ESC = '\x1b';
// The hostile lines, and what the report must show for each.
const HOSTILE: [string, string][] = [
  [`Banner ${ESC}[8A${ESC}[J erased-above`, 'Banner \\x1b[8A\\x1b[J erased-above'],
  [`Title ${ESC}]0;PWNED-TITLE\x07 set`, 'Title \\x1b]0;PWNED-TITLE\\x07 set'],
  [`Link ${ESC}]8;;http://evil.example/${ESC}\\click-here${ESC}]8;;${ESC}\\ end`, 'Link \\x1b]8;;http://evil.example/\\x1b\\click-here\\x1b]8;;\\x1b\\ end'],
  ['Csi \u009b2J cleared', 'Csi \\u009b2J cleared'],
  ['Cr hidden\roverwritten', 'Cr hidden\\x0doverwritten'],
  ['Bidi bidi_\u202Eevil', 'Bidi bidi_\\u202eevil'],
  ['Sep one\u2028two del\x7f', 'Sep one\\u2028two del\\x7f'],
];
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const END_MARK = 'SCM-END-OF-OUTPUT';

function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

/** Run a command line in a fresh tmux pane and return every line it left (history included). */
async function inTmux(socket: string, commandLine: string): Promise<{ lines: string[]; title: string }> {
  tmux(socket, 'new-session', '-d', '-s', 'scm', '-x', '160', '-y', '40', 'sleep 3600');
  try {
    tmux(socket, 'set-option', '-g', 'history-limit', '100000');
    tmux(socket, 'set-option', '-g', 'remain-on-exit', 'on');
    tmux(socket, 'set-option', '-g', 'allow-rename', 'on');
    // tmux may see the command exit before it has read the command's last write; a marker
    // printed last, a second later, tells when everything before it has been taken in.
    tmux(socket, 'respawn-pane', '-k', '-t', 'scm', `${commandLine}; sleep 1; printf '\\n%s\\n' ${END_MARK}`);
    const capture = () => tmux(socket, 'capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', 'scm').split('\n').map((l) => l.trimEnd());
    for (let i = 0; i < 600; i++) {
      if (tmux(socket, 'display-message', '-p', '-t', 'scm', '#{pane_dead}').trim() === '1' && capture().includes(END_MARK)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const title = tmux(socket, 'display-message', '-p', '-t', 'scm', '#{pane_title}').trim();
    const lines = capture();
    assert.ok(lines.includes(END_MARK), 'the command in the tmux pane finished');
    return { lines: lines.filter((l) => l !== END_MARK), title };
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('the method: raw control sequences printed in a tmux pane do hide lines and set the title', async () => {
  const lines = Array.from({ length: 12 }, (_, i) => `plain-${i}`).join('\n');
  const { lines: shown, title } = await inTmux(`scm-ctl-${process.pid}`, `printf '%s\\n\\033[8A\\033[J\\033]0;PWNED-TITLE\\007' ${shq(lines)}`);
  assert.ok(!shown.includes('plain-5'), 'cursor up and erase removed lines from the pane');
  assert.equal(title, 'PWNED-TITLE');
});

test('hostile diff lines, command output and file names are shown escaped, every line, in a real terminal', async () => {
  const server = await startSmtp();
  const sb = sandbox(
    undefined,
    `[mail.smtp]\nto_addr = ops@example.com\nhost = 127.0.0.1\nport = ${server.port}\ntimeout = 5\n\n[log.syslog]\nenabled = true\nper_change = true\nmethod = stderr\n`,
  );
  const conf = path.join(sb.tree, 'sshd_config');
  const out = path.join(sb.tree, 'command.out');
  sb.writePlugin('command', `[command]\nenable_plugin = true\ncommand.hostile = cat ${out}\n`);
  try {
    const plain = Array.from({ length: 20 }, (_, i) => `Line${String(i).padStart(2, '0')} yes`);
    fs.writeFileSync(conf, `${plain.join('\n')}\n`);
    fs.writeFileSync(out, 'quiet\n');
    assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
    // Hostile lines among the plain ones (each within three lines of the next: one hunk).
    const lines = [...plain];
    HOSTILE.forEach(([raw], i) => lines.splice(3 + i * 2, 0, raw));
    fs.writeFileSync(conf, `${lines.join('\n')}\n`);
    fs.writeFileSync(out, `${HOSTILE.map(([raw]) => `out ${raw}`).join('\n')}\n`);
    fs.writeFileSync(path.join(sb.tree, 'bidi_\u202Eevil.conf'), `x ${ESC}[2J\n`);
    const run = await sb.runAsync('run', '--quiet');
    assert.equal(run.code, 0, run.stderr);

    const { lines: shown, title } = await inTmux(
      `scm-${process.pid}`,
      `${shq(process.execPath)} ${shq(CLI)} -c ${shq(path.join(sb.etc, 'syschangemon.conf'))} print-report --format text`,
    );
    const screen = shown.join('\n');
    assert.match(screen, /-- syschangemon /, 'the report was printed to its end');
    assert.notEqual(title, 'PWNED-TITLE');
    for (const [, want] of HOSTILE) {
      assert.ok(shown.includes(`      +${want}`), `diff line "${want}" shown in the pane:\n${screen}`);
      assert.ok(shown.includes(`      +out ${want}`), `command output "out ${want}" shown`);
    }
    // Every line of the file's diff is on the screen: the plain lines around the hostile ones
    // too (taken from the JSON report, which keeps the exact text).
    const exact = (JSON.parse((await sb.runAsync('print-report', '--format', 'json')).stdout) as { changes: { key: string; diff?: string }[] }).changes;
    const diffLines = exact.find((c) => c.key.endsWith('/sshd_config'))!.diff!.split('\n').filter((l) => /^[ +-]Line\d\d yes$/.test(l));
    assert.ok(diffLines.length >= 12, `the diff has its context lines: ${diffLines.length}`);
    for (const l of diffLines) assert.ok(shown.includes(`      ${l}`), `diff line "${l}" shown:\n${screen}`);
    assert.ok(screen.includes('bidi_\\u202eevil.conf'), 'the file name is shown escaped');

    // The same text everywhere else that is text: the mail, HTML, syslog lines.
    const text = (await sb.runAsync('print-report', '--format', 'text')).stdout;
    const html = (await sb.runAsync('print-report', '--format', 'html')).stdout;
    const json = (await sb.runAsync('print-report', '--format', 'json')).stdout;
    const mail = server.received[0]!.mail;
    for (const [where, t] of [['text', text], ['html', html], ['mail text', mail.text ?? ''], ['mail html', String(mail.html ?? '')], ['mail subject', mail.subject ?? ''], ['syslog', run.stderr]] as const) {
      assert.ok(t.length > 0, where);
      assert.ok(!RAW.test(t.replace(/[\n\t]/g, '')), `${where} carries a raw control: ${JSON.stringify(t.match(RAW))}`);
    }
    assert.ok(text.includes(`+${HOSTILE[0]![1]}`));
    assert.ok((mail.text ?? '').includes(`+${HOSTILE[0]![1]}`), 'the mail text part shows the escape');
    assert.ok(html.includes('Bidi bidi_\\u202eevil'), 'HTML shows the bidi control visibly');
    assert.match(run.stderr, /bidi_\\u202eevil\.conf/, 'syslog names the file escaped');
    // JSON keeps the exact strings.
    const report = JSON.parse(json) as { changes: { key: string; diff?: string }[] };
    const diff = report.changes.find((c) => c.key.endsWith('/sshd_config'))!.diff!;
    for (const [raw] of HOSTILE) assert.ok(diff.includes(`+${raw}\n`), `JSON keeps ${JSON.stringify(raw)}`);
  } finally {
    await server.close();
    sb.cleanup();
  }
});
