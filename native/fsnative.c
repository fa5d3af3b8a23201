/*
 * fsnative: file access relative to directory descriptors, and the file attributes Node has no
 * API for. Every call returns a negative errno instead of throwing, so the walk handles errors
 * as values (an entry that vanished is common, not exceptional).
 *
 *   openDirAt(dirfd, name)        -> fd | -errno   O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC
 *   openFileAt(dirfd, name, noatime) -> fd | -errno O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC
 *   statAt(dirfd, name, out)      -> 0 | -errno     fstatat(AT_SYMLINK_NOFOLLOW) into a Float64Array
 *   fstat(fd, out)                -> 0 | -errno
 *   readDir(fd)                   -> Buffer[] (byte order, without . and ..) | -errno
 *   readNames(fd)                 -> Buffer | -errno: the same names packed in one Buffer
 *                                    (see readNames below)
 *   readlinkAt(dirfd, name)       -> Buffer | -errno
 *   close(fd)                     -> 0 | -errno
 *   xattrs(fd, dirfd, name)       -> [name, value, name, value, ...] | -errno
 *                                    with fd >= 0: flistxattr/fgetxattr on it; else the l*
 *                                    calls on /proc/self/fd/<dirfd>/<name> (never follows name)
 *   getFlags(fd)                  -> flags (FS_IOC_GETFLAGS) | -errno
 *   hashAt(dirs, jobs, names)     -> Promise<[sha, info, xattrs]>: open, check, extended attributes
 *                                    and sha256 of regular files in a thread of libuv's pool
 *                                    (see hashAt below)
 *   dupFd(fd)                     -> fd | -errno   fcntl(F_DUPFD_CLOEXEC)
 *   mallocArenas(n)               -> 0 | -1         mallopt(M_ARENA_MAX, n), as MALLOC_ARENA_MAX=n
 *   sha256Fds(fds)                -> Promise<(hex | -errno)[]>: reads each open descriptor to
 *                                    its end and closes it, in a thread of libuv's pool (no
 *                                    JavaScript runs there); SHA-256 by the OpenSSL that Node
 *                                    itself links and exports (its headers ship with Node)
 *
 * dirfd -100 is AT_FDCWD. Names are Buffers of raw bytes; one containing NUL is EINVAL.
 * Stat layout (doubles, all exact): see STAT_* below.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <openssl/evp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

enum {
  STAT_MODE, STAT_NLINK, STAT_UID, STAT_GID, STAT_SIZE,
  STAT_DEV_HI, STAT_DEV_LO, STAT_INO_HI, STAT_INO_LO,
  STAT_RDEV_MAJOR, STAT_RDEV_MINOR,
  STAT_MTIME_S, STAT_MTIME_NS, STAT_CTIME_S, STAT_CTIME_NS,
  STAT_FIELDS
};

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "fsnative: " #call " failed"); return NULL; } } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int get_int(napi_env env, napi_value v, int *out) {
  int32_t i;
  if (napi_get_value_int32(env, v, &i) != napi_ok) return -1;
  *out = i;
  return 0;
}

/* A NUL-terminated copy of a Buffer argument: into `small` when it fits, else malloc'ed. */
static char *get_name(napi_env env, napi_value v, char *small, size_t smallLen, int *err) {
  void *data;
  size_t len;
  *err = 0;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) {
    *err = EINVAL;
    return NULL;
  }
  if (memchr(data, 0, len) != NULL) {
    *err = EINVAL;
    return NULL;
  }
  char *s = len < smallLen ? small : malloc(len + 1);
  if (s == NULL) {
    *err = ENOMEM;
    return NULL;
  }
  memcpy(s, data, len);
  s[len] = 0;
  return s;
}

static void free_name(char *s, char *small) {
  if (s != small) free(s);
}

#define ARGS(n) \
  size_t argc = n; napi_value argv[n]; \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL)); \
  if (argc < n) { napi_throw_type_error(env, NULL, "fsnative: too few arguments"); return NULL; }

#define NAME_ARG(i) \
  char small[512]; int nerr; \
  char *name = get_name(env, argv[i], small, sizeof small, &nerr); \
  if (name == NULL) return num(env, -nerr);

