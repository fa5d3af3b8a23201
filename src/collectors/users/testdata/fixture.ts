/** passwd and shadow fixtures for the users collector's tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';

// Hash-shaped password fields (SHA-512 crypt and yescrypt); their bytes must never be stored.
export const HASH = '$6$Zq9cVb3u$3oQp9gk8JpOjL8y3l7qmr9F4l1GX0YxYw8Mv0sQe1Hn5Kc3Vb2Y7oTnL4X0dWq8tJk1rN2pS6aZ9eC3uF5hG.';
export const HASH2 = '$y$j9T$ZkT3wq9A1bC2dE3fG4hI5.$qwertyuiopASDFGHJKLzxcvbnm0123456789abcdefg';
export const SALT = 'Zq9cVb3u';

export function fixture(dir: string, shadowExtra = ''): { passwd: string; shadow: string } {
  const passwd = path.join(dir, 'passwd');
  const shadow = path.join(dir, 'shadow');
  fs.writeFileSync(passwd, [
    'root:x:0:0:root:/root:/bin/bash',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'alice:x:1000:1000:Alice A,,,:/home/alice:/bin/bash',
    'toor:x:0:0::/root:/bin/sh',
    'nopw:x:1001:1001::/home/nopw:',
    'legacy:' + HASH2 + ':1002:1002::/home/legacy:/bin/false',
    'broken:x:abc:1::/:/bin/sh',
    '',
  ].join('\n'));
  fs.writeFileSync(shadow, [
    `root:${HASH}:19000:0:99999:7:::`,
    'daemon:*:19000:0:99999:7:::',
    `alice:!${HASH}:19500:1:90:14:30:20000:`,
    'toor:!:19000::::::',
    'nopw::0:0:99999:7:::',
    `ghost:${HASH}:19000:0:99999:7:::`,
    shadowExtra,
  ].join('\n'));
  fs.chmodSync(shadow, 0o640);
  return { passwd, shadow };
}

