import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { annotateReport, findAnnotation, parseAnnotations } from './annotations.js';
import type { Report } from './report-model.js';

test('annotations: key globs with a note and a service; errors name file:line', () => {
  const list = parseAnnotations('# expected listeners\n[ports://tcp/0.0.0.0/22]\nnote = OpenSSH for the admins\nservice = ssh\n\n[ports://tcp/*/80*]\nnote = web\n', 'ports.conf');
  assert.deepEqual(list.map((a) => [a.pattern, a.note, a.service, a.line]), [['ports://tcp/0.0.0.0/22', 'OpenSSH for the admins', 'ssh', 2], ['ports://tcp/*/80*', 'web', undefined, 6]]);
  assert.equal(findAnnotation(list, 'ports://tcp/0.0.0.0/22')?.note, 'OpenSSH for the admins');
  assert.equal(findAnnotation(list, 'ports://tcp/::/8080')?.note, 'web');
  assert.equal(findAnnotation(list, 'ports://tcp/0.0.0.0/2222'), undefined);
  assert.throws(() => parseAnnotations('[ports://tcp/x/1]\nnote = a\ncomment = b\n', 'p.conf'), /^ConfigError: p\.conf:3: unknown key 'comment' in \[ports:\/\/tcp\/x\/1\]; expected note, service$/);
  assert.throws(() => parseAnnotations('[ports://tcp/x/1]\nservice = b\n', 'p.conf'), /p\.conf:1: \[ports:\/\/tcp\/x\/1\] has no note/);
  assert.throws(() => parseAnnotations('\n[ports://[/1]\nnote = a\n', 'p.conf'), /p\.conf:2: bad glob/);
  assert.throws(() => parseAnnotations('[sshd]\nnote = a\n', 'p.conf'), /p\.conf:1: \[sshd\]: expected an item key glob/);
});

test('annotateReport marks only its own plugin\'s changes; an unreadable file is a note', () => {
  const report = {
    changes: [
      { key: 'users://www-data', plugin: 'users', change: 'changed', attributes: {} },
      { key: 'users://bob', plugin: 'users', change: 'added', attributes: {} },
      { key: 'file:///etc/passwd', plugin: 'file', change: 'changed', attributes: {} },
    ],
    notes: [],
  } as unknown as Report;
  const dir = process.env.TMPDIR ?? '/tmp';
  const file = `${dir}/scm-annotations-${process.pid}.conf`;
  fs.writeFileSync(file, '[*://www-*]\nnote = the web server account\nservice = nginx\n');
  try {
    annotateReport(report, new Map([['users', file], ['file', `${file}.missing`]]));
  } finally {
    fs.rmSync(file);
  }
  assert.deepEqual(report.changes.map((c) => c.annotation), [{ note: 'the web server account', service: 'nginx' }, undefined, undefined]);
  assert.match(report.notes![0]!, /^file: annotations not applied: cannot read annotations file .*\.missing: does not exist$/);
});
