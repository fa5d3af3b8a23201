/*
 * The attacker of test/robustness/race.test.ts, run as an unprivileged user inside a directory
 * it owns: swaps its directory D for a symlink to VICTIM (a root-only directory) while root
 * walks and reads the tree.
 *
 *   swap inotify D VICTIM    on every open/read of D (inotify): mv D D.real; ln -s VICTIM D;
 *                            a few ms later back again
 *   swap loop D VICTIM       the same in a tight loop
 *   swap exchange D VICTIM   renameat2(RENAME_EXCHANGE) of D and a symlink to VICTIM, in a loop
 *
 * Runs until SIGTERM, then prints how many swaps it made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop = 0;
static void on_term(int sig) { (void)sig; stop = 1; }

static long swaps = 0;

static void pause_ns(long ns) {
  struct timespec t = {0, ns};
  nanosleep(&t, NULL);
}

static void to_symlink(const char *d, const char *real, const char *victim) {
  if (rename(d, real) == 0) {
    if (symlink(victim, d) == 0) swaps++;
  }
}

static void back(const char *d, const char *real) {
  unlink(d);
  rename(real, d);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: swap inotify|loop|exchange DIR VICTIM\n");
    return 2;
  }
  const char *mode = argv[1], *d = argv[2], *victim = argv[3];
  char real[4096], link[4096];
  snprintf(real, sizeof real, "%s.real", d);
  snprintf(link, sizeof link, "%s.link", d);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  setpriority(PRIO_PROCESS, 0, 10);
  srand((unsigned)getpid());

  if (strcmp(mode, "exchange") == 0) {
    unlink(link);
    if (symlink(victim, link) != 0) { perror("symlink"); return 1; }
    while (!stop) {
      if (syscall(SYS_renameat2, AT_FDCWD, d, AT_FDCWD, link, RENAME_EXCHANGE) == 0) swaps++;
      else if (errno != EINTR) { perror("renameat2"); return 1; }
      if ((swaps & 1023) == 0) pause_ns(100000);
    }
    /* Leave D a directory. */
    if (access(link, F_OK) == 0 && (swaps & 1)) syscall(SYS_renameat2, AT_FDCWD, d, AT_FDCWD, link, RENAME_EXCHANGE);
  } else if (strcmp(mode, "loop") == 0) {
    while (!stop) {
      to_symlink(d, real, victim);
      pause_ns((rand() % 200) * 1000L);
      back(d, real);
      if ((swaps & 1023) == 0) pause_ns(100000);
    }
  } else if (strcmp(mode, "inotify") == 0) {
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0 || inotify_add_watch(in, d, IN_OPEN | IN_ACCESS) < 0) { perror("inotify"); return 1; }
    /* The watch is on the directory's inode: it follows the rename to D.real and back. */
    char buf[4096];
    while (!stop) {
      ssize_t n = read(in, buf, sizeof buf);
      if (n <= 0) continue;
      to_symlink(d, real, victim);
      pause_ns((1 + rand() % 20) * 1000000L);
      back(d, real);
    }
  } else {
    fprintf(stderr, "swap: unknown mode %s\n", mode);
    return 2;
  }
  printf("%ld\n", swaps);
  return 0;
}