#define FD_ARG(i, var) \
  int var; \
  if (get_int(env, argv[i], &var) != 0) { napi_throw_type_error(env, NULL, "fsnative: expected a descriptor"); return NULL; }

static napi_value openDirAt(napi_env env, napi_callback_info info) {
  ARGS(2);
  FD_ARG(0, dirfd);
  NAME_ARG(1);
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  int e = errno;
  free_name(name, small);
  return num(env, fd >= 0 ? fd : -e);
}

static napi_value openFileAt(napi_env env, napi_callback_info info) {
  ARGS(3);
  FD_ARG(0, dirfd);
  bool noatime = false;
  napi_get_value_bool(env, argv[2], &noatime);
  NAME_ARG(1);
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  /* O_NOATIME is allowed only on files we own (or with CAP_FOWNER): EPERM, then the caller retries without. */
  int fd = openat(dirfd, name, flags | (noatime ? O_NOATIME : 0));
  int e = errno;
  free_name(name, small);
  return num(env, fd >= 0 ? fd : -e);
}

static napi_value fill_stat(napi_env env, napi_value out, const struct stat *st) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  CHECK(napi_get_typedarray_info(env, out, &type, &length, &data, &ab, &off));
  if (type != napi_float64_array || length < STAT_FIELDS) {
    napi_throw_type_error(env, NULL, "fsnative: expected a Float64Array of 15");
    return NULL;
  }
  double *d = data;
  uint64_t dev = st->st_dev, ino = st->st_ino;
  d[STAT_MODE] = st->st_mode;
  d[STAT_NLINK] = (double)st->st_nlink;
  d[STAT_UID] = st->st_uid;
  d[STAT_GID] = st->st_gid;
  d[STAT_SIZE] = (double)st->st_size;
  d[STAT_DEV_HI] = (double)(dev >> 32);
  d[STAT_DEV_LO] = (double)(dev & 0xffffffffu);
  d[STAT_INO_HI] = (double)(ino >> 32);
  d[STAT_INO_LO] = (double)(ino & 0xffffffffu);
  d[STAT_RDEV_MAJOR] = major(st->st_rdev);
  d[STAT_RDEV_MINOR] = minor(st->st_rdev);
  d[STAT_MTIME_S] = (double)st->st_mtim.tv_sec;
  d[STAT_MTIME_NS] = (double)st->st_mtim.tv_nsec;
  d[STAT_CTIME_S] = (double)st->st_ctim.tv_sec;
  d[STAT_CTIME_NS] = (double)st->st_ctim.tv_nsec;
  return num(env, 0);
}

static napi_value statAt(napi_env env, napi_callback_info info) {
  ARGS(3);
  FD_ARG(0, dirfd);
  NAME_ARG(1);
  struct stat st;
  int r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
  int e = errno;
  free_name(name, small);
  if (r != 0) return num(env, -e);
  return fill_stat(env, argv[2], &st);
}

