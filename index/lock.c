/*
 * lock.c: the writer lock of an index (docs/FORMAT.md, "Commit protocol").
 * One writer at a time: a build, update or merge of DIR holds an exclusive
 * flock(2) on DIR.lock, a file beside DIR (never inside it, since DIR is
 * swapped whole; never deleted, since deleting a flocked file lets a third
 * process lock a new inode while the second still holds the old one). The
 * holder writes its pid into the file so that a second writer can name it.
 * The kernel drops the lock when the holder dies, even by SIGKILL, so a
 * crashed writer never leaves a stale lock. Readers never lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "qx_index.h"

static char *lock_path(const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  char *p = qx_malloc(n + 6);
  if (!p) return NULL;
  memcpy(p, dir, n);
  memcpy(p + n, ".lock", 6);
  return p;
}

int qx_lock_acquire(int *out_fd, const char *dir) {
  *out_fd = -1;
  char *path = lock_path(dir);
  if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int rc = qx_err_errno(errno == ENOENT ? QUARRY_ENOTFOUND : QUARRY_EIO, "cannot create the lock file %s", path);
    free(path);
    return rc;
  }
  free(path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    int rc;
    if (e == EWOULDBLOCK) {
      /* The holder writes its pid right after locking: wait briefly if the file is still empty. */
      char buf[32] = {0};
      ssize_t got = 0;
      for (int i = 0; i < 50; i++) {
        got = pread(fd, buf, sizeof buf - 1, 0);
        if (got > 0) break;
        usleep(2000);
      }
      long pid = got > 0 ? strtol(buf, NULL, 10) : 0;
      if (pid > 0)
        rc = qx_err(QUARRY_ELOCKED, "%s is being written by another quarry process (pid %ld); try again when it finishes",
                    dir, pid);
      else
        rc = qx_err(QUARRY_ELOCKED, "%s is being written by another quarry process; try again when it finishes", dir);
    } else {
      errno = e;
      rc = qx_err_errno(QUARRY_EIO, "%s.lock: flock", dir);
    }
    close(fd);
    return rc;
  }
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
    /* the pid is only for the message of a second writer: the lock holds anyway */
  }
  *out_fd = fd;
  return 0;
}

void qx_lock_release(int fd) {
  if (fd >= 0) close(fd); /* closing the last descriptor drops the flock */
}
