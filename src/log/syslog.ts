/**
 * Syslog lines for fleets: one summary line per run and, optionally, one line per change,
 * sent either through the system's logger(1) as RFC 5424 (to /dev/log, or to a remote
 * rsyslog with --server), or to stderr with sd-daemon `<N>` priority prefixes, which the
 * journal reads when the program runs as a systemd service.
 *
 * The formatting functions are pure; `sendSyslog` does the I/O and never throws: a logger
 * that cannot run or fails is reported back as a warning line.
 */
import { spawn } from 'node:child_process';
import type { ReportChange } from '../core/report-model.js';
import { visibleControls } from '../core/visible.js';
import { messageOf } from '../errors.js';

/** Syslog severities used here (RFC 5424 numbers). */
export const SEVERITY = { err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
export type Severity = keyof typeof SEVERITY;

/** One line to send with its severity. */
export interface SyslogLine {
  severity: Severity;
  text: string;
}

/** `[log.syslog]`, resolved. */
export interface SyslogSettings {
  enabled: boolean;
  facility: string;
  tag: string;
  perChange: boolean;
  method: 'logger' | 'stderr';
  /** Remote syslog server for logger --server; undefined: the local /dev/log. */
  server?: { host: string; port?: number };
  protocol: 'udp' | 'tcp';
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseServer(value: string): { host: string; port?: number } | undefined {
  const v = value.trim();
  if (!v) return undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : undefined };
  const hostPort = /^([^:]+):(\d+)$/.exec(v);
  if (hostPort) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  return { host: v };
}

/** Under systemd (a service's INVOCATION_ID, or stderr connected to the journal). */
function underSystemd(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.INVOCATION_ID || env.JOURNAL_STREAM);
}

/**
 * Resolve the section. `auto` picks stderr under systemd, else logger; a remote server always
 * needs logger, since stderr only reaches the local journal.
 */
export function syslogSettings(section: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): SyslogSettings {
  const server = parseServer(typeof section.server === 'string' ? section.server : '');
  const configured = String(section.method ?? 'auto');
  const method = configured === 'stderr' ? 'stderr' : configured === 'logger' || server ? 'logger' : underSystemd(env) ? 'stderr' : 'logger';
  return {
    enabled: section.enabled === true,
    facility: String(section.facility ?? 'daemon'),
    tag: String(section.tag ?? 'syschangemon') || 'syschangemon',
    perChange: section.per_change === true,
    method,
    server,
    protocol: section.protocol === 'tcp' ? 'tcp' : 'udp',
  };
}

/**
 * One line whatever the text holds: newlines and tabs as `\n` and `\t`, every other control
 * (C0, DEL, C1, bidirectional, line separators) as visibleControls shows it, never sent raw.
 */
export function oneLine(text: string): string {
  return visibleControls(text).replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t'));
}

/** Counts and ids of a run, for the summary line. */
export interface RunSummary {
  sessionUuid: string;
  reportUuid?: string;
  added: number;
  removed: number;
  changed: number;
  errors: number;
  /** Items in the session, for a baseline (no report). */
  items?: number;
}

/**
 * `session <uuid>: 3 added, 1 removed, 2 changed, 0 errors; report <uuid>`, or for a first
 * session `session <uuid>: baseline, 120 items, 0 errors`. Notice when something changed,
 * warning when there were errors, info otherwise.
 */
export function summaryLine(s: RunSummary): SyslogLine {
  const text = s.reportUuid
    ? `session ${s.sessionUuid}: ${s.added} added, ${s.removed} removed, ${s.changed} changed, ${s.errors} errors; report ${s.reportUuid}`
    : `session ${s.sessionUuid}: baseline, ${s.items ?? 0} items, ${s.errors} errors`;
  const severity: Severity = s.errors > 0 ? 'warning' : s.added + s.removed + s.changed > 0 ? 'notice' : 'info';
  return { severity, text: oneLine(text) };
}