static napi_value fstat_(napi_env env, napi_callback_info info) {
  ARGS(2);
  FD_ARG(0, fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return num(env, -errno);
  return fill_stat(env, argv[1], &st);
}

struct name_ref {
  const char *p;
  size_t len;
};

static int cmp_names(const void *a, const void *b) {
  const struct name_ref *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->p, y->p, n);
  if (c != 0) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/*
 * List a directory: every name but . and .., sorted in byte order. On success *bufp holds the
 * getdents64 records and *refsp the sorted names pointing into it (free both); else -errno.
 */
static long list_dir(int fd, char **bufp, struct name_ref **refsp) {
  size_t cap = 1 << 16, used = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return -ENOMEM;
  if (lseek(fd, 0, SEEK_SET) < 0) {
    int e = errno;
    free(buf);
    return -e;
  }
  for (;;) {
    if (cap - used < 32768) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        return -ENOMEM;
      }
      buf = nb;
      cap *= 2;
    }
    long n = syscall(SYS_getdents64, fd, buf + used, cap - used);
    if (n < 0) {
      int e = errno;
      free(buf);
      return -e;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  size_t count = 0;
  for (size_t off = 0; off < used;) {
    struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
    count++;
    off += d->d_reclen;
  }
  struct name_ref *refs = malloc((count ? count : 1) * sizeof *refs);
  if (refs == NULL) {
    free(buf);
    return -ENOMEM;
  }
  size_t k = 0;
  for (size_t off = 0; off < used;) {
    struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
    off += d->d_reclen;
    const char *nm = d->d_name;
    if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
    refs[k].p = nm;
    refs[k].len = strlen(nm);
    k++;
  }
  qsort(refs, k, sizeof *refs, cmp_names);
  *bufp = buf;
  *refsp = refs;
  return (long)k;
}

static napi_value readDir(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD_ARG(0, fd);
  char *buf;
  struct name_ref *refs;
  long k = list_dir(fd, &buf, &refs);
  if (k < 0) return num(env, (double)k);
  napi_value arr;
  if (napi_create_array_with_length(env, (size_t)k, &arr) != napi_ok) goto fail;
  for (long i = 0; i < k; i++) {
    napi_value b;
    if (napi_create_buffer_copy(env, refs[i].len, refs[i].p, NULL, &b) != napi_ok) goto fail;
    if (napi_set_element(env, arr, (uint32_t)i, b) != napi_ok) goto fail;
  }
  free(refs);
  free(buf);
  return arr;
fail:
  free(refs);
  free(buf);
  napi_throw_error(env, NULL, "fsnative: readDir: out of memory");
  return NULL;
}

/*
 * readNames: the same sorted names packed in one Buffer, one record each: a byte with the
 * name's length minus one (names are 1 to 255 bytes), a byte of flags (1: every byte is
 * printable ASCII other than '%', so the name is its own UTF-8 text and key form), the name,
 * and a NUL. One object per directory instead of one per name.
 */
static napi_value readNames(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD_ARG(0, fd);
  char *buf;
  struct name_ref *refs;
  long k = list_dir(fd, &buf, &refs);
  if (k < 0) return num(env, (double)k);
  size_t total = 0;
  for (long i = 0; i < k; i++) {
    if (refs[i].len == 0 || refs[i].len > 255) {
      free(refs);
      free(buf);
      return num(env, -ENAMETOOLONG);
    }
    total += refs[i].len + 3;
  }
  void *data;
  napi_value out;
  if (napi_create_buffer(env, total, &data, &out) != napi_ok) {
    free(refs);
    free(buf);
    napi_throw_error(env, NULL, "fsnative: readNames: out of memory");
    return NULL;
  }
  unsigned char *o = data;
  for (long i = 0; i < k; i++) {
    const unsigned char *p = (const unsigned char *)refs[i].p;
    size_t len = refs[i].len;
    unsigned char plain = 1;
    for (size_t j = 0; j < len; j++) {
      if (p[j] < 0x20 || p[j] > 0x7e || p[j] == '%') {
        plain = 0;
        break;
      }
    }
    *o++ = (unsigned char)(len - 1);
    *o++ = plain;
    memcpy(o, p, len);
    o += len;
    *o++ = 0;
  }
  free(refs);
  free(buf);
  return out;
}

static napi_value readlinkAt(napi_env env, napi_callback_info info) {
  ARGS(2);
  FD_ARG(0, dirfd);
  NAME_ARG(1);
  char target[4097];
  ssize_t n = readlinkat(dirfd, name, target, sizeof target);
  int e = errno;
  free_name(name, small);
  if (n < 0) return num(env, -e);
  if ((size_t)n >= sizeof target) return num(env, -ENAMETOOLONG);
  napi_value b;
  CHECK(napi_create_buffer_copy(env, (size_t)n, target, NULL, &b));
  return b;
}

static napi_value close_(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD_ARG(0, fd);
  return num(env, close(fd) == 0 ? 0 : -errno);
}

static napi_value xattrs(napi_env env, napi_callback_info info) {
  ARGS(3);
  FD_ARG(0, fd);
  FD_ARG(1, dirfd);
  char path[64 + 256];
  if (fd < 0) {
    NAME_ARG(2);
    size_t len = strlen(name);
    if (len > 255 || strchr(name, '/') != NULL) {
      free_name(name, small);
      return num(env, -EINVAL);
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
    free_name(name, small);
  }
  char list[65536];
  ssize_t n = fd >= 0 ? flistxattr(fd, list, sizeof list) : llistxattr(path, list, sizeof list);
  if (n < 0) return num(env, -errno);
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  uint32_t k = 0;
  char *value = malloc(65536);
  if (value == NULL) return num(env, -ENOMEM);
  for (ssize_t off = 0; off < n;) {
    const char *nm = list + off;
    size_t len = strlen(nm);
    off += (ssize_t)len + 1;
    ssize_t vn = fd >= 0 ? fgetxattr(fd, nm, value, 65536) : lgetxattr(path, nm, value, 65536);
    napi_value jn, jv;
    if (napi_create_string_latin1(env, nm, len, &jn) != napi_ok) break;
    if (vn < 0) {
      jv = num(env, -errno); /* this one attribute could not be read (it may have just gone) */
    } else if (napi_create_buffer_copy(env, (size_t)vn, value, NULL, &jv) != napi_ok) {
      break;
    }
    napi_set_element(env, arr, k++, jn);
    napi_set_element(env, arr, k++, jv);
  }
  free(value);
  return arr;
}

static napi_value getFlags(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD_ARG(0, fd);
  int flags = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return num(env, -errno);
  return num(env, (double)(unsigned int)flags);
}

/* ---- sha256 of open descriptors, off the JavaScript thread -------------------------------- */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  uint32_t n;
  int *fds;
  int *err;                /* 0, or the errno of the read */
  unsigned char *md;       /* n * 32 bytes */
} hash_batch;

#define HASH_BUF (1 << 20)

/* Every byte of fd into SHA-256 (md: 32 bytes); 0, or the errno of the read (ENOMEM, EIO). */
static int digest_fd(EVP_MD_CTX *ctx, const EVP_MD *sha, int fd, unsigned char *buf, unsigned char *md) {
  if (EVP_DigestInit_ex(ctx, sha, NULL) != 1) return ENOMEM;
  int e = 0;
  for (;;) {
    ssize_t r = read(fd, buf, HASH_BUF);
    if (r < 0) {
      if (errno == EINTR) continue;
      e = errno;
      break;
    }
    if (r == 0) break;
    EVP_DigestUpdate(ctx, buf, (size_t)r);
  }
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, md, &len) != 1 && e == 0) e = EIO;
  return e;
}

