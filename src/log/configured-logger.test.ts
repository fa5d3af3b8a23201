import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { createLogger, loggingSettings, parseLevel } from './configured-logger.js';
import { RotatingFile } from './rotating-file.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'scm-log-'));
const capture = () => {
  const lines: string[] = [];
  return { lines, stderr: { write: (t: string) => lines.push(t) } };
};

test('levels: the file gets the configured level and up, the console warnings and up', () => {
  const dir = tmp();
  const file = path.join(dir, 'scm.log');
  const c = capture();
  const log = createLogger(loggingSettings({ file, level: 'info', to_console: true }, {}, dir), { stderr: c.stderr });
  log.debug('d1');
  log.info('i1');
  log.warn('w1');
  log.error('e1');
  const text = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /d1/);
  assert.match(text, /INFO: i1\n/);
  assert.match(text, /WARN: w1\n/);
  assert.match(text, /ERROR: e1\n/);
  assert.deepEqual(c.lines, ['syschangemon: warn: w1\n', 'syschangemon: error: e1\n']);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  fs.rmSync(dir, { recursive: true });
});

test('--quiet leaves only errors on the console; --debug shows everything everywhere', () => {
  const q = capture();
  const quiet = createLogger(loggingSettings({ level: 'debug' }, { quiet: true }), { stderr: q.stderr });
  quiet.info('i');
  quiet.warn('w');
  quiet.error('e');
  assert.deepEqual(q.lines, ['syschangemon: error: e\n']);

  const dir = tmp();
  const file = path.join(dir, 'scm.log');
  const d = capture();
  const debug = createLogger(loggingSettings({ file, level: 'error' }, { debug: true }), { stderr: d.stderr });
  debug.debug('dd');
  assert.deepEqual(d.lines, ['syschangemon: debug: dd\n']);
  assert.match(fs.readFileSync(file, 'utf8'), /DEBUG: dd/);
  fs.rmSync(dir, { recursive: true });
});

test('to_console = false: nothing on stderr; level error filters warnings from the file', () => {
  const dir = tmp();
  const file = path.join(dir, 'scm.log');
  const c = capture();
  const log = createLogger(loggingSettings({ file: 'scm.log', level: 'fatal', to_console: false }, {}, dir), { stderr: c.stderr });
  log.warn('w');
  log.error('e\nsecond line');
  assert.deepEqual(c.lines, []);
  const text = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /WARN/);
  assert.equal(text.split('\n').length, 2, 'a message with a newline stays one record');
  assert.match(text, /ERROR: e\\nsecond line\n$/);
  fs.rmSync(dir, { recursive: true });
});

test('the Python tool\'s level names', () => {
  assert.equal(parseLevel('WARNING'), 'warn');
  assert.equal(parseLevel('fatal'), 'error');
  assert.equal(parseLevel('debug'), 'debug');
  assert.equal(parseLevel(undefined), 'info');
});

test('rotation: file → file.1 … file.N at max_bytes, the oldest dropped', () => {
  const dir = tmp();
  const file = path.join(dir, 'scm.log');
  const record = Buffer.byteLength(`1970-01-01T00:00:00.000Z ${os.hostname()} syschangemon[${process.pid}]: INFO: message number 1\n`);
  const maxBytes = record + 10;
  const log = createLogger(loggingSettings({ file, level: 'info', rotate: true, max_bytes: maxBytes, max_files: 2, to_console: false }, {}), {
    now: () => new Date(0),
  });
  // Two records do not fit in max_bytes: every record after the first rotates.
  for (let i = 1; i <= 5; i++) log.info(`message number ${i}`);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['scm.log', 'scm.log.1', 'scm.log.2']);
  assert.match(fs.readFileSync(file, 'utf8'), /message number 5\n$/);
  assert.match(fs.readFileSync(`${file}.1`, 'utf8'), /message number 4\n$/);
  assert.match(fs.readFileSync(`${file}.2`, 'utf8'), /message number 3\n$/);
  for (const f of fs.readdirSync(dir)) assert.ok(fs.statSync(path.join(dir, f)).size <= maxBytes, `${f} within max_bytes`);
  fs.rmSync(dir, { recursive: true });
});

test('no rotation without rotate = true; an existing file is appended to', () => {
  const dir = tmp();
  const file = path.join(dir, 'scm.log');
  fs.writeFileSync(file, 'old line\n');
  const f = new RotatingFile(file, { rotate: false, maxBytes: 10, maxFiles: 3 });
  f.write('new line one');
  f.write('new line two');
  assert.equal(fs.readFileSync(file, 'utf8'), 'old line\nnew line one\nnew line two\n');
  assert.deepEqual(fs.readdirSync(dir), ['scm.log']);
  fs.rmSync(dir, { recursive: true });
});

test('a log file that cannot be written is one warning, and logging goes on', () => {
  const dir = tmp();
  const c = capture();
  const log = createLogger(loggingSettings({ file: path.join(dir, 'missing', 'scm.log') }, {}), { stderr: c.stderr });
  log.info('one');
  log.info('two');
  log.error('three');
  assert.equal(c.lines.length, 2);
  assert.match(c.lines[0]!, /^syschangemon: warn: log file .*missing\/scm\.log: .*ENOENT.*logging to it stopped\n$/);
  assert.equal(c.lines[1], 'syschangemon: error: three\n');
  // Under cron (--quiet) and with to_console = false it is still said, once.
  for (const [section, args] of [[{}, { quiet: true }], [{ to_console: false }, {}]] as const) {
    const q = capture();
    const quiet = createLogger(loggingSettings({ file: path.join(dir, 'missing', 'scm.log'), ...section }, args), { stderr: q.stderr });
    quiet.info('one');
    quiet.warn('two');
    assert.equal(q.lines.length, 1, JSON.stringify(q.lines));
    assert.match(q.lines[0]!, /^syschangemon: warn: log file .*ENOENT.*logging to it stopped\n$/);
  }
  fs.rmSync(dir, { recursive: true });
});
