/**
 * openvpn_users on a PKI made by openssl in the test, shaped as easy-rsa makes it (`openssl ca`
 * keeps index.txt; certs_by_serial/, issued/, crl.pem): valid, revoked (in the CRL, and revoked
 * after the CRL was made), expired, re-issued and expiring certificates; a bad index line; a
 * symlinked index.txt; a missing PKI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectOpenvpnUsers, openvpnUsersOptions } from './index.js';
import { asn1Time, parseCrlText, parseIndex, subjectCN } from './parse.js';
import { TestPki } from './testdata/pki.js';

test('index.txt, times, subjects and CRL text', () => {
  assert.equal(asn1Time('290305121407Z'), '2029-03-05T12:14:07Z');
  assert.equal(asn1Time('20510101000000Z'), '2051-01-01T00:00:00Z');
  assert.equal(asn1Time('991231235959Z'), '1999-12-31T23:59:59Z');
  assert.equal(asn1Time('2901'), undefined);
  assert.equal(subjectCN('/C=DE/O=Example/CN=alice/emailAddress=a@example.org'), 'alice');
  assert.equal(subjectCN('CN = bob, O = x'), 'bob');
  assert.equal(subjectCN('/O=none'), null);
  const r = parseIndex('V\t290305121407Z\t\t0A\tunknown\t/CN=a\nR\t290305121407Z\t261201121407Z,superseded\t0b\tunknown\t/CN=b\nX\t1\t\t1\tu\t/CN=c\nV\tbad\n');
  assert.deepEqual(r.entries.map((e) => [e.flag, e.serial, e.cn, e.revokedAt, e.reason]), [['V', '0A', 'a', null, null], ['R', '0B', 'b', '2026-12-01T12:14:07Z', 'superseded']]);
  assert.deepEqual(r.problems, [{ line: 3, message: "unknown status 'X' (expected V, R or E)" }, { line: 4, message: 'expected 6 tab-separated fields, found 2' }]);
  const crl = parseCrlText('        Last Update: Dec  1 12:14:07 2026 GMT\n        Next Update: May 30 12:14:07 2027 GMT\nRevoked Certificates:\n    Serial Number: 02\n    Serial Number: 1A2B\n');
  assert.deepEqual([...crl.serials], ['2', '1A2B']);
  assert.equal(crl.nextUpdate, '2027-05-30T12:14:07Z');
});

describe('openvpn_users on an easy-rsa PKI', () => {
  let dir: string;
  let pki: TestPki;
  const serials: Record<string, string> = {};
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-openvpn-'));
    pki = new TestPki(path.join(dir, 'pki'));
    for (const cn of ['alice', 'bob', 'carol', 'dave']) serials[cn] = pki.issue(cn);
    serials.old = pki.issue('old', { enddate: '20210101000000Z' });
    serials.srv = pki.issue('srv', { type: 'server' });
    serials.eve = pki.issue('eve', { days: 10 });
    pki.revoke('bob');
    pki.revoke('dave', 'superseded');
    serials.dave2 = pki.issue('dave');
    pki.genCrl();
    pki.revoke('carol'); // after gen-crl: the CRL does not list it
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const collect = (opts: Record<string, unknown> = {}) => {
    const ctx = new TestContext('openvpn_users');
    collectOpenvpnUsers(ctx, { ...openvpnUsersOptions({ pki: pki.dir, ...opts }) });
    return { ctx, by: new Map(ctx.items.map((i) => [i.key, i.attributes])) };
  };

  test('status, serial, expiry, days left, CRL and the issued certificate', () => {
    const { ctx, by } = collect();
    assert.deepEqual(ctx.errors, []);
    assert.deepEqual([...by.keys()], ['alice', 'bob', 'carol', 'dave', 'eve', 'old', 'srv'].map((c) => `openvpn_users://${c}`));
    const alice = by.get('openvpn_users://alice')!;
    const fp = execFileSync('openssl', ['x509', '-in', path.join(pki.dir, 'issued', 'alice.crt'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).trim().split('=')[1];
    const end = execFileSync('openssl', ['x509', '-in', path.join(pki.dir, 'issued', 'alice.crt'), '-noout', '-enddate'], { encoding: 'utf8' }).trim().split('=')[1]!;
    assert.deepEqual(
      { ...alice, days_left: undefined },
      { status: 'valid', serial: serials.alice, expiry: new Date(end).toISOString().replace('.000Z', 'Z'), days_left: undefined, expiring: false, revoked_at: null, revocation_reason: null, in_crl: false, certificates: 1, valid_certificates: 1, subject: '/CN=alice', usage: 'client', fingerprint: fp },
    );
    assert.ok(Math.abs(Number(alice.days_left) - Math.floor((Date.parse(String(alice.expiry)) - Date.now()) / 86_400_000)) <= 1);
    const bob = by.get('openvpn_users://bob')!;
    assert.deepEqual([bob.status, bob.in_crl, bob.revocation_reason, typeof bob.revoked_at], ['revoked', true, 'keyCompromise', 'string']);
    const carol = by.get('openvpn_users://carol')!;
    assert.deepEqual([carol.status, carol.in_crl], ['revoked', false]);
    assert.ok(ctx.notes.some((n) => /carol \(serial .*\) is revoked in index\.txt but not in .*crl\.pem: OpenVPN still accepts it/.test(n)), ctx.notes.join('\n'));
    const dave = by.get('openvpn_users://dave')!;
    assert.deepEqual([dave.status, dave.serial, dave.certificates, dave.valid_certificates], ['valid', serials.dave2, 2, 1]);
    const old = by.get('openvpn_users://old')!;
    assert.deepEqual([old.status, old.expiry, old.expiring], ['expired', '2021-01-01T00:00:00Z', false]);
    assert.ok(Number(old.days_left) < -365);
    const eve = by.get('openvpn_users://eve')!;
    assert.deepEqual([eve.status, eve.expiring], ['valid', true]);
    assert.ok(Number(eve.days_left) >= 9 && Number(eve.days_left) <= 10);
    assert.equal(by.get('openvpn_users://srv')!.usage, 'server');
    // A CRL in another place (OpenVPN's crl-verify copy) that lists nothing.
    const { by: by2 } = collect({ crl_path: path.join(dir, 'none.pem'), warn_days: 5 });
    assert.deepEqual([by2.get('openvpn_users://bob')!.in_crl, by2.get('openvpn_users://bob')!.status, by2.get('openvpn_users://eve')!.expiring], [null, 'revoked', false]);
  });

  test('a bad index line is a note naming its line; a symlinked index.txt is an error; no PKI is a note', () => {
    const copy = path.join(dir, 'copy');
    fs.cpSync(pki.dir, copy, { recursive: true });
    fs.appendFileSync(path.join(copy, 'index.txt'), 'V\tnot-a-time\t\t99\tunknown\t/CN=zed\n');
    const lines = fs.readFileSync(path.join(copy, 'index.txt'), 'utf8').trimEnd().split('\n').length;
    let r = collect({ pki: copy });
    assert.ok(r.ctx.notes.includes(`openvpn_users: ${copy}/index.txt:${lines}: bad expiry time; line skipped`), r.ctx.notes.join('\n'));
    assert.equal(r.by.size, 7);
    const linked = path.join(dir, 'linked');
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(pki.dir, 'index.txt'), path.join(linked, 'index.txt'));
    r = collect({ pki: linked });
    assert.equal(r.ctx.items.length, 0);
    assert.match(r.ctx.errors[0]!.message, /index\.txt: .*(ELOOP|symbolic link)/);
    r = collect({ pki: path.join(dir, 'absent') });
    assert.deepEqual([r.ctx.items.length, r.ctx.errors.length], [0, 0]);
    assert.match(r.ctx.notes[0]!, /absent\/index\.txt does not exist; no PKI, nothing recorded/);
  });
});