/* A 32-byte digest as 64 lowercase hex characters (not NUL-terminated). */
static void hex_digest(const unsigned char *d, char *text) {
  static const char hex[] = "0123456789abcdef";
  for (int k = 0; k < 32; k++) {
    text[2 * k] = hex[d[k] >> 4];
    text[2 * k + 1] = hex[d[k] & 15];
  }
}

static void hash_execute(napi_env env, void *data) {
  hash_batch *b = data;
  unsigned char *buf = malloc(HASH_BUF);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  const EVP_MD *sha = EVP_sha256();
  for (uint32_t i = 0; i < b->n; i++) {
    int fd = b->fds[i];
    int e = 0;
    if (buf == NULL || ctx == NULL) e = ENOMEM;
    else e = digest_fd(ctx, sha, fd, buf, b->md + 32 * (size_t)i);
    b->err[i] = e;
    close(fd);
  }
  EVP_MD_CTX_free(ctx);
  free(buf);
}

static void hash_complete(napi_env env, napi_status status, void *data) {
  hash_batch *b = data;
  napi_value arr;
  if (napi_create_array_with_length(env, b->n, &arr) == napi_ok) {
    char text[64];
    for (uint32_t i = 0; i < b->n; i++) {
      napi_value v;
      if (status != napi_ok) {
        v = num(env, -EINTR);
      } else if (b->err[i] != 0) {
        v = num(env, -b->err[i]);
      } else {
        hex_digest(b->md + 32 * (size_t)i, text);
        napi_create_string_latin1(env, text, 64, &v);
      }
      napi_set_element(env, arr, i, v);
    }
    napi_resolve_deferred(env, b->deferred, arr);
  } else {
    napi_value msg, e;
    napi_create_string_utf8(env, "fsnative: sha256Fds result", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &e);
    napi_reject_deferred(env, b->deferred, e);
  }
  napi_delete_async_work(env, b->work);
  free(b->fds);
  free(b->err);
  free(b->md);
  free(b);
}

