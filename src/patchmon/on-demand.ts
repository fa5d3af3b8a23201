/**
 * On-demand PatchMon work for a long-running syschangemon (`watch`): `startPatchmonAgent(app)`
 * opens the agent WebSocket (agent-ws.ts) when `[patchmon] server` is set and answers the
 * server's messages by running this program itself, so the lock, the database and the pending
 * queue are handled exactly as from cron:
 *
 * - `compliance_trigger {profile}`: `collect` (a session, in which the scans are evaluated as
 *   their collectors' options say), then `submit --force --profile <profile>`: the named scan's
 *   latest results go to PatchMon, with whatever else is pending;
 * - `report_now`: `submit --force`: every scan's latest results at once.
 *
 * A run that finds the lock held (exit 75: the hourly run) is tried again every 15 s, for up
 * to 30 minutes.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { App } from '../core/app.js';
import { messageOf } from '../errors.js';
import { oneLine } from '../log/syslog.js';
import { connectAgent, type AgentConnection, type AgentHandlers, type AgentLog } from './agent-ws.js';
import { patchmonSettings, readApiKey } from './submit.js';

export interface OnDemandOptions {
  /** The program to run: argv before the command (default: this node and this CLI script). */
  cli?: string[];
  /** Wait between attempts while another run holds the lock. */
  lockRetryMs?: number;
  /** Give up on the lock after this long. */
  lockWaitMs?: number;
  /** Passed to connectAgent (tests shorten them). */
  pingMs?: number;
  deadMs?: number;
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

const EX_TEMPFAIL = 75;

interface RunOutcome {
  code: number;
  stderr: string;
}

function runSelf(argv: string[], args: string[]): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, [...argv.slice(1), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('error', (err) => resolve({ code: -1, stderr: messageOf(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stderr }));
  });
}

/** The handlers that run this program; exported for `watch` and the tests. */
export function selfHandlers(app: App, log: AgentLog, o: OnDemandOptions = {}): AgentHandlers {
  const cli = o.cli ?? [process.execPath, process.argv[1]!];
  const global = [...(app.args.config ? ['-c', app.args.config] : []), '--quiet'];
  const retryMs = o.lockRetryMs ?? 15_000;
  const waitMs = o.lockWaitMs ?? 30 * 60_000;
  const run = async (what: string, args: string[]): Promise<boolean> => {
    const until = Date.now() + waitMs;
    for (;;) {
      const r = await runSelf(cli, [...global, ...args]);
      if (r.code === 0) return true;
      if (r.code === EX_TEMPFAIL && Date.now() + retryMs <= until) {
        log.debug(`PatchMon: ${what}: another run holds the lock; trying again in ${retryMs / 1000} s`);
        await new Promise((res) => setTimeout(res, retryMs));
        continue;
      }
      log.warn(`PatchMon: ${what}: ${args[0]} exited with ${r.code}${r.stderr.trim() ? `: ${oneLine(r.stderr.trim().split('\n').slice(-1)[0]!)}` : ''}`);
      return false;
    }
  };
  return {
    async complianceTrigger(profile) {
      // --rescan: the named scan runs now even inside its collector's interval.
      if (!(await run(`compliance_trigger ${profile}`, ['collect', '--rescan']))) return;
      await run(`compliance_trigger ${profile}`, ['submit', '--force', '--profile', profile]);
    },
    async reportNow() {
      await run('report_now', ['submit', '--force']);
    },
  };
}

/**
 * Connect to PatchMon's agent WebSocket with this host's credentials, or undefined when no
 * server is configured. Throws a ConfigError for an API key file that is missing or readable
 * by others (as `submit` does); everything after is log lines.
 */
export function startPatchmonAgent(app: App, o: OnDemandOptions = {}, handlers?: AgentHandlers): AgentConnection | undefined {
  const s = patchmonSettings(app);
  if (!s) return undefined;
  const apiKey = readApiKey(s.apiKeyFile);
  const log: AgentLog = { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m), debug: (m) => app.log.debug(m) };
  return connectAgent({
    server: s.server,
    apiId: s.apiId,
    apiKey,
    ...(s.caFile ? { ca: fs.readFileSync(s.caFile) } : {}),
    handlers: handlers ?? selfHandlers(app, log, o),
    log,
    pingMs: o.pingMs,
    deadMs: o.deadMs,
    firstBackoffMs: o.firstBackoffMs,
    maxBackoffMs: o.maxBackoffMs,
  });
}
