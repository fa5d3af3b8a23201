import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../errors.js';
import { parseIni, type IniFile } from './ini.js';

/** section → key → value, for comparing results. */
function flat(ini: IniFile): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const s of ini.sections) out[s.name] = Object.fromEntries(s.entries.map((e) => [e.key, e.value]));
  return out;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('key = value and key: value, keys lowercased, section names keep case, % literal', () => {
  const ini = parseIni('[Main]\nKey = Value\nother:  two words \nPct = 50% %(x)s\n', 'a.conf');
  assert.deepEqual(flat(ini), { Main: { key: 'Value', other: 'two words', pct: '50% %(x)s' } });
  assert.deepEqual(
    ini.sections[0]!.entries.map((e) => e.line),
    [2, 3, 4],
  );
  assert.equal(ini.sections[0]!.line, 1);
  assert.equal(ini.file, 'a.conf');
});

test('the value splits at the first = or :, and there are no inline comments', () => {
  const ini = parseIni('[command]\ncommand.echo = echo "a=b" ; echo c # d\nurl: http://x:80/\n', 'c.conf');
  assert.deepEqual(flat(ini).command, { 'command.echo': 'echo "a=b" ; echo c # d', url: 'http://x:80/' });
});

test('multi-line values: empty first line, indented comments dropped, blank lines kept inside, trailing dropped', () => {
  const text = [
    '[file]',
    'include =',
    ' #/opt/**conf**',
    ' /etc/*',
    '',
    '   ; also a comment',
    '\t/bin/**',
    '',
    '# a comment at column 0 does not end the value either',
    '  /usr/**',
    '',
    '',
    'exclude = /etc/mtab',
    '   **.bak',
  ].join('\n');
  const ini = parseIni(text, 'file.conf');
  assert.deepEqual(flat(ini).file, { include: '\n/etc/*\n\n/bin/**\n\n/usr/**', exclude: '/etc/mtab\n**.bak' });
  assert.deepEqual(ini.sections[0]!.entries.map((e) => [e.key, e.line]), [['include', 2], ['exclude', 13]]);
});

test('continuation is relative to the key\'s own indentation', () => {
  const ini = parseIni('[s]\n  a = 1\n  b = 2\n    more\n c = 3\n', 's.conf');
  assert.deepEqual(flat(ini).s, { a: '1', b: '2\nmore', c: '3' });
});

test('CRLF line endings and a byte order mark are accepted', () => {
  const ini = parseIni('\uFEFF[s]\r\nk = v\r\nlist =\r\n  x\r\n', 's.conf');
  assert.deepEqual(flat(ini).s, { k: 'v', list: '\nx' });
});

test('the same section may not repeat in one file; different files are the caller\'s business', () => {
  assert.deepEqual(flat(parseIni('[a]\nx = 1\n[b]\nx = 2\n', 'f')), { a: { x: '1' }, b: { x: '2' } });
  const err = errorOf(() => parseIni('[a]\nx = 1\n\n[a]\ny = 2\n', '/etc/s.conf'));
  assert.equal(err.message, '/etc/s.conf:4: duplicate section [a] (first at line 1)');
});

test('errors name file:line and what was expected', () => {
  assert.equal(
    errorOf(() => parseIni('# header missing\nkey = value\n', 'x.conf')).message,
    "x.conf:2: expected a [section] header before 'key = value'",
  );
  assert.equal(
    errorOf(() => parseIni('[a]\nkey = 1\nnot a pair\n', 'x.conf')).message,
    "x.conf:3: expected '[section]', 'key = value' or 'key: value', got 'not a pair'",
  );
  assert.equal(
    errorOf(() => parseIni('[a]\n= value\n', 'x.conf')).message,
    "x.conf:2: expected '[section]', 'key = value' or 'key: value', got '= value'",
  );
  assert.equal(
    errorOf(() => parseIni('[a]\nKey = 1\n\nkey = 2\n', 'x.conf')).message,
    "x.conf:4: duplicate key 'key' in [a] (first at line 2)",
  );
  assert.equal(errorOf(() => parseIni('[]\n', 'x.conf')).message, "x.conf:1: expected a [section] header before '[]'");
  assert.equal(
    errorOf(() => parseIni('[DEFAULT]\nk = 1\n[a]\n[DEFAULT]\nK = 2\n', 'x.conf')).message,
    "x.conf:5: duplicate key 'k' in [DEFAULT] (first at line 2)",
  );
});

test('as configparser: header with trailing text, names between the first [ and the last ], [DEFAULT] apart', () => {
  const ini = parseIni('[file]  # files to watch\nk = 1\n[ spaced ]\n[a]b]\n[DEFAULT]\nd = 1\n[x]\n[DEFAULT]\ne = 2\n', 'p.conf');
  assert.deepEqual(flat(ini), { file: { k: '1' }, ' spaced ': {}, 'a]b': {}, x: {} });
  assert.deepEqual(ini.defaults?.entries.map((e) => [e.key, e.value, e.line]), [['d', '1', 6], ['e', '2', 9]]);
  assert.equal(ini.defaults?.line, 5);
});