static napi_value sha256Fds(napi_env env, napi_callback_info info) {
  ARGS(1);
  uint32_t n = 0;
  bool is_array = false;
  CHECK(napi_is_array(env, argv[0], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, NULL, "fsnative: sha256Fds expects an array of descriptors");
    return NULL;
  }
  CHECK(napi_get_array_length(env, argv[0], &n));
  hash_batch *b = calloc(1, sizeof *b);
  if (b == NULL) return num(env, -ENOMEM);
  b->n = n;
  b->fds = malloc(sizeof(int) * (n ? n : 1));
  b->err = calloc(n ? n : 1, sizeof(int));
  b->md = malloc(32 * (size_t)(n ? n : 1));
  if (b->fds == NULL || b->err == NULL || b->md == NULL) {
    free(b->fds); free(b->err); free(b->md); free(b);
    return num(env, -ENOMEM);
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int fd = -1;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || get_int(env, v, &fd) != 0) fd = -1;
    b->fds[i] = fd;
  }
  napi_value promise, name;
  if (napi_create_promise(env, &b->deferred, &promise) != napi_ok
      || napi_create_string_utf8(env, "syschangemon.sha256", NAPI_AUTO_LENGTH, &name) != napi_ok
      || napi_create_async_work(env, NULL, name, hash_execute, hash_complete, b, &b->work) != napi_ok
      || napi_queue_async_work(env, b->work) != napi_ok) {
    napi_throw_error(env, NULL, "fsnative: sha256Fds could not queue its work");
    return NULL;
  }
  return promise;
}

/* ---- open, check, extended attributes and sha256 of files, off the JavaScript thread -------- */

/*
 * hashAt(dirs, jobs, names) -> Promise<[sha, info, xattrs]>. Each job is a regular file the
 * walk lstat'ed: jobs holds HJ_FIELDS doubles per job (the index of its directory in `dirs`,
 * whether to read its extended attributes, the lstat's dev and inode halves and mode), names
 * its name in that directory. `dirs` are descriptors of the directories (duplicated for the
 * batch, which owns and closes them). In a thread of libuv's pool, per job: openat(dir, name,
 * O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC, and O_NOATIME while allowed), fstat on the
 * descriptor and the same dev, inode and type as the lstat, then (if asked) its extended
 * attributes and inode flags through that descriptor, then every byte into SHA-256, then
 * close. Nothing is resolved by path but the name in its directory, never following it.
 *
 * When the file cannot be opened (but for ENOENT) or is not the one lstat saw, its extended
 * attributes are read as readExtended in extended.ts does for an entry without a descriptor:
 * through a descriptor opened again and checked, else by /proc/self/fd/<dir>/<name> with the
 * l* calls (never following the name), without flags.
 *
 * sha[i]: the hex digest, or null. info[3i..]: kind (HK_*), errno, inode flags (0: none or
 * unreadable). xattrs[i]: [name, value, ...] as xattrs() returns them, or undefined when none.
 */
enum { HJ_DIR, HJ_WANT, HJ_DEV_HI, HJ_DEV_LO, HJ_INO_HI, HJ_INO_LO, HJ_MODE, HJ_FIELDS };
enum { HK_OK, HK_OPEN, HK_FSTAT, HK_REPLACED, HK_READ };

typedef struct {
  uint32_t n;
  uint32_t ndirs;
  int *dirs;
  double *jobs;            /* n * HJ_FIELDS */
  char **names;            /* n NUL-terminated copies */
  int *info;               /* n * 3 */
  unsigned char *md;       /* n * 32 */
  char **xattrs;           /* n blobs or NULL: [u32 count] then per attribute [name\0][i32 len or -errno][bytes] */
  napi_async_work work;
  napi_deferred deferred;
} at_batch;

static int noatime_ok = 1;

static int same_entry(const struct stat *st, const double *j) {
  uint64_t dev = st->st_dev, ino = st->st_ino;
  return (double)(dev >> 32) == j[HJ_DEV_HI] && (double)(dev & 0xffffffffu) == j[HJ_DEV_LO]
    && (double)(ino >> 32) == j[HJ_INO_HI] && (double)(ino & 0xffffffffu) == j[HJ_INO_LO]
    && ((st->st_mode ^ (unsigned)j[HJ_MODE]) & S_IFMT) == 0;
}

