/** The sudoers collector end to end: a rule dropped into sudoers.d is reported with who, what and as whom. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';

describe('sudoers end to end: a new rule in sudoers.d', () => {
  let sb: Sandbox;
  let report: any;
  before(() => {
    sb = sandbox({});
    const etc = path.join(sb.dir, 'sudo');
    fs.mkdirSync(path.join(etc, 'sudoers.d'), { recursive: true });
    fs.writeFileSync(path.join(etc, 'sudoers'), 'root ALL=(ALL:ALL) ALL\n@includedir sudoers.d\n');
    sb.writePlugin('sudoers', `[sudoers]\nenable_plugin = true\nsudoers_path = ${etc}/sudoers\n`);
    assert.equal(sb.run('collect').code, 0);
    fs.writeFileSync(path.join(etc, 'sudoers.d', 'backdoor'), 'Cmnd_Alias SHELLS = /bin/sh, /bin/bash\nmallory ALL=(ALL) NOPASSWD: SHELLS\n');
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    report = sb.json('print-report', '--format', 'json');
  });
  after(() => sb.cleanup());

  test('the rule is added, aliases expanded, NOPASSWD and root recorded', () => {
    assert.deepEqual(report.changes.map((c: any) => [c.key, c.change]), [[`sudoers://${sb.dir}/sudo/sudoers.d/backdoor/mallory ALL = (ALL) NOPASSWD: /bin/sh, /bin/bash`, 'added']]);
    const a = report.changes[0].attributes;
    assert.equal(a.users.new, 'mallory');
    assert.equal(a.commands.new, '/bin/sh, /bin/bash');
    assert.equal(a.nopasswd.new, true);
    assert.equal(a.as_root.new, true);
  });
});
