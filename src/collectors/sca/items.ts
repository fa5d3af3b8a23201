/** The items the sca collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const SCA_ITEMS: readonly ItemSpec[] = [
  {
    key: 'sca://<policy>/_summary',
    description: 'The summary of the last evaluation of a policy.',
    attributes: {
      policy: { type: 'string', summary: true, description: 'The policy name' },
      policy_file: { type: 'string', summary: true, description: 'The policy file' },
      policy_sha256: { type: 'string', description: 'Hash of the policy file' },
      passed: { type: 'number', volatile: true, description: 'Checks passed' },
      failed: { type: 'number', volatile: true, description: 'Checks failed' },
      not_applicable: { type: 'number', volatile: true, description: 'Checks not applicable' },
      total: { type: 'number', summary: true, description: 'Checks in the policy' },
      score: { type: 'number', summary: true, description: 'passed × 100 / (passed + failed), rounded' },
      checksum: { type: 'string', description: 'SHA-256 of the sorted `<check id>:<result>` lines, as Wazuh keeps agent and manager in sync' },
      requirements: { type: 'string', description: '`met`, `not met: …` or `none`' },
      evaluated_at: { type: 'string', volatile: true, description: 'When the evaluation started' },
      duration_ms: { type: 'number', volatile: true, description: 'How long it took' },
    },
  },
  {
    key: 'sca://<policy>/<check>',
    description: 'One check result of a policy.',
    attributes: {
      result: { type: 'string', summary: true, description: '`passed`, `failed` or `not applicable`' },
      title: { type: 'string', summary: true, description: 'The check title' },
      compliance: { type: 'string', optional: true, description: 'e.g. `cis: 5.1.20; pci_dss: 2.2.4`' },
      reason: { type: 'string', optional: true, summary: true, description: 'Why it is not applicable' },
      rule: { type: 'string', optional: true, description: 'When failed: the rule that decided it' },
      evidence: { type: 'string', optional: true, summary: true, description: 'When failed: what the rule saw (a line of a secret file is never quoted)' },
    },
  },
];