/* The extended attributes through fd (>= 0) or path, as a blob (NULL: none or unreadable). */
static char *read_xattr_blob(int fd, const char *path, char *list, char *value) {
  ssize_t n = fd >= 0 ? flistxattr(fd, list, 65536) : llistxattr(path, list, 65536);
  if (n <= 0) return NULL;
  size_t cap = 4096, used = 4;
  char *blob = malloc(cap);
  if (blob == NULL) return NULL;
  uint32_t count = 0;
  for (ssize_t off = 0; off < n;) {
    const char *nm = list + off;
    size_t len = strlen(nm);
    off += (ssize_t)len + 1;
    ssize_t vn = fd >= 0 ? fgetxattr(fd, nm, value, 65536) : lgetxattr(path, nm, value, 65536);
    int32_t rec = vn < 0 ? -errno : (int32_t)vn;
    size_t need = len + 1 + 4 + (vn > 0 ? (size_t)vn : 0);
    while (used + need > cap) {
      char *nb = realloc(blob, cap * 2);
      if (nb == NULL) {
        free(blob);
        return NULL;
      }
      blob = nb;
      cap *= 2;
    }
    memcpy(blob + used, nm, len + 1);
    used += len + 1;
    memcpy(blob + used, &rec, 4);
    used += 4;
    if (vn > 0) {
      memcpy(blob + used, value, (size_t)vn);
      used += (size_t)vn;
    }
    count++;
  }
  memcpy(blob, &count, 4);
  return blob;
}

static unsigned int read_flags(int fd) {
  int flags = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return 0;
  return (unsigned int)flags;
}

static void at_execute(napi_env env, void *data) {
  at_batch *b = data;
  unsigned char *buf = malloc(HASH_BUF);
  char *list = malloc(65536);
  char *value = malloc(65536);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  const EVP_MD *sha = EVP_sha256();
  for (uint32_t i = 0; i < b->n; i++) {
    const double *j = b->jobs + (size_t)i * HJ_FIELDS;
    int *info = b->info + 3 * (size_t)i;
    int dirfd = b->dirs[(uint32_t)j[HJ_DIR]];
    const char *name = b->names[i];
    int want = j[HJ_WANT] != 0;
    if (buf == NULL || list == NULL || value == NULL || ctx == NULL || name == NULL) {
      info[0] = HK_OPEN;
      info[1] = ENOMEM;
      continue;
    }
    const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int na = __atomic_load_n(&noatime_ok, __ATOMIC_RELAXED);
    int fd = openat(dirfd, name, flags | (na ? O_NOATIME : 0));
    if (fd < 0 && errno == EPERM && na) {
      __atomic_store_n(&noatime_ok, 0, __ATOMIC_RELAXED);
      fd = openat(dirfd, name, flags);
    }
    if (fd < 0) {
      info[0] = HK_OPEN;
      info[1] = errno;
    } else {
      struct stat st;
      if (fstat(fd, &st) != 0) {
        info[0] = HK_FSTAT;
        info[1] = errno;
        close(fd);
        fd = -1;
      } else if (!same_entry(&st, j)) {
        info[0] = HK_REPLACED;
        close(fd);
        fd = -1;
      }
    }
    if (fd < 0) {
      /* As readExtended without a descriptor; a file that is gone is skipped, nothing read. */
      if (want && !(info[0] == HK_OPEN && info[1] == ENOENT)) {
        int own = openat(dirfd, name, flags);
        if (own >= 0) {
          struct stat st;
          if (fstat(own, &st) != 0 || !same_entry(&st, j)) {
            close(own);
            own = -1;
          }
        }
        if (own >= 0) {
          b->xattrs[i] = read_xattr_blob(own, NULL, list, value);
          info[2] = (int)read_flags(own);
          close(own);
        } else if (strlen(name) <= 255 && strchr(name, '/') == NULL) {
          char path[64 + 256];
          snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
          b->xattrs[i] = read_xattr_blob(-1, path, list, value);
        }
      }
      continue;
    }
    if (want) {
      b->xattrs[i] = read_xattr_blob(fd, NULL, list, value);
      info[2] = (int)read_flags(fd);
    }
    int e = digest_fd(ctx, sha, fd, buf, b->md + 32 * (size_t)i);
    info[0] = e == 0 ? HK_OK : HK_READ;
    info[1] = e;
    close(fd);
  }
  for (uint32_t d = 0; d < b->ndirs; d++) {
    if (b->dirs[d] >= 0) close(b->dirs[d]);
    b->dirs[d] = -1;
  }
  EVP_MD_CTX_free(ctx);
  free(value);
  free(list);
  free(buf);
}

