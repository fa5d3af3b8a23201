/**
 * Annotations end to end: the ports collector with an annotations file. A new listener the file
 * names is reported as expected (its note and service in JSON, text and HTML; severity info,
 * not in NEEDS ATTENTION); one it does not name is not annotated. A bad file stops the run
 * with file:line before anything is written.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { type Listener, listen } from '../src/collectors/ports/testdata/listener.js';

describe('annotations end to end (ports)', () => {
  let sb: Sandbox;
  const ls: Listener[] = [];
  let file: string;
  before(() => {
    sb = sandbox({});
    file = path.join(sb.etc, 'annotations', 'ports.conf');
    fs.mkdirSync(path.dirname(file));
    sb.writePlugin('ports', `[ports]\nenable_plugin = true\nannotations = ${file}\n`);
  });
  after(async () => {
    for (const l of ls) await l.stop();
    sb.cleanup();
  });

  test('an annotated new listener is expected; another is not', async () => {
    fs.writeFileSync(file, '# none yet\n');
    let r = sb.run('collect');
    assert.equal(r.code, 0, r.stderr);
    ls.push(await listen('tcp', '127.0.0.1', 0, 'scm-expected'), await listen('tcp', '127.0.0.1', 0, 'scm-other'));
    fs.writeFileSync(file, `[ports://tcp/127.0.0.1/${ls[0]!.port}]\nnote = the <b>metrics</b> exporter\nservice = scm-exporter\n`);
    r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    const report = sb.json('print-report', '--format', 'json');
    const byKey = new Map(report.changes.map((c: any) => [c.key, c]));
    const expected: any = byKey.get(`ports://tcp/127.0.0.1/${ls[0]!.port}`);
    const other: any = byKey.get(`ports://tcp/127.0.0.1/${ls[1]!.port}`);
    assert.deepEqual(expected.annotation, { note: 'the <b>metrics</b> exporter', service: 'scm-exporter' });
    assert.equal(expected.severity, 'info');
    assert.equal(other.annotation, undefined);
    const text = sb.run('print-report', '--format', 'text').stdout;
    assert.match(text, /expected: the <b>metrics<\/b> exporter \(service scm-exporter\)/);
    assert.equal(text.match(/expected: /g)?.length, 1);
    const html = sb.run('print-report', '--format', 'html').stdout;
    assert.match(html, /expected: the &lt;b&gt;metrics&lt;\/b&gt; exporter \(service scm-exporter\)/);
    assert.equal(html.match(/expected: /g)?.length, 1);
  });

  test('a bad annotations file is a config error naming file and line', () => {
    fs.writeFileSync(file, '[ports://tcp/**]\nnote = ok\n\n[ports://udp/**]\nnote = x\nowner = me\n');
    const r = sb.run('collect');
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6: unknown key 'owner' in \\[ports://udp/\\*\\*\\]; expected note, service`));
    fs.rmSync(file);
    const r2 = sb.run('collect');
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /ports\.conf:3: \[ports\] cannot read annotations file .*annotations\/ports\.conf: does not exist/);
  });
});
