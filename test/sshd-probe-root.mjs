/**
 * A probe root in which OpenSCAP 1.3.7 evaluates the SSG Debian 12 sshd rules
 * (OSCAP_PROBE_ROOT): what makes it Debian (debian_version, os-release), a dpkg status with
 * linux-base (the `#system_with_kernel` platform of the ssh group) and openssh-server, dpkg's
 * architecture tables and the directories apt expects, and an APT_CONFIG file for oscap's
 * environment. Used by tests and benchmarks; plain ESM so both can import it.
 *
 * Why APT_CONFIG: oscap's dpkginfo probe opens the package cache through libapt under the
 * probe root. A Docker-built Debian (this machine, CI) has /etc/apt/apt.conf.d/docker-clean
 * with `Dir::Cache::pkgcache ""`; under a probe root apt then renames its cache onto the root
 * directory itself, `dpkginfo_init has failed`, and every package-platform rule is
 * notapplicable. `Dir::Etc::parts` pointed at an empty directory keeps the host's apt.conf.d
 * out.
 *
 * Checked with oscap 1.3.7: without usr/share/dpkg's tables (or without APT_CONFIG on such a
 * host) sshd_disable_root_login is notapplicable; apt's directories and dpkg's updates/info are
 * made as a real root has them but did not matter; no dpkg binary is needed in the root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const stanza = (pkg, arch, version, description) =>
  `Package: ${pkg}\nStatus: install ok installed\nPriority: optional\nSection: misc\nArchitecture: ${arch}\nVersion: ${version}\nDescription: ${description}\n\n`;

/** The dpkg status of the probe root: linux-base and openssh-server installed. */
export const DPKG_STATUS =
  stanza('linux-base', 'all', '4.9', 'Linux image base package') + stanza('openssh-server', 'amd64', '1:9.2p1-2+deb12u3', 'secure shell (SSH) server, for secure access from remote machines');

/**
 * Builds the probe root in `dir` (created) with `sshd_config` as etc/ssh/sshd_config, and the
 * APT_CONFIG file beside it (`<dir>.apt.conf`, with its empty parts directory `<dir>.apt.conf.d`).
 * Returns the root, the sshd_config path, the environment oscap needs, and a remover.
 * @param {string} dir
 * @param {{ sshdConfig?: string, extra?: (root: string) => void }} [opts]
 */
export function sshdProbeRoot(dir, opts = {}) {
  const root = path.resolve(dir);
  for (const d of ['etc/ssh', 'etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'usr/lib', 'var/lib/dpkg/updates', 'var/lib/dpkg/info', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  // cp -L: the host's files, links followed (os-release is a link to ../usr/lib/os-release).
  for (const f of ['debian_version', 'os-release']) fs.writeFileSync(path.join(root, 'etc', f), fs.readFileSync(`/etc/${f}`));
  fs.writeFileSync(path.join(root, 'usr/lib/os-release'), fs.readFileSync('/etc/os-release'));
  fs.writeFileSync(path.join(root, 'etc/apt/sources.list'), '');
  fs.writeFileSync(path.join(root, 'var/lib/dpkg/status'), DPKG_STATUS);
  fs.mkdirSync(path.join(root, 'usr/share/dpkg'), { recursive: true });
  for (const f of ['cputable', 'tupletable']) fs.copyFileSync(`/usr/share/dpkg/${f}`, path.join(root, 'usr/share/dpkg', f));
  const sshd = path.join(root, 'etc/ssh/sshd_config');
  fs.writeFileSync(sshd, opts.sshdConfig ?? 'PermitRootLogin no\n', { mode: 0o600 });
  fs.chmodSync(sshd, 0o600);
  opts.extra?.(root);
  const parts = `${root}.apt.conf.d`;
  fs.mkdirSync(parts, { recursive: true });
  const aptConfig = `${root}.apt.conf`;
  fs.writeFileSync(aptConfig, `Dir::Etc::parts "${parts}";\n`);
  return {
    root,
    sshdConfig: sshd,
    aptConfig,
    env: { APT_CONFIG: aptConfig },
    remove() {
      for (const p of [root, parts, aptConfig]) fs.rmSync(p, { recursive: true, force: true });
    },
  };
}

/** Whether the host has what the root copies (dpkg's tables), for a test's skip. */
export function canBuildSshdProbeRoot() {
  return ['/usr/share/dpkg/cputable', '/usr/share/dpkg/tupletable', '/etc/debian_version', '/etc/os-release'].every((f) => fs.existsSync(f));
}

