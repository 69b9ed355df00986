/*
 * replay.c: a stand-in for libFuzzer's driver, so that every fuzz target
 * also builds with gcc and runs in the ordinary test suite (and under ASan,
 * UBSan and valgrind). Arguments are files or directories (read in sorted
 * order, hidden entries skipped, one level deep); each file is one input,
 * passed in a heap buffer of exactly its size so that an over-read is
 * caught. Missing paths are skipped (a target may have no regressions yet).
 * Exit 0 when every input was replayed; a failing invariant aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) return -1;
  uint8_t *exact = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
  if (!exact) return -1;
  memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  (*count)++;
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, size_t *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: absent, skipped\n", path);
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return replay_file(path, count);
  DIR *d = opendir(path);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(path) + strlen(names[i]) + 2;
    char *p = malloc(len);
    snprintf(p, len, "%s/%s", path, names[i]);
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && replay_file(p, count) != 0) rc = -1;
    free(p);
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t count = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++)
    if (replay_path(argv[i], &count) != 0) rc = 1;
  fprintf(stderr, "replay: %zu inputs replayed\n", count);
  return rc;
}
