/**
 * A PatchMon stand-in for the tests: `POST /api/v1/compliance/scans` checked as PatchMon's
 * route checks it (credentials, the `scans` array) and more strictly (profile types, result
 * statuses, severities, numbers, dates, os_info, scanner_info, host fields), answering 401,
 * 400, 429 or 500 on cue; and, with `ws`, the agent WebSocket `/api/v1/agents/ws` with the
 * same credentials (401 otherwise).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';

const VALID_RESULT_STATUSES = ['pass', 'fail', 'warn', 'skip', 'notapplicable', 'skipped', 'error'];
const VALID_SEVERITIES = ['low', 'medium', 'high', 'critical', 'unknown'];
const VALID_PROFILE_TYPES = ['openscap', 'docker-bench', 'oscap-docker', 'all'];
export const API_ID = 'patchmon_host_1';
export const API_KEY = 'k3y-for-this-host';

export interface Received {
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** A PatchMon stand-in: validates like the real route; `cue` sets the next answers. */
export function patchmon(handlerOpts?: https.ServerOptions) {
  const received: Received[] = [];
  const cue: number[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const send = (status: number, body: object) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...(status === 429 ? { 'Retry-After': '120' } : {}) });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/api/v1/compliance/scans') return send(404, { error: 'not found' });
      const id = req.headers['x-api-id'];
      const key = req.headers['x-api-key'];
      if (!id || !key) return send(401, { error: 'API credentials required' });
      if (id !== API_ID || key !== API_KEY) return send(401, { error: 'Invalid API credentials' });
      const forced = cue.shift();
      if (forced === 429) return send(429, { error: 'Too many scan submissions, please try again later' });
      if (forced === 500) return send(500, { error: 'Failed to save scan results' });
      if (forced === 400) return send(400, { error: "Invalid payload: expected 'scans' array or 'profile_name'" });
      let body: any;
      try {
        body = JSON.parse(data);
      } catch {
        return send(400, { error: 'invalid JSON' });
      }
      if (!Array.isArray(body.scans)) return send(400, { error: "Invalid payload: expected 'scans' array or 'profile_name'" });
      for (const s of body.scans) {
        if (!s.profile_name) return send(400, { error: 'scan without profile_name' });
        if (!VALID_PROFILE_TYPES.includes(s.profile_type)) return send(400, { error: `bad profile_type ${s.profile_type}` });
        if (!['completed', 'failed'].includes(s.status)) return send(400, { error: `bad status ${s.status}` });
        if (Number.isNaN(Date.parse(s.started_at))) return send(400, { error: `bad started_at ${s.started_at}` });
        for (const k of ['score', 'total_rules', 'passed', 'failed', 'warnings', 'skipped', 'not_applicable']) {
          if (typeof s[k] !== 'number') return send(400, { error: `${k} is not a number` });
        }
        for (const r of s.results) {
          if (!r.rule_ref || typeof r.title !== 'string') return send(400, { error: 'result without rule_ref/title' });
          if (!VALID_RESULT_STATUSES.includes(r.status)) return send(400, { error: `bad result status ${r.status}` });
          if (r.severity !== undefined && !VALID_SEVERITIES.includes(r.severity)) return send(400, { error: `bad severity ${r.severity}` });
        }
      }
      for (const k of ['family', 'name', 'version']) if (typeof body.os_info?.[k] !== 'string') return send(400, { error: `os_info.${k}` });
      for (const k of ['openscap_available', 'docker_bench_available', 'oscap_docker_available']) {
        if (typeof body.scanner_info?.[k] !== 'boolean') return send(400, { error: `scanner_info.${k}` });
      }
      if (!body.hostname || typeof body.machine_id !== 'string' || !/^syschangemon\//.test(body.agent_version)) return send(400, { error: 'host fields' });
      received.push({ body, headers: req.headers });
      send(200, { message: 'Scan results saved successfully', scans_received: body.scans.length, scans: [] });
    });
  };
  const server = handlerOpts ? https.createServer(handlerOpts, handler) : http.createServer(handler);
  // The agent WebSocket: credentials checked at the upgrade, as the real server does.
  const wss = new WebSocketServer({ noServer: true });
  const sockets: WebSocket[] = [];
  const upgrades: http.IncomingHttpHeaders[] = [];
  const pings: number[] = [];
  server.on('upgrade', (req, socket, head) => {
    upgrades.push(req.headers);
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":"${text}"}`);
    };
    if (req.url !== '/api/v1/agents/ws') return refuse(404, 'Not Found');
    if (req.headers['x-api-id'] !== API_ID || req.headers['x-api-key'] !== API_KEY) return refuse(401, 'Invalid API credentials');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const n = sockets.push(ws) - 1;
      pings[n] = 0;
      ws.on('ping', () => pings[n]!++);
    });
  });
  return { server, received, cue, sockets, upgrades, pings, wss };
}

