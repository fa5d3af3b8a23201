/** The items the users collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

const days = (what: string) => ({ type: 'number', nullable: true, optional: true, description: `${what}, in days, as shadow holds it` }) as const;

export const USERS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'users://<name>',
    description: 'One account of /etc/passwd (name key-encoded), with the password metadata of /etc/shadow; never a hash.',
    attributes: {
      uid: { type: 'number', summary: true, description: 'From passwd' },
      gid: { type: 'number', summary: true, description: 'From passwd' },
      gecos: { type: 'string', description: 'From passwd' },
      home: { type: 'string', summary: true, description: 'From passwd' },
      shell: { type: 'string', summary: true, description: 'From passwd' },
      login: { type: 'boolean', summary: true, description: 'The shell allows a login: it is not one of `nologin_shells` (an empty shell is /bin/sh); a locked password does not make it false' },
      password: {
        type: 'string', optional: true, summary: true,
        description: '`set`, `empty`, `locked` (a hash behind `!`) or `none` (`*`, `!`, `!!`, no shadow entry); absent when shadow could not be read',
      },
      password_in_passwd: { type: 'boolean', optional: true, summary: true, description: 'Present (true) when the password field of passwd itself holds the password' },
      last_change: { type: 'string', nullable: true, optional: true, description: '`YYYY-MM-DD` of the last password change; `must change` when shadow says 0' },
      min: days('Minimum password age'),
      max: days('Maximum password age'),
      warn: days('Warning period'),
      inactive: days('Inactivity period'),
      expire: { type: 'string', nullable: true, optional: true, summary: true, description: 'Account expiry date `YYYY-MM-DD`' },
    },
  },
];
