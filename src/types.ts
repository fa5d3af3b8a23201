/**
 * The contracts every part of syschangemon is written against: items, collectors and the
 * context a collector writes into. Collectors never touch SQLite or the console; they hand
 * items and per-item errors to a {@link CollectContext}.
 */

/** An attribute value. Counts and sizes are numbers, modes and times strings. */
export type AttrValue = string | number | boolean | null;

/** Named attributes of an item, e.g. `{ type: "file", mode: "0644", size: 12 }`. */
export type Attributes = Record<string, AttrValue>;

/**
 * One collected thing. `key` is URL-like and unique within a session
 * (`file:///etc/hosts`, `command://ip_route`); see `src/keys.ts` for the exact encoding.
 */
export interface Item {
  key: string;
  attributes: Attributes;
  /**
   * Text contents kept for unified diffs, by name (`content` for conffiles, `stdout` and
   * `stderr` for commands). Stored once per distinct text.
   */
  contents?: Record<string, string>;
  /**
   * Contents already stored, by name → sha256 of the text (see `CollectContext.hasContent`),
   * so an unchanged text need not be read or passed again.
   */
  contentRefs?: Record<string, string>;
  /** Set when the thing could not be (fully) collected; the item still carries what was read. */
  error?: string;
}

/** A previously stored item, as a collector can ask for it (e.g. to reuse a hash). */
export interface StoredItem {
  key: string;
  plugin: string;
  attributes: Attributes;
  /** Content name → sha256 of the stored text. */
  contentHashes: Record<string, string>;
  error: string | null;
}

/** What a collector gets while it runs. */
export interface CollectContext {
  /** The collector's own name (also the item's `plugin`). */
  readonly plugin: string;
  /** Record one item. A key seen twice in a session keeps the first and logs a warning. */
  add(item: Item): void;
  /** Record an item that could not be collected at all. */
  error(key: string, message: string): void;
  /** The item with this key in the previous complete session, if any. */
  previous(key: string): StoredItem | undefined;
  /**
   * Items another collector already added in this session (e.g. conffile reads file's). With
   * `changed`, only those that are new or differ from the previous session's.
   */
  sessionItems(plugin: string, opts?: { changed?: boolean }): Iterable<StoredItem>;
  /** Whether a text with this sha256 is already stored (so it need not be read again). */
  hasContent(sha256: string): boolean;
  /**
   * Keep every item this collector had in the previous session unchanged (e.g. compliance
   * results between full evaluations). Items added in this run replace the carried ones.
   */
  carryPrevious(filter?: (item: StoredItem) => boolean): number;
  /** A note for the report (e.g. "wtmp: /var/log/wtmp does not exist"). */
  note(message: string): void;
  /** Debug logging (shown with --debug). */
  debug(message: string): void;
  /** Progress for an interactive terminal: units done, optional total. */
  progress(done: number, total?: number): void;
  /** Start time of the previous complete session (ISO), if any. */
  readonly previousSessionStartedAt: string | undefined;
  /** This session's id: it grows by at least one with every run (a stable turn counter). */
  readonly sessionId: number;
  /** `collect --full`: read everything in full, reuse nothing from the previous session. */
  readonly full: boolean;
  /**
   * `collect --rescan` (and `--full`): compliance collectors evaluate now, whatever their
   * interval (PatchMon's compliance_trigger asks for this).
   */
  readonly rescan?: boolean;
  /** The complete sessions kept, newest first (id and start time). */
  completeSessions(): ReadonlyArray<{ id: number; startedAt: string }>;
  /**
   * A named value another process shares through the store (`syschangemon watch` writes its
   * results there), as committed when this session began; undefined when absent.
   */
  shared?(name: string): string | undefined;
}

