import { stringify } from 'csv-stringify/sync';
import { sessionRef } from '../core/report.js';
import { buildPayload } from '../patchmon/payload.js';
import { sessionScans } from '../patchmon/scans.js';
import type { CommandSpec } from './command.js';
import { out, outStream } from './command.js';
import { notFound } from '../errors.js';

/** Neutralise a cell a spreadsheet would run as a formula (CSV injection). */
export function safeCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : String(value);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export const exportCommand: CommandSpec = {
  name: 'export',
  uses: ['session-uuid'],
  describe: 'export system state stored in session as CSV or JSON, or its compliance results as a PatchMon payload (default: most recent session)',
  formats: ['csv', 'json', 'patchmon'],
  collectorFormats: (collectors) => collectors.flatMap((c) => Object.keys(c.exports ?? {})),
  async run(app, args) {
    const store = app.db(true);
    const session = args.sessionUuid ? store.sessionByUuid(args.sessionUuid) : store.latestSession();
    if (!session) throw notFound("no complete session yet: run 'syschangemon collect' first");
    // A format of a collector's own: what it writes of its items in the session.
    for (const c of app.collectors) {
      const format = typeof args.format === 'string' ? c.exports?.[args.format] : undefined;
      if (!format) continue;
      for (const chunk of format.write(store.sessionItems(session, c.name), { uuid: session.uuid, started_at: session.started_at, hostname: session.hostname })) await outStream(chunk);
      return;
    }
    if (args.format === 'patchmon') {
      // The payload the PatchMon agent POSTs to /api/v1/compliance/scans: every scan
      // (each evaluated OpenSCAP profile, Docker Bench, each SCA policy) with the host's OS
      // and scanners.
      const scans = sessionScans(store, session).map((t) => t.scan);
      if (scans.length === 0) app.log.warn(`session ${session.uuid} holds no compliance results (enable the scap or sca collector)`);
      out(`${JSON.stringify(buildPayload(scans, app.hostname), null, 2)}
`);
      return;
    }
    // The kept texts (conffile content, command stdout and stderr, …) go with their items, as
    // stored: a secret is never stored, so it is never exported.
    const texts = (hashes: Record<string, string>): Record<string, string> => {
      const t: Record<string, string> = {};
      for (const [name, sha] of Object.entries(hashes)) t[name] = store.blob(sha) ?? '';
      return t;
    };
    if (args.format === 'json') {
      out(`{\n  "session": ${JSON.stringify(sessionRef(session, store))},\n  "items": [`);
      let first = true;
      for (const item of store.sessionItems(session)) {
        const line = JSON.stringify({ key: item.key, plugin: item.plugin, attributes: item.attributes, contents: item.contentHashes, texts: texts(item.contentHashes), error: item.error });
        await outStream(`${first ? '\n' : ',\n'}    ${line}`);
        first = false;
      }
      out(first ? ']\n}\n' : '\n  ]\n}\n');
      return;
    }
    const names = store.attributeNames(session).sort();
    const textNames = store.contentNames(session).sort();
    const taken = new Set(['key', 'plugin', 'error', ...names]);
    const header = ['key', 'plugin', ...names, ...textNames.map((n) => (taken.has(n) ? `text.${n}` : n)), 'error'];
    out(stringify([header]));
    for (const item of store.sessionItems(session)) {
      const t = texts(item.contentHashes);
      const cells = [item.key, item.plugin, ...names.map((n) => item.attributes[n]), ...textNames.map((n) => t[n]), item.error];
      await outStream(stringify([cells.map(safeCell)]));
    }
  },
};
