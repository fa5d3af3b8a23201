/**
 * Test helper: a real dpkg database in a temporary root, and tiny .deb files built with
 * `dpkg-deb --build`. Nothing is run through a shell.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DebSpec {
  name: string;
  version: string;
  arch?: string;
  /** Path (absolute, as installed) → content. */
  files: Record<string, string>;
  conffiles?: string[];
  /** Maintainer scripts (`postinst`, `prerm`, `postrm`, …) → shell text, installed 0755. */
  scripts?: Record<string, string>;
}

const ENV = { ...process.env, PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, LC_ALL: 'C' };

/** Build `<dir>/<name>_<version>.deb`. */
export function buildDeb(dir: string, spec: DebSpec): string {
  const tree = path.join(dir, `${spec.name}-${spec.version}`);
  fs.mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
  for (const [p, text] of Object.entries(spec.files)) {
    const full = path.join(tree, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text, { mode: p.includes('/bin/') ? 0o755 : 0o644 });
  }
  fs.writeFileSync(
    path.join(tree, 'DEBIAN', 'control'),
    `Package: ${spec.name}\nVersion: ${spec.version}\nArchitecture: ${spec.arch ?? 'all'}\nMaintainer: Test <test@example.org>\nDescription: test package\n a multi-line\n description\n`,
  );
  if (spec.conffiles?.length) fs.writeFileSync(path.join(tree, 'DEBIAN', 'conffiles'), `${spec.conffiles.join('\n')}\n`);
  for (const [name, text] of Object.entries(spec.scripts ?? {})) fs.writeFileSync(path.join(tree, 'DEBIAN', name), text, { mode: 0o755 });
  const deb = path.join(dir, `${spec.name}_${spec.version}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', tree, deb], { env: ENV, stdio: 'pipe' });
  return deb;
}

/** A dpkg root with an empty database: `<root>/var/lib/dpkg/{status,updates,info}`. */
export class DpkgRoot {
  readonly admindir: string;
  readonly log: string;
  constructor(readonly root: string) {
    this.admindir = path.join(root, 'var', 'lib', 'dpkg');
    this.log = path.join(root, 'var', 'log', 'dpkg.log');
    fs.mkdirSync(path.join(this.admindir, 'updates'), { recursive: true });
    fs.mkdirSync(path.join(this.admindir, 'info'), { recursive: true });
    fs.mkdirSync(path.dirname(this.log), { recursive: true });
    fs.writeFileSync(path.join(this.admindir, 'status'), '');
  }

  private dpkg(...args: string[]): void {
    execFileSync(
      'dpkg',
      [`--root=${this.root}`, `--admindir=${this.admindir}`, '--force-not-root', '--force-script-chrootless', `--log=${this.log}`, '--force-confnew', ...args],
      { env: ENV, stdio: 'pipe' },
    );
  }

  install(...debs: string[]): void {
    this.dpkg('-i', ...debs);
  }

  remove(name: string): void {
    this.dpkg('--remove', name);
  }

  purge(name: string): void {
    this.dpkg('--purge', name);
  }
}

/** Whether dpkg and dpkg-deb can run here. */
export function haveDpkg(): boolean {
  try {
    execFileSync('dpkg-deb', ['--version'], { env: ENV, stdio: 'pipe' });
    execFileSync('dpkg', ['--version'], { env: ENV, stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
