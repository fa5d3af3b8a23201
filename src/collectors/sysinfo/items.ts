/** The items the sysinfo collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const SYSINFO_ITEMS: readonly ItemSpec[] = [
  {
    key: 'sysinfo://interface/<name>',
    description: 'One network interface (every entry of /sys/class/net, plus any other Node reports), the name key-encoded.',
    attributes: {
      mac: { type: 'string', nullable: true, summary: true, description: '/sys/class/net/<if>/address' },
      addresses: { type: 'string', summary: true, description: 'Addresses in CIDR form, sorted, comma-joined; temporary (privacy) IPv6 addresses left out' },
      mtu: { type: 'number', optional: true, description: '/sys/class/net/<if>/mtu, absent when not readable' },
    },
  },
  {
    key: 'sysinfo://cpu_count',
    description: 'The number of CPUs (`os.cpus().length`).',
    attributes: { value: { type: 'number', summary: true, description: 'The count' } },
  },
  {
    key: 'sysinfo://memory_total',
    description: '`MemTotal` of /proc/meminfo.',
    attributes: { value: { type: 'number', summary: true, description: 'Bytes' } },
  },
  {
    key: 'sysinfo://<field>',
    description: 'One system fact: hostname, fqdn, os_name, os_version, os_id, os_version_id, kernel_release, kernel_version, architecture, boot_id, boot_time, cpu_model, machine_id.',
    attributes: { value: { type: 'string', summary: true, description: 'The fact as text' } },
  },
];
