/*
 * util.c: allocation wrappers, growable buffers, varints, whole-file I/O,
 * read-only mmap, checksums (xxHash64) and a monotonic clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "qx_common.h"

void *qx_malloc(size_t n) { return malloc(n ? n : 1); }
void *qx_calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void *qx_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }

/* The dense stack linked in: always ready. dense/dense_lazy.c, linked into
 * the quarry executable, overrides this with the real check. */
__attribute__((weak)) int qx_dense_ready(void) { return 0; }

int qx_grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2 / elem) return qx_err(QUARRY_ENOMEM, "allocation too large");
    ncap *= 2;
  }
  void *p = realloc(*arr, ncap * elem);
  if (!p) return qx_err(QUARRY_ENOMEM, "out of memory (%zu bytes)", ncap * elem);
  *arr = p;
  *cap = ncap;
  return 0;
}

int qx_grow_parallel(size_t *cap, size_t need, size_t n, void **const arrs[], const size_t elems[]) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) return qx_err(QUARRY_ENOMEM, "allocation too large");
    ncap *= 2;
  }
  for (size_t i = 0; i < n; i++) {
    if (ncap > SIZE_MAX / elems[i]) return qx_err(QUARRY_ENOMEM, "allocation too large");
    void *p = realloc(*arrs[i], ncap * elems[i]);
    if (!p) return qx_err(QUARRY_ENOMEM, "out of memory (%zu bytes)", ncap * elems[i]);
    *arrs[i] = p; /* a bigger array under the old capacity is harmless */
  }
  *cap = ncap;
  return 0;
}

char *qx_strdup(const char *s) { return qx_strndup(s, strlen(s)); }

char *qx_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

int qx_buf_reserve(qx_buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len) return qx_err(QUARRY_ENOMEM, "buffer too large");
  void *d = b->data;
  int rc = qx_grow(&d, &b->cap, b->len + extra, 1);
  b->data = d;
  return rc;
}

int qx_buf_append(qx_buf *b, const void *p, size_t n) {
  if (n == 0) return 0;
  int rc = qx_buf_reserve(b, n);
  if (rc) return rc;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

int qx_buf_putc(qx_buf *b, uint8_t c) { return qx_buf_append(b, &c, 1); }

int qx_buf_printf(qx_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return qx_err(QUARRY_EINVAL, "bad format");
  int rc = qx_buf_reserve(b, (size_t)n + 1);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

int qx_buf_put_u16(qx_buf *b, uint16_t v) { return qx_buf_append(b, &v, 2); }
int qx_buf_put_u32(qx_buf *b, uint32_t v) { return qx_buf_append(b, &v, 4); }
int qx_buf_put_u64(qx_buf *b, uint64_t v) { return qx_buf_append(b, &v, 8); }
int qx_buf_put_f32(qx_buf *b, float v) { return qx_buf_append(b, &v, 4); }

int qx_buf_put_varint(qx_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (uint8_t)v;
  return qx_buf_append(b, tmp, n);
}

int qx_buf_pad(qx_buf *b, size_t align) {
  static const uint8_t zeros[64];
  size_t rem = b->len % align;
  if (rem == 0) return 0;
  size_t n = align - rem;
  while (n > 0) {
    size_t k = QX_MIN(n, sizeof zeros);
    int rc = qx_buf_append(b, zeros, k);
    if (rc) return rc;
    n -= k;
  }
  return 0;
}

void qx_buf_free(qx_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int qx_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  const uint8_t *q = *p;
  for (int shift = 0; shift < 70; shift += 7) {
    if (q >= end) return -1;
    uint8_t c = *q++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *p = q;
      *out = v;
      return 0;
    }
  }
  return -1;
}

int qx_pread_full(int fd, void *buf, size_t n, uint64_t off) {
  for (size_t got = 0; got < n;) {
    ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) errno = 0;
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

int qx_file_read(char **out, size_t *out_len, const char *path) {
  return qx_file_readat(out, out_len, AT_FDCWD, path, path);
}

/* Open `name` (relative to dirfd) read-only and stat it; `path` names it in
 * messages. */
static int open_stat(int *fd_out, struct stat *st, int dirfd, const char *name, const char *path) {
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return qx_err_errno(errno == ENOENT ? QUARRY_ENOTFOUND : QUARRY_EIO, "%s", path);
  if (fstat(fd, st) != 0) {
    close(fd);
    return qx_err_errno(QUARRY_EIO, "%s", path);
  }
  *fd_out = fd;
  return 0;
}

int qx_file_readat(char **out, size_t *out_len, int dirfd, const char *name, const char *path) {
  *out = NULL;
  if (out_len) *out_len = 0;
  struct stat st;
  int fd, rc = open_stat(&fd, &st, dirfd, name, path);
  if (rc) return rc;
  size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return qx_err(QUARRY_ENOMEM, "%s: out of memory", path);
  }
  for (;;) {
    if (len + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        close(fd);
        return qx_err(QUARRY_ENOMEM, "%s: out of memory", path);
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      free(buf);
      close(fd);
      return qx_err_errno(QUARRY_EIO, "%s", path);
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  *out = buf;
  if (out_len) *out_len = len;
  return 0;
}

int qx_file_write(const char *path, const void *data, size_t len) {
  return qx_file_write_at(AT_FDCWD, path, path, data, len);
}

int qx_file_write_at(int dirfd, const char *name, const char *path, const void *data, size_t len) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return qx_err_errno(QUARRY_EIO, "%s", path);
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      int rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
      close(fd);
      return rc;
    }
    p += w;
    len -= (size_t)w;
  }
  if (fsync(fd) != 0) {
    int rc = qx_err_errno(QUARRY_EIO, "%s: fsync", path);
    close(fd);
    return rc;
  }
  if (close(fd) != 0) return qx_err_errno(QUARRY_EIO, "%s: close", path);
  return 0;
}

