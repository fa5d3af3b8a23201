/**
 * Syslog lines for fleets: one summary line per run and, optionally, one line per change,
 * sent either through the system's logger(1) as RFC 5424 (to /dev/log, or to a remote
 * rsyslog with --server), or to stderr with sd-daemon `<N>` priority prefixes, which the
 * journal reads when the program runs as a systemd service.
 *
 * Every line may carry a MSGID (`summary`, `change`, `digest`, …) and RFC 5424 structured
 * data (`[syschangemon@32473 key="…" change="…"]`), passed to logger with --msgid, --sd-id
 * and --sd-param. logger(1) (util-linux 2.38, Debian 12) copies an SD-PARAM value verbatim
 * and refuses one with an unescaped `]` or `"`: the value is escaped here as RFC 5424 §6.3.3
 * says (`"` `\` `]` preceded by a backslash) after every control character was made visible
 * (oneLine), so nothing a file name holds reaches the receiver raw. logger takes one set of
 * structured data per process: lines that share it (the same MSGID and SD) go through one
 * process on stdin, the others through one process each, in order.
 *
 * The formatting functions are pure; `sendSyslog` does the I/O and never throws: a logger
 * that cannot run or fails is reported back as a warning line.
 */
import { spawn } from 'node:child_process';
import type { ReportChange } from '../core/report-model.js';
import { visibleControls } from '../core/visible.js';
import { messageOf } from '../errors.js';

/** Syslog severities (RFC 5424 numbers). */
export const SEVERITY = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
export type Severity = keyof typeof SEVERITY;

/**
 * The SD-ID of syschangemon's own structured data. A private SD-ID is `name@<IANA private
 * enterprise number>`; 32473 is the number RFC 5612 sets aside for examples, used unless
 * `[log.syslog] sd_id` names the site's own (`syschangemon@<your PEN>`).
 */
export const DEFAULT_SD_ID = 'syschangemon@32473';

/** A parameter value: strings as they are, numbers and booleans as text; null/undefined: left out. */
export type SdValue = string | number | boolean | null | undefined;

/** One SD-ELEMENT: `[id name="value" …]`. */
export interface StructuredData {
  /** SD-ID; absent: the configured `sd_id` (syschangemon@32473 unless set). */
  id?: string;
  params: Record<string, SdValue> | Array<[string, SdValue]>;
}

/** One line to send with its severity, and optionally its MSGID and structured data. */
export interface SyslogLine {
  severity: Severity;
  text: string;
  /** RFC 5424 MSGID (1–32 printable ASCII characters): `summary`, `change`, `digest`, … */
  msgid?: string;
  sd?: StructuredData | StructuredData[];
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
  /** SD-ID of the structured data the lines carry. */
  sdId: string;
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
    sdId: typeof section.sd_id === 'string' && section.sd_id && !sdIdError(section.sd_id) ? section.sd_id : DEFAULT_SD_ID,
  };
}

/**
 * Why an SD-ID is not one RFC 5424 allows for private use, or undefined: `name@digits`, the
 * whole 1–32 printable ASCII characters without `=`, space, `]` and `"`.
 */
