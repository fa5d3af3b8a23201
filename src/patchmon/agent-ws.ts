/**
 * The PatchMon agent's WebSocket, for on-demand work: a long-running syschangemon (`watch`)
 * connects to `<server>/api/v1/agents/ws` as the PatchMon agent does (http → ws, https → wss,
 * this host's X-API-ID and X-API-KEY headers, the certificate verified, `ca_file` honoured),
 * pings every 30 s, drops a connection that answered no ping for 90 s, and reconnects after
 * 1, 2, 4 … s, at most 30 s, the delay starting over once a connection was made. The server's
 * `compliance_trigger` `{profile, request_id}` and `report_now` are handed to the caller's
 * handlers, one at a time in arrival order; other message types are ignored.
 *
 * It never throws at the caller: failures are log lines, and the connection goes on retrying
 * until close().
 */
import WebSocket from 'ws';
import { oneLine } from '../log/syslog.js';

export interface AgentLog {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

export interface AgentHandlers {
  /** Run the named scan and submit its results. */
  complianceTrigger(profile: string, requestId: string | undefined): Promise<void> | void;
  /** Submit at once. */
  reportNow(): Promise<void> | void;
}

export interface AgentOptions {
  /** PatchMon server URL (`https://patchmon.example.org`), as `[patchmon] server`. */
  server: string;
  apiId: string;
  apiKey: string;
  /** CA certificate(s) instead of the system ones. */
  ca?: Buffer;
  handlers: AgentHandlers;
  log: AgentLog;
  /** API version path element (the agent's default `v1`). */
  apiVersion?: string;
  pingMs?: number;
  /** A connection with no pong (or message) for this long is dropped and made again. */
  deadMs?: number;
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface AgentConnection {
  /** Whether a connection is open now. */
  readonly connected: boolean;
  /** Connections made so far. */
  readonly connects: number;
  /** Stop: close the socket, cancel the retry timer; resolves when no handler is running. */
  close(): Promise<void>;
}

/** `https://h/x/` → `wss://h/x/api/v1/agents/ws`, as the agent derives it. */
export function agentWsUrl(server: string, apiVersion = 'v1'): string {
  let u = server.trim();
  if (u.startsWith('https://')) u = `wss://${u.slice('https://'.length)}`;
  else if (u.startsWith('http://')) u = `ws://${u.slice('http://'.length)}`;
  u = u.replace(/\/+$/, '');
  return `${u}/api/${apiVersion}/agents/ws`;
}

/** One server message, or undefined when it is not one this program acts on. */
export function parseAgentMessage(data: string): { type: 'compliance_trigger'; profile: string; requestId?: string } | { type: 'report_now' } | undefined {
  let m: unknown;
  try {
    m = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o.type === 'report_now') return { type: 'report_now' };
  if (o.type === 'compliance_trigger' && typeof o.profile === 'string' && o.profile.trim()) {
    return { type: 'compliance_trigger', profile: o.profile.trim(), ...(typeof o.request_id === 'string' ? { requestId: o.request_id } : {}) };
  }
  return undefined;
}

/** Connect and keep connecting until close(). */
export function connectAgent(opts: AgentOptions): AgentConnection {
  const url = agentWsUrl(opts.server, opts.apiVersion);
  const pingMs = opts.pingMs ?? 30_000;
  const deadMs = opts.deadMs ?? 90_000;
  const first = opts.firstBackoffMs ?? 1000;
  const max = opts.maxBackoffMs ?? 30_000;
  let backoff = first;
  let closed = false;
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let connects = 0;
  let connected = false;
  // Handlers run one after another, in the order the messages came.
  let work: Promise<void> = Promise.resolve();

  const enqueue = (what: string, fn: () => Promise<void> | void) => {
    work = work.then(async () => {
      if (closed) return;
      try {
        await fn();
      } catch (err) {
        opts.log.warn(`PatchMon: ${what} failed: ${oneLine((err as Error)?.message ?? String(err))}`);
      }
    });
  };

  const schedule = () => {
    if (closed) return;
    const delay = backoff;
    backoff = Math.min(backoff * 2, max);
    opts.log.debug(`PatchMon: WebSocket reconnect in ${delay / 1000} s`);
    retry = setTimeout(open, delay);
  };

  function open() {
    retry = undefined;
    if (closed) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: { 'X-API-ID': opts.apiId, 'X-API-KEY': opts.apiKey },
        ...(opts.ca ? { ca: opts.ca } : {}),
        handshakeTimeout: 30_000,
        followRedirects: false,
      });
    } catch (err) {
      opts.log.warn(`PatchMon: WebSocket ${url}: ${oneLine((err as Error).message)}`);
      schedule();
      return;
    }
    socket = ws;
    let pinger: NodeJS.Timeout | undefined;
    let dead: NodeJS.Timeout | undefined;
    const alive = () => {
      if (dead) clearTimeout(dead);
      dead = setTimeout(() => {
        opts.log.warn(`PatchMon: WebSocket ${url}: no answer for ${deadMs / 1000} s; reconnecting`);
        ws.terminate();
      }, deadMs);
    };
    ws.on('open', () => {
      connects++;
      connected = true;
      backoff = first;
      opts.log.info(`PatchMon: WebSocket connected to ${url}`);
      alive();
      pinger = setInterval(() => {
        try {
          ws.ping();
        } catch {
          // closing; the close event reconnects
        }
      }, pingMs);
    });
    ws.on('pong', alive);
    ws.on('ping', alive);
    ws.on('unexpected-response', (_req, res) => {
      const why = res.statusCode === 401 || res.statusCode === 403 ? ` (check api_id ${opts.apiId} and the API key)` : '';
      opts.log.warn(`PatchMon: WebSocket ${url}: the server answered ${res.statusCode}${why}`);
      res.resume();
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      alive();
      if (isBinary) return;
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      const m = parseAgentMessage(text);
      if (!m) {
        opts.log.debug(`PatchMon: WebSocket message ignored: ${oneLine(text.slice(0, 200))}`);
        return;
      }
      if (m.type === 'report_now') {
        opts.log.info('PatchMon: report_now received');
        enqueue('report_now', () => opts.handlers.reportNow());
      } else {
        opts.log.info(`PatchMon: compliance_trigger received for ${oneLine(m.profile)}${m.requestId ? ` (request ${oneLine(m.requestId)})` : ''}`);
        enqueue(`compliance_trigger ${oneLine(m.profile)}`, () => opts.handlers.complianceTrigger(m.profile, m.requestId));
      }
    });
    ws.on('error', (err) => {
      opts.log.warn(`PatchMon: WebSocket ${url}: ${oneLine(err.message)}`);
    });
    ws.on('close', () => {
      if (pinger) clearInterval(pinger);
      if (dead) clearTimeout(dead);
      if (socket === ws) socket = undefined;
      if (connected) opts.log.info(`PatchMon: WebSocket to ${url} closed`);
      connected = false;
      schedule();
    });
  }

  open();
  return {
    get connected() {
      return connected;
    },
    get connects() {
      return connects;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      if (socket) {
        const s = socket;
        await new Promise<void>((resolve) => {
          if (s.readyState === WebSocket.CLOSED) return resolve();
          s.once('close', () => resolve());
          s.terminate();
        });
      }
      await work;
    },
  };
}
