/**
 * Collectors own report sections (Collector.report, Collector.exports): the built CLI with
 * the openvpn_users collector on a PKI made by openssl keeps its section under
 * `sections.openvpn_users` in the report JSON and the bundled text and HTML templates show
 * it through the partials in the collector's folder, with nothing changed; a template_dir
 * overrides a partial; the sudoers collector's own export format prints its rules.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { TestPki } from '../src/collectors/openvpn_users/testdata/pki.js';

describe('collector report sections and export formats', () => {
  let sb: Sandbox;
  before(() => {
    sb = sandbox({});
    const pki = new TestPki(path.join(sb.dir, 'pki'));
    pki.issue('alice', { days: 10 });
    pki.issue('bob', { days: 400 });
    pki.issue('carol', { days: 3 });
    pki.genCrl();
    const sudoers = path.join(sb.dir, 'sudoers');
    fs.writeFileSync(sudoers, 'root ALL=(ALL:ALL) ALL\n%ops web1 = (www-data) NOPASSWD: /usr/bin/systemctl restart nginx\n', { mode: 0o440 });
    sb.writePlugin('openvpn_users', `[openvpn_users]\nenable_plugin = true\npki = ${pki.dir}\nwarn_days = 30\n`);
    sb.writePlugin('sudoers', `[sudoers]\nenable_plugin = true\nsudoers_path = ${sudoers}\n`);
    for (let i = 0; i < 2; i++) {
      const r = sb.run('run');
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => sb.cleanup());

  test('the section is in the report JSON under the collector name, soonest expiry first', () => {
    const report = sb.json('print-report', '--format', 'json');
    assert.equal(report.changes.length, 0, 'nothing changed between the two runs');
    const s = report.sections?.openvpn_users;
    assert.ok(s, JSON.stringify(report.sections));
    assert.equal(s.warn_days, 30);
    assert.deepEqual(s.expiring.map((e: any) => e.cn), ['carol', 'alice'], 'bob expires in 400 days');
    assert.ok(s.expiring.every((e: any) => /^\d{4}-\d\d-\d\dT/.test(e.expiry) && e.days_left >= 0 && e.days_left <= 10));
  });

  test('text and HTML show it through the collector partials', () => {
    const text = sb.run('print-report', '--format', 'text').stdout;
    assert.match(text, /^CERTIFICATES EXPIRING WITHIN 30 DAYS \(openvpn_users\)\n-+\n {2}carol {2}serial [0-9A-F]+ {2}expires \S+ {2}\(\d+ days? left\)\n {2}alice /m);
    assert.ok(!text.includes('  bob  '), 'bob is not expiring');
    const html = sb.run('print-report', '--format', 'html').stdout;
    assert.match(html, /<h2>Certificates expiring within 30 days <span class="sub">\(openvpn_users\)<\/span><\/h2>[\s\S]*?<td>carol<\/td>[\s\S]*?<td>alice<\/td>/);
  });

  test('a template_dir overrides a collector partial', () => {
    const dir = path.join(sb.dir, 'templates');
    fs.mkdirSync(path.join(dir, 'openvpn_users'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'openvpn_users', 'report.txt.njk'), '{% for e in section.expiring %}RENEW {{ e.cn }}\n{% endfor %}');
    const conf = path.join(sb.etc, 'syschangemon.conf');
    const original = fs.readFileSync(conf, 'utf8');
    fs.writeFileSync(conf, original.replace('[syschangemon]\n', `[syschangemon]\ntemplate_dir = ${dir}\n`));
    try {
      const r = sb.run('print-report', '--format', 'text');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^RENEW carol\nRENEW alice$/m);
      assert.match(r.stdout, /^syschangemon report for /m, 'the rest of the bundled template is used');
    } finally {
      fs.writeFileSync(conf, original);
    }
  });

  test("export --format sudo-rules prints the sudoers collector's rules", () => {
    const r = sb.run('export', '--format', 'sudo-rules');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(lines[0], ['file', 'users', 'hosts', 'runas_users', 'runas_groups', 'tags', 'commands']);
    assert.deepEqual(lines.slice(1).map((l) => l.slice(1)), [
      ['%ops', 'web1', 'www-data', '', 'NOPASSWD', '/usr/bin/systemctl restart nginx'],
      ['root', 'ALL', 'ALL', 'ALL', '', 'ALL'],
    ], 'in key order');
    const bad = sb.run('export', '--format', 'nonesuch');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sudo-rules/);
  });
});
