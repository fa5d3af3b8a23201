/**
 * The report as stored and rendered. Its JSON form (`print-report --format json`) is the
 * contract in DESIGN.md; the optional parts are added by collectors' report hooks.
 */
import type { AttrValue } from '../types.js';

export interface SessionRef {
  uuid: string;
  started_at: string;
  finished_at: string | null;
  item_count: number;
  /** The session's digest in the tamper-evident chain (`syschangemon verify`); null when it has none. */
  digest?: string | null;
}

export interface AttributeChange {
  old: AttrValue | undefined;
  new: AttrValue | undefined;
}

export type ChangeKind = 'added' | 'removed' | 'changed';

/** How much a change matters (src/core/severity.ts), lowest last. */
export type SeverityLevel = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface LoginSession {
  user: string;
  line: string;
  host: string;
  /** ISO-8601. */
  login: string;
  /** ISO-8601, or null while still logged in. */
  logout: string | null;
}

export interface ReportChange {
  key: string;
  plugin: string;
  change: ChangeKind;
  attributes: Record<string, AttributeChange>;
  /** Unified diff of kept contents, absent when none is kept. */
  diff?: string;
  /** Why no diff is shown although the content changed (e.g. "content not stored: private key"). */
  note?: string;
  /** Package whose operation explains this change (see the packages collector). */
  explained_by?: string;
  /** With `baseline = accepted`: when the key first differed from its accepted state (ISO). */
  unaccepted_since?: string;
  /** With `baseline = accepted`: whether the key changed in this report's new session (false: already reported, still unaccepted). */
  changed_this_run?: boolean;
  /** Login sessions open when the thing changed (by its new ctime/mtime). */
  logins?: LoginSession[];
  /** How much it matters (src/core/severity.ts); absent only in reports stored before severities existed. */
  severity?: SeverityLevel;
  /** Why it has that level: the rule that gave it ("setuid gained", "rule webroot"); absent for the default level. */
  severity_reason?: string;
  /** A package-owned file whose content differs from dpkg's recorded md5sum with no package operation explaining it: the package (packages collector). */
  differs_from_package?: string;
  /** The dpkg package that owns this path, null when none does; absent when not known (packages collector disabled). */
  owner_package?: string | null;
  /** The item is expected: an entry of its collector's annotations file. Shown as expected, never in NEEDS ATTENTION. */
  annotation?: { note: string; service?: string };
}

export interface ComplianceTransition {
  profile: string;
  rule: string;
  title: string;
  severity: string;
  old: string | null;
  new: string | null;
  /** For a rule re-evaluated because its inputs changed: the files it reads (rule map). */
  inputs?: string[];
  /** The report's changes of those files (file, conffile): what caused the flip, with its diff. */
  caused_by?: { key: string; plugin: string; change: ChangeKind; diff?: string }[];
  /** Who was logged in when those files changed (from the changes' logins, else by the files' mtime). */
  logins?: LoginSession[];
  /**
   * The result changes `syschangemon watch` saw between the two sessions, in order, with the
   * file whose change it evaluated; a rule that flipped and flipped back has old = new.
   */
  watch?: { at: string; old: string; new: string; file: string }[];
}

/** Changes left out when a report was loaded for a bounded rendering (mail). */
export interface OmittedChanges {
  unexplained: number;
  /** Explained changes left out, by `explained_by`. */
  explained: Record<string, number>;
}

export interface Report {
  uuid: string;
  created_at: string;
  hostname: string;
  old_session: SessionRef;
  new_session: SessionRef;
  summary: {
    added: number;
    removed: number;
    changed: number;
    errors: number;
    explained?: number;
    changed_this_run?: number;
    /** The highest severity of the changes; null when there are none (absent in reports stored before severities existed). */
    severity?: SeverityLevel | null;
    /** How many changes have each level (absent in reports stored before severities existed). */
    by_severity?: Record<SeverityLevel, number>;
  };
  /** What the changes are against: the previous session (the default) or the accepted baseline. */
  baseline?: 'previous' | 'accepted';
  changes: ReportChange[];
  /** Set (never stored) when this copy holds only part of the changes; see loadReport. */
  omitted?: OmittedChanges;
  logins: LoginSession[];
  errors: { key: string; message: string }[];
  /** Collector notes of the new session (e.g. "wtmp: /var/log/wtmp does not exist"). */
  notes?: string[];
  /** Compliance rules whose result changed (scap collector). */
  compliance?: ComplianceTransition[];
  /** Collectors' own report data, under the collector's name (Collector.report.section). */
  sections?: Record<string, unknown>;
  /** SCA policy scans of the new session: counts, score and the results checksum (sca collector). */
  sca?: {
    policy_id: string;
    policy: string;
    passed: number;
    failed: number;
    not_applicable: number;
    total: number;
    score: number;
    checksum: string;
    policy_sha256: string;
    evaluated_at: string;
    /** The policy file changed since the old session: its check changes are folded into one note. */
    rebaselined: boolean;
  }[];
  /** Package operations between the sessions (packages collector). */
  packages?: { name: string; arch: string; change: ChangeKind; old: string | null; new: string | null; explained: number }[];
  /** dpkg.log actions (install, upgrade, remove, purge) between the sessions, oldest first (packages collector). */
  package_log?: { time: string; action: string; package: string; arch: string; old: string | null; new: string | null }[];
}
