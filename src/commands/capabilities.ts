/**
 * `capabilities`: what compliance tooling this host has, in the shape of the PatchMon agent's
 * `ComplianceCapabilities` (OpenSCAP and Docker Bench detection, content and profiles).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTENT_DIRS, findContent, findOscap, findProgram, oscapVersion } from '../collectors/scap/oscap.js';
import { dockerServerVersion } from '../collectors/scap/docker-collect.js';
import { datastreamProfiles, type ProfileInfo } from '../collectors/scap/xccdf.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';
import { visibleControls } from '../core/visible.js';
import { profileMap, shortProfileId } from '../collectors/scap/index.js';
import { INPUT_CLASSES, type InputClass, patternText, type RuleInputs } from '../collectors/common/inputs.js';
import { loadPolicy } from '../collectors/sca/policy.js';
import { policyInputs } from '../collectors/sca/inputs.js';
import { policyPath } from '../collectors/sca/index.js';
import { messageOf } from '../errors.js';

/** PatchMon `OpenSCAPDetection`, plus the datastreams that could not be read. */
export interface OpenScapDetection {
  installed: boolean;
  version: string;
  oscap_path: string;
  /** The first content directory that exists, else the configured datastream's directory. */
  content_path: string;
  available_profiles: ProfileInfo[];
  /** Datastreams found but unreadable (not in PatchMon's shape; absent when none). */
  content_errors?: { file: string; error: string }[];
}

/** PatchMon `DockerBenchDetection`, plus the configured log. */
export interface DockerBenchDetection {
  docker_installed: boolean;
  docker_version: string;
  /** "container" where docker is installed (PatchMon runs the bench as a container), else "". */
  docker_bench_method: string;
  /** The configured `docker_bench_log`, when it exists (not in PatchMon's shape). */
  log?: string;
}

/** PatchMon `ComplianceCapabilities`. */
export interface ComplianceCapabilities {
  openscap: OpenScapDetection;
  docker_bench: DockerBenchDetection;
}

export interface DetectOptions {
  /** Datastreams named in the configuration, read besides the ones found. */
  datastreams?: string[];
  /** Where to look for `*-ds.xml` (default: the usual SCAP content directories). */
  contentDirs?: string[];
  dockerBenchLog?: string;
  /** Search path for oscap and docker (default: $PATH). */
  searchPath?: string;
}

export function detectCapabilities(o: DetectOptions = {}): ComplianceCapabilities {
  const searchPath = o.searchPath ?? process.env.PATH ?? '';
  const dirs = o.contentDirs ?? CONTENT_DIRS;
  const configured = (o.datastreams ?? []).filter((f) => fs.existsSync(f));
  const files = [...new Set([...configured, ...findContent(dirs)])];
  const profiles: ProfileInfo[] = [];
  const errors: { file: string; error: string }[] = [];
  for (const file of files) {
    try {
      profiles.push(...datastreamProfiles(file));
    } catch (err) {
      errors.push({ file, error: (err as Error).message });
    }
  }
  const bin = findOscap(searchPath);
  const contentPath = dirs.find((d) => fs.existsSync(d)) ?? (configured[0] ? path.dirname(configured[0]) : '');
  const openscap: OpenScapDetection = {
    installed: bin !== undefined,
    version: bin ? oscapVersion(bin) : '',
    oscap_path: bin ?? '',
    content_path: contentPath,
    available_profiles: profiles,
  };
  if (errors.length) openscap.content_errors = errors;

  const docker = findProgram('docker', searchPath);
  let dockerVersion = '';
  if (docker) {
    // The server's version; empty when the daemon is not reachable.
    const engine = dockerServerVersion(docker, 10_000);
    if ('version' in engine) dockerVersion = engine.version;
  }
  const docker_bench: DockerBenchDetection = {
    docker_installed: docker !== undefined,
    docker_version: dockerVersion,
    docker_bench_method: docker ? 'container' : '',
  };
  if (o.dockerBenchLog && fs.existsSync(o.dockerBenchLog)) docker_bench.log = o.dockerBenchLog;
  return { openscap, docker_bench };
}