test('whitespace is Python\'s: U+001C..U+001F and U+0085 are spaces, U+FEFF inside a line is not', () => {
  const ini = parseIni('[s]\nk = \u001fv\u0085\nz = \uFEFFw\n', 's.conf');
  assert.deepEqual(flat(ini).s, { k: 'v', z: '\uFEFFw' });
});

test('the Python tool\'s files parse unchanged', () => {
  const dir = new URL('../../test/fixtures/config/python-tool/', import.meta.url);
  const main = parseIni(readFileSync(new URL('syschangemon.conf', dir), 'utf8'), 'syschangemon.conf');
  assert.deepEqual(flat(main), {
    syschangemon: { session_keep: '2', report_keep: '1', mail_handler: 'smtp' },
    'mail.smtp': {
      to_addr: 'mcree@tricon.hu',
      from: 'someone_else@example.com',
      subject: 'SysChangeMon Report',
      subject_prefix: 'SysChangeMon >',
      host: 'localhost',
      port: '25',
      timeout: '30',
      ssl: '0',
      tls: '0',
      auth: '0',
    },
    'log.logging': {},
  });
  const file = parseIni(readFileSync(new URL('plugins.d/file.conf', dir), 'utf8'), 'file.conf');
  assert.deepEqual(flat(file).file, {
    enable_plugin: 'true',
    include: '\n/etc/*',
    exclude: '\n/etc/mtab\n/etc/ld.so.cache\n/etc/printcap\n**.bak\n**~',
  });
  const command = parseIni(readFileSync(new URL('plugins.d/command.conf', dir), 'utf8'), 'command.conf');
  assert.deepEqual(flat(command).command, {
    enable_plugin: 'true',
    'command.ip_route': '/sbin/ip route',
    'command.ip_addr': '/sbin/ip addr',
    'command.iptables_nat': '/sbin/iptables -L -t nat',
  });
});

test('property: arbitrary text either parses or throws a ConfigError, never anything else', () => {
  const piece = fc.constantFrom(
    '[a]', '[b]', ' [a]', 'k = v', 'K: w', ' x', '\ty', '', '  ', '# c', ' ; d', 'z =', '=', ':', '[', ']', 'a=b=c', '%(x)s',
  );
  const line = fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 20 }));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 15 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, eol) => {
      const text = lines.join(eol);
      try {
        const ini = parseIni(text, 'p.conf');
        const count = text.split(/\r\n|\r|\n/).length;
        for (const s of ini.sections) {
          assert.ok(s.line >= 1 && s.line <= count);
          for (const e of s.entries) assert.ok(e.line > s.line && e.line <= count && e.key === e.key.toLowerCase());
        }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        assert.match(err.message, /^p\.conf:\d+: /);
      }
    }),
    { numRuns: 500 },
  );
});

test('property: generated sections, keys and multi-line values round-trip', () => {
  const word = fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,11}$/);
  // Value text: printable ASCII, trimmed; continuation lines may not start like a comment.
  const text = fc.stringMatching(/^[!-~]([ -~]{0,15}[!-~])?$/);
  const contLine = fc.oneof(text.filter((t) => !t.startsWith('#') && !t.startsWith(';')), fc.constant(''));
  const value = fc.record({ first: fc.oneof(text, fc.constant('')), rest: fc.array(contLine, { maxLength: 4 }) });
  const section = fc.record({
    name: fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_. -]{0,10}[A-Za-z0-9_.]$/),
    entries: fc.uniqueArray(fc.record({ key: word, value }), { selector: (e) => e.key, maxLength: 6 }),
  });
  fc.assert(
    fc.property(fc.uniqueArray(section, { selector: (s) => s.name, maxLength: 5 }), fc.nat(3), (sections, indent) => {
      const out: string[] = [];
      const expected: Record<string, Record<string, string>> = {};
      for (const s of sections) {
        out.push(`[${s.name}]`, '# a comment');
        expected[s.name] = {};
        for (const e of s.entries) {
          out.push(`${e.key.toUpperCase()} = ${e.value.first}`);
          for (const r of e.value.rest) out.push(r === '' ? '' : `${' '.repeat(indent + 1)}${r}`);
          out.push(`${' '.repeat(indent + 1)}# dropped`);
          expected[s.name]![e.key] = [e.value.first, ...e.value.rest].join('\n').trimEnd();
        }
        out.push('');
      }
      assert.deepEqual(flat(parseIni(out.join('\n'), 'r.conf')), expected);
    }),
    { numRuns: 300 },
  );
});
