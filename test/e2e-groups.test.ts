/**
 * The groups collector end to end: the built CLI on group/gshadow/passwd fixtures. A member
 * added to sudo is reported as a set difference; reordering a member list is no change.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { GROUP_HASH, groupFixture } from '../src/collectors/groups/testdata/fixture.js';

describe('groups end to end: bob joins sudo', () => {
  let sb: Sandbox;
  let report: any;
  let text: string;
  before(() => {
    sb = sandbox({});
    const f = groupFixture(sb.dir);
    sb.writePlugin('groups', `[groups]\nenable_plugin = true\ngroup_path = ${f.group}\ngshadow_path = ${f.gshadow}\npasswd_path = ${f.passwd}\n`);
    assert.equal(sb.run('collect').code, 0);
    const g = fs.readFileSync(f.group, 'utf8').replace('sudo:x:27:alice', 'sudo:x:27:bob,alice').replace('team:x:1001:carol,bob,alice', 'team:x:1001:alice,bob,carol').replace('adm:x:4:syslog,alice', 'adm:x:4:syslog');
    fs.writeFileSync(f.group, g + 'wheel:x:10:mallory\n');
    // As gpasswd and usermod do, gshadow follows.
    fs.writeFileSync(f.gshadow, fs.readFileSync(f.gshadow, 'utf8').replace('sudo:*::alice', 'sudo:*::alice,bob').replace('adm:*::syslog,alice', 'adm:*::syslog') + 'wheel:!::mallory\n');
    const run = sb.run('run');
    assert.equal(run.code, 0, run.stderr);
    report = sb.json('print-report', '--format', 'json');
    text = sb.run('print-report', '--format', 'text').stdout;
  });
  after(() => sb.cleanup());

  test('sudo: +bob, adm: -alice, a new group, and no change for a reordered list', () => {
    const byKey = Object.fromEntries(report.changes.map((c: any) => [c.key, c]));
    assert.deepEqual(Object.keys(byKey).sort(), ['groups://adm', 'groups://sudo', 'groups://wheel']);
    assert.equal(byKey['groups://sudo'].note, 'sudo: +bob');
    assert.deepEqual(byKey['groups://sudo'].attributes, { members: { old: 'alice', new: 'alice,bob' } });
    assert.equal(byKey['groups://adm'].note, 'adm: -alice');
    assert.equal(byKey['groups://wheel'].change, 'added');
    assert.match(text, /\(sudo: \+bob\)/);
  });

  test('no byte of a group password hash is stored or printed', () => {
    const part = GROUP_HASH.split('$')[3]!;
    for (const e of fs.readdirSync(sb.storage, { recursive: true, withFileTypes: true })) {
      if (e.isFile()) assert.equal(fs.readFileSync(`${e.parentPath}/${e.name}`).indexOf(part), -1);
    }
    assert.ok(!text.includes(part) && !JSON.stringify(report).includes(part));
  });
});
