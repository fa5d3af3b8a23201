/**
 * Every registered collector is documented, has a sample config that loads, and has tests;
 * every command renders its help.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { COLLECTORS } from '../src/collectors/index.js';
import { COMMANDS } from '../src/commands/index.js';
import { CLI, ROOT } from './helpers.js';

for (const c of COLLECTORS) {
  test(`collector ${c.name} has README.md, sample.conf, tests and a bundled config`, () => {
    const dir = path.join(ROOT, 'src', 'collectors', c.name);
    assert.ok(fs.existsSync(path.join(dir, 'README.md')), 'README.md');
    const sample = fs.readFileSync(path.join(dir, 'sample.conf'), 'utf8');
    assert.match(sample, new RegExp(`^\\[${c.name}\\]`, 'm'));
    assert.ok(fs.readdirSync(dir).some((n) => n.endsWith('.test.ts')), 'a test file');
    const bundled = path.join(ROOT, 'etc', 'syschangemon', 'plugins.d', `${c.name}.conf`);
    assert.equal(fs.readFileSync(bundled, 'utf8'), sample, 'etc/syschangemon/plugins.d copy equals sample.conf');
    assert.ok(c.description.length > 0);
    for (const [key, spec] of Object.entries(c.options)) assert.ok(spec.description, `${key} has a description`);
  });
}

test('the bundled configuration loads and collects', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-bundled-'));
  try {
    fs.cpSync(path.join(ROOT, 'etc', 'syschangemon'), path.join(tmp, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'etc', 'plugins.d', 'storage.conf'), `[storage]\ndir = ${tmp}/state\n`);
    const r = spawnSync(process.execPath, [CLI, '-c', path.join(tmp, 'etc'), 'collect'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = spawnSync(process.execPath, [CLI, '-c', path.join(tmp, 'etc'), 'list-sessions', '--format', 'json'], { encoding: 'utf8' });
    assert.equal(JSON.parse(s.stdout).length, 1);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

for (const cmd of COMMANDS) {
  test(`command ${cmd.name} renders help`, () => {
    const r = spawnSync(process.execPath, [CLI, cmd.name, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`syschangemon ${cmd.name}`));
    assert.ok(r.stdout.includes(cmd.describe.split(' ')[0]!));
  });
}