/** Declares one config option a collector accepts. */
export interface OptionSpec {
  type: 'string' | 'int' | 'bool' | 'list' | 'duration' | 'size';
  default?: unknown;
  description: string;
  /**
   * Accept every key starting with this name followed by a dot (e.g. `command.` keys). With a
   * `default`, the bare name is accepted too (a default with per-name overrides).
   */
  prefix?: boolean;
  /** For `list`: split on lines only (the default: glob lists), or on commas and lines. */
  separator?: 'lines' | 'commas';
  /** Allowed values for strings. */
  choices?: readonly string[];
  /** Validate a parsed value; return an error text ("expected …") or undefined. */
  check?: (value: unknown) => string | undefined;
  /**
   * Relative values are resolved against the current directory, as the Python tool did, with
   * a warning: `path` a path; `include` a glob list (any pattern not starting with `/`);
   * `globs` a glob list matched against walked paths (patterns starting with `*` stay as they are).
   */
  resolve?: 'path' | 'include' | 'globs';
  /** One-line warnings about a valid value (e.g. a glob read as the Python tool read it). */
  warnings?: (value: unknown) => string[];
}

export type OptionSchema = Record<string, OptionSpec>;

/** Parsed options of a collector: keys as in the config file. */
export type Options = Record<string, unknown>;

/** The JSON type of an attribute value; `null` is allowed only where `nullable` says so. */
export type AttrType = 'string' | 'number' | 'boolean';

/** Declares one attribute of an item kind (osquery's table columns). */
export interface AttributeSpec {
  type: AttrType;
  /** One line for the collector README's table. */
  description: string;
  /**
   * Shown for an added or removed item, so the report says what it is (a new setuid file: its
   * type, mode, owner, size and short sha256), in declaration order.
   */
  summary?: boolean;
  /** Changes on its own without the thing changing in a way that matters (a counter, a time). */
  volatile?: boolean;
  /** May be absent from an item (only some items have it). */
  optional?: boolean;
  /** May be null. */
  nullable?: boolean;
}

/** Declares one kind of item a collector emits: its key form, attributes and kept contents. */
export interface ItemSpec {
  /**
   * The key form, e.g. `file://<path>` or `scap://<profile>/_summary`: literal text with
   * `<placeholders>`. An item belongs to the first spec of its collector whose form matches.
   */
  key: string;
  /** One line: what one item is. */
  description: string;
  attributes: Readonly<Record<string, AttributeSpec>>;
  /** Named contents kept for unified diffs, with what each holds. */
  contents?: Readonly<Record<string, string>>;
}

/** A collector plugin. */
export interface Collector {
  /** Name: config section, file `plugins.d/<name>.conf` and key scheme. */
  readonly name: string;
  /** One line for `--help` and the docs. */
  readonly description: string;
  /** The options it accepts besides `enable_plugin`. */
  readonly options: OptionSchema;
  /**
   * The kinds of item it emits, declared once: the README's item tables, the man page's
   * collector list, what reports show of an added or removed item and the conformance test
   * all come from here. A failure item (`<name>://` with an error) needs no declaration.
   */
  readonly items: readonly ItemSpec[];
  /** Collectors whose items this one reads with `sessionItems` (run after them). */
  readonly after?: readonly string[];
  /**
   * Validate options (already type-checked against `options`) before any session is written.
   * Throw a `ConfigError` for a bad value.
   */
  init?(options: Options, env: CollectorEnv): void | Promise<void>;
  /** Collect into the context. A thrown error becomes one error item; other collectors go on. */
  collect(ctx: CollectContext, options: Options): Promise<void>;
  /**
   * The collector's report hooks (logins, compliance transitions, package attribution), set up
   * once per report: what they need is gathered here from stored items and the changes of
   * small plugins (`ctx.pluginChanges`), never from the whole list of changes, which pass one
   * by one through `change` as they go to the store (see ReportHooks). Runs for enabled
   * collectors in registry order; must not throw for bad data. Undefined: nothing to do.
   */
  reportHooks?(ctx: ReportHookContext, options: Options): ReportHooks | undefined;
  /**
   * The collector's own severity rules for a change of one of its items (a second uid 0
   * account: critical), after its report hook ran; undefined leaves the built-in level. The
   * highest of this and the built-in rules counts (src/core/severity.ts).
   */
  severity?(change: import('./core/report-model.js').ReportChange): { level: import('./core/report-model.js').SeverityLevel; reason: string } | undefined;
  /**
   * The collector's own part of the report. `section` returns what the report JSON keeps
   * under `sections.<name>` (undefined: nothing); it runs after the report hooks. With
   * `partial`, the bundled text and HTML templates include `<name>/report.txt.njk` and
   * `<name>/report.html.njk` from the collector's folder, in registry order, with the data
   * as `section` (see templates/README.md). A new collector adds report data this way
   * without editing the core or the shared templates.
   */
  readonly report?: {
    readonly partial?: boolean;
    section?(ctx: ReportHookContext, options: Options): unknown;
  };
  /** Export formats of its own: `export --format <name>` prints what `write` yields. */
  readonly exports?: Readonly<Record<string, ExportFormat>>;
}

