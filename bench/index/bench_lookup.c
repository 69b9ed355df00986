/*
 * bench_lookup.c: the cost of looking terms up in an index's lexicons, as a
 * search does (qx_seg_find_term once per query term and segment), apart
 * from everything else a search does; with --prefix, also the prefix range
 * of each word's first 3 bytes (qx_seg_surface_range). Reads every lexicon
 * version, so one binary compares indexes of two formats; run it under
 * `valgrind --tool=callgrind` for instruction counts.
 *
 *   build/bench/index/bench_lookup INDEX QUERIES [--repeat N] [--prefix]
 *
 * QUERIES: one query per line, words separated by spaces, already analysed
 * (the bench corpus's queries with an index built with --lang none).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qx_index.h"

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_lookup INDEX QUERIES [--repeat N] [--prefix]\n");
    return 2;
  }
  int repeat = 1, prefix = 0;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--prefix")) prefix = 1;
  }
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, argv[1])) {
    fprintf(stderr, "bench_lookup: %s\n", quarry_error_last());
    return 1;
  }
  char *text = NULL;
  size_t len = 0;
  if (qx_file_read(&text, &len, argv[2])) {
    fprintf(stderr, "bench_lookup: %s\n", quarry_error_last());
    return 1;
  }
  uint64_t lookups = 0, found = 0, ranges = 0, in_ranges = 0;
  double t0 = cpu_s();
  for (int r = 0; r < repeat; r++)
    for (char *p = text; p < text + len;) {
      size_t w = strcspn(p, " \n");
      if (w) {
        for (uint32_t s = 0; s < ix->nseg; s++) {
          qx_term_info t;
          int rc = qx_seg_find_term(&t, ix->seg[s], p, w);
          if (rc < 0) {
            fprintf(stderr, "bench_lookup: %s\n", quarry_error_last());
            return 1;
          }
          lookups++;
          found += (uint64_t)rc;
          if (prefix) {
            uint64_t lo, hi;
            if (qx_seg_surface_range(&lo, &hi, ix->seg[s], p, w < 3 ? w : 3)) {
              fprintf(stderr, "bench_lookup: %s\n", quarry_error_last());
              return 1;
            }
            ranges++;
            in_ranges += hi - lo;
          }
        }
      }
      p += w + (p[w] != 0);
    }
  double t = cpu_s() - t0;
  printf("%s: %" PRIu64 " lookups (%" PRIu64 " found), %.0f ns CPU per lookup", argv[1], lookups, found,
         lookups ? t * 1e9 / (double)lookups : 0.0);
  if (prefix) printf("; %" PRIu64 " prefix ranges, %" PRIu64 " forms in them", ranges, in_ranges);
  printf("\n");
  free(text);
  quarry_index_close(ix);
  return 0;
}
