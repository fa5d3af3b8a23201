/**
 * The PatchMon compliance payload, as the PatchMon agent sends it (`CompliancePayload`): the
 * scans, the OS, which scanners this host has, and who sends it.
 */
import * as fs from 'node:fs';
import { parseOsRelease } from '../collectors/sysinfo/facts.js';
import { findOscap, findProgram, oscapVersion } from '../collectors/scap/oscap.js';
import type { PatchmonScan } from '../collectors/scap/patchmon.js';
import { programVersion } from '../core/paths.js';

export interface PatchmonPayload {
  scans: PatchmonScan[];
  os_info: { family: string; name: string; version: string };
  scanner_info: {
    openscap_available: boolean;
    openscap_version?: string;
    docker_bench_available: boolean;
    oscap_docker_available: boolean;
    available_profiles?: string[];
  };
  hostname: string;
  machine_id: string;
  agent_version: string;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** os_info as the agent fills it: family from ID_LIKE (else ID), name = ID, version = VERSION_ID. */
export function osInfo(osRelease = read('/etc/os-release')): PatchmonPayload['os_info'] {
  const f = parseOsRelease(osRelease);
  const id = f.get('ID') ?? '';
  const like = (f.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean);
  const families = ['debian', 'rhel', 'suse'];
  const family = [id, ...like].find((x) => families.includes(x)) ?? (like.includes('fedora') || like.includes('centos') ? 'rhel' : id);
  return { family, name: id, version: f.get('VERSION_ID') ?? '' };
}

export function buildPayload(scans: PatchmonScan[], hostname: string, searchPath = process.env.PATH ?? ''): PatchmonPayload {
  const oscap = findOscap(searchPath);
  const scanner: PatchmonPayload['scanner_info'] = {
    openscap_available: oscap !== undefined,
    docker_bench_available: findProgram('docker', searchPath) !== undefined,
    oscap_docker_available: findProgram('oscap-docker', searchPath) !== undefined,
  };
  if (oscap) scanner.openscap_version = oscapVersion(oscap);
  const profiles = scans.filter((s) => s.profile_type === 'openscap').map((s) => s.profile_name);
  if (profiles.length) scanner.available_profiles = profiles;
  return {
    scans,
    os_info: osInfo(),
    scanner_info: scanner,
    hostname,
    machine_id: read('/etc/machine-id').trim(),
    agent_version: `syschangemon/${programVersion()}`,
  };
}