export function sdIdError(id: string): string | undefined {
  if (!/^[!#-<>-\\^-~]{1,32}$/.test(id)) return `'${oneLine(id)}' is not an SD-ID (1-32 printable ASCII characters, no space, =, ], ")`;
  if (!/^[^@]+@\d+$/.test(id)) return `'${oneLine(id)}' is not a private SD-ID (name@enterprise-number, e.g. ${DEFAULT_SD_ID})`;
  return undefined;
}

/** An SD-NAME (parameter name) or MSGID: printable ASCII but space, `=`, `]`, `"`, at most 32. */
function sdName(name: string, fallback: string): string {
  const clean = name.replace(/[^!#-<>-\\^-~]/g, '_').slice(0, 32);
  return clean || fallback;
}

/**
 * An SD-PARAM value as RFC 5424 §6.3.3 has it inside the quotes: control characters made
 * visible first (oneLine: no newline, NUL, escape or bidi control survives), then `\`, `"`
 * and `]` each preceded by a backslash.
 */
export function sdParamValue(value: SdValue): string {
  return oneLine(String(value)).replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** The element's parameters in order, empty values dropped. */
function sdParams(sd: StructuredData): Array<[string, string]> {
  const entries = Array.isArray(sd.params) ? sd.params : Object.entries(sd.params);
  const out: Array<[string, string]> = [];
  for (const [name, value] of entries) {
    if (value === null || value === undefined) continue;
    out.push([sdName(name, 'param'), sdParamValue(value)]);
  }
  return out;
}

function sdList(sd: SyslogLine['sd']): StructuredData[] {
  return sd === undefined ? [] : Array.isArray(sd) ? sd : [sd];
}

/** `[id a="1" b="x\]y"]…` as it appears in the RFC 5424 line (for the stderr method and tests). */
export function formatStructuredData(sd: SyslogLine['sd'], sdId: string = DEFAULT_SD_ID): string {
  return sdList(sd)
    .map((e) => `[${[sdName(e.id ?? sdId, 'sd'), ...sdParams(e).map(([n, v]) => `${n}="${v}"`)].join(' ')}]`)
    .join('');
}

/** logger(1) arguments for a line's MSGID and structured data. */
export function lineArgs(line: Pick<SyslogLine, 'msgid' | 'sd'>, sdId: string = DEFAULT_SD_ID): string[] {
  const args: string[] = [];
  if (line.msgid) args.push('--msgid', sdName(line.msgid, '-'));
  for (const e of sdList(line.sd)) {
    args.push('--sd-id', sdName(e.id ?? sdId, 'sd'));
    for (const [n, v] of sdParams(e)) args.push('--sd-param', `${n}="${v}"`);
  }
  return args;
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
 * warning when there were errors, info otherwise. MSGID `summary`; the same figures as
 * structured data.
 */
export function summaryLine(s: RunSummary): SyslogLine {
  const text = s.reportUuid
    ? `session ${s.sessionUuid}: ${s.added} added, ${s.removed} removed, ${s.changed} changed, ${s.errors} errors; report ${s.reportUuid}`
    : `session ${s.sessionUuid}: baseline, ${s.items ?? 0} items, ${s.errors} errors`;
  const severity: Severity = s.errors > 0 ? 'warning' : s.added + s.removed + s.changed > 0 ? 'notice' : 'info';
  const params: Array<[string, SdValue]> = s.reportUuid
    ? [['session', s.sessionUuid], ['report', s.reportUuid], ['added', s.added], ['removed', s.removed], ['changed', s.changed], ['errors', s.errors]]
    : [['session', s.sessionUuid], ['baseline', 'true'], ['items', s.items ?? 0], ['errors', s.errors]];
  return { severity, text: oneLine(text), msgid: 'summary', sd: { params } };
}

/** Syslog severity of a change by its report severity: critical → crit, high → warning, medium → notice, else info. */
const CHANGE_SEVERITY: Record<string, Severity> = { critical: 'crit', high: 'warning', medium: 'notice', low: 'info', info: 'info' };

/**
 * `changed file:///etc/hosts (mtime, sha256, size); report <uuid>`, MSGID `change`, with
 * key, change, plugin, severity, attrs (the changed attributes, comma-separated),
 * explained_by and report as structured data. The line's syslog severity follows the
 * change's (CHANGE_SEVERITY); info for a change without one.
 */
export function changeLine(
  change: Pick<ReportChange, 'key' | 'change' | 'attributes' | 'explained_by'> & { plugin?: string; severity?: string },
  reportUuid: string,
): SyslogLine {
  const attrs = Object.keys(change.attributes ?? {}).sort();
  const detail = change.change === 'changed' && attrs.length ? ` (${attrs.join(', ')})` : '';
  const why = change.explained_by ? ` [package ${change.explained_by}]` : '';
  return {
    severity: (change.severity && CHANGE_SEVERITY[change.severity]) || 'info',
    text: oneLine(`${change.change} ${change.key}${detail}${why}; report ${reportUuid}`),
    msgid: 'change',
    sd: {
      params: [
        ['key', change.key],
        ['change', change.change],
        ['plugin', change.plugin],
        ['severity', change.severity],
        ['attrs', change.change === 'changed' && attrs.length ? attrs.join(',') : undefined],
        ['explained_by', change.explained_by],
        ['report', reportUuid],
      ],
    },
  };
}

/**
 * `session <uuid> digest <hex> prev <hex>, signed`: the session's place in the digest chain
 * (`syschangemon verify`). The first session of a chain says so, at notice severity. MSGID
 * `digest`.
 */
export function digestLine(
  r: { uuid: string; started_at: string; digest: string; prev_digest: string | null; signature: string | null },
  chainStart?: string,
): SyslogLine {
  const prev = r.prev_digest ? `prev ${r.prev_digest}` : `starts a new chain (${chainStart ?? 'new database'})`;
  return {
    severity: r.prev_digest ? 'info' : 'notice',
    text: oneLine(`session ${r.uuid} started ${r.started_at} digest ${r.digest} ${prev}, ${r.signature ? 'signed' : 'unsigned'}`),
    msgid: 'digest',
    sd: {
      params: [
        ['session', r.uuid],
        ['started', r.started_at],
        ['digest', r.digest],
        ['prev', r.prev_digest ?? undefined],
        ['chain_start', r.prev_digest ? undefined : (chainStart ?? 'new database')],
        ['signed', r.signature ? 'true' : 'false'],
      ],
    },
  };
}

/**
 * sd-daemon(3) prefix: the journal reads `<N>` at the start of a stderr line as its priority.
 * The journal's stderr stream has no place for structured data: the text (which names the
 * same things) goes alone.
 */
function sdDaemonLine(line: SyslogLine): string {
  return `<${SEVERITY[line.severity]}>${oneLine(line.text)}\n`;
}

/** The logger(1) arguments: every line carries its own `<N>` severity (--prio-prefix). */
export function loggerArgs(s: SyslogSettings, line?: Pick<SyslogLine, 'msgid' | 'sd'>): string[] {
  const args = ['--rfc5424', '-t', s.tag, '-p', `${s.facility}.info`, '--prio-prefix', '--size', '8192'];
  if (s.server) {
    args.push('--server', s.server.host);
    if (s.server.port) args.push('--port', String(s.server.port));
    args.push(s.protocol === 'tcp' ? '--tcp' : '--udp');
  }
  if (line) args.push(...lineArgs(line, s.sdId));
  return args;
}

export interface SendOptions {
  /** logger binary (tests may name another). */
  loggerPath?: string;
  /** Where the stderr method writes. */
  stderr?: { write(text: string): unknown };
  /** Kill a logger process when it takes longer than this (a blackholed TCP server). */
  timeoutMs?: number;
}

/** Lines that can share one logger process: consecutive, with the same MSGID and structured data. */
function* batches(lines: Iterable<SyslogLine>, sdId: string): Generator<{ args: string[]; lines: SyslogLine[] }> {
  let current: { args: string[]; key: string; lines: SyslogLine[] } | undefined;
  for (const line of lines) {
    const args = lineArgs(line, sdId);
    const key = args.join('\0');
    if (current && current.key === key && current.lines.length < 1000) {
      current.lines.push(line);
      continue;
    }
    if (current) yield current;
    current = { args, key, lines: [line] };
  }
  if (current) yield current;
}

/** One logger process fed `lines` on stdin. Resolves to undefined or a warning; never rejects. */
function runLogger(bin: string, args: string[], lines: SyslogLine[], timeoutMs: number): Promise<string | undefined> {
  return new Promise<string | undefined>((resolve) => {
    let settled = false;
    let stderrText = '';
    const done = (warning: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(warning);
    };
    // An argument array, never a shell: the tag, server and values come from config and files.
    const child = spawn(bin, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(`syslog: ${bin} did not finish within ${Math.round(timeoutMs / 1000)}s; killed`);
    }, timeoutMs);
    timer.unref();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderrText.length < 2000) stderrText += d;
    });
    child.on('error', (err) => done(`syslog: cannot run ${bin}: ${messageOf(err)}`));
    child.on('close', (code, signal) => {
      const why = oneLine(stderrText.trim().split('\n')[0] ?? '');
      if (code === 0) done(undefined);
      else done(`syslog: ${bin} ${signal ? `killed by ${signal}` : `exited with ${code}`}${why ? `: ${why}` : ''}`);
    });
    child.stdin.on('error', () => {
      // EPIPE when logger died early; its exit status says why.
    });
    void (async () => {
      for (const line of lines) {
        if (settled) return;
        if (!child.stdin.write(`<${SEVERITY[line.severity]}>${oneLine(line.text)}\n`)) {
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

/**
 * Send lines through logger(1) (lines that share MSGID and structured data through one
 * process, on stdin; the processes one after another, in order), or to stderr. The first
 * logger that fails stops the rest. Resolves to undefined on success, else a one-line
 * warning; never rejects.
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
  const base = loggerArgs(settings);
  try {
    for (const batch of batches(lines, settings.sdId)) {
      const warning = await runLogger(bin, [...base, ...batch.args], batch.lines, opts.timeoutMs ?? 60000);
      if (warning) return warning;
    }
  } catch (err) {
    // A line generator reading the store failed.
    return `syslog: ${oneLine(messageOf(err))}`;
  }
  return undefined;
}

/** A configured sender for code that logs one event at a time (`watch`). */
export interface SyslogSender {
  /** Whether `[log.syslog] enabled` is on; when off, send does nothing. */
  readonly enabled: boolean;
  readonly settings: SyslogSettings;
  /**
   * Send one line at `level` with optional MSGID and structured data (`id` defaults to the
   * configured sd_id). Resolves to undefined when sent (or disabled), else a warning line.
   */
  send(level: Severity, message: string, sd?: StructuredData | StructuredData[], msgid?: string): Promise<string | undefined>;
}

/**
 * The sender for a `[log.syslog]` section (`app.cfg.sections['log.syslog']`). Sends are
 * queued, so lines leave in the order they were given even when callers do not await.
 */
export function syslogSender(section: Record<string, unknown>, opts: SendOptions = {}, env: NodeJS.ProcessEnv = process.env): SyslogSender {
  const settings = syslogSettings(section, env);
  let queue: Promise<unknown> = Promise.resolve();
  return {
    enabled: settings.enabled,
    settings,
    send(level, message, sd, msgid) {
      if (!settings.enabled) return Promise.resolve(undefined);
      const line: SyslogLine = { severity: level, text: message, msgid, sd };
      const sent = queue.then(() => sendSyslog(settings, [line], opts));
      queue = sent;
      return sent;
    },
  };
}
