/**
 * The check → inputs map of an SCA policy, in the shape of the scap collector's rule map
 * (collectors/common/inputs.ts): `f:` targets are literal files, `d:` targets directories
 * walked (Wazuh walks them recursively), `p:` and `c:` runtime sources. The policy's
 * requirements are inputs of every check (unmet requirements make every check not applicable).
 */
import { classify, emptyInputs, type RuleInputs } from '../common/inputs.js';
import type { Policy, Rule } from './policy.js';

/** Levels a `d:` rule walks (the evaluator's own limit). */
const D_DEPTH = 16;

function addRule(i: RuleInputs, r: Rule): void {
  switch (r.type) {
    case 'f':
      for (const t of r.targets) i.literal.push(t);
      break;
    case 'd':
      for (const t of r.targets) {
        const dir = t.replace(/(.)\/+$/, '$1');
        if (dir === '/') i.fswide.push(`${r.text}`);
        else i.pattern.push({ dir, name: r.name?.kind === 'literal' ? `^${r.name.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : '', depth: D_DEPTH });
      }
      break;
    case 'p':
      i.runtime.push('process');
      break;
    case 'c':
      i.runtime.push('command');
      break;
    case 'r':
      // Windows registry: never applicable here.
      break;
  }
}

/** Each check's inputs, by check id. */
export function policyInputs(p: Policy): Map<string, RuleInputs> {
  const out = new Map<string, RuleInputs>();
  for (const c of p.checks) {
    const i = emptyInputs();
    for (const r of [...(p.requirements?.rules ?? []), ...c.rules]) addRule(i, r);
    i.literal = [...new Set(i.literal)].sort();
    i.runtime = [...new Set(i.runtime)].sort();
    i.fswide = [...new Set(i.fswide)].sort();
    const seen = new Set<string>();
    i.pattern = i.pattern.filter((x) => !seen.has(JSON.stringify(x)) && seen.add(JSON.stringify(x)));
    i.class = classify(i);
    out.set(c.id, i);
  }
  return out;
}