/** `changed file:///etc/hosts (mtime, sha256, size); report <uuid>`. */
export function changeLine(change: Pick<ReportChange, 'key' | 'change' | 'attributes' | 'explained_by'>, reportUuid: string): SyslogLine {
  const attrs = Object.keys(change.attributes ?? {}).sort();
  const detail = change.change === 'changed' && attrs.length ? ` (${attrs.join(', ')})` : '';
  const why = change.explained_by ? ` [package ${change.explained_by}]` : '';
  return { severity: 'info', text: oneLine(`${change.change} ${change.key}${detail}${why}; report ${reportUuid}`) };
}

/**
 * `session <uuid> digest <hex> prev <hex>, signed`: the session's place in the digest chain
 * (`syschangemon verify`). The first session of a chain says so, at notice severity.
 */
export function digestLine(
  r: { uuid: string; started_at: string; digest: string; prev_digest: string | null; signature: string | null },
  chainStart?: string,
): SyslogLine {
  const prev = r.prev_digest ? `prev ${r.prev_digest}` : `starts a new chain (${chainStart ?? 'new database'})`;
  return {
    severity: r.prev_digest ? 'info' : 'notice',
    text: oneLine(`session ${r.uuid} started ${r.started_at} digest ${r.digest} ${prev}, ${r.signature ? 'signed' : 'unsigned'}`),
  };
}

/** sd-daemon(3) prefix: the journal reads `<N>` at the start of a stderr line as its priority. */
function sdDaemonLine(line: SyslogLine): string {
  return `<${SEVERITY[line.severity]}>${line.text}\n`;
}

/** The logger(1) arguments: every line carries its own `<N>` severity (--prio-prefix). */
export function loggerArgs(s: SyslogSettings): string[] {
  const args = ['--rfc5424', '-t', s.tag, '-p', `${s.facility}.info`, '--prio-prefix', '--size', '8192'];
  if (s.server) {
    args.push('--server', s.server.host);
    if (s.server.port) args.push('--port', String(s.server.port));
    args.push(s.protocol === 'tcp' ? '--tcp' : '--udp');
  }
  return args;
}

export interface SendOptions {
  /** logger binary (tests may name another). */
  loggerPath?: string;
  /** Where the stderr method writes. */
  stderr?: { write(text: string): unknown };
  /** Kill logger when it takes longer than this (a blackholed TCP server). */
  timeoutMs?: number;
}

/**
 * Send lines with one logger process per call (lines fed on stdin), or to stderr.
 * Resolves to undefined on success, else a one-line warning; never rejects.
 */
export async function sendSyslog(settings: SyslogSettings, lines: Iterable<SyslogLine>, opts: SendOptions = {}): Promise<string | undefined> {
  if (settings.method === 'stderr') {
    const out = opts.stderr ?? process.stderr;
    try {
      for (const line of lines) out.write(sdDaemonLine(line));
      return undefined;
    } catch (err) {
      return `syslog: ${messageOf(err)}`;
    }
  }
  const bin = opts.loggerPath ?? 'logger';
  return new Promise<string | undefined>((resolve) => {
    let settled = false;
    let stderrText = '';
    const done = (warning: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(warning);
    };
    // An argument array, never a shell: the tag and server come from the config file.
    const child = spawn(bin, loggerArgs(settings), { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(`syslog: ${bin} did not finish within ${Math.round((opts.timeoutMs ?? 60000) / 1000)}s; killed`);
    }, opts.timeoutMs ?? 60000);
    timer.unref();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderrText.length < 2000) stderrText += d;
    });
    child.on('error', (err) => done(`syslog: cannot run ${bin}: ${messageOf(err)}`));
    child.on('close', (code, signal) => {
      const why = stderrText.trim().split('\n')[0];
      if (code === 0) done(undefined);
      else done(`syslog: ${bin} ${signal ? `killed by ${signal}` : `exited with ${code}`}${why ? `: ${why}` : ''}`);
    });
    child.stdin.on('error', () => {
      // EPIPE when logger died early; its exit status says why.
    });
    void (async () => {
      for (const line of lines) {
        if (settled) return;
        if (!child.stdin.write(`${sdDaemonLine(line)}`)) {
          await new Promise<void>((r) => {
            child.stdin.once('drain', r);
            child.once('close', r);
          });
        }
      }
      child.stdin.end();
    })();
  });
}
