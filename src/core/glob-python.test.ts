/**
 * Differential test: generated globs matched by Python's `re` (after the glob → regex rules of
 * globre, written out below from its documentation: `?` `[^/]`, `*` `[^/]*?`, `**` `.*?`,
 * `[...]` a class, `{...}` inline regex, `\` escapes, `^`/`$` added unless present) and by
 * compileGlob. Same verdict for every path; a glob Python's `re` refuses is refused here too.
 * `**` is `[\s\S]*?` on both sides: here it also crosses a newline (documented in glob.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileGlob } from './glob.js';

const GLOBRE = String.raw`
import json, re, sys

def tokens(src):
    out, lit, i = [], '', 0
    def scan(close):
        nonlocal i
        v = ''
        while i < len(src):
            c = src[i]; i += 1
            if c == '\\':
                if i >= len(src): raise ValueError('dangling backslash')
                v += src[i]; i += 1; continue
            if c == close: return v
            v += c
        raise ValueError('unterminated')
    while i < len(src):
        c = src[i]
        if c == '\\':
            i += 1
            if i >= len(src): raise ValueError('dangling backslash')
            lit += src[i]; i += 1; continue
        if c not in '?*[{':
            lit += c; i += 1; continue
        if lit: out.append(('lit', lit))
        lit = ''
        i += 1
        if c == '?': out.append(('?', ''))
        elif c == '*':
            if i < len(src) and src[i] == '*':
                i += 1; out.append(('**', ''))
            else: out.append(('*', ''))
        else:
            v = scan(']' if c == '[' else '}')
            if v: out.append((c, v))
    if lit: out.append(('lit', lit))
    return out

def to_regex(src):
    expr = ''
    for kind, v in tokens(src):
        if kind == 'lit': expr += re.escape(v)
        elif kind == '?': expr += '[^/]'
        elif kind == '*': expr += '[^/]*?'
        elif kind == '**': expr += '[\\s\\S]*?'
        elif kind == '[': expr += '[' + v + ']'
        else: expr += v
    if not expr.startswith('^'): expr = '^' + expr
    if not expr.endswith('$'): expr += '$'
    return expr

out = []
for glob, paths in json.load(sys.stdin):
    try:
        rx = re.compile(to_regex(glob))
    except Exception as e:
        out.append({'error': str(e)})
        continue
    out.append({'regex': rx.pattern, 'match': [rx.match(p) is not None for p in paths]})
print(json.dumps(out))
`;

const PYTHON = spawnSync('python3', ['-c', 'import re'], { encoding: 'utf8' }).status === 0;

// Glob pieces: literals that are regex-special, wildcards, classes, inline regexes with
// groups, alternation, repeats, anchors and escapes; some unbalanced on purpose.
const piece = fc.constantFrom(
  'a', 'b', 'ab', '/', '.', '-', ' ', '$', '^', '+', '(', ')', '|', ',', '\n', 'é',
  '*', '**', '?', '\\*', '\\{', '\\\\', '[ab]', '[^a]', '[!b]', '[a-c]', '[]a]', '[-a]', '[/]', '[\\\\d]',
  '{a|b}', '{(a|b)}', '{(a|/b)+}', '{a+}', '{b*?}', '{[0-9]{1,2\\}}', '{\\\\d}', '{\\\\D{2,4\\}}', '{.}', '{$}', '{^}',
  '{(?:ab)?}', '{(}', '{)}', '{a{2\\}}', '{\\\\w+}', '{\\\\s}', '{[^/]}', '{x**}', '{\\\\Z}', '{a{,2\\}}', '{\\\\.}', '{|}',
);
const glob = fc.array(piece, { minLength: 1, maxLength: 6 }).map((ps) => ps.join(''));
const path = fc.string({ unit: fc.constantFrom('a', 'b', '/', '.', '1', '-', ' ', '$', '\n', 'é', '_', ','), maxLength: 10 });

test('generated globs: Python re (by globre\'s rules) and compileGlob agree on every path', { skip: !PYTHON && 'python3 is not installed' }, () => {
  const cases = fc.sample(fc.tuple(glob, fc.array(path, { minLength: 20, maxLength: 20 })), { numRuns: 1500, seed: 1613 });
  // Paths built from the glob's own literal text match more often than random ones.
  for (const c of cases) {
    const lit = c[0].replace(/[\\*?[\]{}]/g, '');
    c[1].push(lit, `${lit}\n`, `${lit}a`, `a${lit}`, lit.replace(/a/g, 'b'));
  }
  const py = spawnSync('python3', ['-c', GLOBRE], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(py.status, 0, py.stderr);
  const results = JSON.parse(py.stdout) as ({ error: string } | { regex: string; match: boolean[] })[];
  let matched = 0;
  let refused = 0;
  let compared = 0;
  for (let i = 0; i < cases.length; i++) {
    const [pattern, paths] = cases[i]!;
    const want = results[i]!;
    let g: ReturnType<typeof compileGlob> | undefined;
    let ours: string | undefined;
    try {
      g = compileGlob(pattern);
    } catch (err) {
      ours = (err as Error).message;
    }
    const where = `glob ${JSON.stringify(pattern)}`;
    if ('error' in want) {
      assert.ok(ours !== undefined, `${where}: Python refused (${want.error}), compileGlob accepted (${g?.regex})`);
      refused++;
      continue;
    }
    assert.equal(ours, undefined, `${where}: compileGlob refused what Python compiled (${want.regex})`);
    compared++;
    for (let k = 0; k < paths.length; k++) {
      assert.equal(g!.test(paths[k]!), want.match[k], `${where} (${want.regex}) on ${JSON.stringify(paths[k])}`);
      if (want.match[k]) matched++;
    }
  }
  assert.ok(compared > 500 && refused > 50 && matched > 1000, `compared ${compared}, refused ${refused}, matched ${matched}`);
});
