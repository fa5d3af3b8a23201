/** The items the scap collector emits (see README.md; the table there is generated from this). */
import type { AttributeSpec, ItemSpec } from '../../types.js';
import { RESULTS } from './xccdf.js';

const count = (what: string): AttributeSpec => ({ type: 'number', description: `Rules (checks) whose result is ${what}` });

export const SCAP_ITEMS: readonly ItemSpec[] = [
  {
    key: 'scap://<profile>/_summary',
    description: 'The summary of the last full evaluation of a profile; it changes with each evaluation.',
    attributes: {
      ...Object.fromEntries(RESULTS.map((r) => [r, { ...count(r), volatile: true }])),
      total: { type: 'number', summary: true, description: 'Rules evaluated' },
      score: { type: 'number', summary: true, description: 'Passed / evaluated × 100, as the PatchMon agent computes it' },
      evaluated_at: { type: 'string', volatile: true, description: 'When the evaluation started' },
      completed_at: { type: 'string', volatile: true, description: 'When it ended' },
      content_sha256: { type: 'string', description: 'Hash of the datastream, tailoring file and rule selection; a change forces a fresh evaluation' },
      datastream: { type: 'string', summary: true, description: 'The datastream file' },
      profile: { type: 'string', summary: true, description: 'The profile id' },
      dpkg_status: { type: 'string', optional: true, volatile: true, description: 'Fingerprint (stat) of the dpkg status at the full evaluation; a package operation changes it and forces a full evaluation' },
      partial_at: { type: 'string', optional: true, volatile: true, description: 'When the last partial evaluation (rules whose inputs changed) started' },
      partial_rules: { type: 'number', optional: true, volatile: true, description: 'Rules the last partial evaluation re-evaluated' },
    },
  },
  {
    key: 'scap://<profile>/<rule>',
    description: 'One rule result; the xccdf_org.ssgproject.content_profile_ / _rule_ prefixes left out.',
    attributes: {
      result: { type: 'string', summary: true, description: 'pass, fail, error, unknown, notapplicable, notchecked, informational or fixed (`notselected` is dropped)' },
      severity: { type: 'string', summary: true, description: 'The rule severity' },
      title: { type: 'string', summary: true, description: 'The rule title' },
      ident: { type: 'string', optional: true, description: 'CCE ids, comma-joined' },
      message: { type: 'string', optional: true, description: "oscap's message for the result" },
      inputs: { type: 'string', optional: true, volatile: true, description: 'Fingerprint of the files the rule reads (rule map), taken before its last evaluation; a rule is re-evaluated when it differs' },
    },
  },
  {
    key: 'dockerbench://_summary',
    description: 'The summary of the last Docker Bench for Security results.',
    attributes: {
      pass: { ...count('pass'), volatile: true },
      fail: { ...count('fail (WARN)'), volatile: true },
      warn: { ...count('warn (INFO)'), volatile: true },
      skip: { ...count('skip (NOTE)'), volatile: true },
      total: { type: 'number', summary: true, description: 'Checks' },
      score: { type: 'number', optional: true, summary: true, description: "Docker Bench's own score" },
      version: { type: 'string', optional: true, description: 'The Docker Bench version' },
      evaluated_at: { type: 'string', optional: true, volatile: true, description: 'When it ran' },
      log: { type: 'string', optional: true, summary: true, description: 'The log read (docker_bench = log)' },
      image: { type: 'string', optional: true, summary: true, description: 'The image run (docker_bench = run)' },
      engine: { type: 'string', optional: true, description: 'The Docker server version (docker_bench = run)' },
    },
  },
  {
    key: 'dockerbench://<check>',
    description: 'One Docker Bench check, its result mapped as the PatchMon agent maps it.',
    attributes: {
      result: { type: 'string', summary: true, description: 'pass, fail (WARN), warn (INFO) or skip (NOTE)' },
      status: { type: 'string', description: "Docker Bench's own status, lowercased" },
      desc: { type: 'string', summary: true, description: 'The check description' },
      section: { type: 'string', description: 'The section, e.g. `1 Host Configuration`' },
      severity: { type: 'string', summary: true, description: 'high for sections 1, 2 and 5, else medium' },
    },
  },
];
