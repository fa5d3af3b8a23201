/**
 * A real rsyslog from Debian, started by a test on 127.0.0.1 as a central log server: its own
 * config, pid file and work directory (never the system service, never /dev/log), imtcp and
 * imudp on free ports, mmpstrucdata parsing each line's RFC 5424 structured data. Every message
 * goes to `central.log` (a template with %hostname% %app-name% %msgid% %structured-data% %msg%)
 * and to `central.json` (the same fields and the parsed structured data, one JSON line each).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** One message as the central rsyslog stored it. */
export interface CentralMessage {
  host: string;
  app: string;
  procid: string;
  msgid: string;
  severity: string;
  facility: string;
  /** STRUCTURED-DATA as received. */
  sd: string;
  msg: string;
  /** The structured data parsed by mmpstrucdata: SD-ID → name → value (unescaped). */
  parsed: Record<string, Record<string, string>>;
}

export interface Rsyslog {
  dir: string;
  tcpPort: number;
  udpPort: number;
  /** The text file the template writes. */
  textFile: string;
  /** Messages received so far. */
  messages(): CentralMessage[];
  /** Wait until `pred` holds for the messages received (polls the file), or throw after timeoutMs. */
  waitFor(pred: (m: CentralMessage[]) => boolean, what: string, timeoutMs?: number): Promise<CentralMessage[]>;
  stop(): Promise<void>;
}

async function freePort(type: 'tcp' | 'udp'): Promise<number> {
  if (type === 'tcp') {
    return new Promise((resolve, reject) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
      srv.on('error', reject);
    });
  }
  const dgram = await import('node:dgram');
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function config(dir: string, tcpPort: number, udpPort: number): string {
  const q = (p: string) => JSON.stringify(p);
  return `# central rsyslog for a test: nothing of the system's configuration is read
global(workDirectory=${q(path.join(dir, 'work'))})
module(load="imtcp")
module(load="imudp")
module(load="mmpstrucdata")
template(name="central-text" type="string" string="%hostname% %app-name% %procid% %msgid% %syslogfacility-text%.%syslogseverity-text% %structured-data% %msg%\\n")
template(name="central-json" type="list" option.jsonf="on") {
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="facility" name="syslogfacility-text" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="parsed" name="$!rfc5424-sd" format="jsonf")
}
ruleset(name="central") {
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file=${q(path.join(dir, 'central.log'))} template="central-text")
  action(type="omfile" file=${q(path.join(dir, 'central.json'))} template="central-json")
}
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="central")
input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="central")
`;
}

async function listening(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on 127.0.0.1:${port}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start the central rsyslog; `stop()` kills it (by its own pid) and removes its directory. */
export async function startRsyslog(opts: { tcpPort?: number } = {}): Promise<Rsyslog> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-rsyslog-'));
  fs.mkdirSync(path.join(dir, 'work'));
  const tcpPort = opts.tcpPort ?? (await freePort('tcp'));
  const udpPort = await freePort('udp');
  const conf = path.join(dir, 'rsyslog.conf');
  fs.writeFileSync(conf, config(dir, tcpPort, udpPort));
  // -n: stay in the foreground (a child of the test), -f: only this config, -i: our own pid file.
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await listening(tcpPort, child, () => err);
  const jsonFile = path.join(dir, 'central.json');
  const messages = (): CentralMessage[] => {
    let text = '';
    try {
      text = fs.readFileSync(jsonFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const m = JSON.parse(l) as Omit<CentralMessage, 'parsed'> & { parsed: string };
        return { ...m, parsed: m.parsed ? (JSON.parse(m.parsed) as CentralMessage['parsed']) : {} };
      });
  };
  return {
    dir,
    tcpPort,
    udpPort,
    textFile: path.join(dir, 'central.log'),
    messages,
    async waitFor(pred, what, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = messages();
        if (pred(m)) return m;
        if (Date.now() > deadline) throw new Error(`central rsyslog: ${what} not received; it has:\n${m.map((x) => `${x.msgid} ${x.msg}`).join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
