/*
 * fuzz_common.h: helpers shared by the libFuzzer targets in fuzz/.
 *
 * Every target defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize). The same source is linked two ways (fuzz/CMakeLists.txt):
 *   - with -fsanitize=fuzzer (clang, `make fuzz`): libFuzzer drives it;
 *   - with replay.c (any compiler, every ctest run, ASan and valgrind runs):
 *     the committed seeds and regression inputs are replayed once each.
 * A target reports a broken invariant with FZ_CHECK, which aborts: libFuzzer
 * saves the input as a crash, the replay test fails.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FZ_CHECK(cond)                                                                \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);    \
      abort();                                                                        \
    }                                                                                 \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as an anonymous in-memory file, for readers that take a path:
 * writes data to a memfd and its /proc/self/fd path into path[64].
 * Returns the fd (close it when done) or -1. No disk I/O, nothing to clean. */
static inline int fz_memfile(const uint8_t *data, size_t size, char path[64]) {
  int fd = memfd_create("quarry-fuzz", MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < size) {
    ssize_t w = write(fd, data + off, size - off);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    off += (size_t)w;
  }
  snprintf(path, 64, "/proc/self/fd/%d", fd);
  return fd;
}

/* A heap copy of data with a NUL after it (for parsers that need one). */
static inline char *fz_strndup(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  if (size) memcpy(s, data, size);
  s[size] = 0;
  return s;
}

/* Take the first byte of the input as a selector (0 when empty). */
static inline uint8_t fz_take_byte(const uint8_t **data, size_t *size) {
  if (*size == 0) return 0;
  uint8_t b = **data;
  (*data)++;
  (*size)--;
  return b;
}

#endif /* FUZZ_COMMON_H */
