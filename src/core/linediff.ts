/**
 * Unified diffs of kept texts, bounded in time and memory whatever the texts are.
 *
 * A line diff (Myers' O(ND) algorithm, as the `diff` package uses) costs in the worst case the
 * product of the texts' length and the number of changed lines: a shuffled 50 MB text took
 * over a minute and 900 MB. Here the texts stay bytes (Buffers, as the store keeps them), and
 * the work is measured before it is done:
 *
 * 1. The common prefix and suffix are found by comparing the bytes in blocks, and whole lines
 *    of them are set aside.
 * 2. The lines between are hashed (32-bit FNV-1a, into typed arrays).
 * 3. Small texts (under CUT_FROM bytes together): a greedy Myers pass over the hashes counts
 *    the changed lines and its own steps; within MAX_EDIT_LINES and MAX_WORK, the `diff`
 *    package makes the unified diff, as reports have always shown it.
 * 4. Large texts: Myers' search over the hashes of the lines between, keeping its trace for at
 *    most MAX_TRACE_LINES changed lines and MAX_WORK steps, gives the runs of changed lines,
 *    written in the same unified format. The lines the hashes called equal are then compared
 *    byte for byte: a hash collision gives no diff, never a wrong one.
 *
 * Past a budget the change is reported without a diff, with its line counts and sha256:
 * "content changed: N lines, diff too large to show".
 */
import { createTwoFilesPatch } from 'diff';

/** Most changed lines (inserted + deleted) a diff is shown for. */
export const MAX_EDIT_LINES = 20_000;
/** Most steps of the measuring pass (snake steps and diagonals visited). */
export const MAX_WORK = 30_000_000;
/** Texts from this many bytes on (both together) get this module's own diff (step 4). */
const CUT_FROM = 256 * 1024;
const CONTEXT = 3;

export type LineDiff =
  | { kind: 'diff'; patch: string }
  | { kind: 'same' }
  | { kind: 'too_large'; oldLines: number; newLines: number; oldSha256: string; newSha256: string; reason: string };

/** Start offsets of the lines of a text (a line includes its '\n'), plus the text's length. */
function lineStarts(text: Buffer): Int32Array {
  let out = new Int32Array(1024);
  let n = 1;
  for (let i = text.indexOf(10); i !== -1 && i + 1 < text.length; i = text.indexOf(10, i + 1)) {
    if (n + 1 >= out.length) {
      const grown = new Int32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = i + 1;
  }
  out[n++] = text.length;
  // An empty text has no line: its only offset is its length, 0.
  return text.length === 0 ? new Int32Array(1) : out.slice(0, n);
}

const BLOCK = 65536;

/** Length of the common prefix of two byte strings, compared in blocks. */
function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i + BLOCK <= n && a.compare(b, i, i + BLOCK, i, i + BLOCK) === 0) i += BLOCK;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Length of the common suffix of two byte strings, at most `max`, compared in blocks. */
function commonSuffix(a: Buffer, b: Buffer, max: number): number {
  let i = 0;
  const n = Math.min(a.length, b.length, max);
  while (i + BLOCK <= n && a.compare(b, b.length - i - BLOCK, b.length - i, a.length - i - BLOCK, a.length - i) === 0) i += BLOCK;
  while (i < n && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

/** 32-bit FNV-1a hashes of lines [from, to) of a text. */
function lineHashes(text: Buffer, starts: Int32Array, from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  for (let l = from; l < to; l++) {
    let h = 0x811c9dc5;
    for (let i = starts[l]!, e = starts[l + 1]!; i < e; i++) h = Math.imul(h ^ text[i]!, 0x01000193);
    out[l - from] = h;
  }
  return out;
}

/**
 * Edit distance (inserted + deleted lines) of two hash arrays by Myers' greedy algorithm, or
 * -1 when it is above maxD or the pass would take more than maxWork steps.
 */
export function boundedEditDistance(a: Int32Array, b: Int32Array, maxD: number, maxWork: number): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return n + m <= maxD ? n + m : -1;
  const limit = Math.min(maxD, n + m);
  const off = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  let work = 0;
  for (let d = 0; d <= limit; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      const x0 = x;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      work += 1 + x - x0;
      v[off + k] = x;
      if (x >= n && y >= m) return d;
    }
    if (work > maxWork) return -1;
  }
  return -1;
}

/** Most changed lines the own diff of large texts keeps the search trace for (D² / 2 integers). */
export const MAX_TRACE_LINES = 3000;

