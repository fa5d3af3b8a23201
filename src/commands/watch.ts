/**
 * `watch`: a long-running compliance watcher. The directories of the files the scap profile's
 * rules read (rule map) are watched with inotify (fs.watch on each directory, so a file
 * replaced by rename stays watched); events are merged in a 1 s debounce queue; the rules
 * whose input fingerprints changed are evaluated in one oscap call; every result change is one
 * RFC 5424 syslog line with structured data (rule, old, new, severity, file).
 *
 * State (last result and input fingerprint per rule, and the transitions seen) is kept in
 * `scap-watch-<profile>.json` in the storage directory, written whole by rename after each
 * evaluation: the hourly run reads it without a lock, takes the results whose fingerprints
 * still match instead of evaluating those rules again, and reports the transitions.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Fingerprinter, inputCovers, watchDirs } from '../collectors/common/inputs.js';
import { partialDatastream, profileMap, scapEvalSettings, shortProfileId, withRequires } from '../collectors/scap/index.js';
import { evaluate, findOscap } from '../collectors/scap/oscap.js';
import { parseXccdfFile } from '../collectors/scap/xccdf.js';
import { type WatchState, readWatchState, writeWatchState } from '../collectors/scap/watch-state.js';
import { syslogSender } from '../log/syslog.js';
import { messageOf } from '../errors.js';
import { startPatchmonAgent } from '../patchmon/on-demand.js';
import type { CommandSpec } from './command.js';

const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
const short = (r: string) => (r.startsWith(RULE_PREFIX) ? r.slice(RULE_PREFIX.length) : r);
const BAD = new Set(['fail', 'error']);
const DEBOUNCE_MS = 1000;

export const watchCommand: CommandSpec = {
  name: 'watch',
  uses: [],
  describe: 'watch the files the scap profile\'s rules read; log each rule result change to syslog (long-running)',
  options: {
    'change-only': { type: 'boolean', describe: 'log only result changes, not every evaluation' },
    profile: { type: 'string', describe: 'this profile instead of scap.conf\'s' },
  },
  async run(app, args) {
    const scap = app.cfg.plugins.get('scap');
    const options = scap?.options ?? {};
    const changeOnly = args['change-only'] === true;
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
    const stateFile = path.join(app.cfg.storageDir, `scap-watch-${profileShort}.json`);
    let state: WatchState = readWatchState(stateFile);
    if (state.datastream_sha256 !== pm.map.datastream_sha256 || state.profile !== pm.profile) {
      state = { version: 1, profile: pm.profile, datastream_sha256: pm.map.datastream_sha256, rules: {}, transitions: [] };
    }

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
            if (state.transitions.length > 1000) state.transitions.splice(0, state.transitions.length - 1000);
            const level = BAD.has(rr.result) ? 'warning' : BAD.has(old.result) ? 'notice' : 'info';
            log(level, `compliance ${BAD.has(rr.result) ? 'regression' : 'change'}: ${short(rr.id)} ${old.result} -> ${rr.result} (${profileShort}, severity ${rr.severity})${file ? ` after a change of ${file}` : ''}`, sd, 'compliance');
          } else if (!changeOnly && old) {
            log('info', `compliance: ${short(rr.id)} ${rr.result} (${profileShort}), unchanged${file ? ` after a change of ${file}` : ''}`, sd, 'evaluated');
          }
        }
        writeWatchState(stateFile, state);
      } catch (err) {
        say(`evaluation failed: ${messageOf(err)}`);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    };

    // Baseline: the watched rules whose state is missing or stale are evaluated once.
    await evaluateRules(rules, new Map());

    // Watch the directories; a rename over a file is an event on its directory.
    const dirs = new Map<string, string[]>();
    for (const r of rules) for (const d of watchDirs(pm.map.rules[r]!)) (dirs.get(d) ?? dirs.set(d, []).get(d)!).push(r);
    const watchers: fs.FSWatcher[] = [];
    let exhausted = false;
    const pending = new Map<string, string>();
    let timer: NodeJS.Timeout | undefined;
    let running = Promise.resolve();
    const flush = () => {
      timer = undefined;
      const batch = new Map(pending);
      pending.clear();
      running = running.then(() => evaluateRules([...batch.keys()], batch));
    };
    let watched = 0;
    for (const [dir, dirRules] of [...dirs].sort()) {
      const host = root ? path.join(root, dir) : dir;
      try {
        const w = fs.watch(host, { persistent: true }, (_event, name) => {
          const p = name ? path.posix.join(dir, String(name)) : dir;
          for (const r of dirRules) if (!name || inputCovers(pm.map.rules[r]!, p)) if (!pending.has(r)) pending.set(r, p);
          if (pending.size) {
            if (timer) clearTimeout(timer);
            timer = setTimeout(flush, DEBOUNCE_MS);
          }
        });
        w.on('error', (err) => say(`${host}: ${messageOf(err)}`));
        watchers.push(w);
        watched++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EMFILE') {
          if (!exhausted) say(`inotify watches exhausted (fs.inotify.max_user_watches): ${dirs.size - watched} directories not watched; their rules wait for the hourly run`);
          exhausted = true;
        } else if (code !== 'ENOENT') say(`${host}: ${messageOf(err)}`);
      }
    }
    say(`watching ${watched} directories for ${rules.length} rules of profile ${profileShort}${changeOnly ? ' (changes only)' : ''}`);
    // PatchMon on demand ([patchmon] server): the agent WebSocket, for compliance_trigger and report_now.
    let agent: ReturnType<typeof startPatchmonAgent>;
    try {
      agent = startPatchmonAgent(app);
    } catch (err) {
      say(`PatchMon: ${messageOf(err)}`);
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    for (const w of watchers) w.close();
    if (timer) clearTimeout(timer);
    await agent?.close();
    await running;
    return 0;
  },
};