/** The text form: one line per tool, the profiles of each datastream below it. */
export function capabilitiesText(caps: ComplianceCapabilities): string {
  const o = caps.openscap;
  const lines = [`OpenSCAP: ${o.installed ? `${o.oscap_path} ${o.version}`.trim() : 'not installed (Debian: apt install openscap-scanner)'}`];
  if (o.available_profiles.length === 0 && !o.content_errors) lines.push('  no SCAP content found (set datastream in scap.conf)');
  let file = '';
  for (const p of o.available_profiles) {
    if (p.file_path !== file) lines.push(`  ${(file = p.file_path)}`);
    lines.push(`    ${p.id.replace('xccdf_org.ssgproject.content_profile_', '')}  ${p.title}`);
  }
  for (const e of o.content_errors ?? []) lines.push(`  ${e.error}`);
  const d = caps.docker_bench;
  const docker = d.docker_installed ? `docker ${d.docker_version || '(daemon not reachable)'}` : 'no docker';
  lines.push(`Docker Bench: ${docker}; ${d.log ? `log ${d.log}` : 'no log configured (docker_bench_log)'}`);
  return `${lines.join('\n')}\n`;
}

const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
const shortRule = (r: string) => (r.startsWith(RULE_PREFIX) ? r.slice(RULE_PREFIX.length) : r);

/** One rule's inputs in the JSON form: patterns as text. */
interface InputsJson {
  class: InputClass;
  literal: string[];
  pattern: string[];
  implicit: string[];
  runtime: string[];
  varpath: string[];
  fswide: string[];
  other: string[];
  requires?: string[];
  platforms?: string[];
  severity?: string;
}

function inputsJson(i: RuleInputs, extra: Partial<InputsJson> = {}): InputsJson {
  return { class: i.class, literal: i.literal, pattern: i.pattern.map(patternText), implicit: i.implicit, runtime: i.runtime, varpath: i.varpath, fswide: i.fswide, other: i.other, ...extra };
}

export interface RulesMapOutput {
  scap?: { datastream: string; datastream_sha256: string; profile: string; cached: boolean; classes: Record<InputClass, number>; rules: Record<string, InputsJson> };
  sca: { policy: string; file: string; classes: Record<InputClass, number>; checks: Record<string, InputsJson> }[];
  errors: string[];
}

const countClasses = (xs: Iterable<RuleInputs>) => {
  const c = Object.fromEntries(INPUT_CLASSES.map((k) => [k, 0])) as Record<InputClass, number>;
  for (const x of xs) c[x.class]++;
  return c;
};

/** The rule → inputs maps of the scap profile and of the SCA policies configured. */
export function rulesMap(app: { cfg: { storageDir: string; plugins: Map<string, { enabled: boolean; options: Record<string, unknown> }> } }, over: { profile?: string; datastream?: string }): RulesMapOutput {
  const res: RulesMapOutput = { sca: [], errors: [] };
  const scap = app.cfg.plugins.get('scap');
  if (scap?.enabled || over.profile) {
    try {
      const pm = profileMap(scap?.options ?? {}, app.cfg.storageDir, over);
      const rules: Record<string, InputsJson> = {};
      for (const id of pm.selected) {
        const r = pm.map.rules[id]!;
        rules[shortRule(id)] = inputsJson(r, { requires: r.requires.map(shortRule), platforms: r.platforms, severity: r.severity });
      }
      res.scap = { datastream: pm.datastream, datastream_sha256: pm.map.datastream_sha256, profile: shortProfileId(pm.profile), cached: pm.cached, classes: countClasses(pm.selected.map((r) => pm.map.rules[r]!)), rules };
    } catch (err) {
      res.errors.push(`scap: ${messageOf(err)}`);
    }
  }
  const sca = app.cfg.plugins.get('sca');
  if (sca?.enabled && !over.profile) {
    const policies = ((sca.options.policies as string[] | undefined) ?? ['debian12']).map(policyPath);
    for (const file of policies) {
      try {
        const p = loadPolicy(file);
        const m = policyInputs(p);
        res.sca.push({ policy: p.id, file, classes: countClasses(m.values()), checks: Object.fromEntries([...m].map(([id, i]) => [id, inputsJson(i)])) });
      } catch (err) {
        res.errors.push(`sca: ${file}: ${messageOf(err)}`);
      }
    }
  }
  return res;
}