/** A run of changed lines: old lines [a0, a1) replaced by new lines [b0, b1) (0-based, whole text). */
interface Block {
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

/**
 * Myers' greedy search over the hashes, keeping each round's furthest points, then walked back
 * into runs of changed lines. Undefined past maxD.
 */
function editBlocks(a: Int32Array, b: Int32Array, maxD: number, maxWork: number, offA: number, offB: number): Block[] | undefined {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(maxD, n + m);
  const off = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  // trace[d] holds v[-d..d] after round d, from traceAt[d] on.
  const traceAt = new Int32Array(limit + 2);
  let trace = new Int32Array(1024);
  let used = 0;
  let found = -1;
  let work = 0;
  for (let d = 0; d <= limit && found < 0; d++) {
    if (work > maxWork) return undefined;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      const x0 = x;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      work += 1 + x - x0;
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (used + 2 * d + 1 > trace.length) {
      const grown = new Int32Array(Math.max(trace.length * 2, used + 2 * d + 1));
      grown.set(trace.subarray(0, used));
      trace = grown;
    }
    traceAt[d] = used;
    trace.set(v.subarray(off - d, off + d + 1), used);
    used += 2 * d + 1;
  }
  if (found < 0) return undefined;
  // Walk back from (n, m): each round d came from round d-1 by one insertion or deletion.
  const moves: number[] = []; // positions (x, y) before each move, and its kind (1 delete, 2 insert), newest first
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const k = x - y;
    const prev = (kk: number) => trace[traceAt[d - 1]! + (kk + (d - 1))]!;
    const down = k === -d || (k !== d && prev(k - 1) < prev(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = prev(pk);
    const py = px - pk;
    // The move from (px, py) lands at (px, py + 1) (insert) or (px + 1, py) (delete); the rest is a snake.
    moves.push(px, py, down ? 2 : 1);
    x = px;
    y = py;
  }
  const blocks: Block[] = [];
  for (let i = moves.length - 3; i >= 0; i -= 3) {
    const mx = moves[i]!;
    const my = moves[i + 1]!;
    const kind = moves[i + 2]!;
    const last = blocks[blocks.length - 1];
    const ax = mx + offA;
    const by = my + offB;
    if (last && last.a1 === ax && last.b1 === by) {
      if (kind === 1) last.a1++;
      else last.b1++;
    } else blocks.push({ a0: ax, a1: ax + (kind === 1 ? 1 : 0), b0: by, b1: by + (kind === 2 ? 1 : 0) });
  }
  return blocks;
}

/** The text of line l (without its '\n'). */
const lineText = (text: Buffer, starts: Int32Array, l: number) => {
  const e = starts[l + 1]!;
  return text.toString('utf8', starts[l]!, e > starts[l]! && text[e - 1] === 10 ? e - 1 : e);
};

/** Whether line l is the text's last and has no '\n'. */
const noNewline = (text: Buffer, starts: Int32Array, l: number) => l === starts.length - 2 && text[text.length - 1] !== 10;

/** The unified diff of runs of changed lines, as the `diff` package writes it (context 3). */
function formatPatch(label: string, oldText: Buffer, newText: Buffer, as: Int32Array, bs: Int32Array, blocks: Block[], oldHeader: string, newHeader: string): string {
  const na = as.length - 1;
  const out: string[] = [`--- ${label}\t${oldHeader}\n+++ ${label}\t${newHeader}\n`];
  const lines: string[] = [];
  const push = (prefix: string, text: Buffer, starts: Int32Array, l: number) => {
    lines.push(`${prefix}${lineText(text, starts, l)}\n`);
    if (noNewline(text, starts, l)) lines.push('\\ No newline at end of file\n');
  };
  for (let i = 0; i < blocks.length;) {
    // Runs at most 2 × CONTEXT unchanged lines apart share a hunk.
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1]!.a0 - blocks[j]!.a1 <= 2 * CONTEXT) j++;
    const first = blocks[i]!;
    const last = blocks[j]!;
    const a0 = Math.max(0, first.a0 - CONTEXT);
    const b0 = first.b0 - (first.a0 - a0);
    const a1 = Math.min(na, last.a1 + CONTEXT);
    const b1 = last.b1 + (a1 - last.a1);
    lines.length = 0;
    let a = a0;
    for (let k = i; k <= j; k++) {
      const blk = blocks[k]!;
      for (; a < blk.a0; a++) push(' ', oldText, as, a);
      for (let l = blk.a0; l < blk.a1; l++) push('-', oldText, as, l);
      for (let l = blk.b0; l < blk.b1; l++) push('+', newText, bs, l);
      a = blk.a1;
    }
    for (; a < a1; a++) push(' ', oldText, as, a);
    const oldLines = a1 - a0;
    const newLines = b1 - b0;
    out.push(`@@ -${oldLines === 0 ? a0 : a0 + 1},${oldLines} +${newLines === 0 ? b0 : b0 + 1},${newLines} @@\n`, ...lines);
    i = j + 1;
  }
  return out.join('');
}

