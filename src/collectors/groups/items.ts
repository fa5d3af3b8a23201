/** The items the groups collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const GROUPS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'groups://<name>',
    description: 'One group of /etc/group (name key-encoded), with gshadow administrators and password state; never a hash.',
    attributes: {
      gid: { type: 'number', summary: true, description: 'From group' },
      members: { type: 'string', summary: true, description: 'The supplementary members, sorted and comma-joined (a set: reordering is no change)' },
      primary_members: { type: 'string', summary: true, description: 'Accounts of passwd whose primary gid this is, sorted, comma-joined' },
      admins: { type: 'string', optional: true, summary: true, description: 'Group administrators from gshadow' },
      password: { type: 'string', optional: true, summary: true, description: 'The group password as `set`, `empty`, `locked` or `none`' },
      gshadow_members: { type: 'string', optional: true, description: "Present only when gshadow's member list differs from group's" },
    },
  },
];
