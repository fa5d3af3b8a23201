/**
 * Package attribution end to end, as a user runs it: the built CLI, a real dpkg database in a
 * temporary root, an upgrade between `collect` and `run`, and the JSON and text reports.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DpkgRoot, buildDeb, haveDpkg } from '../src/collectors/packages/testdata/dpkg-root.js';
import { type Sandbox, sandbox } from './helpers.js';

describe('collect → apt-style upgrade and tampering → run', { skip: !haveDpkg() && 'dpkg is not installed' }, () => {
  let sb: Sandbox;
  let root: string;
  let report: any;
  let text: string;

  before(() => {
    sb = sandbox({});
    root = path.join(sb.tree, 'root');
    const db = new DpkgRoot(root);
    const debs = path.join(sb.dir, 'debs');
    fs.mkdirSync(debs);
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${root}/usr/**\n  ${root}/etc/**\n`);
    sb.writePlugin('conffile', `[conffile]\nenable_plugin = true\nexclude =\n  ${root}/usr/**\n`);
    sb.writePlugin('packages', `[packages]\nenable_plugin = true\nadmindir = ${db.admindir}\nroot = ${root}\ndpkg_log = ${db.log}\n`);
    const foo = (version: string, tool: string) =>
      buildDeb(debs, {
        name: 'foo',
        version,
        files: { '/usr/bin/foo-tool': tool, '/usr/bin/foo-helper': `helper ${version}\n`, '/etc/foo.conf': `v = ${version}\n` },
        conffiles: ['/etc/foo.conf'],
      });
    db.install(foo('1.0', 'tool 1.0\n'));
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc', 'local.conf'), 'mine\n');
    const first = sb.run('collect');
    assert.equal(first.code, 0, first.stderr);

    db.install(foo('1.1', 'tool 1.1\n'));
    fs.writeFileSync(path.join(root, 'usr/bin/foo-helper'), 'helper 1.1\nevil\n');
    fs.writeFileSync(path.join(root, 'etc', 'local.conf'), 'mine, edited\n');
    const run = sb.run('run', '--quiet');
    assert.equal(run.code, 0, run.stderr);
    report = sb.json('print-report', '--format', 'json');
    text = sb.run('print-report').stdout;
  });
  after(() => sb.cleanup());

  const change = (p: string, plugin = 'file') => report.changes.find((c: any) => c.key === `${plugin}://${root}${p}`);

  test('the upgraded files carry explained_by in JSON', () => {
    assert.equal(change('/usr/bin/foo-tool').explained_by, 'foo:all 1.0 → 1.1');
    assert.equal(change('/etc/foo.conf').explained_by, 'foo:all 1.0 → 1.1');
    assert.equal(change('/etc/foo.conf', 'conffile').explained_by, 'foo:all 1.0 → 1.1');
  });

  test('the hand-modified package file and the file outside any package are unexplained', () => {
    assert.equal(change('/usr/bin/foo-helper').change, 'changed');
    assert.equal(change('/usr/bin/foo-helper').explained_by, undefined);
    assert.equal(change('/etc/local.conf').explained_by, undefined);
  });

  test('packages, summary and the dpkg.log operations are in the report', () => {
    assert.deepEqual(report.packages, [{ name: 'foo', arch: 'all', change: 'changed', old: '1.0', new: '1.1', explained: report.summary.explained }]);
    assert.ok(report.summary.explained >= 3);
    assert.ok(report.package_log.some((e: any) => e.action === 'upgrade' && e.package === 'foo'));
    // The text report's one PACKAGES block shows the dpkg.log operations with their counts.
    const log = (text.split(/^PACKAGES.*\n-+\n/m)[1] ?? '').split('\n\n')[0]!;
    // Its time is local with the offset, like the rest of the report (the JSON keeps ISO UTC).
    assert.match(log, new RegExp(`^ {2}\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d {2}upgrade foo:all 1\\.0 → 1\\.1 {2}\\(${report.summary.explained} changes explained\\)$`, 'm'), text);
  });

  test('the text report lists the unexplained changes before the explained group', () => {
    const helper = text.indexOf('foo-helper');
    const group = text.indexOf('foo:all 1.0 → 1.1');
    assert.ok(helper >= 0 && group > helper, text);
  });
});
