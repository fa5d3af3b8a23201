/** The items the mysql_users collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const MYSQL_USERS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'mysql_users://<user>@<host>',
    description: 'One account (or role: host empty) of the local MariaDB/MySQL server; user and host key-encoded (`@` in a user name is `%40`). Never a password or hash.',
    attributes: {
      user: { type: 'string', description: 'The account name (empty: the anonymous account)' },
      host: { type: 'string', summary: true, description: 'The host part (`%`: any host; empty for a role)' },
      role: { type: 'boolean', summary: true, description: 'A role (MariaDB), not an account one can log in as' },
      plugin: { type: 'string', summary: true, description: 'Its authentication plugins, comma-joined in the order the server tries them (`mysql_native_password,unix_socket`)' },
      password: { type: 'string', summary: true, description: '`set`, `empty` (a password method with no password: anyone may log in as it), `invalid` (no password can match, e.g. `invalid`) or `none` (no password method: unix_socket, a role)' },
      empty_password: { type: 'boolean', summary: true, description: 'password is `empty`' },
      locked: { type: 'boolean', summary: true, description: 'The account is locked (ACCOUNT LOCK)' },
      password_expired: { type: 'boolean', description: 'The password is marked expired' },
      grants: { type: 'string', summary: true, description: 'Its grants as SHOW GRANTS prints them, normalised (whitespace, backtick quoting; the IDENTIFIED clause cut out), sorted, one a line' },
    },
  },
];