static void at_free(at_batch *b) {
  if (b->names) for (uint32_t i = 0; i < b->n; i++) free(b->names[i]);
  if (b->xattrs) for (uint32_t i = 0; i < b->n; i++) free(b->xattrs[i]);
  free(b->names);
  free(b->xattrs);
  free(b->dirs);
  free(b->jobs);
  free(b->info);
  free(b->md);
  free(b);
}

static napi_value xattr_blob_value(napi_env env, const char *blob) {
  napi_value arr;
  if (napi_create_array(env, &arr) != napi_ok) return NULL;
  uint32_t count;
  memcpy(&count, blob, 4);
  const char *p = blob + 4;
  uint32_t k = 0;
  for (uint32_t a = 0; a < count; a++) {
    size_t len = strlen(p);
    napi_value jn, jv;
    if (napi_create_string_latin1(env, p, len, &jn) != napi_ok) return NULL;
    p += len + 1;
    int32_t vn;
    memcpy(&vn, p, 4);
    p += 4;
    if (vn < 0) {
      jv = num(env, vn);
    } else {
      if (napi_create_buffer_copy(env, (size_t)vn, p, NULL, &jv) != napi_ok) return NULL;
      p += vn;
    }
    napi_set_element(env, arr, k++, jn);
    napi_set_element(env, arr, k++, jv);
  }
  return arr;
}

static void at_complete(napi_env env, napi_status status, void *data) {
  at_batch *b = data;
  napi_value out, shas, xattrs, infoBuf, info;
  void *infoData;
  int ok = napi_create_array_with_length(env, 3, &out) == napi_ok
    && napi_create_array_with_length(env, b->n, &shas) == napi_ok
    && napi_create_array_with_length(env, b->n, &xattrs) == napi_ok
    && napi_create_arraybuffer(env, 12 * (size_t)b->n, &infoData, &infoBuf) == napi_ok
    && napi_create_typedarray(env, napi_int32_array, 3 * (size_t)b->n, infoBuf, 0, &info) == napi_ok;
  if (ok && status != napi_ok) {
    for (uint32_t i = 0; i < b->n; i++) {
      b->info[3 * i] = HK_READ;
      b->info[3 * i + 1] = EINTR;
    }
  }
  if (ok) {
    memcpy(infoData, b->info, 12 * (size_t)b->n);
    napi_value null;
    napi_get_null(env, &null);
    char text[64];
    for (uint32_t i = 0; i < b->n && ok; i++) {
      napi_value v = null;
      if (b->info[3 * i] == HK_OK) {
        hex_digest(b->md + 32 * (size_t)i, text);
        ok = napi_create_string_latin1(env, text, 64, &v) == napi_ok;
      }
      if (ok) ok = napi_set_element(env, shas, i, v) == napi_ok;
      if (ok && b->xattrs[i] != NULL) {
        napi_value x = xattr_blob_value(env, b->xattrs[i]);
        ok = x != NULL && napi_set_element(env, xattrs, i, x) == napi_ok;
      }
    }
    ok = ok && napi_set_element(env, out, 0, shas) == napi_ok && napi_set_element(env, out, 1, info) == napi_ok
      && napi_set_element(env, out, 2, xattrs) == napi_ok;
  }
  if (ok) {
    napi_resolve_deferred(env, b->deferred, out);
  } else {
    napi_value msg, e;
    napi_create_string_utf8(env, "fsnative: hashAt result", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &e);
    napi_reject_deferred(env, b->deferred, e);
  }
  napi_delete_async_work(env, b->work);
  at_free(b);
}

