/**
 * What every command shares: the loaded configuration, the logger, the store and the
 * operations that `run` chains (collect, diff, cleanup). Commands stay thin on top of this.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { type Config, loadConfig } from '../config/config.js';
import { hasRecipients } from '../config/recipients.js';
import { messageOf, usageError } from '../errors.js';
import { type ChainRecord, signedText } from '../store/chain.js';
import { acquireLock, type Lock } from '../store/lock.js';
import type { MailState, SessionRow } from '../store/store.js';
import { Store } from '../store/store.js';
import type { Collector } from '../types.js';
import type { Logger } from './logger.js';
import { stderrLogger } from './logger.js';
import { describeChanges, type ShownAttribute } from './items.js';
import type { ReportChange } from './report-model.js';
import { loadSigningKey, signText } from './signing.js';
import { type BuiltReport, storeReport } from './report.js';
import { collect, type CollectResult, type ProgressSink } from './runner.js';

/** Options every command accepts (see src/cli.ts). */
export interface GlobalArgs {
  config?: string;
  debug?: boolean;
  quiet?: boolean;
  skipEmptyMail?: boolean;
  html?: boolean;
  reportUuid?: string;
  oldSessionUuid?: string;
  sessionUuid?: string;
  format?: string;
  minSeverity?: import('./report-model.js').SeverityLevel;
  exitStatus?: boolean;
}

/**
 * A step `run` takes after printing the report (mail, syslog), given the new report's uuid
 * (undefined when the run only took a baseline). Its number joins the exit code (the highest wins).
 */
export type RunStep = (app: App, args: GlobalArgs, reportUuid: string | undefined) => Promise<number | void>;

/** The parts an App is composed of; src/cli.ts names them, the core imports none of them. */
export interface AppParts {
  /** The collectors, in registry order. */
  collectors: readonly Collector[];
  /** Makes the configured logger; the plain stderr logger when absent. */
  logger?: (cfg: Config, args: GlobalArgs) => Logger;
  /** Makes a progress display for interactive collects. */
  progress?: (args: GlobalArgs) => ProgressSink | undefined;
  /** The steps `run` takes after printing the report, in order. */
  steps?: readonly RunStep[];
}

/** An App factory for the given parts: one App per command line. */
export function createApp(parts: AppParts): (args: GlobalArgs) => App {
  return (args) => new App(args, parts);
}

export class App {
  readonly cfg: Config;
  readonly args: GlobalArgs;
  readonly log: Logger;
  readonly collectors: readonly Collector[];
  /** What `run` does after printing the report. */
  readonly steps: readonly RunStep[];
  private readonly makeProgress: AppParts['progress'];
  private store?: Store;
  private describer?: (change: ReportChange) => ShownAttribute[] | undefined;
  private lock?: Lock;

  constructor(args: GlobalArgs, parts: AppParts) {
    this.args = args;
    this.collectors = parts.collectors;
    this.steps = parts.steps ?? [];
    this.makeProgress = parts.progress;
    this.cfg = loadConfig({ file: args.config, collectors: this.collectors });
    const debug = args.debug === true || this.cfg.sections.syschangemon?.debug === true;
    if (debug) this.args.debug = true;
    this.log = parts.logger?.(this.cfg, this.args) ?? stderrLogger(debug ? 'debug' : args.quiet ? 'error' : 'warn');
    for (const w of this.cfg.warnings) this.log.warn(w);
    for (const f of this.cfg.exposedSecrets) {
      this.log.warn(`${f} holds an SMTP password and is readable by other users: chmod 600 ${f}`);
    }
  }

  get hostname(): string {
    const configured = this.cfg.sections.syschangemon?.hostname;
    return typeof configured === 'string' && configured ? configured : os.hostname();
  }

  /** What reports show of an added or removed item, from the collectors' declarations. */
  get describe(): (change: ReportChange) => ShownAttribute[] | undefined {
    return (this.describer ??= describeChanges(this.collectors));
  }

  /** `[syschangemon] max_diff_lines`: lines of an added or removed text a report shows. */
  get maxDiffLines(): number {
    return Number(this.cfg.sections.syschangemon?.max_diff_lines ?? 40);
  }

  /** Collectors with a report partial of their own, in registry order (RenderOptions.partials). */
  get partials(): string[] {
    return this.collectors.filter((c) => c.report?.partial).map((c) => c.name);
  }

  /** The store, opened once. Read-only commands do not create a database. */
  db(readonly = false): Store {
    if (!this.store) this.store = Store.open(this.cfg.dbPath, { readonly });
    return this.store;
  }

