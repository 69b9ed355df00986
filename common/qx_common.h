/*
 * qx_common.h: small shared pieces used by every module: error reporting,
 * growable buffers, whole-file and mmap helpers, little-endian codecs,
 * varints, checksums. Internal to libquarry (not installed).
 */
#ifndef QX_COMMON_H
#define QX_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quarry.h"

/* ---- errors ------------------------------------------------------------ */
/* Record a formatted message for quarry_error_last() and return `code`.
 * Typical use:  return qx_err(QUARRY_ECORRUPT, "%s: offset %zu out of range", path, off); */
int qx_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 when FAISS and OpenBLAS can be called, else QUARRY_EUNSUPPORTED with a
 * message. Linked in (tests, benchmarks) they always can; the quarry
 * executable loads them on first use (dense/README.md), which may fail (a
 * missing module, `ulimit -v`): an operation that must fail cleanly asks
 * here before its first dense call (a stub called without it exits). */
int qx_dense_ready(void);
/* Same, appending ": strerror(errno)". */
int qx_err_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current message with "what: " (adds context while unwinding). */
int qx_err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qx_err_clear(void);

/* ---- allocation (abort-free: callers check NULL and return QUARRY_ENOMEM) */
void *qx_malloc(size_t n);
void *qx_calloc(size_t n, size_t size);
void *qx_realloc(void *p, size_t n);
/* Grow *arr (element size `elem`) so it can hold at least `need` elements. */
int qx_grow(void **arr, size_t *cap, size_t need, size_t elem);
/* Grow n parallel arrays sharing one capacity *cap (arrs[i] points to the
 * i-th array, elems[i] is its element size) so each holds at least `need`
 * elements; *cap changes only when all of them grew. */
int qx_grow_parallel(size_t *cap, size_t need, size_t n, void **const arrs[], const size_t elems[]);
char *qx_strdup(const char *s);
char *qx_strndup(const char *s, size_t n);

/* ---- growable byte buffer ---------------------------------------------- */
typedef struct qx_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} qx_buf;

int qx_buf_reserve(qx_buf *b, size_t extra);
int qx_buf_append(qx_buf *b, const void *p, size_t n);
int qx_buf_putc(qx_buf *b, uint8_t c);
int qx_buf_printf(qx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qx_buf_put_u16(qx_buf *b, uint16_t v);
int qx_buf_put_u32(qx_buf *b, uint32_t v);
int qx_buf_put_u64(qx_buf *b, uint64_t v);
int qx_buf_put_f32(qx_buf *b, float v);
int qx_buf_put_varint(qx_buf *b, uint64_t v);
int qx_buf_pad(qx_buf *b, size_t align);
void qx_buf_free(qx_buf *b);

/* ---- little-endian loads/stores (unaligned-safe) ----------------------- */
static inline uint16_t qx_le16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t qx_le32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t qx_le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline float qx_lef32(const void *p) { float v; memcpy(&v, p, 4); return v; }

/* Decode a LEB128 varint from [*p, end). Returns 0, or -1 if it runs past end
 * or is longer than 10 bytes (corrupt input never reads out of bounds). */
int qx_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* ---- files -------------------------------------------------------------- */
/* Read a whole file into a NUL-terminated heap buffer. */
int qx_file_read(char **out, size_t *out_len, const char *path);
/* Write a whole file and fsync it. */
int qx_file_write(const char *path, const void *data, size_t len);
/* The same relative to the folder dirfd (AT_FDCWD: the working folder); `path`
 * names the file in messages. */
int qx_file_write_at(int dirfd, const char *name, const char *path, const void *data, size_t len);

/* A read-only mapping of a whole file (len 0 files map to data == NULL). */
typedef struct qx_map {
  const uint8_t *data;
  size_t len;
} qx_map;
int qx_map_open(qx_map *out, const char *path);
/* The same for `name` relative to the directory fd `dirfd` (AT_FDCWD: the
 * working directory); `path` is only used in messages. Opening every file of
 * a folder through one directory fd sees one version of the folder even if
 * it is renamed or swapped meanwhile. */
int qx_map_openat(qx_map *out, int dirfd, const char *name, const char *path);
int qx_file_readat(char **out, size_t *out_len, int dirfd, const char *name, const char *path);
/* pread exactly n bytes at off (retrying short reads and EINTR); -1 on an
 * error or end of file (errno 0 at end of file). */
int qx_pread_full(int fd, void *buf, size_t n, uint64_t off);
void qx_map_close(qx_map *m);

/* Join a directory and a name into a heap string. */
char *qx_path_join(const char *dir, const char *name);

/* ---- checksums ---------------------------------------------------------- */
uint64_t qx_xxh64(const void *data, size_t len);
/* The xxHash64 and size of a file, read in 1 MiB blocks (a mapping would
 * count every page of the file in the resident set). */
int qx_file_xxh64(uint64_t *hash, uint64_t *size, const char *path);

/* ---- time --------------------------------------------------------------- */
double qx_now(void); /* monotonic seconds */

#define QX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define QX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define QX_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif /* QX_COMMON_H */