static napi_value hashAt(napi_env env, napi_callback_info info) {
  ARGS(3);
  uint32_t ndirs = 0, n = 0;
  bool a0 = false, a2 = false;
  napi_typedarray_type type;
  size_t length;
  void *jobsData;
  napi_value ab;
  size_t off;
  CHECK(napi_is_array(env, argv[0], &a0));
  CHECK(napi_is_array(env, argv[2], &a2));
  if (!a0 || !a2 || napi_get_typedarray_info(env, argv[1], &type, &length, &jobsData, &ab, &off) != napi_ok || type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "fsnative: hashAt expects (dirs[], Float64Array jobs, names[])");
    return NULL;
  }
  CHECK(napi_get_array_length(env, argv[0], &ndirs));
  CHECK(napi_get_array_length(env, argv[2], &n));
  if (length < (size_t)n * HJ_FIELDS) {
    napi_throw_type_error(env, NULL, "fsnative: hashAt: jobs too short");
    return NULL;
  }
  at_batch *b = calloc(1, sizeof *b);
  if (b == NULL) return num(env, -ENOMEM);
  b->n = n;
  b->ndirs = ndirs;
  size_t nn = n ? n : 1;
  b->dirs = malloc(sizeof(int) * (ndirs ? ndirs : 1));
  b->jobs = malloc(sizeof(double) * HJ_FIELDS * nn);
  b->names = calloc(nn, sizeof(char *));
  b->info = calloc(3 * nn, sizeof(int));
  b->md = malloc(32 * nn);
  b->xattrs = calloc(nn, sizeof(char *));
  if (b->dirs == NULL || b->jobs == NULL || b->names == NULL || b->info == NULL || b->md == NULL || b->xattrs == NULL) {
    b->n = 0;
    at_free(b);
    return num(env, -ENOMEM);
  }
  for (uint32_t d = 0; d < ndirs; d++) {
    napi_value v;
    int fd = -1;
    if (napi_get_element(env, argv[0], d, &v) != napi_ok || get_int(env, v, &fd) != 0) fd = -1;
    b->dirs[d] = fd;
  }
  memcpy(b->jobs, jobsData, sizeof(double) * HJ_FIELDS * n);
  for (uint32_t i = 0; i < n; i++) {
    double di = b->jobs[(size_t)i * HJ_FIELDS + HJ_DIR];
    if (!(di >= 0 && di < ndirs)) b->jobs[(size_t)i * HJ_FIELDS + HJ_DIR] = 0;
    napi_value v;
    void *nd;
    size_t nl;
    /* A name that is not a Buffer, or holds a NUL, fails to open (NULL name: ENOMEM path). */
    if (ndirs == 0 || napi_get_element(env, argv[2], i, &v) != napi_ok || napi_get_buffer_info(env, v, &nd, &nl) != napi_ok || memchr(nd, 0, nl) != NULL) continue;
    char *s = malloc(nl + 1);
    if (s == NULL) continue;
    memcpy(s, nd, nl);
    s[nl] = 0;
    b->names[i] = s;
  }
  napi_value promise, name;
  if (napi_create_promise(env, &b->deferred, &promise) != napi_ok
      || napi_create_string_utf8(env, "syschangemon.hashAt", NAPI_AUTO_LENGTH, &name) != napi_ok
      || napi_create_async_work(env, NULL, name, at_execute, at_complete, b, &b->work) != napi_ok
      || napi_queue_async_work(env, b->work) != napi_ok) {
    for (uint32_t d = 0; d < ndirs; d++) if (b->dirs[d] >= 0) close(b->dirs[d]);
    at_free(b);
    napi_throw_error(env, NULL, "fsnative: hashAt could not queue its work");
    return NULL;
  }
  return promise;
}

static napi_value dupFd(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD_ARG(0, fd);
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return num(env, d >= 0 ? d : -errno);
}

static napi_value mallocArenas(napi_env env, napi_callback_info info) {
  ARGS(1);
  int n;
  if (get_int(env, argv[0], &n) != 0 || n < 1) {
    napi_throw_type_error(env, NULL, "fsnative: mallocArenas expects a positive number");
    return NULL;
  }
  return num(env, mallopt(M_ARENA_MAX, n) == 1 ? 0 : -1);
}

NAPI_MODULE_INIT() {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
    {"openDirAt", openDirAt}, {"openFileAt", openFileAt}, {"statAt", statAt}, {"fstat", fstat_},
    {"readDir", readDir}, {"readNames", readNames}, {"readlinkAt", readlinkAt}, {"close", close_}, {"xattrs", xattrs},
    {"getFlags", getFlags}, {"sha256Fds", sha256Fds}, {"hashAt", hashAt}, {"dupFd", dupFd}, {"mallocArenas", mallocArenas},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
  }
  return exports;
}
