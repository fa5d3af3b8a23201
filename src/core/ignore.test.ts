import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { SessionWriter } from '../store/session-writer.js';
import { Store } from '../store/store.js';
import type { Item } from '../types.js';
import { diffSessions } from './differ.js';
import { ignoreAttributesOption, ignoreMatcher } from './ignore.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-ignore-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('rules: attribute names and KEY_GLOB:attribute, split at the last colon', () => {
  const m = ignoreMatcher(['mtime', 'ports://**:pid', 'ports://tcp/::1/*:program'])!;
  assert.ok(m('file:///x', 'mtime'));
  assert.ok(m('ports://udp/::/53', 'pid'));
  assert.ok(!m('file:///x', 'pid'));
  assert.ok(m('ports://tcp/::1/22', 'program'));
  assert.ok(!m('ports://tcp/::/22', 'program'));
  assert.equal(ignoreMatcher([]), undefined);
  const check = ignoreAttributesOption().check!;
  assert.equal(check(['pid', 'file:///etc/**:mtime']), undefined);
  assert.match(check(['ports://**:']) ?? '', /expected an attribute name/);
  assert.match(check(['error']) ?? '', /errors are always reported/);
  assert.match(check(['ports://[:pid']) ?? '', /bad glob/);
});

test('the differ: a change only in ignored attributes is none; otherwise they are left out', () => {
  const store = Store.open(path.join(dir, 'db.sqlite'));
  const session = (items: Item[]) => {
    const w = new SessionWriter(store, 'host');
    for (const it of items) w.add('ports', it);
    return w.finish();
  };
  const a = session([
    { key: 'ports://tcp/0.0.0.0/22', attributes: { pid: 10, program: 'sshd' } },
    { key: 'ports://tcp/0.0.0.0/80', attributes: { pid: 20, program: 'nginx' } },
    { key: 'ports://tcp/0.0.0.0/99', attributes: { pid: 30, program: 'x' } },
  ]);
  const b = session([
    { key: 'ports://tcp/0.0.0.0/22', attributes: { pid: 11, program: 'sshd' } },
    { key: 'ports://tcp/0.0.0.0/80', attributes: { pid: 21, program: 'apache2' } },
    { key: 'ports://tcp/0.0.0.0/99', attributes: { pid: 30, program: 'x' }, error: 'gone' },
    { key: 'ports://tcp/0.0.0.0/443', attributes: { pid: 40, program: 'nginx' } },
  ]);
  const m = ignoreMatcher(['pid'])!;
  const { changes } = diffSessions(store, a, b, (plugin, key, attr) => plugin === 'ports' && m(key, attr));
  assert.deepEqual(changes.map((c) => [c.key, c.change, Object.keys(c.attributes)]), [
    ['ports://tcp/0.0.0.0/443', 'added', ['pid', 'program']],
    ['ports://tcp/0.0.0.0/80', 'changed', ['program']],
    ['ports://tcp/0.0.0.0/99', 'changed', ['error']],
  ]);
  assert.equal(diffSessions(store, a, b).changes.length, 4, 'without the rule the restart is a change');
  store.close();
});
