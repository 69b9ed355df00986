/*
 * concurrent.c: searches running while an index is rebuilt in place.
 *
 *   rel_concurrent IDX REF_A REF_B SRC_A CORPUS_B NTHREADS REBUILDS [update]
 *
 * IDX starts as a copy of REF_A. NTHREADS threads search IDX through the
 * library API while the main thread rebuilds IDX REBUILDS times, alternating
 * between the contents of B (CORPUS_B, BEIR) and of A (SRC_A, plain files),
 * each build swapped in by quarry_index_build. Every answer is compared with
 * the single-threaded answer of the reference indexes REF_A and REF_B:
 *   - a thread that opens IDX gets an index that opens (never a half-written
 *     one) and whose answers ALL match A or ALL match B (one version per
 *     open, never a mix);
 *   - a handle opened before the rebuilds keeps answering as A throughout
 *     (its files stay mapped after the swap).
 * With "update", CORPUS_B is a folder of extra files and IDX is updated in
 * place (quarry_index_update) alternately with SRC_A + CORPUS_B (a new
 * segment) and with SRC_A alone (the extra documents deleted, their segment
 * dropped): REF_B must be REF_A updated with SRC_A + CORPUS_B.
 * Prints the number of answers checked. Exit 0 on success, 1 on a mismatch
 * or a failed open/search. Leaks are checked by the ASan build (LSan).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quarry.h"

static const char *const queries[] = {
    "levée de fonds", "\"levée de fonds\"", "xAI Musk", "invest*", "+fonds -xai", "milliards de dollars",
    "quau thoeja", "bri", "paitwo thongeu tockmu", "dotgrigon hypoi", "\"thoeja pan\"", "gén*"};
#define NQ (sizeof queries / sizeof queries[0])

static char *expected[2][NQ];
static const char *idx;
static atomic_int stop, failures;
static atomic_long checked, opens, versions[2];

/* The answer to query q as text: "passage doc score;" per hit, or "error". */
static char *answer(quarry_index *ix, const char *q) {
  quarry_results *r = NULL;
  quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
  if (quarry_search(&r, ix, q, &so) != 0) return strdup("error");
  size_t n = quarry_results_count(r), cap = 64 + n * 64, len = 0;
  char *s = malloc(cap);
  s[0] = 0;
  for (size_t i = 0; i < n; i++) {
    const quarry_hit *h = quarry_results_hit(r, i);
    len += (size_t)snprintf(s + len, cap - len, "%u %u %.17g;", h->passage, h->doc, h->score);
  }
  quarry_results_free(r);
  return s;
}

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "FAIL: %s: %s\n", what, detail);
  atomic_fetch_add(&failures, 1);
}

/* Search every query on ix; return the version (0 A, 1 B) all answers match, or -1. */
static int check_all(quarry_index *ix, int want) {
  int version = want;
  for (size_t q = 0; q < NQ; q++) {
    char *a = answer(ix, queries[q]);
    int v = !strcmp(a, expected[0][q]) ? 0 : !strcmp(a, expected[1][q]) ? 1 : -1;
    if (!strcmp(expected[0][q], expected[1][q])) v = version; /* same in both: says nothing */
    if (v < 0 || (version >= 0 && v != version)) {
      fprintf(stderr, "query '%s': got %s\n  A: %s\n  B: %s\n", queries[q], a, expected[0][q], expected[1][q]);
      free(a);
      return -1;
    }
    version = v;
    free(a);
    atomic_fetch_add(&checked, 1);
  }
  return version;
}

static void *searcher(void *arg) {
  quarry_index *held = arg; /* opened before the rebuilds: must stay A */
  while (!atomic_load(&stop)) {
    quarry_index *ix = NULL;
    if (quarry_index_open(&ix, idx) != 0) {
      fail("open during rebuilds", quarry_error_last());
      break;
    }
    atomic_fetch_add(&opens, 1);
    int v = check_all(ix, -1);
    if (v < 0) fail("fresh handle", "answers match neither A nor B, or mix them");
    else atomic_fetch_add(&versions[v], 1);
    quarry_index_close(ix);
    if (check_all(held, 0) != 0) fail("handle opened before the rebuilds", "no longer answers as A");
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 8 && !(argc == 9 && !strcmp(argv[8], "update"))) {
    fprintf(stderr, "usage: rel_concurrent IDX REF_A REF_B SRC_A CORPUS_B NTHREADS REBUILDS [update]\n");
    return 2;
  }
  int update = argc == 9;
  idx = argv[1];
  int nthreads = atoi(argv[6]), rebuilds = atoi(argv[7]);
  for (int v = 0; v < 2; v++) {
    quarry_index *ix = NULL;
    if (quarry_index_open(&ix, argv[2 + v]) != 0) {
      fprintf(stderr, "%s\n", quarry_error_last());
      return 1;
    }
    for (size_t q = 0; q < NQ; q++) expected[v][q] = answer(ix, queries[q]);
    quarry_index_close(ix);
  }
  int differ = 0;
  for (size_t q = 0; q < NQ; q++) differ += strcmp(expected[0][q], expected[1][q]) != 0;
  if (!differ) {
    fprintf(stderr, "A and B answer alike: the test would prove nothing\n");
    return 1;
  }
  quarry_index **held = calloc((size_t)nthreads, sizeof *held);
  pthread_t *th = calloc((size_t)nthreads, sizeof *th);
  for (int i = 0; i < nthreads; i++) {
    if (quarry_index_open(&held[i], idx) != 0 || check_all(held[i], 0) != 0) {
      fprintf(stderr, "IDX must start as a copy of REF_A\n");
      return 1;
    }
    pthread_create(&th[i], NULL, searcher, held[i]);
  }
  for (int r = 0; r < rebuilds && !atomic_load(&failures); r++) {
    quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
    o.vectors = 0; /* as the reference indexes (quarry index --no-vectors) */
    const char *paths[2] = {argv[4], argv[5]};
    int rc;
    if (update) {
      quarry_build_stats st;
      rc = quarry_index_update(&st, idx, paths, r % 2 == 0 ? 2 : 1, &o);
      if (!rc && !st.committed) fail("update", "nothing committed");
    } else if (r % 2 == 0) {
      o.format = "beir";
      rc = quarry_index_build(NULL, idx, paths + 1, 1, &o);
    } else {
      rc = quarry_index_build(NULL, idx, paths, 1, &o);
    }
    if (rc != 0) {
      fail("rebuild", quarry_error_last());
      break;
    }
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < nthreads; i++) {
    pthread_join(th[i], NULL);
    quarry_index_close(held[i]);
  }
  free(held);
  free(th);
  for (int v = 0; v < 2; v++)
    for (size_t q = 0; q < NQ; q++) free(expected[v][q]);
  printf("concurrent: %d threads, %d %s: %ld answers checked from %ld opens (%ld saw A, %ld saw B), %d failures\n",
         nthreads, rebuilds, update ? "updates" : "rebuilds", atomic_load(&checked), atomic_load(&opens), atomic_load(&versions[0]),
         atomic_load(&versions[1]), atomic_load(&failures));
  return atomic_load(&failures) ? 1 : 0;
}
