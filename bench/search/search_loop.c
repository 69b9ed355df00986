/*
 * search_loop.c: runs the first N queries of a file through quarry_search,
 * twice each (an untimed warm-up pass, then a measured pass), for counting
 * instructions with callgrind: only measured_search() is collected, so the
 * count is the measured pass inside the library (parsing, evaluation, hit
 * metadata), without index opening or the warm-up.
 *
 *   valgrind --tool=callgrind --toggle-collect=measured_search \
 *     build/bench/search/search_loop -x INDEX --queries FILE [-n 100] [-k 10] [--k1 0.9 --b 0.4]
 *
 * Prints the hits' total (a checksum of the results) so that two builds can
 * be checked to return the same thing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quarry.h"

/* Not static, never inlined nor cloned: callgrind must find it by name. */
int measured_search(quarry_results **r, quarry_index *ix, const char *q, const quarry_search_opts *o);
__attribute__((noinline, noclone)) int measured_search(quarry_results **r, quarry_index *ix, const char *q,
                                                       const quarry_search_opts *o) {
  return quarry_search(r, ix, q, o);
}

int main(int argc, char **argv) {
  const char *dir = NULL, *qfile = NULL;
  long n = 100, k = 10;
  double k1 = 0.9, b = 0.4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-x")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--queries")) qfile = argv[i + 1];
    else if (!strcmp(argv[i], "-n")) n = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "-k")) k = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--k1")) k1 = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--b")) b = atof(argv[i + 1]);
    else {
      fprintf(stderr, "search_loop: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!dir || !qfile || n <= 0 || k <= 0) {
    fprintf(stderr, "usage: search_loop -x INDEX --queries FILE [-n 100] [-k 10] [--k1 0.9 --b 0.4]\n");
    return 2;
  }
  FILE *f = fopen(qfile, "r");
  if (!f) {
    perror(qfile);
    return 2;
  }
  char **qs = calloc((size_t)n, sizeof *qs);
  char line[4096];
  long nq = 0;
  while (qs && nq < n && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    qs[nq++] = strdup(line);
  }
  fclose(f);
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, dir)) {
    fprintf(stderr, "search_loop: %s\n", quarry_error_last());
    return 2;
  }
  quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
  o.k = (uint32_t)k;
  o.k1 = k1;
  o.b = b;
  double sum = 0;
  unsigned long hits = 0;
  for (int pass = 0; pass < 2; pass++)
    for (long i = 0; i < nq; i++) {
      quarry_results *r = NULL;
      int rc = pass ? measured_search(&r, ix, qs[i], &o) : quarry_search(&r, ix, qs[i], &o);
      if (rc) {
        fprintf(stderr, "search_loop: '%s': %s\n", qs[i], quarry_error_last());
        continue;
      }
      if (pass)
        for (size_t j = 0; j < quarry_results_count(r); j++) {
          sum += quarry_results_hit(r, j)->score;
          hits++;
        }
      quarry_results_free(r);
    }
  printf("queries %ld k %ld hits %lu score sum %.17g\n", nq, k, hits, sum);
  for (long i = 0; i < nq; i++) free(qs[i]);
  free(qs);
  quarry_index_close(ix);
  return 0;
}
