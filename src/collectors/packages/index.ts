/**
 * The `packages` collector: installed Debian packages from dpkg's status, and attribution of
 * file changes to package operations in the report (see README.md).
 */
import type { Collector, OptionSchema, Options } from '../../types.js';
import { absolutePath, optionValues } from '../common/index.js';
import { collectPackages, type PackagesOptions } from './collect.js';
import { packagesReportHooks } from './attribute.js';
import { PACKAGES_ITEMS } from './items.js';

export const PACKAGES_OPTIONS: OptionSchema = {
  collapse_explained: { type: 'bool', default: true, description: 'Mark file changes explained by a package operation (explained_by) so reports group and collapse them under the package.' },
  verify_checksums: { type: 'bool', default: true, description: "Explain a changed file only when its content matches dpkg's MD5 for it (md5sums, or the conffile hash)." },
  admindir: { type: 'string', default: '/var/lib/dpkg', description: "dpkg's database directory (dpkg --admindir).", check: absolutePath },
  root: { type: 'string', default: '/', description: 'Filesystem root the package database describes (dpkg --root); package paths are matched below it.', check: absolutePath },
  dpkg_log: { type: 'string', default: '/var/log/dpkg.log', description: 'dpkg log read (with its rotated copies) to cross-check the operations between sessions.', check: absolutePath },
};

export function packagesOptions(o: Options): PackagesOptions {
  const v = optionValues(PACKAGES_OPTIONS, o);
  return {
    collapseExplained: v.bool('collapse_explained'),
    verifyChecksums: v.bool('verify_checksums'),
    admindir: v.string('admindir', { nonEmpty: true }),
    root: v.string('root', { nonEmpty: true }),
    dpkgLog: v.string('dpkg_log', { nonEmpty: true }),
  };
}

export const packagesCollector: Collector = {
  name: 'packages',
  description: 'Installed Debian packages (dpkg status); explains file changes made by package operations',
  options: PACKAGES_OPTIONS,
  items: PACKAGES_ITEMS,
  after: ['file', 'conffile'],
  collect: (ctx, options) => collectPackages(ctx, packagesOptions(options)),
  reportHooks: (ctx, options) => packagesReportHooks(ctx, packagesOptions(options)),
};
