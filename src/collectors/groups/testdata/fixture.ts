/** group, gshadow and passwd fixtures for the groups collector's tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A hash-shaped gshadow password field; its bytes must never be stored. */
export const GROUP_HASH = '$6$GsAlt9xQ$u8Yb1nKq2wE3rT4yU5iO6pA7sD8fG9hJ0kL1zX2cV3bN4mQ5wE6rT7yU8iO9pA0sD1fG2hJ3kL4zX5cV6bN7mQ.';

export function groupFixture(dir: string): { group: string; gshadow: string; passwd: string } {
  const group = path.join(dir, 'group');
  const gshadow = path.join(dir, 'gshadow');
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(group, 'root:x:0:\nadm:x:4:syslog,alice\nsudo:x:27:alice\ndocker:x:999:\nalice:x:1000:\nteam:x:1001:carol,bob,alice\nbad:x:notanumber:\n');
  fs.writeFileSync(gshadow, `root:*::\nadm:*::syslog,alice\nsudo:*::alice\ndocker:!::\nalice:!::\nteam:${GROUP_HASH}:bob:alice,bob,carol\n`);
  fs.writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1002:1001::/home/bob:/bin/bash\n');
  return { group, gshadow, passwd };
}