/** A collector's export format (`syschangemon export --format <name>`). */
export interface ExportFormat {
  /** One line for `--help` and the man page. */
  readonly description: string;
  /** The export of one session: the collector's items in it, in key order. Yields text. */
  write(items: Iterable<StoredItem>, session: { uuid: string; started_at: string; hostname: string }): Iterable<string>;
}

/**
 * What a collector's report hooks get. The report's changes are not in `report`: they pass
 * through ReportHooks.change.
 */
export interface ReportHookContext {
  /**
   * The report being built, without its changes (`report.changes` stays empty): sessions,
   * notes, errors, logins. Report-level parts (logins, compliance, packages, notes, summary
   * fields of the collector's own) are set here; notes only in `finish`, so they keep the
   * collectors' order.
   */
  report: import('./core/report-model.js').Report;
  /** Items of a plugin in the new session. */
  newItems(plugin: string): Iterable<StoredItem>;
  /** Items of a plugin in the old session. */
  oldItems(plugin: string): Iterable<StoredItem>;
  /** The new session's item of a key, if any (one lookup: for the few unchanged attributes a hook needs). */
  newItem(key: string): StoredItem | undefined;
  /** A stored text by its sha256, if kept. */
  content(sha256: string): string | undefined;
  /** A named value shared through the store (see CollectContext.shared). */
  shared?(name: string): string | undefined;
  /**
   * The changes of one plugin's items as the differ makes them, before any hook, without
   * content diffs (`diff`, `note`): what a hook must know before the other changes pass (keys
   * sort by scheme: `packages://` comes after the `file://` changes it explains). Meant for
   * plugins with few changes (packages, scap, sca); the same changes pass through `change` too.
   */
  pluginChanges(plugin: string): import('./core/report-model.js').ReportChange[];
}

/**
 * A collector's report hooks for one report (Collector.reportHooks). Every change of the
 * report passes through `change` of each enabled collector in registry order, then through
 * annotations and severity into the store; `finish` runs after the last, in the same order,
 * then the collectors' `report.section`. So a report of 200k changes is never held whole.
 */
export interface ReportHooks {
  /**
   * One change, in key order, after the `change` of the collectors before this one. Change it
   * in place. `false` leaves it out of the report (later hooks do not see it); `'hold'` keeps
   * it in memory until `finish` ran, for what depends on changes still to come (the packages
   * hook: a directory goes with what changed in it): it is stored after every `finish`, in
   * its place. Hold few. A step must not depend on what another collector's `finish` sets.
   */
  change?(c: import('./core/report-model.js').ReportChange): boolean | 'hold' | void;
  /** After the last change: report-level parts from what `change` gathered, and the held changes. */
  finish?(): void;
}

/** What `init` may know about the run. */
export interface CollectorEnv {
  /** Directory of the main config file. */
  configDir: string;
  /** Storage directory (state a collector may keep beside the database). */
  stateDir: string;
}
