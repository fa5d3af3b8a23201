/**
 * The module boundaries the code keeps (CONTRIBUTING.md): the core knows no collector, mail or
 * log module (src/cli.ts composes them), and nothing registers itself by being imported.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/** The modules a source file imports (static and dynamic), resolved to paths under src/. */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
  return specs.filter((s) => s.startsWith('.')).map((s) => path.relative(path.join(ROOT, 'src'), path.resolve(path.dirname(file), s)));
}

test('src/core imports nothing from src/collectors, src/mail or src/log', () => {
  const bad: string[] = [];
  for (const file of sources(path.join(ROOT, 'src', 'core'))) {
    for (const target of imports(file)) {
      if (/^(collectors|mail|log)(\/|$)/.test(target)) bad.push(`${path.relative(ROOT, file)} imports ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no module is imported only for its side effects', () => {
  const bad: string[] = [];
  for (const file of sources(path.join(ROOT, 'src'))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*import\s+'(\.[^']+)'/g)) bad.push(`${path.relative(ROOT, file)}: import '${m[1]}'`);
  }
  assert.deepEqual(bad, []);
});

/**
 * SQL to databases that are a collector's input, not syschangemon's store: the wtmpdb file
 * the system writes (read-only SQLite), and the local MariaDB/MySQL server whose accounts
 * the mysql_users collector reads (and the server its tests start).
 */
const FOREIGN_SQL = new Set(['src/collectors/wtmp/wtmpdb.ts', 'src/collectors/mysql_users/index.ts', 'src/collectors/mysql_users/testdata/mariadb.ts']);

test('only src/store speaks SQL to the database', () => {
  const sql = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TEMP )?TABLE|PRAGMA)\b|\.(prepare|pragma)\(|\bstore\.db\b|\bdb\(\)\.db\b/;
  const bad: string[] = [];
  for (const file of sources(path.join(ROOT, 'src'))) {
    const rel = path.relative(ROOT, file);
    if (rel.startsWith('src/store/') || rel.endsWith('.test.ts') || FOREIGN_SQL.has(rel)) continue;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (sql.test(line)) bad.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(bad, []);
});
