/**
 * `watch`: a long-running compliance watcher. The directories of the files the scap profile's
 * rules read (rule map) are watched with inotify (fs.watch on each directory, so a file
 * replaced by rename stays watched; the subdirectories a recursive pattern walks are watched
 * too, new ones as they appear); events are merged in a 1 s debounce queue; the rules whose
 * input fingerprints changed are evaluated in one oscap call on a reduced datastream; every
 * result change is one RFC 5424 syslog line with structured data (rule, old, new, severity, file).
 *
 * Every `--poll` seconds the watched directories are checked: a directory replaced (another
 * inode) or created since is watched again and its rules checked; when inotify watches run
 * out, the directories left unwatched are polled instead (said once).
 *
 * State (last result and input fingerprint per rule, and the transitions seen) is kept in the
 * store (watch-state.ts), written in one short transaction after each evaluation; when the
 * hourly run holds the database, the write waits for the next tick instead of stalling watch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Fingerprinter, inputCovers, type InputPattern } from '../collectors/common/inputs.js';
import { partialDatastream, profileMap, scapEvalSettings, shortProfileId, withRequires } from '../collectors/scap/index.js';
import { evaluate, findOscap } from '../collectors/scap/oscap.js';
import { parseXccdfFile } from '../collectors/scap/xccdf.js';
import { type WatchState, parseWatchState, serializeWatchState, watchStateName } from '../collectors/scap/watch-state.js';
import { syslogSender } from '../log/syslog.js';
import { messageOf } from '../errors.js';
import { startPatchmonAgent } from '../patchmon/on-demand.js';
import type { CommandSpec } from './command.js';

const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
const short = (r: string) => (r.startsWith(RULE_PREFIX) ? r.slice(RULE_PREFIX.length) : r);
const BAD = new Set(['fail', 'error']);
const DEBOUNCE_MS = 1000;
/** Levels below a recursive pattern's directory that get watches of their own, and how many directories at most. */
const MAX_DEPTH = 8;
const MAX_DIRS = 4096;

interface Target {
  /** Rules whose inputs are in this directory. */
  rules: Set<string>;
  /** Levels of subdirectories to watch below it (0: none, -1 unbounded, capped at MAX_DEPTH). */
  depth: number;
  /** Entries below must start with this (a pattern's literal prefix). */
  prefix?: string;
  watcher?: fs.FSWatcher;
  /** dev:ino of the directory watched. */
  ino?: string;
  /** Polled instead of watched (inotify watches ran out). */
  polled?: boolean;
  /** Added for a subdirectory of a recursive pattern (dropped when the directory goes). */
  sub?: boolean;
}

