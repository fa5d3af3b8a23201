/** The items the portscan collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const PORTSCAN_ITEMS: readonly ItemSpec[] = [
  {
    key: 'portscan://<target>/<proto>/<port>',
    description: 'An open port found by scanning a configured target (as configured: a host name or an IP address).',
    attributes: {
      target: { type: 'string', description: 'The target as configured' },
      address: { type: 'string', summary: true, description: 'The address scanned (the target resolved once per scan)' },
      proto: { type: 'string', description: '`tcp`' },
      port: { type: 'number', description: 'The open port' },
      service: { type: 'string', nullable: true, summary: true, description: 'The name of `port/proto` in /etc/services' },
    },
  },
];
