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

export const capabilitiesCommand: CommandSpec = {
  name: 'capabilities',
  uses: [],
  describe: 'show the compliance tools and content this host has (OpenSCAP, Docker Bench)',
  formats: ['text', 'json'],
  run(app, args) {
    const scap = app.cfg.plugins.get('scap')?.options ?? {};
    const caps = detectCapabilities({
      datastreams: typeof scap.datastream === 'string' && scap.datastream !== 'auto' && scap.datastream ? [scap.datastream] : [],
      dockerBenchLog: typeof scap.docker_bench_log === 'string' ? scap.docker_bench_log : '',
    });
    out(args.format === 'json' ? `${JSON.stringify(caps, null, 2)}\n` : visibleControls(capabilitiesText(caps)));
  },
};
