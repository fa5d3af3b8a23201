/**
 * print-report --format pdf -o FILE: the HTML report printed by the real headless Chromium. The
 * file is a PDF (its header), private (0600), and its text (pdftotext) holds the host name and
 * the changed file; without Chromium on PATH the command fails with one line naming the package.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, sandbox, type Sandbox } from './helpers.js';
import { findChromium } from '../src/output/pdf.js';

const havePdftotext = spawnSync('pdftotext', ['-v']).error === undefined;

describe('print-report --format pdf', { skip: !findChromium() && 'chromium is not installed' }, () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
    fs.writeFileSync(path.join(sb.tree, 'motd'), 'hello\n');
    assert.equal(sb.run('collect').code, 0);
    fs.writeFileSync(path.join(sb.tree, 'pdf-marker-file.conf'), 'new\n');
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => sb.cleanup());

  test('a real PDF with the report in it', { skip: !havePdftotext && 'needs pdftotext (poppler-utils)' }, () => {
    const out = path.join(sb.dir, 'report.pdf');
    const r = sb.run('print-report', '--format', 'pdf', '-o', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const bytes = fs.readFileSync(out);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    const text = execFileSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    const report = sb.json('print-report', '--format', 'json');
    assert.ok(text.includes(report.hostname), `hostname ${report.hostname} in the PDF text`);
    assert.match(text.replace(/\s+/g, ''), /pdf-marker-file\.conf/);
  });

  test('without -o, and without Chromium on PATH: one line each', () => {
    let r = sb.run('print-report', '--format', 'pdf');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format pdf needs -o FILE/);
    const res = spawnSync(process.execPath, [CLI, '-c', path.join(sb.etc, 'syschangemon.conf'), 'print-report', '--format', 'pdf', '-o', path.join(sb.dir, 'x.pdf')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: path.join(sb.dir, 'empty-bin'), SYSCHANGEMON_CONFIG: '' },
    });
    r = { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /no chromium on PATH \(Debian: apt install chromium\)/);
    assert.ok(!fs.existsSync(path.join(sb.dir, 'x.pdf')));
  });
});
