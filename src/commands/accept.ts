import { currentAcceptor } from '../core/acceptor.js';
import { compileGlob } from '../core/glob.js';
import { notFound, SysError, usageError } from '../errors.js';
import { splitKey } from '../keys.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';

/** A key glob: with a scheme (`file:///etc/**`) it matches the whole key, else the key's path part (`/etc/ssh/**`). */
function keyMatcher(patterns: string[]): (key: string) => boolean {
  const globs = patterns.map((p) => {
    try {
      return { whole: p.includes('://'), glob: compileGlob(p) };
    } catch (err) {
      throw usageError(`accept: bad KEY_GLOB '${p}': ${(err as Error).message}`);
    }
  });
  return (key) => globs.some((g) => g.glob.test(g.whole ? key : splitKey(key).rest));
}

export const acceptCommand: CommandSpec = {
  name: 'accept',
  positional: '[globs..]',
  describe: 'accept changes (baseline = accepted): the keys matching KEY_GLOB, or --all, take their state in the report (-r, default: the last) as accepted',
  options: {
    all: { type: 'boolean', describe: 'accept every unaccepted change (of the report named with -r)' },
    note: { type: 'string', describe: 'why the changes are accepted (required; recorded)' },
  },
  run(app, args) {
    if (app.baselineMode !== 'accepted') {
      throw usageError(`accept needs 'baseline = accepted' in [syschangemon] of ${app.cfg.file}: with baseline = previous every report is against the session before and nothing needs accepting`);
    }
    const note = typeof args.note === 'string' ? args.note.trim() : '';
    if (!note) throw usageError('accept: --note TEXT is required: say why the changes are accepted');
    const globs = ((args.globs as unknown[] | undefined) ?? []).map(String);
    if (!globs.length && !args.all) throw usageError('accept: name the changes with KEY_GLOB... or accept them all with --all');
    if (globs.length && args.all) throw usageError('accept: give KEY_GLOB... or --all, not both');
    app.takeLock();
    const store = app.db();
    const latest = store.latestSession();
    if (!latest) throw notFound('no sessions yet: nothing to accept');
    // The accepted baseline is brought up to the newest session first.
    store.syncAccepted(latest);
    const report = args.reportUuid ? store.reportByUuid(args.reportUuid) : store.reports(1)[0];
    let target = latest;
    let inReport: Set<string> | undefined;
    if (report) {
      try {
        target = store.sessionByUuid(report.new_session_uuid);
      } catch {
        throw new SysError('E_NOT_FOUND', `report ${report.uuid}: its new session ${report.new_session_uuid} is gone (cleanup); accept against a later report`);
      }
      if (args.reportUuid) inReport = new Set([...store.reportChanges(report)].map((c) => c.change.key));
    }
    const match = args.all ? () => true : keyMatcher(globs);
    const keys = store.unacceptedKeys().filter((k) => match(k.key) && (!inReport || inReport.has(k.key)));
    if (!keys.length) {
      out(`nothing to accept: no unaccepted change ${args.all ? (inReport ? `in report ${report!.uuid}` : 'at all') : `matches ${globs.join(' ')}`}\n`);
      return 1;
    }
    const who = currentAcceptor();
    const res = store.accept(keys, target, latest, who, note, report?.uuid ?? null);
    if (!args.quiet) {
      out(`accepted ${res.accepted.length} change${res.accepted.length === 1 ? '' : 's'} as of session ${target.uuid} (${target.started_at}), by ${who.user} (${who.via}): ${note}\n`);
      for (const a of res.accepted) out(`  ${a.change} ${a.key} (unaccepted since ${a.since})\n`);
      if (res.stillDiffer.length) {
        out(`${res.stillDiffer.length} of them changed again after that session and stay unaccepted against the state now accepted:\n`);
        for (const k of res.stillDiffer) out(`  ${k}\n`);
      }
    }
    return 0;
  },
};
