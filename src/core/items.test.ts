import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Collector } from '../types.js';
import { conformance, describeChanges, keyPattern, shownAttributes, specFor } from './items.js';

const c: Pick<Collector, 'name' | 'items'> = {
  name: 'demo',
  items: [
    { key: 'demo://<scope>/_summary', description: 'summary', attributes: { total: { type: 'number', summary: true, description: 't' } } },
    {
      key: 'demo://<scope>/<name>',
      description: 'thing',
      attributes: {
        mode: { type: 'string', summary: true, description: 'm' },
        size: { type: 'number', summary: true, description: 's' },
        sha256: { type: 'string', optional: true, summary: true, description: 'h' },
        note: { type: 'string', nullable: true, optional: true, description: 'n' },
        mtime: { type: 'string', volatile: true, description: 'not shown' },
      },
      contents: { content: 'text' },
    },
  ],
};

test('key forms: placeholders match one or more characters, literals exactly, first match wins', () => {
  assert.ok(keyPattern(c.items[1]!).test('demo://a/b/c'));
  assert.ok(!keyPattern(c.items[1]!).test('demo://a'));
  assert.ok(!keyPattern({ key: 'x.y://<a>', description: '', attributes: {} }).test('xzy://a'), 'a dot is literal');
  assert.equal(specFor(c, 'demo://p/_summary'), c.items[0]);
  assert.equal(specFor(c, 'demo://p/rule'), c.items[1]);
  assert.equal(specFor(c, 'other://p/rule'), undefined);
});

test('conformance: undeclared, mistyped, missing, null and content problems, one line each', () => {
  const ok = { key: 'demo://s/n', attributes: { mode: '0644', size: 1, mtime: 't', note: null }, contents: { content: 'x' } };
  assert.deepEqual(conformance(c, ok), []);
  assert.deepEqual(conformance(c, { key: 'demo://s/n', attributes: { mode: 644, size: 1, mtime: 't', extra: 1 }, contentRefs: { stdout: 'h' } }), [
    'demo://s/n: attribute mode is number, declared string',
    'demo://s/n: attribute extra is not declared for demo://<scope>/<name>',
    'demo://s/n: content stdout is not declared for demo://<scope>/<name>',
  ]);
  assert.deepEqual(conformance(c, { key: 'demo://s/n', attributes: { mode: null, size: 1, mtime: 't' } }), ['demo://s/n: attribute mode is null, declared string']);
  assert.deepEqual(conformance(c, { key: 'demo://s/n', attributes: { mode: '0644' } }), [
    'demo://s/n: attribute size of demo://<scope>/<name> is missing',
    'demo://s/n: attribute mtime of demo://<scope>/<name> is missing',
  ]);
  // An error item may lack attributes; the collector's failure item needs no declaration.
  assert.deepEqual(conformance(c, { key: 'demo://s/n', attributes: {}, error: 'EACCES' }), []);
  assert.deepEqual(conformance(c, { key: 'demo://', attributes: {}, error: 'failed' }), []);
  assert.deepEqual(conformance(c, { key: 'nope://x', attributes: {} }), ['nope://x: no declared item kind of demo matches the key']);
});

test('an added or removed item shows its summary attributes in declaration order, a sha256 shortened', () => {
  const sha = 'ab'.repeat(32);
  const added = { key: 'demo://s/n', plugin: 'demo', change: 'added' as const, attributes: { size: { old: null, new: 12 }, mode: { old: null, new: '4755' }, sha256: { old: null, new: sha }, mtime: { old: null, new: 't' } } };
  assert.deepEqual(shownAttributes(c, added), [
    { name: 'mode', value: '4755 (setuid)' },
    { name: 'size', value: '12' },
    { name: 'sha256', value: 'abababababab' },
  ]);
  const removed = { ...added, change: 'removed' as const, attributes: { mode: { old: '0600', new: null } } };
  assert.deepEqual(shownAttributes(c, removed), [{ name: 'mode', value: '0600' }]);
  assert.equal(shownAttributes(c, { ...added, change: 'changed' }), undefined);
  assert.equal(describeChanges([c as Collector])({ ...added, plugin: 'unknown' }), undefined);
});
