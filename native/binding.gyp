# The small native part of syschangemon: directory-descriptor relative file access (openat,
# fstatat, getdents64) and the attributes Node has no API for (extended attributes, inode
# flags). Built by `npm ci` (the package's install script) and `npm run build`.
{
  'targets': [
    {
      'target_name': 'fsnative',
      'sources': ['fsnative.c'],
      'cflags': ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
    },
  ],
}
