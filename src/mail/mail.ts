/**
 * Mailing reports: builds a multipart/alternative message (text + HTML) from the templates and
 * sends it with nodemailer over SMTP (implicit TLS, STARTTLS, auth, timeouts) or the local
 * sendmail binary. Every setting of the Python tool's `[mail.smtp]` section is honoured.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { mailError, messageOf } from '../errors.js';
import { type RenderOptions, renderReport, renderSubject } from '../core/render.js';
import type { Report, ReportChange } from '../core/report-model.js';
import { addressList } from '../config/recipients.js';
import { needsAttention } from '../core/severity.js';
import type { Options } from '../types.js';

export interface MailSettings {
  handler: 'smtp' | 'sendmail';
  smtp: Options;
  templateDir?: string;
  /** Changes shown in full; the rest are counted with the command that shows them. */
  maxChanges: number;
  hostname?: string;
  /** `-t/--html`: order the parts so that a client showing one form shows the HTML. */
  preferHtml?: boolean;
  /** What to show of an added or removed item (RenderOptions.describe). */
  describe?: RenderOptions['describe'];
  /** Only changes of this severity or higher (RenderOptions.minSeverity). */
  minSeverity?: RenderOptions['minSeverity'];
  /** Lines of an added or removed text shown (RenderOptions.maxDiffLines). */
  maxDiffLines?: number;
  /** Collectors' report partials (RenderOptions.partials). */
  partials?: RenderOptions['partials'];
}

/**
 * The name this host greets an SMTP server with (EHLO): the configured hostname or the
 * system's when it is a fully qualified one, else what `hostname --fqdn` says, else the
 * system's short name.
 */
