import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { applyPatch, createTwoFilesPatch } from 'diff';
import { SessionWriter } from '../store/session-writer.js';
import { Store } from '../store/store.js';
import { diffSessions } from './differ.js';
import { lineDiff } from './linediff.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-linediff-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** Two sessions of one item whose kept content goes from `a` to `b`, diffed by the differ. */
function diffOf(a: string, b: string) {
  const store = Store.open(path.join(dir, `db${n++}`, 'db.sqlite'));
  const session = (text: string) => {
    const w = new SessionWriter(store, 'host');
    w.add('conffile', { key: 'conffile:///etc/big.conf', attributes: { sha256: sha(text), stored: 'text' }, contents: { content: text } });
    return w.finish();
  };
  const s1 = session(a);
  const s2 = session(b);
  const { changes } = diffSessions(store, s1, s2);
  store.close();
  assert.equal(changes.length, 1);
  return changes[0]!;
}

/** Seeded lines, unique by their number. */
function lines(count: number, seed = 1): string[] {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
  return Array.from({ length: count }, (_, i) => `${i} ${'x'.repeat(Math.floor(rnd() * 40))}`);
}

function shuffled(list: string[]): string[] {
  const out = [...list];
  let s = 7;
  for (let j = out.length - 1; j > 0; j--) {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    const k = s % (j + 1);
    [out[j], out[k]] = [out[k]!, out[j]!];
  }
  return out;
}

test('a shuffled text past the budget: no diff, the report says so with the line counts and sha256 of both texts', () => {
  const old = `${lines(40000).join('\n')}\n`;
  const neu = `${shuffled(lines(40000)).join('\n')}\nand one more\n`;
  const c = diffOf(old, neu);
  assert.equal(c.diff, undefined);
  assert.equal(c.note, `content changed: 40001 lines, diff too large to show (lines 40000 → 40001, sha256 ${sha(old)} → ${sha(neu)})`);
  // The item's own attributes still show the hash change.
  assert.deepEqual(c.attributes.sha256, { old: sha(old), new: sha(neu) });
});

test('a small text past the budget (more lines changed than MAX_EDIT_LINES allows within its steps) says the same', () => {
  const old = `${lines(9000).join('\n')}\n`;
  const neu = `${shuffled(lines(9000)).join('\n')}\n`;
  assert.ok(Buffer.byteLength(old) + Buffer.byteLength(neu) < 256 * 1024 * 2);
  const c = diffOf(old, neu);
  assert.equal(c.diff, undefined);
  assert.match(c.note!, /^content changed: 9000 lines, diff too large to show \(lines 9000 → 9000, sha256 [0-9a-f]{64} → [0-9a-f]{64}\)$/);
});

test('a large text with a few changed lines gets its diff, with the line numbers of the whole text', () => {
  const base = lines(60000);
  const changed = [...base];
  changed[100] = 'changed at 101';
  changed.splice(50000, 2, 'replaced 50001', 'replaced 50002', 'inserted');
  changed.push('appended without newline');
  const old = `${base.join('\n')}\n`;
  const neu = changed.join('\n');
  const c = diffOf(old, neu);
  assert.equal(c.note, undefined);
  const hunks = c.diff!.match(/^@@ .* @@$/gm);
  assert.deepEqual(hunks, ['@@ -98,7 +98,7 @@', '@@ -49998,8 +49998,9 @@', '@@ -59998,3 +59999,4 @@']);
  assert.match(c.diff!, /^-100 x*\n\+changed at 101$/m);
  assert.match(c.diff!, /^\+appended without newline\n\\ No newline at end of file\n$/m);
  // The patch applied to the old text gives the new one.
  assert.equal(applyPatch(old, `Index: x\n${'='.repeat(67)}\n${c.diff}`), neu);
});

test('small texts keep the diff package\'s output exactly', () => {
  const a = 'one\ntwo\nthree\nfour\n';
  const b = 'one\n2\nthree\nfour\nfive';
  const r = lineDiff('f', Buffer.from(a), Buffer.from(b), 'o', 'n', { old: sha(a), new: sha(b) });
  assert.equal(r.kind, 'diff');
  const expected = createTwoFilesPatch('f', 'f', a, b, 'o', 'n', { context: 3 }).replace(/^(?:Index: [^\n]*\n)?=+\n/, '');
  assert.equal(r.kind === 'diff' && r.patch, expected);
  assert.equal(lineDiff('f', Buffer.from(a), Buffer.from(a), 'o', 'n', { old: sha(a), new: sha(a) }).kind, 'same');
});
