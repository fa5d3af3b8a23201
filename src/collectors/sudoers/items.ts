/** The items the sudoers collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const SUDOERS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'sudoers://<file>/Defaults<scope and settings>',
    description: 'One Defaults line, key-encoded.',
    attributes: {
      kind: { type: 'string', description: '`defaults`' },
      scope: { type: 'string', summary: true, description: '`Defaults`, `Defaults:alice`, `Defaults>root`, …' },
      settings: { type: 'string', summary: true, description: 'The settings, comma-joined' },
      file: { type: 'string', summary: true, description: 'The file it is in' },
    },
  },
  {
    key: 'sudoers://<file>/<rule>',
    description: 'One effective rule, normalised as `who hosts = (runas users : runas groups) TAGS: commands`, key-encoded (`%` is `%25`).',
    attributes: {
      kind: { type: 'string', description: '`rule`' },
      users: { type: 'string', summary: true, description: 'Who, aliases expanded, comma-joined' },
      hosts: { type: 'string', description: 'Where, aliases expanded, comma-joined' },
      runas_users: { type: 'string', summary: true, description: 'As whom (no Runas spec: `root`)' },
      runas_groups: { type: 'string', description: 'As which groups' },
      tags: { type: 'string', summary: true, description: '`NOPASSWD`, `SETENV`, `NOEXEC`, … in effect' },
      commands: { type: 'string', summary: true, description: 'The commands, aliases expanded' },
      nopasswd: { type: 'boolean', description: 'No password asked' },
      all_commands: { type: 'boolean', description: '`ALL` among the commands' },
      as_root: { type: 'boolean', summary: true, description: 'May run as root (`root`, `#0` or `ALL` among the runas users)' },
      file: { type: 'string', summary: true, description: 'The file it is in' },
    },
  },
];
