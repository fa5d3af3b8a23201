/**
 * Pure rules deciding whether a configuration file's text may be stored.
 */
import { GlobSet } from '../../core/glob.js';

/** How a conffile item's content was kept (`stored` attribute). */
export type Stored = 'text' | 'binary' | 'too_large' | 'secret' | 'excluded_builtin';

/**
 * Password files never stored, whatever the config says: `/etc/shadow*` and `/etc/gshadow*`,
 * also inside a chroot or container root (`/srv/jail/etc/shadow`).
 */
export const BUILTIN_SECRET_PATHS = new GlobSet(['**/etc/shadow*', '**/etc/gshadow*']);

// RSA, EC, DSA, OPENSSH, ENCRYPTED, plain PKCS#8, and PGP private key blocks.
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `secret` if it holds a private key, `text` if valid UTF-8 without NUL bytes, else `binary`. */
export function classify(content: Buffer): 'text' | 'binary' | 'secret' {
  if (PRIVATE_KEY.test(content.toString('latin1'))) return 'secret';
  if (content.includes(0)) return 'binary';
  try {
    utf8.decode(content);
    return 'text';
  } catch {
    return 'binary';
  }
}
