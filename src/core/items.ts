/**
 * What a collector's item declarations (Collector.items) are used for: finding the kind an
 * item key belongs to, checking that an item conforms to it, and choosing what a report shows
 * of an added or removed item.
 */
import type { AttributeSpec, AttrValue, Collector, Item, ItemSpec } from '../types.js';
import type { ReportChange } from './report-model.js';
import { displayValue } from './display.js';

const patterns = new WeakMap<ItemSpec, RegExp>();

/** The regular expression of a key form: `<placeholder>` stands for one or more characters. */
export function keyPattern(spec: ItemSpec): RegExp {
  let re = patterns.get(spec);
  if (!re) {
    const source = spec.key
      .split(/(<[^>]+>)/)
      .map((part) => (/^<[^>]+>$/.test(part) ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${source}$`, 's');
    patterns.set(spec, re);
  }
  return re;
}

/** The declared kind of an item key: the first of the collector's specs whose form matches. */
export function specFor(collector: Pick<Collector, 'items'>, key: string): ItemSpec | undefined {
  return (collector.items ?? []).find((s) => keyPattern(s).test(key));
}

function typeOf(v: AttrValue): string {
  return v === null ? 'null' : typeof v;
}

/** A declared family such as `xattr.<name>` that an attribute name (`xattr.user.note`) belongs to. */
function placeholderAttribute(spec: ItemSpec, name: string): AttributeSpec | undefined {
  for (const [declared, a] of Object.entries(spec.attributes)) {
    const i = declared.indexOf('.<');
    if (i > 0 && declared.endsWith('>') && name.startsWith(declared.slice(0, i + 1)) && name.length > i + 1) return a;
  }
  return undefined;
}

/**
 * How an item departs from its collector's declaration, one line per problem (empty when it
 * conforms). An item with an error may lack attributes; what it has must still be declared.
 */
export function conformance(collector: Pick<Collector, 'name' | 'items'>, item: Item): string[] {
  if (item.key === `${collector.name}://` && item.error) return [];
  const spec = specFor(collector, item.key);
  if (!spec) return [`${item.key}: no declared item kind of ${collector.name} matches the key`];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(item.attributes)) {
    const a = spec.attributes[name] ?? placeholderAttribute(spec, name);
    if (!a) problems.push(`${item.key}: attribute ${name} is not declared for ${spec.key}`);
    else if (value === null ? !a.nullable : typeof value !== a.type) {
      problems.push(`${item.key}: attribute ${name} is ${typeOf(value)}, declared ${a.type}${a.nullable ? ' or null' : ''}`);
    }
  }
  if (!item.error) {
    for (const [name, a] of Object.entries(spec.attributes)) {
      if (!a.optional && !(name in item.attributes)) problems.push(`${item.key}: attribute ${name} of ${spec.key} is missing`);
    }
  }
  for (const name of Object.keys({ ...item.contents, ...item.contentRefs })) {
    if (!spec.contents?.[name]) problems.push(`${item.key}: content ${name} is not declared for ${spec.key}`);
  }
  return problems;
}

/** One attribute shown for an added or removed item. */
export interface ShownAttribute {
  name: string;
  value: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * What a report shows of an added or removed item: its `summary` attributes, in declaration
 * order, with the values it had (a sha256 shortened to 12 characters, a mode with its special
 * bits named, `4755 (setuid)`, a time in the host's zone). Undefined for a change
 * of another kind, or when the collector declares nothing to show.
 */
export function shownAttributes(collector: Pick<Collector, 'items'> | undefined, change: ReportChange): ShownAttribute[] | undefined {
  if (!collector || change.change === 'changed') return undefined;
  const spec = specFor(collector, change.key);
  if (!spec) return undefined;
  const out: ShownAttribute[] = [];
  for (const [name, a] of Object.entries(spec.attributes)) {
    if (!a.summary) continue;
    const v = change.attributes[name];
    const value = change.change === 'added' ? v?.new : v?.old;
    if (value === undefined || value === null || value === '') continue;
    const text = String(value);
    out.push({ name, value: SHA256.test(text) ? text.slice(0, 12) : displayValue(name, value) });
  }
  return out.length ? out : undefined;
}

/** A `describe` for the renderers: the shown attributes of a change, by its collector. */
export function describeChanges(collectors: readonly Pick<Collector, 'name' | 'items'>[]): (change: ReportChange) => ShownAttribute[] | undefined {
  const byName = new Map(collectors.map((c) => [c.name, c]));
  return (change) => shownAttributes(byName.get(change.plugin), change);
}
