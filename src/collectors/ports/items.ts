/** The items the ports collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const PORTS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'ports://<proto>/<address>/<port>',
    description: 'A listening TCP or UDP socket; the address as inet_ntop writes it, never the pid in the key.',
    attributes: {
      proto: { type: 'string', description: '`tcp` or `udp`' },
      family: { type: 'string', description: '`ipv4` or `ipv6` (a socket on `::` usually takes IPv4 too)' },
      address: { type: 'string', description: 'The bound address' },
      port: { type: 'number', description: 'The bound port' },
      local: { type: 'boolean', summary: true, description: 'Bound to loopback' },
      service: { type: 'string', nullable: true, summary: true, description: 'The name of `port/proto` in /etc/services' },
      pid: { type: 'number', nullable: true, volatile: true, description: 'The owning process (ignored in diffs by default)' },
      program: { type: 'string', nullable: true, summary: true, description: 'Its /proc/<pid>/comm' },
      exe: { type: 'string', nullable: true, summary: true, description: 'Its /proc/<pid>/exe (` (deleted)` when the binary was replaced but not restarted)' },
      user: { type: 'string', summary: true, description: "The owning process's real user (else the socket's owner), by name" },
    },
  },
];
