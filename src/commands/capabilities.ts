/**
 * `capabilities`: what compliance tooling this host has, in the shape of the PatchMon agent's
 * ComplianceCapabilities (OpenSCAP and Docker Bench detection, content and profiles).
 */
import * as fs from 'node:fs';
import { findContent, findOscap, oscapVersion } from '../collectors/scap/oscap.js';
import { type ProfileInfo, datastreamProfiles } from '../collectors/scap/xccdf.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';

export interface ComplianceCapabilities {
  openscap: {
    available: boolean;
    path: string | null;
    version: string | null;
    content: { file: string; profiles: ProfileInfo[]; error?: string }[];
  };
  docker_bench: {
    available: boolean;
    docker: string | null;
    log: string | null;
  };
}

function which(name: string): string | null {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = `${dir}/${name}`;
    if (fs.existsSync(p)) return p;
  }
  return null;
}

export function detectCapabilities(extraContent: string[], dockerBenchLog: string): ComplianceCapabilities {
  const bin = findOscap() ?? null;
  const files = [...new Set([...extraContent.filter((f) => fs.existsSync(f)), ...findContent()])];
  const content = files.map((file) => {
    try {
      return { file, profiles: datastreamProfiles(file) };
    } catch (err) {
      return { file, profiles: [], error: (err as Error).message };
    }
  });
  const log = dockerBenchLog && fs.existsSync(dockerBenchLog) ? dockerBenchLog : null;
  const docker = which('docker');
  return {
    openscap: { available: bin !== null, path: bin, version: bin ? oscapVersion(bin) || null : null, content },
    docker_bench: { available: docker !== null || log !== null, docker, log },
  };
}

export const capabilitiesCommand: CommandSpec = {
  name: 'capabilities',
  describe: 'show the compliance tools and content this host has (OpenSCAP, Docker Bench)',
  formats: ['text', 'json'],
  run(app, args) {
    const scap = app.cfg.plugins.get('scap')?.options ?? {};
    const ds = typeof scap.datastream === 'string' && scap.datastream !== 'auto' ? [scap.datastream] : [];
    const caps = detectCapabilities(ds, typeof scap.docker_bench_log === 'string' ? scap.docker_bench_log : '');
    if (args.format === 'json') {
      out(`${JSON.stringify(caps, null, 2)}\n`);
      return;
    }
    const o = caps.openscap;
    const lines = [`OpenSCAP: ${o.available ? `${o.path} ${o.version ?? ''}`.trim() : 'not installed (apt install openscap-scanner)'}`];
    if (o.content.length === 0) lines.push('  no SCAP content found (set datastream in scap.conf)');
    for (const c of o.content) {
      lines.push(`  ${c.file}${c.error ? `: ${c.error}` : ''}`);
      for (const p of c.profiles) lines.push(`    ${p.id.replace('xccdf_org.ssgproject.content_profile_', '')}  ${p.title}`);
    }
    const d = caps.docker_bench;
    lines.push(`Docker Bench: ${d.log ? `log ${d.log}` : d.docker ? `docker at ${d.docker}; no log configured (docker_bench_log)` : 'no docker, no log'}`);
    out(`${lines.join('\n')}\n`);
  },
};
