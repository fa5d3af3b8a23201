/** The items the packages collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const PACKAGES_ITEMS: readonly ItemSpec[] = [
  {
    key: 'package://<name>:<arch>',
    description: "An installed (or config-files) Debian package from dpkg's status.",
    attributes: {
      version: { type: 'string', summary: true, description: 'The version' },
      status: { type: 'string', summary: true, description: '`install ok installed`, `deinstall ok config-files`, …' },
      architecture: { type: 'string', description: 'The architecture' },
      source: { type: 'string', optional: true, summary: true, description: 'The source package, only when it differs from the name' },
    },
    contents: { files: "The package's .list, one key-encoded path a line, `/.` dropped" },
  },
  {
    key: 'package-verify://<name>:<arch>',
    description: "Internal: what was verified of a package's files at collect time (the report hook removes these changes).",
    attributes: {
      version: { type: 'string', description: 'The version verified' },
      list_ctime: { type: 'string', nullable: true, volatile: true, description: "ctime of the package's .list when verified" },
      verified: { type: 'number', description: 'Files and symlinks that matched' },
      mismatched: { type: 'number', description: "Files whose content did not match dpkg's checksum" },
    },
    contents: { verified: 'Lines `file <sha256> <path>`, `symlink <target> <path>`, `mismatch <sha256> <path>` (differs from md5sums), `conffile-mismatch <sha256> <path>`, `unchecked <sha256|-> <path>`; paths as the file walk sees them (aliases resolved)' },
  },
  {
    key: 'package-alias://<path>',
    description: 'Internal: a directory symlink directly below the root (merged-/usr: `/bin` → `/usr/bin`) through which package paths reach the files the walk records (the report hook removes these changes).',
    attributes: {
      target: { type: 'string', description: 'The directory it points to, as a path below the root' },
    },
  },
  {
    key: 'package-modified://<name>:<arch>',
    description: "Internal: files of a package without an operation whose content differs from dpkg's md5sums (the report hook removes these changes and marks the file changes).",
    attributes: {
      version: { type: 'string', description: 'The package version checked' },
      count: { type: 'number', description: 'How many files differ' },
      files: { type: 'string', description: 'One line per file: `<sha256 found> <path>`' },
    },
  },
];
