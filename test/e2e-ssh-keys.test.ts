/** The ssh_keys collector end to end: the built CLI reports a key added for root. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';

describe('ssh_keys end to end: a new key for root', () => {
  let sb: Sandbox;
  let report: any;
  let fp: string;
  before(() => {
    sb = sandbox({});
    const home = path.join(sb.dir, 'root');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(sb.dir, 'passwd'), `root:x:0:0::${home}:/bin/bash\n`);
    fs.writeFileSync(path.join(sb.dir, 'sshd_config'), '');
    sb.writePlugin('ssh_keys', `[ssh_keys]\nenable_plugin = true\npasswd_path = ${sb.dir}/passwd\nsshd_config_path = ${sb.dir}/sshd_config\n`);
    assert.equal(sb.run('collect').code, 0);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'intruder', '-f', path.join(sb.dir, 'k')]);
    fs.writeFileSync(path.join(home, '.ssh', 'authorized_keys2'), fs.readFileSync(path.join(sb.dir, 'k.pub')));
    fp = execFileSync('ssh-keygen', ['-l', '-f', path.join(sb.dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1]!;
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    report = sb.json('print-report', '--format', 'json');
  });
  after(() => sb.cleanup());

  test('the key is an added item with its fingerprint and comment', () => {
    assert.deepEqual(report.changes.map((c: any) => [c.key, c.change]), [[`ssh_keys://root/${fp}`, 'added']]);
    assert.equal(report.changes[0].attributes.comment.new, 'intruder');
    assert.equal(report.changes[0].attributes.type.new, 'ssh-ed25519');
  });
});
