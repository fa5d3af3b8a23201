/**
 * openvpn_users end to end: the built CLI on an easy-rsa-shaped PKI made by openssl. A client
 * revoked (with gen-crl) and a new client certificate are reported with their severities;
 * days_left alone is not a change.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { TestPki } from '../src/collectors/openvpn_users/testdata/pki.js';

describe('openvpn_users end to end', () => {
  let sb: Sandbox;
  let pki: TestPki;
  before(() => {
    sb = sandbox({});
    pki = new TestPki(path.join(sb.dir, 'pki'));
    pki.issue('alice');
    pki.issue('bob');
    pki.genCrl();
    sb.writePlugin('openvpn_users', `[openvpn_users]\nenable_plugin = true\npki = ${pki.dir}\n`);
    const r = sb.run('collect');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => sb.cleanup());

  test('a revoked client and a new one are reported', () => {
    pki.revoke('alice');
    pki.genCrl();
    pki.issue('mallory');
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    const report = sb.json('print-report', '--format', 'json');
    const ours = report.changes.filter((c: any) => c.plugin === 'openvpn_users');
    assert.deepEqual(ours.map((c: any) => [c.key, c.change, c.severity]), [['openvpn_users://alice', 'changed', 'info'], ['openvpn_users://mallory', 'added', 'high']]);
    const alice = ours[0].attributes;
    assert.deepEqual([alice.status.old, alice.status.new, alice.in_crl.new], ['valid', 'revoked', true]);
    assert.equal(ours[1].severity_reason, 'new VPN certificate for mallory');
    const text = sb.run('print-report', '--format', 'text').stdout;
    assert.match(text, /\+ openvpn_users:\/\/mallory/);
    assert.match(text, /status: valid -> revoked|status.*valid.*revoked/);
  });

  test('an unchanged PKI gives no change (days_left is ignored by default)', () => {
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    const report = sb.json('print-report', '--format', 'json');
    assert.deepEqual(report.changes.filter((c: any) => c.plugin === 'openvpn_users'), []);
  });
});
