/**
 * PatchMon submission: after a scan, the new results are queued as one payload (and, on a
 * schedule, the latest results again so PatchMon sees a fresh scan), then every pending payload
 * is sent, oldest first. 2xx: done. 401: an error naming the credentials, the payloads stay.
 * 400: the server refused the payload itself; it is kept under rejected/ and the next is sent.
 * 429, 5xx, no answer: the payloads stay; later runs retry after a growing delay (Retry-After
 * when the server gives one). `submit` retries at once.
 */
import * as fs from 'node:fs';
import { Cron } from 'croner';
import type { PatchmonScan } from '../collectors/scap/patchmon.js';
import type { App } from '../core/app.js';
import { ConfigError, messageOf } from '../errors.js';
import { post } from './client.js';
import { Outbox } from './outbox.js';
import { buildPayload } from './payload.js';
import { sessionScans } from './scans.js';

export interface PatchmonSettings {
  server: string;
  apiId: string;
  apiKeyFile: string;
  caFile: string;
  timeoutMs: number;
  /** Cron expression per scanner: openscap, docker-bench, sca ('' = only when a scan has new results). */
  schedule: Record<string, string>;
}

/** The [patchmon] section, or undefined when no server is configured. */
export function patchmonSettings(app: App): PatchmonSettings | undefined {
  const s = app.cfg.sections.patchmon ?? {};
  const server = String(s.server ?? '').trim();
  if (!server) return undefined;
  const base = String(s.schedule ?? '');
  return {
    server,
    apiId: String(s.api_id ?? ''),
    apiKeyFile: String(s.api_key_file ?? ''),
    caFile: String(s.ca_file ?? ''),
    timeoutMs: Number(s.timeout ?? 30) * 1000,
    schedule: {
      openscap: String(s['schedule.openscap'] ?? base),
      'docker-bench': String(s['schedule.docker-bench'] ?? base),
      sca: String(s['schedule.sca'] ?? base),
    },
  };
}