  /** Take the run lock (exit 75 when another run holds it). */
  takeLock(): void {
    if (!this.lock) this.lock = acquireLock(this.cfg.storageDir);
  }

  close(): void {
    this.store?.close();
    this.lock?.release();
    this.store = undefined;
    this.lock = undefined;
  }

  /**
   * Whether mail has recipients configured: the same test the mail step makes, so a report
   * waits for mail only when mail will be sent (`to_addr = ,` names nobody).
   */
  get mailConfigured(): boolean {
    return hasRecipients(this.cfg.sections['mail.smtp'] ?? {});
  }

  /**
   * One collect session; `full` reads everything in full (`collect --full`), `rescan` has
   * the compliance collectors evaluate now, whatever their interval (`collect --rescan`).
   */
  async collect(opts: { full?: boolean; rescan?: boolean } = {}): Promise<CollectResult> {
    this.takeLock();
    const progress = this.args.quiet || this.args.debug ? undefined : this.makeProgress?.(this.args);
    const signing = this.signer();
    const result = await collect(this.cfg, this.db(), this.collectors, this.log, this.hostname, progress, { ...opts, ...signing });
    this.log.debug(`session ${result.session.uuid}: ${result.session.item_count} items, ${result.session.error_count} errors`);
    return result;
  }

  /** The configured signing key file (absolute), or undefined when sessions are not signed. */
  get signingKeyFile(): string | undefined {
    const v = String(this.cfg.sections.syschangemon?.signing_key ?? '').trim();
    return v ? path.resolve(this.cfg.dir, v) : undefined;
  }

  /**
   * How sessions are signed: with the configured key, or, when it cannot be used, not at all
   * and a note saying why (the session is stored all the same; verify --public-key names it).
   */
  signer(): { sign?: (record: ChainRecord) => string; notes?: string[] } {
    const file = this.signingKeyFile;
    if (!file) return {};
    try {
      const key = loadSigningKey(file);
      return { sign: (record) => signText(key, signedText(record)) };
    } catch (err) {
      const line = `${messageOf(err)}; this session is not signed`;
      this.log.warn(line);
      return { notes: [line] };
    }
  }

  /** The two sessions to compare: `-o` old and `-u` new, defaulting to the two latest. */
  sessionsToCompare(): { oldS: SessionRow; newS: SessionRow } | undefined {
    const store = this.db();
    const newS = this.args.sessionUuid ? store.sessionByUuid(this.args.sessionUuid) : store.latestSession();
    if (!newS) return undefined;
    const oldS = this.args.oldSessionUuid ? store.sessionByUuid(this.args.oldSessionUuid) : store.sessionBefore(newS);
    if (!oldS) return undefined;
    if (oldS.id >= newS.id) {
      throw usageError(`-o ${oldS.uuid} must name a session older than -u ${newS.uuid}`);
    }
    return { oldS, newS };
  }

  /** Diff and store a report; undefined when there are not yet two sessions. */
  diff(): BuiltReport | undefined {
    this.takeLock();
    const pair = this.sessionsToCompare();
    if (!pair) return undefined;
    const mailState: MailState = this.mailConfigured ? 'pending' : 'none';
    // Sessions named with -o/-u are compared with each other whatever the baseline.
    const named = this.args.oldSessionUuid !== undefined || this.args.sessionUuid !== undefined;
    const baseline = this.baselineMode === 'accepted' && !named ? 'accepted' : 'previous';
    return storeReport(this.db(), this.cfg, this.collectors, pair.oldS, pair.newS, this.log, { mailState, baseline });
  }

  /** `[syschangemon] baseline`: what reports compare against. */
  get baselineMode(): 'previous' | 'accepted' {
    return this.cfg.sections.syschangemon?.baseline === 'accepted' ? 'accepted' : 'previous';
  }

  cleanup(): { sessions: number; reports: number } {
    this.takeLock();
    const main = this.cfg.sections.syschangemon ?? {};
    const store = this.db();
    const res = store.cleanup(Number(main.session_keep ?? 24), Number(main.report_keep ?? 24));
    this.log.debug(`cleanup: ${res.sessions} sessions and ${res.reports} reports removed`);
    // What was removed is committed; giving its space back may fail (a full disk for VACUUM)
    // without losing anything.
    try {
      const r = store.reclaimSpace();
      if (r.how !== 'none') this.log.debug(`cleanup: database ${r.before} -> ${r.after} pages (${r.how === 'vacuum' ? 'VACUUM, now auto_vacuum = incremental' : 'incremental vacuum'})`);
    } catch (err) {
      this.log.warn(`cleanup: could not give the freed space back to the file system: ${messageOf(err)}`);
    }
    return res;
  }
}
