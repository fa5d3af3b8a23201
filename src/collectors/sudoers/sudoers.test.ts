import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectSudoers } from './index.js';
import { expand, parseSudoers, ruleText } from './parse.js';

test('user specifications: runas and tags carry over, host groups split, continuations, comments', () => {
  const p = parseSudoers([
    '# comment',
    'User_Alias OPS = bob, carol : ADMINS = %wheel, OPS',
    'Cmnd_Alias SVC = /usr/bin/systemctl restart nginx, /usr/bin/systemctl reload nginx',
    'OPS ALL = (root) NOPASSWD: SVC, /usr/bin/journalctl, (www-data) /bin/ls : web1 = ALL',
    'alice host1, host2 = (ALL : adm) NOPASSWD: SETENV: /bin/sh \\',
    '   , PASSWD: /bin/bash  # trailing comment',
    '#1000 ALL = ALL',
    'garbage',
    '@includedir /etc/sudoers.d',
  ].join('\n'));
  const texts = p.entries.map((e) => (e.kind === 'rule' ? ruleText({ ...e, users: expand(e.users, 'User_Alias', p.aliases), commands: expand(e.commands, 'Cmnd_Alias', p.aliases) }) : ''));
  assert.deepEqual(texts, [
    'bob, carol ALL = (root) NOPASSWD: /usr/bin/systemctl restart nginx, /usr/bin/systemctl reload nginx, /usr/bin/journalctl',
    'bob, carol ALL = (www-data) NOPASSWD: /bin/ls',
    'bob, carol web1 = (root) ALL',
    'alice host1, host2 = (ALL : adm) NOPASSWD: SETENV: /bin/sh',
    'alice host1, host2 = (ALL : adm) SETENV: PASSWD: /bin/bash',
    '#1000 ALL = (root) ALL',
  ]);
  assert.deepEqual(expand(['ADMINS'], 'User_Alias', p.aliases), ['%wheel', 'bob', 'carol']);
  assert.deepEqual(p.includes, [{ kind: 'includedir', path: '/etc/sudoers.d', line: 9 }]);
  assert.deepEqual(p.problems, [{ line: 8, message: 'not an alias, Defaults or user specification' }]);
});

describe('sudoers on a fixture tree with includes', () => {
  let dir: string;
  let ctx: TestContext;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-sudoers-'));
    fs.mkdirSync(path.join(dir, 'sudoers.d'));
    fs.writeFileSync(path.join(dir, 'sudoers'), 'Defaults\tenv_reset\nDefaults:OPS !authenticate\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@include extra\n#includedir sudoers.d\n');
    fs.writeFileSync(path.join(dir, 'extra'), 'User_Alias OPS = bob, carol\n');
    fs.writeFileSync(path.join(dir, 'sudoers.d', 'ops'), 'OPS ALL=(root) NOPASSWD: /usr/bin/systemctl\n');
    fs.writeFileSync(path.join(dir, 'sudoers.d', 'ops.bak'), 'mallory ALL=(ALL) NOPASSWD: ALL\n');
    fs.writeFileSync(path.join(dir, 'sudoers.d', 'ops~'), 'mallory ALL=(ALL) NOPASSWD: ALL\n');
    ctx = new TestContext('sudoers');
    collectSudoers(ctx, { sudoersPath: path.join(dir, 'sudoers') });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('rules from the main file and the includes; aliases from another file expanded', () => {
    const main = path.join(dir, 'sudoers');
    assert.deepEqual(ctx.items.map((i) => i.key), [
      `sudoers://${main}/Defaults env_reset`,
      `sudoers://${main}/Defaults:OPS !authenticate`,
      `sudoers://${main}/root ALL = (ALL : ALL) ALL`,
      `sudoers://${main}/%25sudo ALL = (ALL : ALL) ALL`, // % is key-encoded
      `sudoers://${dir}/sudoers.d/ops/bob, carol ALL = (root) NOPASSWD: /usr/bin/systemctl`,
    ]);
    assert.deepEqual(ctx.items[4]!.attributes, {
      kind: 'rule', users: 'bob, carol', hosts: 'ALL', runas_users: 'root', runas_groups: '', tags: 'NOPASSWD', commands: '/usr/bin/systemctl',
      nopasswd: true, all_commands: false, as_root: true, file: `${dir}/sudoers.d/ops`,
    });
    assert.equal(ctx.items[3]!.attributes.all_commands, true);
    assert.ok(!JSON.stringify(ctx.items).includes('mallory'), 'files with a dot or ending in ~ are skipped, as sudo does');
  });

  test('a missing sudoers is a note; an include cycle is read once', () => {
    const c = new TestContext('sudoers');
    collectSudoers(c, { sudoersPath: path.join(dir, 'none') });
    assert.deepEqual(c.notes, [`sudoers: ${dir}/none does not exist`]);
    fs.writeFileSync(path.join(dir, 'loop'), `@include ${dir}/loop\nalice ALL = ALL\n`);
    const l = new TestContext('sudoers');
    collectSudoers(l, { sudoersPath: path.join(dir, 'loop') });
    assert.equal(l.items.length, 1);
  });
});

test('export sudo-rules: one line per rule, control characters shown, never raw', async () => {
  const { sudoRulesExport } = await import('./export.js');
  const items = [
    { key: 'sudoers:///etc/sudoers/x', plugin: 'sudoers', attributes: { kind: 'rule', file: '/etc/sudoers', users: 'bob', hosts: 'ALL', runas_users: 'root', runas_groups: '', tags: '', commands: '/bin/echo \x1b]0;PWNED\x07\tdone' }, contentHashes: {} },
    { key: 'sudoers:///etc/sudoers/d', plugin: 'sudoers', attributes: { kind: 'defaults', scope: 'Defaults', settings: 'env_reset', file: '/etc/sudoers' }, contentHashes: {} },
  ];
  const text = [...sudoRulesExport.write(items as never, { uuid: 'u', started_at: 't', hostname: 'h' })].join('');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 2, 'the header and the one rule; Defaults lines are not rules');
  assert.equal(lines[1], '/etc/sudoers\tbob\tALL\troot\t\t\t/bin/echo \\x1b]0;PWNED\\x07 done');
  assert.ok(!/[\x1b\x07]/.test(text));
});
