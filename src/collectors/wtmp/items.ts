/** The items the wtmp collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const WTMP_ITEMS: readonly ItemSpec[] = [
  {
    key: 'wtmp://<user>@<line>/<login>',
    description: 'One login session; user and line key-encoded, login as ISO-8601 with microseconds.',
    attributes: {
      user: { type: 'string', summary: true, description: 'The user name' },
      line: { type: 'string', summary: true, description: "The terminal line (wtmpdb's `TTY`); empty when it has none" },
      host: { type: 'string', summary: true, description: "`ut_host`, else `ut_addr_v6` as text; wtmpdb's `RemoteHost`" },
      login: { type: 'string', summary: true, description: 'Login time, ISO-8601 with microseconds' },
      logout: { type: 'string', nullable: true, summary: true, description: 'Logout time; null while the session is open' },
      end: { type: 'string', nullable: true, description: '`logout`, `reboot` or `crash`: how it ended; null while open' },
    },
  },
];
