import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectSshKeys, sshKeysOptions } from './index.js';
import { authorizedKeysFiles, expandTokens, parseAuthorizedKeys } from './parse.js';

const haveKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== 'ENOENT';
  }
})();

function keygen(dir: string, type: string, bits?: number): string {
  const f = path.join(dir, `id_${type}${bits ?? ''}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `${type}@test`, '-f', f]);
  return fs.readFileSync(`${f}.pub`, 'utf8').trim();
}

test('sshd_config: the first AuthorizedKeysFile outside Match; tokens', () => {
  assert.deepEqual(authorizedKeysFiles('# x\nInclude /etc/ssh/sshd_config.d/*.conf\nAuthorizedKeysFile .ssh/a %h/b\nAuthorizedKeysFile c\n'), { files: ['.ssh/a', '%h/b'], includes: ['/etc/ssh/sshd_config.d/*.conf'], inMatch: false });
  assert.deepEqual(authorizedKeysFiles('Match User x\n  AuthorizedKeysFile /x\n'), { includes: [], inMatch: true });
  assert.equal(expandTokens('/etc/ssh/keys/%u.%U%%', { name: 'bob', uid: 7, home: '/h' }), '/etc/ssh/keys/bob.7%');
  assert.equal(expandTokens('.ssh/authorized_keys', { name: 'bob', uid: 7, home: '/home/bob/' }), '/home/bob/.ssh/authorized_keys');
});

test('authorized_keys lines: options with quoted spaces and commas, bad lines by number', () => {
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const k = Buffer.concat([u32(11), Buffer.from('ssh-ed25519'), u32(32), Buffer.alloc(32, 7)]).toString('base64');
  const { keys, problems } = parseAuthorizedKeys(`# c\ncommand="echo a, b",from="10.0.0.0/8" ssh-ed25519 ${k} me@x y\n\nnot a key\nssh-rsa ${k}\n`);
  assert.equal(keys.length, 1);
  assert.equal(keys[0]!.options, 'command="echo a, b",from="10.0.0.0/8"');
  assert.equal(keys[0]!.comment, 'me@x y');
  assert.deepEqual(problems, [{ line: 4, message: 'not a public key line' }, { line: 5, message: 'key type ssh-rsa does not match the key (ssh-ed25519)' }]);
});

describe('ssh_keys on fixture homes, checked against ssh-keygen -l', { skip: !haveKeygen && 'ssh-keygen (openssh-client) not installed' }, () => {
  let dir: string;
  let ctx: TestContext;
  let keys: Record<string, string>;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-sshkeys-'));
    const gen = path.join(dir, 'gen');
    fs.mkdirSync(gen);
    keys = { ed: keygen(gen, 'ed25519'), rsa: keygen(gen, 'rsa', 3072), ec: keygen(gen, 'ecdsa', 384) };
    for (const u of ['root', 'alice', 'mallory', 'eve']) fs.mkdirSync(path.join(dir, 'home', u, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'passwd'), [
      `root:x:0:0::${dir}/home/root:/bin/bash`,
      `alice:x:1000:1000::${dir}/home/alice:/bin/bash`,
      `mallory:x:1001:1001::${dir}/home/mallory:/bin/bash`,
      `eve:x:1002:1002::${dir}/home/eve:/bin/bash`,
      'nohome:x:1003:1003::/nonexistent:/usr/sbin/nologin',
      '',
    ].join('\n'));
    fs.mkdirSync(path.join(dir, 'etc', 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sshd_config'), `Include ${dir}/sshd_config.d/*.conf\nPermitRootLogin no\n`);
    fs.mkdirSync(path.join(dir, 'sshd_config.d'));
    fs.writeFileSync(path.join(dir, 'sshd_config.d', '10-keys.conf'), `AuthorizedKeysFile .ssh/authorized_keys ${dir}/etc/keys/%u\n`);
    fs.writeFileSync(path.join(dir, 'home', 'root', '.ssh', 'authorized_keys'), `${keys.ed}\nno-pty,from="192.0.2.0/24" ${keys.rsa}\n`);
    fs.writeFileSync(path.join(dir, 'etc', 'keys', 'alice'), `${keys.ec}\n`);
    // mallory's authorized_keys is a symlink to a file she may not read; eve's .ssh is one.
    fs.writeFileSync(path.join(dir, 'secret'), `${keys.ed}\n`);
    fs.symlinkSync(path.join(dir, 'secret'), path.join(dir, 'home', 'mallory', '.ssh', 'authorized_keys'));
    fs.rmSync(path.join(dir, 'home', 'eve', '.ssh'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    fs.writeFileSync(path.join(dir, 'elsewhere', 'authorized_keys'), `${keys.rsa}\n`);
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'home', 'eve', '.ssh'));
    ctx = new TestContext('ssh_keys');
    collectSshKeys(ctx, sshKeysOptions({ passwd_path: path.join(dir, 'passwd'), sshd_config_path: path.join(dir, 'sshd_config') }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('fingerprints and sizes are exactly what ssh-keygen -l prints', () => {
    const file = path.join(dir, 'home', 'root', '.ssh', 'authorized_keys');
    const expected = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(' '));
    const mine = ctx.items.filter((i) => i.key.startsWith('ssh_keys://root/'));
    assert.deepEqual(mine.map((i) => [String(i.attributes.bits), i.attributes.fingerprint]), expected.map((e) => [e[0], e[1]]));
    assert.deepEqual(mine.map((i) => i.key), expected.map((e) => `ssh_keys://root/${e[1]}`));
    const rsa = mine.find((i) => i.attributes.type === 'ssh-rsa')!;
    assert.equal(rsa.attributes.bits, 3072);
    assert.equal(rsa.attributes.options, 'no-pty,from="192.0.2.0/24"');
    assert.equal(rsa.attributes.comment, 'rsa@test');
    assert.equal(rsa.attributes.file, file);
  });

  test('AuthorizedKeysFile from an Included file, with %u', () => {
    const alice = ctx.items.filter((i) => i.key.startsWith('ssh_keys://alice/'));
    const fp = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'etc', 'keys', 'alice')], { encoding: 'utf8' }).split(' ');
    assert.deepEqual(alice.map((i) => [i.attributes.type, i.attributes.bits, i.attributes.fingerprint]), [['ecdsa-sha2-nistp384', 384, fp[1]]]);
  });

  test('symlinks are not followed, at the file or at a directory on the way', () => {
    assert.equal(ctx.items.filter((i) => i.key.startsWith('ssh_keys://mallory/') || i.key.startsWith('ssh_keys://eve/')).length, 0);
    const errs = Object.fromEntries(ctx.errors.map((e) => [e.key, e.message]));
    const m = path.join(dir, 'home', 'mallory', '.ssh', 'authorized_keys');
    const e = path.join(dir, 'home', 'eve', '.ssh', 'authorized_keys');
    assert.equal(errs[`ssh_keys://${m}`], `${m}: is a symlink; not followed`);
    assert.equal(errs[`ssh_keys://${e}`], `${e}: a symlink on the path leads to ${dir}/elsewhere/authorized_keys; not read`);
    assert.equal(ctx.errors.length, 2, JSON.stringify(ctx.errors));
  });
});
