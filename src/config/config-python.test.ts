/**
 * Differential test: generated configurations read by the real Python `configparser`
 * (`RawConfigParser(strict=True)`, as cement 2.8 used it) and merged by the cement 2.8 rules,
 * and by loadConfig. The effective settings (which collectors run, every option's value) must
 * be equal. The cement rules are written out below from cement's documentation and source
 * (ext_plugin.py: `_setup` and `load_plugin`; utils/misc.py: `is_true`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../errors.js';
import type { Collector } from '../types.js';
import { loadConfig } from './config.js';

const CEMENT = String.raw`
import configparser, glob, json, os, sys

def is_true(item):
    return item in [True, 'True', 'true', 1, '1']

KNOWN = set(sys.argv[1].split(','))
CORE = ['syschangemon', 'storage', 'mail.smtp']

def parser(path):
    p = configparser.RawConfigParser(strict=True)
    with open(path, encoding='utf-8') as f:
        p.read_file(f, path)
    return p

def switch(enabled, disabled, plugin, on):
    if on:
        if plugin not in enabled: enabled.append(plugin)
        if plugin in disabled: disabled.remove(plugin)
    else:
        if plugin not in disabled: disabled.append(plugin)
        if plugin in enabled: enabled.remove(plugin)

def effective(case):
    # cement: the app section exists before the config files are read.
    main = configparser.RawConfigParser(strict=True)
    main.add_section('syschangemon')
    with open(os.path.join(case, 'syschangemon.conf'), encoding='utf-8') as f:
        main.read_file(f)
    enabled, disabled, plugin_configs = [], [], {}
    # Plugin configs: the first section of each file, only with enable_plugin.
    for path in sorted(glob.glob(os.path.join(case, 'plugins.d', '*.conf'))):
        p = parser(path)
        if not p.sections():
            continue
        plugin = p.sections()[0]
        if 'enable_plugin' not in p.options(plugin):
            continue
        switch(enabled, disabled, plugin, is_true(p.get(plugin, 'enable_plugin')))
        plugin_configs.setdefault(plugin, {})
        for key in p.options(plugin):
            plugin_configs[plugin][key] = p.get(plugin, key)
    # The application config overrides the plugin configs.
    for plugin in main.sections():
        if 'enable_plugin' in main.options(plugin):
            switch(enabled, disabled, plugin, is_true(main.get(plugin, 'enable_plugin')))
    # load_plugin: merge in the plugin's keys the application config does not set.
    for plugin in enabled:
        if plugin not in KNOWN:
            raise Exception("Unable to load plugin '%s'." % plugin)
        if plugin not in main.sections():
            main.add_section(plugin)
        for key, val in plugin_configs.get(plugin, {}).items():
            if key not in main.options(plugin):
                main.set(plugin, key, val)
    out = {}
    for sec in CORE + sorted(enabled):
        if main.has_section(sec):
            out[sec] = {k: main.get(sec, k) for k in main.options(sec)}
        else:
            out[sec] = dict(main.defaults())
    return {'enabled': sorted(enabled), 'sections': out}

res = []
for case in json.load(sys.stdin):
    try:
        res.append(effective(case))
    except Exception as e:
        res.append({'error': '%s: %s' % (type(e).__name__, e)})
print(json.dumps(res))
`;

const PYTHON = spawnSync('python3', ['-c', 'import configparser'], { encoding: 'utf8' }).status === 0;

const opt = (description: string) => ({ type: 'string' as const, default: '', description });
const COLLECTORS: Collector[] = ['alpha', 'beta'].map((name) => ({
  name,
  description: name,
  options: { path: opt('a path'), note: opt('a note'), host: opt('a host') },
  items: [],
  collect: async () => {},
}));
const KNOWN = ['alpha', 'beta', 'storage'];

const tmp = mkdtempSync(join(tmpdir(), 'scm-cfg-py-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Pieces of generated files: keys every compared section takes (string options), values with
// Python's whitespace, inline comment characters and delimiters, and the line forms
// configparser knows (comments, blank lines, continuations, headers with trailing text).
const KEYS: Record<string, string[]> = {
  syschangemon: ['hostname', 'HostName'],
  'mail.smtp': ['host', 'HOST'],
  storage: ['dir'],
  other: ['note', 'host', 'path', 'Note', 'HOST'],
};
const valueChar = fc.constantFrom('a', 'b', 'Z', '1', ' ', '\t', '#', ';', '=', ':', '%', '\u00a0', '\u3000', '\u001f', '\u0085', '\u00e9', '\ufeff', '\u000b');
const value = fc.string({ unit: valueChar, maxLength: 8 });
const enableValue = fc.constantFrom('true', 'True', '1', 'false', '0', 'yes', 'on', 'TRUE', 'true # x', ' true');
const entry = (keys: string[]) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...keys), fc.constantFrom(' = ', '=', ': ', ' :'), value).map(([k, d, v]) => `${k}${d}${k === 'dir' ? `d${v}` : v}`) },
    { weight: 2, arbitrary: enableValue.map((v) => `enable_plugin = ${v}`) },
    // A continuation line (or, right after a header, a line that is no key: both refuse it).
    { weight: 1, arbitrary: value.map((v) => `   ${v.replace(/[=:]/g, '').trim() === '' ? 'x' : v.replace(/[=:]/g, '')}`) },
    { weight: 1, arbitrary: fc.constantFrom('# comment', '  ; indented comment', '', '  ') },
  );
const sectionOf = (names: readonly string[]) =>
  fc.constantFrom(...names).chain((name) =>
    fc
      .tuple(fc.constantFrom('', '  # trailing', ' ; x'), fc.array(entry(KEYS[name] ?? KEYS.other!), { maxLength: 3 }))
      .map(([trail, es]) => [`[${name}]${trail}`, ...es].join('\n')),
  );
const mainFile = fc.array(sectionOf(['syschangemon', 'mail.smtp', 'storage', 'DEFAULT', 'alpha', 'beta']), { maxLength: 4 });
const pluginFile = fc.array(sectionOf(['alpha', 'beta', 'DEFAULT', 'gamma', 'storage']), { minLength: 0, maxLength: 3 });
const caseArb = fc.record({
  main: mainFile,
  plugins: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'zz-local'), pluginFile), { maxLength: 4 }),
});

interface Effective {
  enabled: string[];
  sections: Record<string, Record<string, string>>;
}

function writeCase(n: number, c: { main: string[]; plugins: [string, string[]][] }): string {
  const dir = join(tmp, `c${n}`);
  mkdirSync(join(dir, 'plugins.d'), { recursive: true });
  writeFileSync(join(dir, 'syschangemon.conf'), `${c.main.join('\n')}\n`);
  for (const [name, sections] of c.plugins) writeFileSync(join(dir, 'plugins.d', `${name}.conf`), `${sections.join('\n')}\n`);
  return dir;
}

/** Python's str.strip() (the value as a string option holds it). */
function pyStripped(v: string | undefined): string {
  if (v === undefined) return '';
  const space = /[\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
  const chars = Array.from(v);
  let a = 0;
  let b = chars.length;
  while (a < b && space.test(chars[a]!)) a++;
  while (b > a && space.test(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

test('generated configs: Python configparser + cement 2.8 rules and loadConfig agree', { skip: !PYTHON && 'python3 is not installed' }, () => {
  const cases = fc.sample(caseArb, { numRuns: 700, seed: 1616 });
  const dirs = cases.map((c, i) => writeCase(i, c));
  const py = spawnSync('python3', ['-c', CEMENT, KNOWN.join(',')], { input: JSON.stringify(dirs), encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(py.status, 0, py.stderr);
  const results = JSON.parse(py.stdout) as (Effective | { error: string })[];
  let compared = 0;
  let bothRefused = 0;
  for (let i = 0; i < dirs.length; i++) {
    const dir = dirs[i]!;
    const expected = results[i]!;
    const where = `case ${i} (${dir})`;
    let config: ReturnType<typeof loadConfig> | undefined;
    let ours: string | undefined;
    try {
      config = loadConfig({ file: dir, collectors: COLLECTORS, env: {}, systemFile: '/nonexistent' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      ours = err.message;
    }
    if ('error' in expected) {
      // What the Python tool refused (a duplicate, a line that is no key, an unknown enabled
      // plugin, a core section enabled as a plugin) is a config error here too.
      assert.ok(ours !== undefined, `${where}: Python refused (${expected.error}) but loadConfig accepted`);
      bothRefused++;
      continue;
    }
    assert.equal(ours, undefined, `${where}: loadConfig refused what Python read`);
    compared++;
    const enabled = [...config!.plugins.values()].filter((p) => p.enabled).map((p) => p.name).sort();
    assert.deepEqual(enabled, expected.enabled.filter((p) => p !== 'storage'), `${where}: enabled collectors`);
    for (const name of enabled) {
      const got = config!.plugins.get(name)!.options;
      const want: Record<string, string> = (expected as Effective).sections[name] ?? {};
      for (const key of ['path', 'note', 'host']) assert.equal(got[key], pyStripped(want[key]), `${where}: [${name}] ${key}`);
    }
    const core: [string, string][] = [['syschangemon', 'hostname'], ['mail.smtp', 'host']];
    for (const [sec, key] of core) {
      const want: string | undefined = (expected as Effective).sections[sec]?.[key];
      if (want !== undefined) assert.equal(config!.sections[sec]![key], pyStripped(want), `${where}: [${sec}] ${key}`);
    }
  }
  // The generator must reach both outcomes often enough to mean something.
  assert.ok(compared > 150, `compared ${compared} of ${dirs.length}`);
  assert.ok(bothRefused > 20, `both refused ${bothRefused}`);
});
