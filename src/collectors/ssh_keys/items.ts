/** The items the ssh_keys collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const SSH_KEYS_ITEMS: readonly ItemSpec[] = [
  {
    key: 'ssh_keys://<user>/<fingerprint>',
    description: "One authorized key of one account (user names never hold `/`: everything after the first is the fingerprint); the same key in two files of a user is one item.",
    attributes: {
      type: { type: 'string', summary: true, description: '`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, `sk-ssh-ed25519@openssh.com`, … (checked against the type inside the key)' },
      bits: { type: 'number', summary: true, description: 'The size `ssh-keygen -l` prints (RSA modulus bits, 256 for Ed25519, the curve for ECDSA)' },
      fingerprint: { type: 'string', description: '`SHA256:` and the unpadded base64 SHA-256 of the key blob, as `ssh-keygen -l` prints it' },
      comment: { type: 'string', summary: true, description: 'The comment after the key' },
      options: { type: 'string', summary: true, description: 'The options field as written (`from="192.0.2.0/24",no-pty`), empty when none' },
      file: { type: 'string', summary: true, description: 'The file it was read from' },
      file_mode: { type: 'string', summary: true, description: "That file's permission bits (octal)" },
      file_uid: { type: 'number', description: "That file's owner" },
    },
  },
];