/** Whether the lines between the runs (which the hashes said are equal) are equal, text for text. */
function equalBetween(oldText: Buffer, newText: Buffer, as: Int32Array, bs: Int32Array, blocks: Block[]): boolean {
  let a = 0;
  let b = 0;
  const same = (a0: number, a1: number, b0: number, b1: number) =>
    as[a1]! - as[a0]! === bs[b1]! - bs[b0]! && oldText.compare(newText, bs[b0]!, bs[b1]!, as[a0]!, as[a1]!) === 0;
  for (const blk of blocks) {
    if (!same(a, blk.a0, b, blk.b0)) return false;
    a = blk.a1;
    b = blk.b1;
  }
  return same(a, as.length - 1, b, bs.length - 1);
}

/**
 * The unified diff of two UTF-8 texts (the `diff` package's format without its "Index:"
 * preamble), or why it is not shown. `hashes` are the texts' sha256 (the store's blob keys),
 * for the note.
 */
export function lineDiff(label: string, oldText: Buffer, newText: Buffer, oldHeader: string, newHeader: string, hashes: { old: string; new: string }): LineDiff {
  if (oldText.equals(newText)) return { kind: 'same' };
  const as = lineStarts(oldText);
  const bs = lineStarts(newText);
  const na = as.length - 1;
  const nb = bs.length - 1;
  const tooLarge = (reason: string): LineDiff => ({ kind: 'too_large', oldLines: na, newLines: nb, oldSha256: hashes.old, newSha256: hashes.new, reason });
  // Whole common lines at the start: those ending within the common prefix, in both texts.
  const p = commonPrefix(oldText, newText);
  let pre = 0;
  while (pre < na && pre < nb && as[pre + 1]! <= p && bs[pre + 1]! <= p) pre++;
  // Whole common lines at the end, not overlapping the prefix.
  const q = commonSuffix(oldText, newText, Math.min(oldText.length - as[pre]!, newText.length - bs[pre]!));
  let suf = 0;
  while (suf < na - pre && suf < nb - pre) {
    const sa = as[na - suf - 1]!;
    const sb = bs[nb - suf - 1]!;
    if (oldText.length - sa > q || newText.length - sb > q || oldText.length - sa !== newText.length - sb) break;
    suf++;
  }
  const ha = lineHashes(oldText, as, pre, na - suf);
  const hb = lineHashes(newText, bs, pre, nb - suf);
  const large = oldText.length + newText.length >= CUT_FROM;
  if (large) {
    // Large texts: this module's own diff of the lines between, within MAX_TRACE_LINES.
    const blocks = editBlocks(ha, hb, MAX_TRACE_LINES, MAX_WORK, pre, pre);
    if (!blocks) return tooLarge(`more than ${MAX_TRACE_LINES} lines changed, or too scattered to compare within the budget`);
    // A hash collision would have made two different lines look equal: then no diff is shown.
    if (!equalBetween(oldText, newText, as, bs, blocks)) return tooLarge('lines could not be told apart by their hashes');
    return { kind: 'diff', patch: formatPatch(label, oldText, newText, as, bs, blocks, oldHeader, newHeader) };
  }
  const d = boundedEditDistance(ha, hb, MAX_EDIT_LINES, MAX_WORK);
  if (d < 0) return tooLarge(`more than ${MAX_EDIT_LINES} lines changed, or too scattered to compare within the budget`);
  const patch = createTwoFilesPatch(label, label, oldText.toString('utf8'), newText.toString('utf8'), oldHeader, newHeader, { context: CONTEXT, maxEditLength: MAX_EDIT_LINES });
  if (patch === undefined) return tooLarge(`more than ${MAX_EDIT_LINES} lines changed`);
  // Drop the "Index:"/"====" preamble: the key is already shown above the diff.
  return { kind: 'diff', patch: patch.replace(/^(?:Index: [^\n]*\n)?=+\n/, '') };
}

/** The report's note for a text whose diff is not shown. */
export function tooLargeNote(name: string | undefined, r: Extract<LineDiff, { kind: 'too_large' }>): string {
  const what = name ? `content (${name})` : 'content';
  return `${what} changed: ${r.newLines} lines, diff too large to show (lines ${r.oldLines} → ${r.newLines}, sha256 ${r.oldSha256} → ${r.newSha256})`;
}