const CLASS_TEXT: Record<InputClass, string> = {
  files: 'by their files',
  runtime: 'runtime state: on interval',
  dynamic: 'computed paths: on interval',
  fswide: 'filesystem-wide: on interval',
  none: 'no automated check',
};

/** The text form: a header per profile or policy with the count per class, then one block per rule. */
export function rulesMapText(m: RulesMapOutput): string {
  const lines: string[] = [];
  const block = (id: string, i: InputsJson) => {
    const req = i.requires?.length ? `  requires ${i.requires.join(', ')}` : '';
    lines.push(`  ${id}  [${i.class}]${req}`);
    for (const p of i.literal) lines.push(`    file     ${p}`);
    for (const p of i.pattern) lines.push(`    pattern  ${p}`);
    for (const p of i.implicit) lines.push(`    implicit ${p}`);
    for (const p of i.runtime) lines.push(`    runtime  ${p}`);
    for (const p of i.varpath) lines.push(`    computed ${p}`);
    for (const p of i.fswide) lines.push(`    fswide   ${p}`);
    for (const p of i.other) lines.push(`    other    ${p}`);
  };
  const classes = (c: Record<InputClass, number>) => INPUT_CLASSES.filter((k) => c[k]).map((k) => `${c[k]} ${k} (${CLASS_TEXT[k]})`).join(', ');
  if (m.scap) {
    const total = Object.keys(m.scap.rules).length;
    lines.push(`scap profile ${m.scap.profile}: ${total} rules; ${classes(m.scap.classes)}`);
    lines.push(`  datastream ${m.scap.datastream} (sha256 ${m.scap.datastream_sha256.slice(0, 16)}…${m.scap.cached ? ', map cached' : ''})`);
    for (const [id, i] of Object.entries(m.scap.rules)) block(id, i);
  }
  for (const p of m.sca) {
    lines.push(`sca policy ${p.policy} (${p.file}): ${Object.keys(p.checks).length} checks; ${classes(p.classes)}`);
    for (const [id, i] of Object.entries(p.checks)) block(id, i);
  }
  for (const e of m.errors) lines.push(e);
  if (!m.scap && !m.sca.length && !m.errors.length) lines.push('no scap profile or sca policy configured (pass --profile)');
  return `${lines.join('\n')}\n`;
}

export const capabilitiesCommand: CommandSpec = {
  name: 'capabilities',
  uses: [],
  describe: 'show the compliance tools and content this host has (OpenSCAP, Docker Bench); --rules: what each rule reads',
  formats: ['text', 'json'],
  options: {
    rules: { type: 'boolean', describe: 'print the rule → inputs map of the scap profile and the sca policies instead' },
    profile: { type: 'string', describe: 'with --rules: this profile instead of scap.conf\'s' },
    datastream: { type: 'string', describe: 'with --rules: this datastream instead of scap.conf\'s' },
  },
  run(app, args) {
    if (args.rules) {
      const m = rulesMap(app, { profile: typeof args.profile === 'string' ? args.profile : undefined, datastream: typeof args.datastream === 'string' ? args.datastream : undefined });
      out(args.format === 'json' ? `${JSON.stringify(m, null, 2)}\n` : visibleControls(rulesMapText(m)));
      return m.errors.length ? 1 : 0;
    }
    const scap = app.cfg.plugins.get('scap')?.options ?? {};
    const caps = detectCapabilities({
      datastreams: typeof scap.datastream === 'string' && scap.datastream !== 'auto' && scap.datastream ? [scap.datastream] : [],
      dockerBenchLog: typeof scap.docker_bench_log === 'string' ? scap.docker_bench_log : '',
    });
    out(args.format === 'json' ? `${JSON.stringify(caps, null, 2)}\n` : visibleControls(capabilitiesText(caps)));
  },
};
