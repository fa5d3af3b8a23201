/** The items the file collector emits (see README.md; the table there is generated from this). */
import type { ItemSpec } from '../../types.js';

export const FILE_ITEMS: readonly ItemSpec[] = [
  {
    key: 'file://<path>',
    description: 'A file, directory, symlink, FIFO, socket or device the include globs name; the path byte-exact (src/keys.ts).',
    attributes: {
      type: { type: 'string', summary: true, description: 'file, dir, symlink, fifo, socket, chardev or blockdev' },
      mode: { type: 'string', summary: true, description: 'Permission bits incl. setuid, setgid and sticky, 4 octal digits: `0644`, `4755`, `1777`' },
      user: { type: 'string', summary: true, description: 'Owner, from /etc/passwd; the number when unknown' },
      group: { type: 'string', summary: true, description: 'Group, from /etc/group; the number when unknown' },
      uid: { type: 'number', description: 'Owner id' },
      gid: { type: 'number', description: 'Group id' },
      size: { type: 'number', summary: true, description: 'Bytes (lstat)' },
      mtime: { type: 'string', volatile: true, description: 'Modification time, UTC with nanoseconds: `2026-11-23T23:24:04.123456789Z`' },
      ctime: { type: 'string', volatile: true, description: 'Status change time, UTC with nanoseconds' },
      inode: { type: 'number', description: 'Inode number' },
      nlink: { type: 'number', volatile: true, description: 'Hard link count' },
      target: { type: 'string', optional: true, summary: true, description: 'Symlinks only: the link text, key-encoded (never followed)' },
      sha256: { type: 'string', optional: true, summary: true, description: 'Regular files only: the content hash' },
      rdev: { type: 'string', optional: true, summary: true, description: 'Character and block devices: `major:minor` in decimal (`1:5`; `stat -c %t:%T` prints it in hex)' },
      caps: { type: 'string', optional: true, summary: true, description: 'File capabilities (security.capability) as getcap prints them: `cap_setuid=ep`, `cap_net_bind_service,cap_net_raw=ep`' },
      acl: { type: 'string', optional: true, summary: true, description: "A POSIX access ACL beyond the mode bits: getfacl's entries joined by commas, `user::rw-,user:nobody:rwx,group::r--,mask::rwx,other::r--`" },
      acl_default: { type: 'string', optional: true, summary: true, description: "A directory's default ACL, the same form (getfacl --default)" },
      selinux: { type: 'string', optional: true, description: 'The SELinux label (security.selinux): `system_u:object_r:etc_t:s0`' },
      flags: { type: 'string', optional: true, description: 'Inode flags of regular files and directories as lsattr prints them: `----i---------e-------`; absent when none is set' },
      'xattr.<name>': { type: 'string', optional: true, description: 'Every other extended attribute (`xattr.user.note`, `xattr.security.ima`): short (at most 128 bytes) printable text as is, else `sha256:<hex>` of its bytes' },
    },
  },
];
