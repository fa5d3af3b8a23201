import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoginSession, Report } from '../../core/report-model.js';
import { activeBetween, enrichLogins, loginOf } from './logins.js';
import { isoToMicros } from './time.js';

const S = (user: string, login: string, logout: string | null, line = 'pts/0'): LoginSession => ({ user, line, host: '', login, logout });

function report(changes: Report['changes']): Report {
  const ref = (started_at: string, finished_at: string) => ({ uuid: 'u', started_at, finished_at, item_count: 0 });
  return {
    uuid: 'r', created_at: '2024-05-01T12:00:00.000Z', hostname: 'h',
    old_session: ref('2024-05-01T10:00:00.000Z', '2024-05-01T10:00:05.000Z'),
    new_session: ref('2024-05-01T11:00:00.000Z', '2024-05-01T11:00:05.000Z'),
    summary: { added: 0, removed: 0, changed: 0, errors: 0 }, changes, logins: [], errors: [],
  };
}

const sessions = [
  S('late', '2024-05-01T11:00:05.000001Z', null),
  S('before', '2024-05-01T08:00:00.000000Z', '2024-05-01T09:59:59.999999Z'),
  S('edge', '2024-05-01T09:00:00.000000Z', '2024-05-01T10:00:00.000000Z', 'pts/1'),
  S('open', '2024-05-01T09:30:00.000000Z', null, 'tty1'),
  S('during', '2024-05-01T10:20:00.000000Z', '2024-05-01T10:40:00.000000Z', 'pts/2'),
];

test('report.logins: sessions active between the old start and the new finish, by login', () => {
  const r = report([]);
  enrichLogins(r, sessions);
  assert.deepEqual(r.logins.map((s) => s.user), ['edge', 'open', 'during']);
});

test('change.logins: sessions open at the new ctime (else mtime); none → absent', () => {
  const r = report([
    { key: 'file:///a', plugin: 'file', change: 'changed', attributes: { ctime: { old: 'x', new: '2024-05-01T10:30:00.123456789Z' } } },
    { key: 'file:///b', plugin: 'file', change: 'added', attributes: { mtime: { old: undefined, new: '2024-05-01T09:45:00Z' } } },
    { key: 'file:///c', plugin: 'file', change: 'changed', attributes: { ctime: { old: 'x', new: '2024-05-01T07:00:00Z' } } },
    { key: 'file:///d', plugin: 'file', change: 'removed', attributes: { ctime: { old: '2024-05-01T10:30:00Z', new: undefined } } },
    { key: 'command://x', plugin: 'command', change: 'changed', attributes: { exit_code: { old: 0, new: 1 } } },
  ]);
  enrichLogins(r, sessions);
  assert.deepEqual(r.changes[0]!.logins?.map((s) => s.user), ['open', 'during']);
  assert.deepEqual(r.changes[1]!.logins?.map((s) => s.user), ['before', 'edge', 'open']);
  assert.equal(r.changes[2]!.logins, undefined);
  assert.equal(r.changes[3]!.logins, undefined);
  assert.equal(r.changes[4]!.logins, undefined);
});

test('activeBetween is inclusive at both ends; loginOf ignores error and malformed items', () => {
  const t = isoToMicros('2024-05-01T10:00:00Z');
  assert.deepEqual(activeBetween(sessions, t, t).map((s) => s.user), ['edge', 'open']);
  assert.equal(isoToMicros('2024-05-01T10:00:00.0000019Z') - t, 1);
  assert.equal(loginOf({ key: 'k', plugin: 'wtmp', attributes: { login: 'soon' }, contentHashes: {}, error: null }), undefined);
  assert.equal(loginOf({ key: 'k', plugin: 'wtmp', attributes: { login: '2024-05-01T10:00:00Z' }, contentHashes: {}, error: 'EACCES' }), undefined);
  assert.deepEqual(loginOf({ key: 'k', plugin: 'wtmp', attributes: { user: 'a', line: 'l', host: 'h', login: '2024-05-01T10:00:00Z', logout: null }, contentHashes: {}, error: null }),
    { user: 'a', line: 'l', host: 'h', login: '2024-05-01T10:00:00Z', logout: null });
});
