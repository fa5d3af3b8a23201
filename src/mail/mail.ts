/**
 * Mailing reports: builds a multipart/alternative message (text + HTML) from the templates and
 * sends it with nodemailer over SMTP (implicit TLS, STARTTLS, auth, timeouts) or the local
 * sendmail binary. Every setting of the Python tool's `[mail.smtp]` section is honoured.
 */
import * as os from 'node:os';
import nodemailer from 'nodemailer';
import { mailError, messageOf } from '../errors.js';
import { renderReport, renderSubject } from '../core/render.js';
import type { Report } from '../core/report-model.js';
import type { Options } from '../types.js';

export interface MailSettings {
  handler: 'smtp' | 'sendmail';
  smtp: Options;
  templateDir?: string;
  /** Changes shown in full; the rest are counted with the command that shows them. */
  maxChanges: number;
  hostname?: string;
}

/** Lines of one diff kept in a mail; the rest are cut with a note. */
export const MAX_DIFF_LINES = 200;

/** Split a comma list of addresses. */
export function addressList(value: unknown): string[] {
  return typeof value === 'string'
    ? value
        .split(/[,\n]/)
        .map((a) => a.trim())
        .filter(Boolean)
    : [];
}

export function hasRecipients(smtp: Options): boolean {
  return [smtp.to_addr, smtp.cc, smtp.bcc].some((v) => addressList(v).length > 0);
}

/** A copy of the report whose diffs are cut to MAX_DIFF_LINES each, so a mail stays bounded. */
export function boundedForMail(report: Report, maxChanges: number): Report {
  const changes = report.changes.slice(0, maxChanges + report.changes.filter((c) => c.explained_by).length).map((c) => {
    if (!c.diff) return c;
    const lines = c.diff.split('\n');
    if (lines.length <= MAX_DIFF_LINES) return c;
    return {
      ...c,
      diff: `${lines.slice(0, MAX_DIFF_LINES).join('\n')}\n`,
      note: `${c.note ? `${c.note}; ` : ''}diff cut after ${MAX_DIFF_LINES} lines (${lines.length} in all)`,
    };
  });
  return { ...report, changes: [...changes, ...report.changes.slice(changes.length)] };
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
  const renderOpts = { templateDir: s.templateDir, maxChanges: s.maxChanges };
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

function transport(s: MailSettings) {
  const smtp = s.smtp;
  if (s.handler === 'sendmail') {
    return nodemailer.createTransport({ sendmail: true, newline: 'unix', path: String(smtp.sendmail_path || '/usr/sbin/sendmail') });
  }
  const timeoutMs = Number(smtp.timeout ?? 30) * 1000;
  return nodemailer.createTransport({
    host: String(smtp.host || 'localhost'),
    port: Number(smtp.port || 25),
    secure: smtp.ssl === true,
    requireTLS: smtp.tls === true,
    tls: { rejectUnauthorized: smtp.tls_verify !== false },
    auth: smtp.auth === true ? { user: String(smtp.username ?? ''), pass: String(smtp.password ?? '') } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

/** One line saying why a send failed. */
export function describeMailError(err: unknown, s: MailSettings): string {
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
  const t = transport(s);
  try {
    await t.sendMail({
      from: msg.from,
      to: msg.to,
      cc: msg.cc.length ? msg.cc : undefined,
      bcc: msg.bcc.length ? msg.bcc : undefined,
      subject: msg.subject,
      text: msg.text,
      html: msg.html,
      headers: { 'X-Syschangemon-Report': report.uuid },
    });
  } catch (err) {
    throw mailError(describeMailError(err, s), err);
  } finally {
    t.close();
  }
  return msg;
}
