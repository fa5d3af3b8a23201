/**
 * Listeners for the ports tests: a child node process named by `process.title` (so its
 * /proc/<pid>/comm is known) listening on a TCP or UDP address, started and stopped by the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';

export interface Listener {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

const SCRIPT = `
const [proto, host, port, title] = process.argv.slice(1);
process.title = title;
const done = (p) => process.stdout.write(p + '\\n');
if (proto === 'udp') {
  const s = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.bind(Number(port), host, () => done(s.address().port));
} else {
  // A scanner's connection reset (nmap -sT) must not kill the listener.
  const s = require('node:net').createServer((c) => { c.on('error', () => {}); c.destroy(); });
  s.listen(Number(port), host, () => done(s.address().port));
}
`;

/** Start a listener; port 0 picks a free one. Resolves once it listens. */
export function listen(proto: 'tcp' | 'udp', host: string, port: number, title: string): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SCRIPT, proto, host, String(port), title], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('\n')) {
        const p = Number(out.trim());
        resolve({
          child,
          port: p,
          stop: () => new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`listener ${proto} ${host}:${port} exited ${code}`)));
  });
}

/** A free TCP port on a host (bound and released). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