/** The API key from a file that only its owner (root or us) can read. */
export function readApiKey(file: string): string {
  if (!file) throw new ConfigError('[patchmon] api_key_file is not set');
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    const me = process.getuid?.() ?? 0;
    if (st.uid !== 0 && st.uid !== me) throw new ConfigError(`[patchmon] api_key_file ${file} is owned by uid ${st.uid}; it must be root's: chown root ${file}`);
    if (st.mode & 0o077) throw new ConfigError(`[patchmon] api_key_file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${file}`);
    const key = fs.readFileSync(fd, 'utf8').trim();
    if (!key) throw new ConfigError(`[patchmon] api_key_file ${file} is empty`);
    return key;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether a cron schedule fired after `since` and by `now`. */
export function scheduleDue(expr: string, since: Date, now: Date): boolean {
  if (!expr) return false;
  const next = new Cron(expr, { paused: true }).nextRun(since);
  return next !== null && next.getTime() <= now.getTime();
}

export interface QueueOptions {
  /** Queue the latest results even when PatchMon was sent them (`submit --force`, report_now). */
  force?: boolean;
  /** Only these scans (profile names; `docker-bench` names Docker Bench's). */
  profiles?: string[];
}

/** Whether a scan is the one a name given by the user or the server means. */
export function scanNamed(scan: PatchmonScan, name: string): boolean {
  if (scan.profile_name === name) return true;
  if (scan.profile_type === 'docker-bench') return ['docker-bench', 'CIS Docker', 'Docker Bench for Security'].includes(name);
  // An OpenSCAP profile by its short id (cis_level1_server for xccdf_org.ssgproject.content_profile_cis_level1_server).
  return scan.profile_type === 'openscap' && scan.profile_name.endsWith(`_profile_${name}`);
}

/** Queue the latest session's scans that PatchMon has not been sent yet (or are due again). */
export function queueScans(app: App, s: PatchmonSettings, now = new Date(), o: QueueOptions = {}): PatchmonScan[] {
  const store = app.db(true);
  const session = store.latestSession();
  if (!session) return [];
  const outbox = new Outbox(app.cfg.storageDir);
  const state = outbox.state();
  // New: a scan not sent before, a later OpenSCAP/Docker Bench scan, an SCA policy whose
  // results changed; or the scanner's schedule fired since the scan was last queued.
  const tagged = sessionScans(store, session).filter(({ scanner, scan: sc, checksum }) => {
    if (o.profiles && !o.profiles.some((name) => scanNamed(sc, name))) return false;
    if (o.force) return true;
    const q = state.queued[sc.profile_name];
    if (!q) return true;
    if (scanner === 'sca' ? q.checksum !== checksum : q.started_at !== sc.started_at) return true;
    return scheduleDue(s.schedule[scanner] ?? '', new Date(q.queued_at), now);
  });
  const due = tagged.map((t) => t.scan);
  if (!due.length) return [];
  outbox.add(buildPayload(due, app.hostname));
  for (const t of tagged) {
    state.queued[t.scan.profile_name] = { started_at: t.scan.started_at, queued_at: now.toISOString(), ...(t.checksum ? { checksum: t.checksum } : {}) };
  }
  outbox.saveState(state);
  return due;
}

export interface SendResult {
  sent: number;
  pending: number;
  rejected: string[];
  /** Why sending stopped (credentials, server down); undefined when all went. */
  error?: string;
  /** Sending was not tried: a retry delay is running. */
  deferred?: string;
}

const MAX_DELAY_S = 24 * 3600;

/** Send every pending payload in order. */
export async function sendPending(app: App, s: PatchmonSettings, o: { ignoreDelay?: boolean; now?: Date } = {}): Promise<SendResult> {
  const now = o.now ?? new Date();
  const outbox = new Outbox(app.cfg.storageDir);
  const state = outbox.state();
  const files = outbox.list();
  const res: SendResult = { sent: 0, pending: files.length, rejected: [] };
  if (!files.length) return res;
  if (state.retry && !o.ignoreDelay && Date.parse(state.retry.not_before) > now.getTime()) {
    res.deferred = `PatchMon: ${files.length} payload(s) pending; next attempt after ${state.retry.not_before} (last: ${state.retry.last_error})`;
    return res;
  }
  const apiKey = readApiKey(s.apiKeyFile);
  let retryAfter: number | undefined;
  const ca = s.caFile ? fs.readFileSync(s.caFile) : undefined;
  for (const file of files) {
    let r;
    try {
      r = await post({ server: s.server, apiId: s.apiId, apiKey, ca, timeoutMs: s.timeoutMs }, outbox.read(file));
    } catch (err) {
      res.error = `PatchMon ${s.server}: ${messageOf(err)}`;
      break;
    }
    if (r.status >= 200 && r.status < 300) {
      outbox.done(file);
      res.sent++;
      res.pending--;
      continue;
    }
    const answer = answerText(r.body);
    if (r.status === 401 || r.status === 403) {
      res.error = `PatchMon ${s.server} refused the credentials (api_id ${s.apiId}, api_key_file ${s.apiKeyFile}): ${r.status} ${answer}`;
      break;
    }
    if (r.status === 400 || r.status === 413 || r.status === 422) {
      res.rejected.push(outbox.reject(file, `${r.status} ${answer}`));
      res.pending--;
      continue;
    }
    res.error = `PatchMon ${s.server} answered ${r.status} ${answer}`.trim();
    retryAfter = r.retryAfter;
    break;
  }
  if (res.error && !/refused the credentials/.test(res.error)) {
    // 429, 5xx, no answer: wait 1, 2, 4 … minutes (at most a day) before a run tries again.
    const attempts = (state.retry?.attempts ?? 0) + 1;
    const delay = Math.min(retryAfter ?? 60 * 2 ** (attempts - 1), MAX_DELAY_S);
    state.retry = { not_before: new Date(now.getTime() + delay * 1000).toISOString(), attempts, last_error: res.error };
  } else if (!res.error) delete state.retry;
  outbox.saveState(state);
  return res;
}

function answerText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: unknown; message?: unknown };
    return String(j.error ?? j.message ?? '').slice(0, 300);
  } catch {
    return body.replace(/\s+/g, ' ').slice(0, 300);
  }
}

/** The step `run` takes: queue new results, send what is pending; a failure is one error line, not a failed run. */
export async function patchmonRunStep(app: App): Promise<number> {
  const s = patchmonSettings(app);
  if (!s) return 0;
  try {
    const queued = queueScans(app, s);
    if (queued.length) app.log.debug(`PatchMon: queued ${queued.map((q) => q.profile_name).join(', ')}`);
    const r = await sendPending(app, s);
    for (const f of r.rejected) app.log.error(`PatchMon refused a payload as malformed; kept in ${f}`);
    if (r.deferred) app.log.info(r.deferred);
    if (r.error) {
      app.log.error(`${r.error}; ${r.pending} payload(s) kept for the next run`);
      return 1;
    }
    if (r.sent) app.log.debug(`PatchMon: ${r.sent} payload(s) sent`);
    return r.rejected.length ? 1 : 0;
  } catch (err) {
    app.log.error(`PatchMon: ${messageOf(err)}`);
    return 1;
  }
}
