/**
 * `ignore_attributes`, accepted by every collector: attribute names, or `KEY_GLOB:attribute`
 * (`ports://**:pid`, `file:///var/www/**:mtime`), whose change alone is not reported. The
 * glob is everything before the last colon, matched against the whole key with the globs of
 * `src/core/glob.ts`; the stored items keep every attribute.
 */
import type { OptionSpec } from '../types.js';
import { compileGlob, type Glob } from './glob.js';

/** Whether an attribute of a key is ignored. */
export type IgnoreMatcher = (key: string, attribute: string) => boolean;

const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function parseRule(rule: string): { glob?: Glob; attribute: string } {
  const colon = rule.lastIndexOf(':');
  const attribute = colon < 0 ? rule : rule.slice(colon + 1);
  if (!ATTRIBUTE.test(attribute)) throw new Error(`bad ignore_attributes entry "${rule}": expected an attribute name or KEY_GLOB:attribute`);
  if (attribute === 'error') throw new Error(`bad ignore_attributes entry "${rule}": errors are always reported`);
  return colon < 0 ? { attribute } : { glob: compileGlob(rule.slice(0, colon)), attribute };
}

function check(value: unknown): string | undefined {
  for (const r of Array.isArray(value) ? value : [value]) {
    try {
      parseRule(String(r));
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

/** The option's spec; a collector may declare its own defaults (ports: `pid`). */
export function ignoreAttributesOption(defaults: string[] = []): OptionSpec {
  return {
    type: 'list',
    separator: 'commas',
    ...(defaults.length ? { default: defaults } : {}),
    description: 'Attributes, or KEY_GLOB:attribute, whose change alone is not reported (commas or lines).',
    check,
  };
}

/** A matcher for a parsed option value, or undefined when it ignores nothing. */
export function ignoreMatcher(value: unknown): IgnoreMatcher | undefined {
  const rules = Array.isArray(value) ? value.map((r) => parseRule(String(r))) : [];
  if (rules.length === 0) return undefined;
  return (key, attribute) => rules.some((r) => r.attribute === attribute && (!r.glob || r.glob.test(key)));
}
