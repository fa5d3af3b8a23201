/** The items the openvpn_users collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const OPENVPN_USERS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'openvpn_users://<CN>',
    description: 'The certificate of one common name in the easy-rsa PKI (CN key-encoded): its newest valid one, else its last one.',
    attributes: {
      status: { type: 'string', summary: true, description: '`valid`, `revoked` (index.txt or the CRL says so) or `expired`' },
      serial: { type: 'string', summary: true, description: 'Serial number, upper-case hex as index.txt writes it' },
      expiry: { type: 'string', summary: true, description: 'notAfter, ISO 8601 UTC' },
      days_left: { type: 'number', volatile: true, description: 'Whole days until expiry (negative once expired); ignored in diffs by default' },
      expiring: { type: 'boolean', summary: true, description: 'Valid and expiring within `warn_days`' },
      revoked_at: { type: 'string', nullable: true, description: 'Revocation time from index.txt, ISO 8601 UTC' },
      revocation_reason: { type: 'string', nullable: true, description: 'The reason index.txt records (`keyCompromise`, `superseded`, …)' },
      in_crl: { type: 'boolean', nullable: true, summary: true, description: 'The serial is listed in the CRL; null when no CRL could be read' },
      certificates: { type: 'number', description: 'Certificates index.txt holds for this CN' },
      valid_certificates: { type: 'number', summary: true, description: 'Of those, how many are valid (more than one: several keys can connect as this CN)' },
      subject: { type: 'string', description: 'The subject as index.txt writes it' },
      usage: { type: 'string', nullable: true, description: 'Extended key usage of the issued certificate: `client`, `server`, both comma-joined; null when its file was not found' },
      fingerprint: { type: 'string', nullable: true, description: 'SHA-256 fingerprint of the issued certificate; null when its file was not found' },
    },
  },
];
