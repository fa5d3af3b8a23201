/**
 * The `packages` collector: installed Debian packages from dpkg's status, and attribution of
 * file changes to package operations in the report (see README.md).
 */
import * as path from 'node:path';
import type { Collector, OptionSchema, Options } from '../../types.js';
import { collectPackages, type PackagesOptions } from './collect.js';
import { enrichWithPackages } from './attribute.js';

const absolute = (v: unknown) => (typeof v === 'string' && path.isAbsolute(v) ? undefined : 'expected an absolute path');

export const PACKAGES_OPTIONS: OptionSchema = {
  collapse_explained: { type: 'bool', default: true, description: 'Mark file changes explained by a package operation (explained_by) so reports group and collapse them under the package.' },
  verify_checksums: { type: 'bool', default: true, description: "Explain a changed file only when its content matches dpkg's MD5 for it (md5sums, or the conffile hash)." },
  admindir: { type: 'string', default: '/var/lib/dpkg', description: "dpkg's database directory (dpkg --admindir).", check: absolute },
  root: { type: 'string', default: '/', description: 'Filesystem root the package database describes (dpkg --root); package paths are matched below it.', check: absolute },
  dpkg_log: { type: 'string', default: '/var/log/dpkg.log', description: 'dpkg log read (with its rotated copies) to cross-check the operations between sessions.', check: absolute },
};

export function packagesOptions(o: Options): PackagesOptions {
  const str = (k: string, d: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : d);
  return {
    collapseExplained: o.collapse_explained !== false,
    verifyChecksums: o.verify_checksums !== false,
    admindir: str('admindir', '/var/lib/dpkg'),
    root: str('root', '/'),
    dpkgLog: str('dpkg_log', '/var/log/dpkg.log'),
  };
}

export const packagesCollector: Collector = {
  name: 'packages',
  description: 'Installed Debian packages (dpkg status); explains file changes made by package operations',
  options: PACKAGES_OPTIONS,
  after: ['file', 'conffile'],
  collect: (ctx, options) => collectPackages(ctx, packagesOptions(options)),
  enrichReport: (ctx, options) => enrichWithPackages(ctx, packagesOptions(options)),
};
