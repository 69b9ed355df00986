/*
 * fuzz_query.c: the query parser and the search path (search/query.c,
 * bm25.c, search.c, snippet.c) on arbitrary query strings against a small
 * real index (fuzz_index_common.h).
 *
 * Input: byte 0 picks k (1..64 or a large value) and byte 1 the BM25
 * parameters (k1, b among a few values, including the edges 0 and 1); the
 * rest is the query (UTF-8 or not, quotes, +/-, *, long words). The query
 * is NUL-terminated at its first NUL. Checked: the search succeeds or fails
 * with a message; hits are at most k, in score order, with valid passage
 * and document ids; a snippet of the first hit can be made.
 */
#include "fuzz_index_common.h"

static quarry_index *ix;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (quarry_index_open(&ix, fz_index_build()) != 0) {
    fprintf(stderr, "fuzz: %s\n", quarry_error_last());
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ix) LLVMFuzzerInitialize(NULL, NULL);
  uint8_t kb = fz_take_byte(&data, &size), pb = fz_take_byte(&data, &size);
  if (size > 4096) size = 4096;
  uint32_t k = kb == 255 ? 100000 : 1u + kb % 64;
  static const double k1s[4] = {0.9, 0.0, 1.2, 3.0}, bs[4] = {0.4, 0.0, 1.0, 0.75};
  char *q = fz_strndup(data, size);
  fz_search_all(ix, q, k, k1s[pb & 3], bs[(pb >> 2) & 3]);
  free(q);
  return 0;
}
