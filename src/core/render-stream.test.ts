/**
 * Streaming rendering (print-report of a report of any size) writes exactly what rendering the
 * whole template writes, for the bundled templates and for any order of the stored changes;
 * a custom template without the streaming macros is left to the whole rendering.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ChangeSource, type RenderFormat, renderReport, streamReport } from './render.js';
import type { Report, ReportChange } from './report-model.js';
import { loadReport, storedChanges } from './report.js';
import { Store } from '../store/store.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/mail/report.json', import.meta.url));
const fixture = (): Report => JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Report;

function source(changes: readonly ReportChange[], reads: { all: number; at: number }): ChangeSource {
  return {
    *all() {
      reads.all++;
      for (let pos = 0; pos < changes.length; pos++) yield { pos, change: changes[pos]! };
    },
    *at(positions) {
      reads.at++;
      for (const p of positions) yield changes[p]!;
    },
  };
}

async function streamed(report: Report, format: RenderFormat, templateDir?: string): Promise<{ text: string | undefined; chunks: number; reads: { all: number; at: number } }> {
  const { changes, ...head } = report;
  const reads = { all: 0, at: 0 };
  const chunks: string[] = [];
  const ok = await streamReport(head, source(changes, reads), format, { templateDir }, async (c) => {
    chunks.push(c);
  });
  return { text: ok ? chunks.join('') : undefined, chunks: chunks.length, reads };
}

/** Many changes of three plugins and two packages, stored by group or interleaved. */
function many(order: 'grouped' | 'interleaved'): Report {
  const r = fixture();
  const changes: ReportChange[] = [];
  for (let i = 0; i < 3000; i++) {
    const plugin = order === 'grouped' ? ['file', 'conffile', 'command'][Math.floor(i / 1000)]! : ['file', 'conffile', 'command'][i % 3]!;
    changes.push({ key: `${plugin}:///x/${i}`, plugin, change: 'changed', attributes: { mode: { old: '0644', new: '0600' } } });
    if (i % 10 === 0) changes.push({ key: `file:///usr/lib/p${i}`, plugin: 'file', change: 'changed', attributes: {}, explained_by: (order === 'grouped' ? i < 1500 : i % 20 === 0) ? 'a:amd64 1 → 2' : 'b:amd64 1 → 2' });
  }
  r.changes = changes;
  return r;
}

const variants: Record<string, () => Report> = {
  fixture,
  'changes in reverse order': () => ({ ...fixture(), changes: fixture().changes.reverse() }),
  'plugins interleaved': () => {
    const r = fixture();
    const [a, b, ...rest] = r.changes;
    r.changes = [...rest.slice(0, 4), a!, ...rest.slice(4), b!];
    return r;
  },
  'without package data': () => {
    const r = fixture();
    delete r.packages;
    return r;
  },
  'only explained changes': () => ({ ...fixture(), changes: fixture().changes.filter((c) => c.explained_by) }),
  'no changes': () => ({ ...fixture(), changes: [], summary: { added: 0, removed: 0, changed: 0, errors: 0 }, compliance: [], packages: [], logins: [], errors: [], notes: [] }),
  'many changes, grouped': () => many('grouped'),
  'many changes, interleaved': () => many('interleaved'),
};

for (const [name, make] of Object.entries(variants)) {
  for (const format of ['text', 'html'] as const) {
    test(`streamed ${format} equals the whole rendering: ${name}`, async () => {
      const whole = renderReport(make(), format);
      const s = await streamed(make(), format);
      assert.equal(s.text, whole);
    });
  }
}

test('changes stored together are read in one pass after the count; interleaved ones by position', async () => {
  const grouped = await streamed(many('grouped'), 'html');
  assert.deepEqual(grouped.reads, { all: 3, at: 0 }, 'count, unexplained, explained');
  assert.ok(grouped.chunks > 10, `written in pieces (${grouped.chunks})`);
  const interleaved = await streamed(many('interleaved'), 'html');
  assert.deepEqual(interleaved.reads, { all: 1, at: 5 }, 'count, then each of 3 plugins and 2 packages by position');
  // The text template lists explained changes only as counts: they are not read again.
  assert.deepEqual((await streamed(many('grouped'), 'text')).reads, { all: 2, at: 0 });
});

test('a custom template: streamed when it exports head, change and tail, else left to the whole rendering', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-tmpl-'));
  try {
    fs.writeFileSync(path.join(dir, 'report.txt.njk'), 'Changes on {{ report.hostname }}:\n{% for c in report.changes %}\n{{ c.key }}\n{% endfor %}\n');
    const r = fixture();
    assert.equal((await streamed(r, 'text', dir)).text, undefined);
    assert.match(renderReport(r, 'text', { templateDir: dir }), /^Changes on web-01:\nfile:\/\/\/srv\/upload/);

    fs.writeFileSync(
      path.join(dir, 'report.txt.njk'),
      [
        '{% macro head() %}',
        '{{ report.hostname }}: {{ change_count }} changes',
        '{% endmacro %}',
        '{% macro group_head(g) %}',
        '[{{ g.plugin }}: {{ g.count }}]',
        '{% endmacro %}',
        '{% macro change(c) %}',
        '{{ c.key }}',
        '{% endmacro %}',
        '{% macro tail() %}',
        '{% for e in explained_groups %}',
        '{{ e.package }}: {{ e.count }}',
        '{% endfor %}',
        'end',
        '{% endmacro %}',
        '{{ head() -}}',
        '{% for g in groups %}',
        '{{ group_head(g) -}}',
        '{% for c in g.changes %}',
        '{{ change(c) -}}',
        '{% endfor %}',
        '{% endfor %}',
        '{{ tail() -}}',
        '',
      ].join('\n'),
    );
    const s = await streamed(r, 'text', dir);
    assert.equal(s.text, renderReport(r, 'text', { templateDir: dir }));
    assert.match(s.text!, /^web-01: 10 changes\n\[file: 4\]\n/);
    assert.match(s.text!, /\nopenssl:amd64 3\.0\.11-1 → 3\.0\.13-1: 2\nend\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('from the database: read page by page and by position, the same as the loaded report rendered whole', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-stream-'));
  const store = Store.open(path.join(dir, 'db.sqlite'));
  try {
    for (const order of ['grouped', 'interleaved'] as const) {
      const report = { ...many(order), uuid: `00000000-0000-4000-8000-00000000000${order.length}` };
      store.saveReport(report, 'none');
      const { changes: _changes, ...head } = report;
      const row = store.reportByUuid(head.uuid);
      for (const format of ['text', 'html'] as const) {
        const chunks: string[] = [];
        assert.ok(await streamReport(head, storedChanges(store, row), format, {}, async (c) => void chunks.push(c)));
        assert.equal(chunks.join(''), renderReport(loadReport(store, row), format), `${order} ${format}`);
      }
    }
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
