import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodePath, encodePath, fileKey, keyPath } from './keys.js';

test('plain and UTF-8 paths stay readable', () => {
  assert.equal(fileKey('/etc/hosts'), 'file:///etc/hosts');
  assert.equal(encodePath('/etc/größe'), '/etc/größe');
  assert.equal(encodePath('/a b/<script>'), '/a b/<script>');
});

test('%, control bytes and invalid UTF-8 are escaped', () => {
  assert.equal(encodePath('/100%'), '/100%25');
  assert.equal(encodePath('/a\nb'), '/a%0Ab');
  assert.equal(encodePath(Buffer.from([0x2f, 0x66, 0xff, 0xfe])), '/f%FF%FE');
  // An overlong encoding and a lone surrogate are not valid UTF-8.
  assert.equal(encodePath(Buffer.from([0x2f, 0xc0, 0xaf])), '/%C0%AF');
  assert.equal(encodePath(Buffer.from([0xed, 0xa0, 0x80])), '%ED%A0%80');
  // A truncated sequence at the end.
  assert.equal(encodePath(Buffer.from([0x61, 0xe2, 0x82])), 'a%E2%82');
});

test('keyPath gives back the bytes', () => {
  const bytes = Buffer.from([0x2f, 0x0a, 0x25, 0xff, 0x41]);
  assert.deepEqual(keyPath(fileKey(bytes)), bytes);
});

test('round trip of arbitrary byte names, and distinct names give distinct keys', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      const ka = encodePath(a);
      assert.deepEqual(decodePath(ka), Buffer.from(a));
      if (!Buffer.from(a).equals(Buffer.from(b))) assert.notEqual(ka, encodePath(b));
      assert.ok(!/[\x00-\x1f\x7f]/.test(ka), 'no control characters in a key');
    }),
    { numRuns: 2000 },
  );
});

test('round trip of arbitrary unicode strings', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const bytes = Buffer.from(s, 'utf8');
      assert.deepEqual(decodePath(encodePath(bytes)), bytes);
    }),
  );
});
