import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visibleControls } from './visible.js';

test('controls that steer a terminal or reorder text are shown, tab and newline kept', () => {
  assert.equal(visibleControls('a\x1b[8A\x1b[Jb'), 'a\\x1b[8A\\x1b[Jb');
  assert.equal(visibleControls('\x00\x07\x0d\x7f'), '\\x00\\x07\\x0d\\x7f');
  assert.equal(visibleControls('\u0085\u009b\u009f'), '\\u0085\\u009b\\u009f');
  assert.equal(visibleControls('\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069'), '\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069');
  assert.equal(visibleControls('x\u2028y\u2029z'), 'x\\u2028y\\u2029z');
  for (const keep of ['tab\there\nnew line', 'Zoë ✓ 日本 \u00a0 \u00a1 \u200d 🙂', '']) assert.equal(visibleControls(keep), keep);
});
