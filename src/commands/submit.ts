import { patchmonSettings, queueScans, readApiKey, scanNamed, sendPending } from '../patchmon/submit.js';
import { usageError } from '../errors.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const submitCommand: CommandSpec = {
  name: 'submit',
  uses: [],
  describe: 'send the latest compliance results and every pending payload to PatchMon ([patchmon] server)',
  options: {
    'dry-run': { type: 'boolean', describe: 'print the payload of the latest results instead of queueing and sending it' },
    force: { type: 'boolean', describe: 'send the latest results again even when PatchMon has them' },
    profile: { type: 'string', describe: 'only this scan: an OpenSCAP profile id, an SCA policy id, or docker-bench' },
  },
  async run(app, args) {
    const s = patchmonSettings(app);
    if (!s) throw usageError('no PatchMon server configured: set server, api_id and api_key_file in [patchmon] of syschangemon.conf');
    const profile = typeof args.profile === 'string' && args.profile ? args.profile : undefined;
    if (args.dryRun) {
      const { buildPayload } = await import('../patchmon/payload.js');
      const { sessionScans } = await import('../patchmon/scans.js');
      const store = app.db(true);
      const session = store.latestSession();
      const scans = (session ? sessionScans(store, session).map((t) => t.scan) : []).filter((sc) => !profile || scanNamed(sc, profile));
      out(`${JSON.stringify(buildPayload(scans, app.hostname), null, 2)}\n`);
      return 0;
    }
    readApiKey(s.apiKeyFile);
    app.takeLock();
    const queued = queueScans(app, s, new Date(), { force: args.force === true, profiles: profile ? [profile] : undefined });
    if (profile && !queued.length && args.force === true) {
      app.log.error(`PatchMon: the latest session has no compliance results for profile ${profile}`);
      return 1;
    }
    const r = await sendPending(app, s, { ignoreDelay: true });
    for (const f of r.rejected) app.log.error(`PatchMon refused a payload as malformed; kept in ${f}`);
    if (r.error) {
      app.log.error(`${r.error}; ${r.pending} payload(s) kept`);
      return 1;
    }
    if (!args.quiet) out(`PatchMon: ${queued.length} new scan(s) queued, ${r.sent} payload(s) sent${r.pending ? `, ${r.pending} pending` : ''}\n`);
    return r.rejected.length ? 1 : 0;
  },
};
