/**
 * Documentation generated from the collectors' declarations, so it cannot drift: the item
 * tables of each collector's README.md and the COLLECTORS section of the man page
 * (docs/syschangemon.8.md). `node scripts/gen-docs.mjs` writes them; test/docs.test.ts fails
 * when they differ from what the declarations say.
 */
import type { AttributeSpec, Collector, ItemSpec } from '../../types.js';

export const ITEMS_BEGIN = '<!-- items: generated from the declaration in items.ts by scripts/gen-docs.mjs; edit that, not this -->';
export const ITEMS_END = '<!-- end of generated items -->';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeText(a: AttributeSpec): string {
  return a.nullable ? `${a.type} or null` : a.type;
}

function flags(a: AttributeSpec): string {
  const f: string[] = [];
  if (a.summary) f.push('shown');
  if (a.volatile) f.push('volatile');
  if (a.optional) f.push('optional');
  return f.join(', ');
}

function kindMarkdown(spec: ItemSpec): string {
  const lines = [`### \`${spec.key}\``, '', spec.description, '', '| attribute | type | | meaning |', '| --- | --- | --- | --- |'];
  for (const [name, a] of Object.entries(spec.attributes)) lines.push(`| \`${name}\` | ${typeText(a)} | ${flags(a)} | ${cell(a.description)} |`);
  if (spec.contents) {
    lines.push('', 'Contents kept for diffs:', '');
    for (const [name, what] of Object.entries(spec.contents)) lines.push(`- \`${name}\`: ${what}`);
  }
  return lines.join('\n');
}

/** The generated block of a collector's README: every item kind it declares. */
export function itemsMarkdown(collector: Pick<Collector, 'items'>): string {
  return [
    ITEMS_BEGIN,
    '',
    '*shown*: what a report shows of an added or removed item; *volatile*: changes without the',
    'thing changing in a way that matters; *optional*: not every item has it.',
    '',
    ...collector.items.map(kindMarkdown).flatMap((k) => [k, '']),
    ITEMS_END,
  ].join('\n');
}

/** Put the generated block into a README: replace the block, or add it after `## Items`. */
export function withItems(readme: string, collector: Pick<Collector, 'items'>): string {
  const block = itemsMarkdown(collector);
  const a = readme.indexOf(ITEMS_BEGIN);
  const b = readme.indexOf(ITEMS_END);
  if (a >= 0 && b > a) return readme.slice(0, a) + block + readme.slice(b + ITEMS_END.length);
  const h = /^## Items\n/m.exec(readme);
  if (!h) return `${readme.replace(/\n*$/, '\n')}\n## Items\n\n${block}\n`;
  return `${readme.slice(0, h.index + h[0].length)}\n${block}\n${readme.slice(h.index + h[0].length)}`;
}

/** The COLLECTORS section of docs/syschangemon.8.md (without its heading). */
export function manCollectors(collectors: readonly Pick<Collector, 'name' | 'description' | 'items'>[]): string {
  const lines = [
    'Each collector is configured in *plugins.d/<name>.conf*, whose sample documents its options;',
    'its item keys are listed here, its attributes in the README of its source folder',
    '(*src/collectors/<name>/README.md*).',
    '',
  ];
  for (const c of collectors) {
    const keys = c.items.map((s) => `*${s.key}*`).join(', ');
    lines.push(`- **${c.name}** — ${c.description.replace(/\.$/, '')}. Items: ${keys}.`);
  }
  return lines.join('\n');
}

/** Put the COLLECTORS section into the man page source, after CONFIGURATION. */
export function withManCollectors(md: string, collectors: readonly Pick<Collector, 'name' | 'description' | 'items'>[]): string {
  const body = `# COLLECTORS\n\n${manCollectors(collectors)}\n\n`;
  const start = md.indexOf('# COLLECTORS\n');
  if (start >= 0) {
    const next = md.indexOf('\n# ', start + 1);
    return md.slice(0, start) + body + md.slice(next + 1);
  }
  const at = md.indexOf('# LOGGING\n');
  return md.slice(0, at) + body + md.slice(at);
}

/**
 * Put the roff of the COLLECTORS section (`.SH COLLECTORS` up to the next `.SH`) into the man
 * page, after CONFIGURATION's section, leaving the rest of it as it is.
 */
export function withManRoff(man: string, sectionRoff: string): string {
  const lines = man.split('\n');
  const start = lines.indexOf('.SH COLLECTORS');
  const block = sectionRoff.replace(/\n+$/, '').split('\n');
  if (start >= 0) {
    let end = start + 1;
    while (end < lines.length && !lines[end]!.startsWith('.SH ')) end++;
    lines.splice(start, end - start, ...block);
  } else {
    const at = lines.indexOf('.SH LOGGING');
    lines.splice(at >= 0 ? at : lines.length, 0, ...block);
  }
  return lines.join('\n');
}
