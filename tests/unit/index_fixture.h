/*
 * index_fixture.h: build a small index from strings for unit tests: each
 * text becomes file d<NNN>.txt in a temporary folder, indexed into
 * <tmp>/idx. Call fixture_free() to remove everything.
 */
#ifndef INDEX_FIXTURE_H
#define INDEX_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quarry.h"

typedef struct fixture {
  char root[64];
  char idx[96];
  char in[96];
} fixture;

static void fixture_free(fixture *f) {
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->root);
}

/* Returns the status of quarry_index_build. */
static int fixture_make(fixture *f, const char *const *texts, size_t n, const char *lang, uint32_t ptok,
                        uint32_t overlap) {
  snprintf(f->root, sizeof f->root, "/tmp/quarry-test-XXXXXX");
  if (!mkdtemp(f->root)) return -1;
  snprintf(f->idx, sizeof f->idx, "%s/idx", f->root);
  snprintf(f->in, sizeof f->in, "%s/in", f->root);
  if (mkdir(f->in, 0755) != 0) return -1;
  for (size_t i = 0; i < n; i++) {
    char path[160];
    snprintf(path, sizeof path, "%s/d%03zu.txt", f->in, i);
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    fputs(texts[i], fp);
    fclose(fp);
  }
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  o.lang = lang;
  o.passage_tokens = ptok;
  o.passage_overlap = overlap;
  const char *paths[] = {f->in};
  return quarry_index_build(NULL, f->idx, paths, 1, &o);
}
#endif
