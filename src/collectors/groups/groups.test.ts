import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectGroups, groupsOptions } from './index.js';
import { parseGroup, parseGshadow, setDelta } from './parse.js';
import { GROUP_HASH, groupFixture } from './testdata/fixture.js';

test('parsers and set differences', () => {
  const g = parseGroup('a:x:1:b,a,,b\n# c\nz:x:2\n');
  assert.deepEqual(g.entries[0]!.members, ['a', 'b']);
  assert.deepEqual(g.problems, [{ line: 3, message: 'expected 4 colon-separated fields, found 3' }]);
  assert.equal(parseGshadow(`t:${GROUP_HASH}:x:\n`).entries[0]!.password, 'set');
  assert.equal(setDelta('alice', 'alice,bob'), '+bob');
  assert.equal(setDelta('alice,bob', 'carol'), '+carol -alice -bob');
  assert.equal(setDelta('', ''), '');
});

describe('groups on fixture files', () => {
  let dir: string;
  let ctx: TestContext;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-groups-'));
    const f = groupFixture(dir);
    ctx = new TestContext('groups');
    collectGroups(ctx, groupsOptions({ group_path: f.group, gshadow_path: f.gshadow, passwd_path: f.passwd }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('gid, sorted members, primary members, administrators, password state', () => {
    assert.deepEqual(ctx.item('groups://sudo')?.attributes, { gid: 27, members: 'alice', primary_members: '', password: 'none', admins: '' });
    assert.deepEqual(ctx.item('groups://team')?.attributes, { gid: 1001, members: 'alice,bob,carol', primary_members: 'bob', password: 'set', admins: 'bob' });
    assert.equal(ctx.item('groups://root')?.attributes.primary_members, 'root');
    assert.equal(ctx.item('groups://bad'), undefined);
    assert.ok(ctx.notes.includes(`groups: ${dir}/group:7: gid must be a number; line skipped`), ctx.notes.join('\n'));
    assert.ok(!JSON.stringify(ctx.items).includes('GsAlt9xQ'));
  });

  test('an unreadable gshadow is a note; groups are still recorded', () => {
    const c = new TestContext('groups');
    collectGroups(c, groupsOptions({ group_path: path.join(dir, 'group'), gshadow_path: path.join(dir, 'none'), passwd_path: path.join(dir, 'passwd') }));
    assert.deepEqual(c.item('groups://sudo')?.attributes, { gid: 27, members: 'alice', primary_members: '' });
    assert.deepEqual(c.notes.filter((n) => n.includes('/none')), [`groups: ${dir}/none: does not exist; group administrators and passwords not recorded`]);
  });
});

const isRoot = process.getuid?.() === 0;

describe('groups on this machine: a real group and member made by groupadd and gpasswd', { skip: !isRoot && 'needs root' }, () => {
  const n = process.pid % 100000;
  const group = `scmg${n}`;
  const user = `scmu${n}`;
  before(() => {
    execFileSync('groupadd', [group]);
    execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', user]);
  });
  after(() => {
    spawnSync('userdel', [user]);
    spawnSync('groupdel', [group]);
  });

  test('members and administrators from /etc/group and /etc/gshadow', () => {
    execFileSync('gpasswd', ['-a', user, group], { stdio: 'ignore' });
    execFileSync('gpasswd', ['-A', user, group], { stdio: 'ignore' });
    const ctx = new TestContext('groups');
    collectGroups(ctx, groupsOptions({}));
    const a = ctx.item(`groups://${group}`)?.attributes;
    const gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
    assert.equal(a?.gid, gid);
    assert.equal(a?.members, user);
    assert.equal(a?.admins, user);
    assert.equal(ctx.item('groups://root')?.attributes.gid, 0);
  });
});
