/**
 * POSTs one payload to PatchMon's `/api/v1/compliance/scans` with the host's X-API-ID and
 * X-API-KEY, over https with the certificate verified (against ca_file when set) or plain http
 * when the server URL says so.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface PostResult {
  status: number;
  body: string;
  /** Seconds from a Retry-After header. */
  retryAfter?: number;
}

export interface ClientOptions {
  server: string;
  apiId: string;
  apiKey: string;
  ca?: Buffer;
  timeoutMs: number;
}

export const SCANS_PATH = '/api/v1/compliance/scans';

export function scansUrl(server: string): URL {
  const u = new URL(server);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${SCANS_PATH}`;
  return u;
}

export function post(o: ClientOptions, body: string): Promise<PostResult> {
  const url = scansUrl(o.server);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'X-API-ID': o.apiId,
          'X-API-KEY': o.apiKey,
          'User-Agent': 'syschangemon',
        },
        timeout: o.timeoutMs,
        ...(url.protocol === 'https:' ? { ca: o.ca, rejectUnauthorized: true } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 65536) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const ra = Number(res.headers['retry-after']);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(Number.isFinite(ra) && ra > 0 ? { retryAfter: ra } : {}) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}