export function ehloName(configured?: string): string {
  const valid = (h: string | undefined): h is string => !!h && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/.test(h) && h.length <= 253;
  if (valid(configured) && configured.includes('.')) return configured;
  const system = os.hostname();
  if (valid(system) && system.includes('.')) return system;
  try {
    const r = spawnSync('hostname', ['--fqdn'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    const fqdn = (r.stdout ?? '').trim();
    if (r.status === 0 && valid(fqdn) && fqdn.includes('.')) return fqdn;
  } catch {
    // no hostname(1): the short name below
  }
  return valid(configured) ? configured : valid(system) ? system : 'localhost';
}

/**
 * The List-Id of a host's reports (RFC 2919), so mail filters can sort by host: an id under
 * `.localhost`, the namespace for lists that register none, `<web1.example.org.syschangemon.localhost>`.
 */
export function listId(host: string): string {
  const label = host.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '').replace(/\.{2,}/g, '.') || 'host';
  return `syschangemon reports of ${label} <${label}.syschangemon.localhost>`;
}

/** Lines of one diff kept in a mail; the rest are counted with the command that shows them. */
export const MAX_DIFF_LINES = 200;
/** Characters of one diff line kept in a mail (a minified file is one huge line). */
export const MAX_LINE_CHARS = 2000;
/** Characters of all diffs of one mail together. */
export const MAX_MAIL_DIFF_CHARS = 2 * 1024 * 1024;

/** A change as rendered in a mail: `diff_omitted` counts the diff lines cut. */
export type MailChange = ReportChange & { diff_omitted?: number };

/**
 * Cut one diff to MAX_DIFF_LINES lines of at most MAX_LINE_CHARS characters, and to `budget`
 * characters in all.
 */
export function cutDiff(diff: string, budget = Number.POSITIVE_INFINITY): { diff: string; omitted: number } {
  const lines = diff.endsWith('\n') ? diff.slice(0, -1).split('\n') : diff.split('\n');
  const kept: string[] = [];
  let chars = 0;
  for (const line of lines) {
    if (kept.length >= MAX_DIFF_LINES) break;
    const shown = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length - MAX_LINE_CHARS} more characters)` : line;
    if (chars + shown.length + 1 > budget) break;
    kept.push(shown);
    chars += shown.length + 1;
  }
  return { diff: kept.length ? `${kept.join('\n')}\n` : '', omitted: lines.length - kept.length };
}

/**
 * A copy of the report whose diffs are cut (see cutDiff), so a mail stays bounded; the changes
 * that need attention get the budget first.
 */
export function boundedForMail(report: Report, _maxChanges?: number): Report {
  let budget = MAX_MAIL_DIFF_CHARS;
  const out: MailChange[] = [...report.changes];
  const order = out.map((c, i) => ({ i, first: needsAttention(c) ? 0 : 1 })).sort((x, y) => x.first - y.first || x.i - y.i);
  for (const { i } of order) {
    const c = out[i]!;
    if (!c.diff) continue;
    const cut = cutDiff(c.diff, budget);
    budget -= cut.diff.length;
    if (cut.diff !== c.diff) out[i] = { ...c, diff: cut.diff || undefined, diff_omitted: cut.omitted };
  }
  return { ...report, changes: out };
}

export interface BuiltMessage {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html: string;
}

export function buildMessage(report: Report, s: MailSettings): BuiltMessage {
  const smtp = s.smtp;
  const host = s.hostname ?? os.hostname();
  const bounded = boundedForMail(report, s.maxChanges);
  const renderOpts: RenderOptions = { templateDir: s.templateDir, maxChanges: s.maxChanges, describe: s.describe, minSeverity: s.minSeverity, maxDiffLines: s.maxDiffLines, partials: s.partials };
  const prefix = typeof smtp.subject_prefix === 'string' ? smtp.subject_prefix : '';
  const subjectTemplate = typeof smtp.subject === 'string' && smtp.subject ? smtp.subject : undefined;
  let subject = renderSubject(report, subjectTemplate, renderOpts);
  if (prefix) subject = `${prefix}${/\s$/.test(prefix) ? '' : ' '}${subject}`;
  return {
    from: typeof smtp.from === 'string' && smtp.from ? smtp.from : `syschangemon@${host}`,
    to: addressList(smtp.to_addr),
    cc: addressList(smtp.cc),
    bcc: addressList(smtp.bcc),
    subject,
    text: renderReport(bounded, 'text', renderOpts),
    html: renderReport(bounded, 'html', renderOpts),
  };
}

async function transport(s: MailSettings) {
  // Loaded on first use: most commands never mail, and nodemailer is slow to load.
  const { default: nodemailer } = await import('nodemailer');
  const smtp = s.smtp;
  if (s.handler === 'sendmail') {
    // The message is composed here and handed to sendmail by runSendmail, which passes on
    // what sendmail says on stderr when it fails.
    return nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }
  const timeoutMs = Number(smtp.timeout ?? 30) * 1000;
  return nodemailer.createTransport({
    // EHLO with this host's fully qualified name: servers and spam filters check it.
    name: ehloName(s.hostname),
    host: String(smtp.host || 'localhost'),
    port: Number(smtp.port || 25),
    secure: smtp.ssl === true,
    // tls = true: STARTTLS is required (no mail goes out in clear) and the certificate is
    // verified. tls = false (the Python tool's `tls = 0`): no STARTTLS even when offered, as
    // the Python tool's smtplib did; nodemailer would otherwise upgrade whenever a server
    // offers it, and a stock Debian exim4 offers it with a self-signed certificate.
    requireTLS: smtp.ssl !== true && smtp.tls === true,
    ignoreTLS: smtp.ssl !== true && smtp.tls !== true,
    tls: { rejectUnauthorized: smtp.tls_verify !== false },
    auth: smtp.auth === true ? { user: String(smtp.username ?? ''), pass: String(smtp.password ?? '') } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

/** Bytes of sendmail's stderr kept for the error line. */
const SENDMAIL_STDERR_MAX = 2000;

/**
 * Hand a composed message to the local sendmail (exim4, postfix, …): `sendmail -i -f FROM --
 * RCPT…`, the message on stdin. Fails with sendmail's exit code and its stderr, on one line.
 */
export function runSendmail(file: string, envelope: { from: string; to: string[] }, message: Buffer, timeoutMs: number): Promise<void> {
  if ([envelope.from, ...envelope.to].some((a) => /^"?-/.test(a))) {
    return Promise.reject(new Error('an envelope address starts with "-"'));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, ['-i', '-f', envelope.from, '--', ...envelope.to], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < SENDMAIL_STDERR_MAX) stderr += c;
    });
    // A sendmail that exits early closes its stdin: its exit code says more than the EPIPE.
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const said = () => {
      const text = stderr.slice(0, SENDMAIL_STDERR_MAX).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
      return text ? `: ${text}` : ' (nothing on stderr)';
    };
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (signal) reject(new Error(`sendmail ${signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `was killed by ${signal}`}${said()}`));
      else reject(new Error(`sendmail exited with code ${code}${said()}`));
    });
    child.stdin.end(message);
  });
}

/** One line saying why a send failed. */
function describeMailError(err: unknown, s: MailSettings): string {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const where = s.handler === 'sendmail' ? String(s.smtp.sendmail_path || '/usr/sbin/sendmail') : `${s.smtp.host || 'localhost'}:${s.smtp.port || 25}`;
  const text = String(e.message ?? '');
  const kind = /ECONNREFUSED/.test(text) ? 'ECONNREFUSED' : /ETIMEDOUT|timeout/i.test(text) && e.code !== 'EAUTH' ? 'ETIMEDOUT' : e.code;
  switch (kind) {
    case 'ECONNREFUSED':
      return `mail: connection refused by ${where}`;
    case 'ETIMEDOUT':
      return `mail: timeout after ${Number(s.smtp.timeout ?? 30)} s talking to ${where}`;
    case 'EAUTH':
      return `mail: authentication failed at ${where}: ${messageOf(e.response ?? e.message)}`;
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'ETLS':
      return `mail: TLS or connection error with ${where}: ${messageOf(e.message)}`;
    case 'EENVELOPE':
      return `mail: recipients refused by ${where}: ${messageOf(e.response ?? e.message)}`;
    default:
      return `mail: ${messageOf(e.message ?? err)} (${where})`;
  }
}

/** Send a report; throws a one-line `E_MAIL` error on failure. */
export async function sendReport(report: Report, s: MailSettings): Promise<BuiltMessage> {
  const msg = buildMessage(report, s);
  if (msg.to.length + msg.cc.length + msg.bcc.length === 0) throw mailError('mail: no recipients configured ([mail.smtp] to_addr)');
  const t = await transport(s);
  // In multipart/alternative the last part is the preferred one: a client that shows one
  // form shows the text unless -t/--html asks for the HTML.
  const parts = s.preferHtml
    ? { text: msg.text, html: msg.html }
    : { html: msg.html, alternatives: [{ contentType: 'text/plain; charset=utf-8', content: msg.text }] };
  try {
    const info = await t.sendMail({
      from: msg.from,
      to: msg.to,
      cc: msg.cc.length ? msg.cc : undefined,
      // Bcc goes only into the envelope: nodemailer's sendmail transport would keep a Bcc
      // header and leave stripping it to the local MTA.
      envelope: { from: msg.from, to: [...msg.to, ...msg.cc, ...msg.bcc] },
      subject: msg.subject,
      ...parts,
      headers: {
        'X-Syschangemon-Report': report.uuid,
        ...(report.summary.severity ? { 'X-Syschangemon-Severity': report.summary.severity } : {}),
        // A machine wrote this: no vacation replies or out-of-office answers (RFC 3834).
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'List-Id': listId(s.hostname ?? os.hostname()),
      },
    });
    if (s.handler === 'sendmail') {
      // nodemailer's envelope: bare addresses, parsed from "Name <addr>" forms.
      const envelope = { from: String(info.envelope.from || ''), to: info.envelope.to.map(String) };
      await runSendmail(String(s.smtp.sendmail_path || '/usr/sbin/sendmail'), envelope, info.message as Buffer, Number(s.smtp.timeout ?? 30) * 1000);
    }
  } catch (err) {
    throw mailError(describeMailError(err, s), err);
  } finally {
    t.close();
  }
  return msg;
}