int qx_map_open(qx_map *out, const char *path) { return qx_map_openat(out, AT_FDCWD, path, path); }

int qx_map_openat(qx_map *out, int dirfd, const char *name, const char *path) {
  out->data = NULL;
  out->len = 0;
  struct stat st;
  int fd, rc = open_stat(&fd, &st, dirfd, name, path);
  if (rc) return rc;
  if (st.st_size > 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      close(fd);
      return qx_err_errno(QUARRY_EIO, "%s: mmap", path);
    }
    out->data = p;
    out->len = (size_t)st.st_size;
  }
  close(fd);
  return 0;
}

void qx_map_close(qx_map *m) {
  if (m->data) munmap((void *)m->data, m->len);
  m->data = NULL;
  m->len = 0;
}

char *qx_path_join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  bool slash = a > 0 && dir[a - 1] != '/';
  char *p = malloc(a + b + 2);
  if (!p) return NULL;
  memcpy(p, dir, a);
  if (slash) p[a++] = '/';
  memcpy(p + a, name, b + 1);
  return p;
}

uint64_t qx_xxh64(const void *data, size_t len) { return XXH64(data, len, 0); }

int qx_file_xxh64(uint64_t *hash, uint64_t *size, const char *path) {
  *hash = *size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return qx_err_errno(QUARRY_EIO, "%s", path);
  XXH64_state_t *st = XXH64_createState();
  size_t cap = 1u << 20;
  char *buf = qx_malloc(cap);
  int rc = st && buf ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) XXH64_reset(st, 0);
  while (!rc) {
    ssize_t n = read(fd, buf, cap);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) rc = qx_err_errno(QUARRY_EIO, "%s: read", path);
    if (n <= 0) break;
    XXH64_update(st, buf, (size_t)n);
    *size += (uint64_t)n;
  }
  if (!rc) *hash = XXH64_digest(st);
  XXH64_freeState(st);
  free(buf);
  close(fd);
  return rc;
}

double qx_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