function inodeOf(p: string): string | undefined {
  try {
    const st = fs.lstatSync(p);
    return st.isDirectory() ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}

function maxUserWatches(): string {
  try {
    return fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim();
  } catch {
    return '?';
  }
}

export const watchCommand: CommandSpec = {
  name: 'watch',
  uses: [],
  describe: 'watch the files the scap profile\'s rules read; log each rule result change to syslog (long-running)',
  options: {
    'change-only': { type: 'boolean', describe: 'log only result changes, not every evaluation' },
    profile: { type: 'string', describe: 'this profile instead of scap.conf\'s' },
    poll: { type: 'number', describe: 'seconds between checks for replaced directories, and polls of the unwatched ones when inotify watches run out (default 10)' },
  },
  async run(app, args) {
    const scap = app.cfg.plugins.get('scap');
    const options = scap?.options ?? {};
    const changeOnly = args['change-only'] === true;
    const pollMs = Math.max(0.2, typeof args.poll === 'number' && Number.isFinite(args.poll) ? args.poll : 10) * 1000;
    const say = (line: string) => process.stderr.write(`watch: ${line}\n`);
    let pm;
    try {
      pm = profileMap(options, app.cfg.storageDir, { profile: typeof args.profile === 'string' ? args.profile : undefined });
    } catch (err) {
      say(messageOf(err));
      return 1;
    }
    const bin = findOscap();
    if (!bin) {
      say('oscap is not installed (Debian: apt install openscap-scanner)');
      return 1;
    }
    // SIGTERM / SIGINT end it cleanly from here on (during the baseline evaluation too).
    let stopNow = false;
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        stopNow = true;
        resolve();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    const settings = scapEvalSettings(options);
    const profileShort = shortProfileId(pm.profile);
    const selected = new Set(pm.selected);
    const rules = pm.selected.filter((r) => {
      const m = pm.map.rules[r]!;
      return ['files', 'runtime', 'dynamic'].includes(m.class) && (m.literal.length || m.pattern.length || m.implicit.length);
    });
    const syslog = syslogSender(app.cfg.sections['log.syslog'] ?? {});
    const log = (level: 'warning' | 'notice' | 'info', text: string, sd: Record<string, string>, msgid: string) => {
      if (!syslog.enabled) {
        process.stdout.write(`${text}\n`);
        return;
      }
      void syslog.send(level, text, { params: sd }, msgid).then((w) => {
        if (w) say(w);
      });
    };
    const root = settings.probeRoot ? path.resolve(settings.probeRoot) : '';
    const host = (p: string) => (root ? path.join(root, p) : p);

    // The state lives in the store; writes never wait long for the hourly run.
    const store = app.db();
    store.setBusyTimeout(200);
    const stateName = watchStateName(profileShort);
    let state: WatchState = parseWatchState(store.meta(stateName));
    if (state.datastream_sha256 !== pm.map.datastream_sha256 || state.profile !== pm.profile) {
      state = { version: 1, profile: pm.profile, datastream_sha256: pm.map.datastream_sha256, rules: {}, transitions: [] };
    }
    // The file an older watch kept its state in.
    fs.rmSync(path.join(app.cfg.storageDir, `scap-watch-${profileShort}.json`), { force: true });
    let unsaved = false;
    let busySaid = false;
    const save = () => {
      try {
        store.setMeta(stateName, serializeWatchState(state));
        unsaved = false;
        busySaid = false;
      } catch (err) {
        unsaved = true;
        const code = (err as { code?: string }).code;
        if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') say(`the results could not be stored: ${messageOf(err)}; retried at the next check`);
        else if (!busySaid) {
          say('the database is busy (an hourly run): the results are stored when it is done');
          busySaid = true;
        }
      }
    };

    let warnedWhole = false;
    const evaluateRules = async (ids: string[], why: Map<string, string>): Promise<void> => {
      const fp = new Fingerprinter(root);
      const prints = new Map(ids.map((r) => [r, fp.inputs(pm.map.rules[r]!)]));
      const todo = ids.filter((r) => state.rules[r]?.inputs !== prints.get(r));
      if (!todo.length) return;
      const names = withRequires(pm.map, todo, selected);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syschangemon-watch-'));
      try {
        const results = path.join(tmp, 'results.xml');
        const ds = partialDatastream(pm.datastream, pm.map.datastream_sha256, names, pm.profile, settings.tailoring, app.cfg.storageDir);
        if (!ds.reduced && !warnedWhole) {
          say(`no reduced datastream (${ds.why}); oscap reads the whole datastream for each evaluation`);
          warnedWhole = true;
        }
        const r = await evaluate({ bin, datastream: ds.file, profile: pm.profile, tailoring: settings.tailoring || undefined, rules: names, skipRules: [], resultsFile: results, timeoutMs: settings.timeoutMs, probeRoot: root || undefined, skipValid: true });
        if (r.exitCode !== 0 && r.exitCode !== 2) {
          say(`oscap exited ${r.exitCode ?? r.stderr}; the rules are evaluated again at the next change`);
          return;
        }
        const at = new Date().toISOString();
        for (const rr of parseXccdfFile(results).rules) {
          const old = state.rules[rr.id];
          const file = why.get(rr.id) ?? '';
          const inputs = prints.get(rr.id) ?? fp.inputs(pm.map.rules[rr.id]!);
          state.rules[rr.id] = { result: rr.result, inputs, at, severity: rr.severity, title: rr.title };
          const sd = { rule: short(rr.id), profile: profileShort, old: old?.result ?? '', new: rr.result, severity: rr.severity, file };
          if (old && old.result !== rr.result) {
            state.transitions.push({ rule: rr.id, old: old.result, new: rr.result, at, file, severity: rr.severity });
            const level = BAD.has(rr.result) ? 'warning' : BAD.has(old.result) ? 'notice' : 'info';
            log(level, `compliance ${BAD.has(rr.result) ? 'regression' : 'change'}: ${short(rr.id)} ${old.result} -> ${rr.result} (${profileShort}, severity ${rr.severity})${file ? ` after a change of ${file}` : ''}`, sd, 'compliance');
          } else if (!changeOnly && old) {
            log('info', `compliance: ${short(rr.id)} ${rr.result} (${profileShort}), unchanged${file ? ` after a change of ${file}` : ''}`, sd, 'evaluated');
          }
        }
        save();
      } catch (err) {
        say(`evaluation failed: ${messageOf(err)}`);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    };

    // Baseline: the watched rules whose state is missing or stale are evaluated once.
    // (A SIGTERM meanwhile lets that evaluation finish, then ends.)
    await evaluateRules(rules, new Map());
    if (stopNow) {
      if (unsaved) save();
      return 0;
    }

    // What to watch: the directories of named files, and pattern directories (with their subdirectories when the pattern walks them).
    const targets = new Map<string, Target>();
    const target = (dir: string, rule: string, depth = 0, prefix?: string, sub = false): Target => {
      let t = targets.get(dir);
      if (!t) targets.set(dir, (t = { rules: new Set(), depth, prefix, sub }));
      else if (depth < 0 || (t.depth >= 0 && depth > t.depth)) t.depth = depth;
      t.rules.add(rule);
      return t;
    };
    const pattern = (rule: string, p: InputPattern) => target(p.dir, rule, p.depth < 0 ? MAX_DEPTH : Math.min(p.depth, MAX_DEPTH), p.prefix);
    for (const r of rules) {
      const m = pm.map.rules[r]!;
      for (const f of [...m.literal, ...m.implicit]) target(path.posix.dirname(f), r);
      for (const p of m.pattern) pattern(r, p);
    }

    const pending = new Map<string, string>();
    let timer: NodeJS.Timeout | undefined;
    let running = Promise.resolve();
    const flush = () => {
      timer = undefined;
      const batch = new Map(pending);
      pending.clear();
      running = running.then(() => evaluateRules([...batch.keys()], batch));
    };
    /** Queue a rule; an event restarts the debounce (a burst is one evaluation), a periodic check does not. */
    const queue = (rule: string, file: string, event = true) => {
      // The first file named is the one reported (a periodic check names none, or a directory).
      if (!pending.get(rule)) pending.set(rule, file);
      if (timer && !event) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, DEBOUNCE_MS);
    };

    let exhausted = false;
    let unwatched = 0;
    const exhaustedNow = () => {
      unwatched++;
      if (exhausted) return;
      exhausted = true;
      // Said once: the count is of the directories known at this moment.
      setImmediate(() =>
        say(
          `inotify watches exhausted (fs.inotify.max_user_watches = ${maxUserWatches()}): ${unwatched} of ${targets.size} directories are not watched; their rules are checked every ${pollMs / 1000} s instead`,
        ),
      );
    };

    /** Watch `dir` (and, within its depth, its subdirectories). */
    const watchDir = (dir: string, t: Target) => {
      const h = host(dir);
      const ino = inodeOf(h);
      t.watcher?.close();
      t.watcher = undefined;
      t.ino = ino;
      if (!ino) return; // absent: checked again at each tick
      if (t.polled && exhausted) return;
      try {
        const w = fs.watch(h, { persistent: true }, (_event, name) => onEvent(dir, t, name ? String(name) : ''));
        w.on('error', () => {
          // The directory went (or was replaced): the next check watches what is there then.
          w.close();
          if (t.watcher === w) t.watcher = undefined;
        });
        t.watcher = w;
        t.polled = false;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EMFILE') {
          if (!t.polled) exhaustedNow();
          t.polled = true;
        } else if (code !== 'ENOENT' && code !== 'ENOTDIR') say(`${h}: ${messageOf(err)}`);
      }
      if (t.depth !== 0) subdirs(dir, t);
    };

    /** The subdirectories of a recursive pattern's directory get targets of their own (one level less deep). */
    const subdirs = (dir: string, t: Target) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(host(dir), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        // Symbolic links are not followed: a link to a directory is an entry, not a tree.
        if (!e.isDirectory()) continue;
        const sub = path.posix.join(dir, e.name);
        if (t.prefix && !sub.startsWith(t.prefix) && !t.prefix.startsWith(`${sub}/`)) continue;
        if (targets.has(sub) || targets.size >= MAX_DIRS) continue;
        const st: Target = { rules: new Set(t.rules), depth: t.depth < 0 ? -1 : t.depth - 1, prefix: t.prefix, sub: true };
        targets.set(sub, st);
        watchDir(sub, st);
      }
    };

    const onEvent = (dir: string, t: Target, name: string) => {
      const p = name ? path.posix.join(dir, name) : dir;
      for (const r of t.rules) if (!name || t.depth !== 0 || inputCovers(pm.map.rules[r]!, p)) queue(r, p);
      if (!name) return;
      // A watched directory created, removed or replaced under a watched one: watch it anew now.
      const child = targets.get(p);
      if (child && inodeOf(host(p)) !== child.ino) recheck(p, child);
      // A new subdirectory of a recursive pattern.
      if (t.depth !== 0 && !child && inodeOf(host(p))) subdirs(dir, t);
    };

    const recheck = (dir: string, t: Target) => {
      const ino = inodeOf(host(dir));
      if (ino === t.ino && (t.watcher || !ino)) return;
      if (!ino && t.sub) {
        t.watcher?.close();
        targets.delete(dir);
      } else watchDir(dir, t);
      for (const r of t.rules) queue(r, dir, false);
    };

    for (const [dir, t] of [...targets].sort((a, b) => a[0].localeCompare(b[0]))) if (!t.sub) watchDir(dir, t);
    const watched = () => [...targets.values()].filter((t) => t.watcher).length;
    say(`watching ${watched()} directories for ${rules.length} rules of profile ${profileShort}${changeOnly ? ' (changes only)' : ''}`);
    // Changes between the baseline evaluation and the watches: the fingerprints decide.
    for (const r of rules) queue(r, '', false);

    // The periodic check: replaced or new directories, polled ones, a state not yet stored.
    const tick = setInterval(() => {
      for (const [dir, t] of [...targets]) {
        if (t.polled) for (const r of t.rules) queue(r, dir, false);
        else recheck(dir, t);
      }
      if (unsaved) save();
    }, pollMs);

    // PatchMon on demand ([patchmon] server): the agent WebSocket, for compliance_trigger and report_now.
    let agent: ReturnType<typeof startPatchmonAgent>;
    try {
      agent = startPatchmonAgent(app);
    } catch (err) {
      say(`PatchMon: ${messageOf(err)}`);
    }
    await stopped;
    clearInterval(tick);
    for (const t of targets.values()) t.watcher?.close();
    if (timer) clearTimeout(timer);
    await agent?.close();
    await running;
    if (unsaved) {
      store.setBusyTimeout(10_000);
      save();
    }
    return 0;
  },
};
