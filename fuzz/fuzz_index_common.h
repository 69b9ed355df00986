/*
 * fuzz_index_common.h: a small real index for the index and query fuzzers,
 * built once per process in a private folder under /dev/shm (or /tmp):
 * 150 short French/English documents written by fz_index_build, so that the
 * index has multi-block posting lists (a term in every document: 2 blocks of
 * 128), positions, stopword gaps, prefixes and several passages per document.
 * The folder is removed at exit.
 */
#ifndef FUZZ_INDEX_COMMON_H
#define FUZZ_INDEX_COMMON_H

#include <ftw.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "quarry.h"
#include "qx_update.h"

static char fz_root[256];

static int fz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(p);
}
static void fz_cleanup(void) {
  if (fz_root[0]) nftw(fz_root, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fz_write(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
    fprintf(stderr, "fuzz: cannot write %s\n", path);
    abort();
  }
}

/* Build the index into <root>/base and return that path (static storage). */
static const char *fz_index_build(void) {
  static char base[300];
  if (base[0]) return base;
  struct stat st;
  snprintf(fz_root, sizeof fz_root, "%s/quarry-fuzz-XXXXXX", stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp");
  if (!mkdtemp(fz_root)) abort();
  atexit(fz_cleanup);
  char docs[300], path[400];
  snprintf(docs, sizeof docs, "%s/docs", fz_root);
  if (mkdir(docs, 0700) != 0) abort();
  static const char *words[] = {"levée", "fonds", "investisseurs", "intelligence", "artificielle",
                                "Musk", "xAI", "milliards", "générateur", "d'images", "États-Unis",
                                "l'argent", "modèle", "données", "search", "engine"};
  for (int d = 0; d < 150; d++) {
    char text[2048];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "Titre %d\n\nLa levée de fonds de xAI", d);
    for (int w = 0; w < 20 + d % 40; w++)
      n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", w % 9 ? " " : ". ",
                            words[(d * 7 + w * w) % (sizeof words / sizeof words[0])]);
    n += (size_t)snprintf(text + n, sizeof text - n, " doc%d fin.\n", d);
    snprintf(path, sizeof path, "%s/d%03d.txt", docs, d);
    fz_write(path, text, n);
  }
  snprintf(base, sizeof base, "%s/base", fz_root);
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  o.passage_tokens = 16;
  o.passage_overlap = 4;
  o.vectors = 0; /* BM25 files only: the model is not needed */
  const char *paths[1] = {docs};
  /* one segment, i.e. a 1.0 index directory (what fuzz/corpus/index/ was made
   * from: a MANIFEST with its `file` lines), not a 2.0 tree */
  qx_segment_out so;
  if (qx_segment_build_paths(&so, base, NULL, paths, 1, &o) != 0) {
    fprintf(stderr, "fuzz: cannot build the index: %s\n", quarry_error_last());
    abort();
  }
  return base;
}

static const char *const fz_queries[] = {
    "levée de fonds", "\"levée de fonds\"", "+xai -musk", "invest*", "gén*", "États-Unis", "l'argent",
    "doc1 doc149 fin", "\"de fonds de\"", "*", "+\"intelligence artificielle\" -données", "search engine"};

/* Search, look at every hit, and make one snippet; for any index. */
static void fz_search_all(quarry_index *ix, const char *q, uint32_t k, double k1, double b) {
  quarry_index_info info;
  FZ_CHECK(quarry_index_stat(&info, ix) == 0);
  quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
  so.k = k;
  so.k1 = k1;
  so.b = b;
  quarry_results *r = NULL;
  int rc = quarry_search(&r, ix, q, &so);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && quarry_error_last()[0] != 0);
    return;
  }
  size_t n = quarry_results_count(r);
  FZ_CHECK(n <= k);
  for (size_t i = 0; i < n; i++) {
    const quarry_hit *h = quarry_results_hit(r, i);
    FZ_CHECK(h && h->passage < info.passages && h->doc < info.docs && h->start <= h->end);
    FZ_CHECK(h->path && h->title && h->id);
    if (i) FZ_CHECK(quarry_results_hit(r, i - 1)->score >= h->score || h->score != h->score);
  }
  if (n) {
    char *snip = NULL;
    quarry_snippet_opts sn = QUARRY_SNIPPET_OPTS_INIT;
    sn.hl_open = "[";
    sn.hl_close = "]";
    if (quarry_snippet(&snip, ix, r, 0, &sn) == 0) quarry_free(snip);
  }
  quarry_results_free(r);
}

#endif /* FUZZ_INDEX_COMMON_H */
