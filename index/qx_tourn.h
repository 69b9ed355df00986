/*
 * qx_tourn.h: a tournament tree (a "winner tree", Knuth, TAOCP vol. 3,
 * 5.4.1) for the k-way merges of a build: the runs' terms and each term's
 * postings (write.c), the runs' surface forms and the sorted batches of
 * (form, term id) pairs (surface_build.c). Private to index/.
 *
 * n sources, each with a current key the caller keeps; less(ctx, a, b)
 * orders sources a and b by key and must be a strict total order (break
 * ties by source number, and put exhausted sources last): the top is then
 * the first source, in source order, among those with the smallest key,
 * as a linear scan of the sources would pick it. The tree is a complete
 * binary tree in an array of 2n slots: source s is the leaf n + s, the
 * node p < n holds the winner of its children 2p and 2p + 1, so node 1 is
 * the overall winner (with n = 1, the leaf itself). When the key of any
 * source changes (a step forward, exhausted, held back), qx_tourn_update
 * replays its matches up to the root: log2(n) comparisons, where a scan
 * costs n. Unlike a tree of losers, any source may change, not only the
 * winner, which the merge of the terms needs (it takes several sources out
 * at once and puts them back).
 */
#ifndef QX_TOURN_H
#define QX_TOURN_H

#include "qx_index.h"

typedef int (*qx_tourn_less)(const void *ctx, uint32_t a, uint32_t b);

typedef struct qx_tourn {
  uint32_t *node; /* 2n slots: [1, n) winners of matches, [n, 2n) the sources */
  size_t cap;     /* slots allocated (kept across qx_tourn_build) */
  uint32_t n;
  const void *ctx; /* less's */
} qx_tourn;

/* (Re)build t over sources 0..n-1 (n >= 1) with their current keys; the
 * storage is reused when big enough. 0 or QUARRY_ENOMEM. */
static inline int qx_tourn_build(qx_tourn *t, uint32_t n, qx_tourn_less less, const void *ctx) {
  if (n == 0) return qx_err(QUARRY_EINVAL, "internal: a merge of no source");
  void *p = t->node;
  int rc = qx_grow(&p, &t->cap, 2 * (size_t)n, sizeof *t->node);
  t->node = p;
  if (rc) return rc;
  t->n = n;
  t->ctx = ctx;
  for (uint32_t s = 0; s < n; s++) t->node[n + s] = s;
  for (uint32_t q = n - 1; q >= 1; q--) {
    uint32_t a = t->node[2 * q], b = t->node[2 * q + 1];
    t->node[q] = less(ctx, b, a) ? b : a;
  }
  return 0;
}

/* The source with the smallest key. */
static inline uint32_t qx_tourn_top(const qx_tourn *t) { return t->node[1]; }

/* Source s's key changed: replay its matches. A node whose winner is
 * another source, unchanged, ends the replay (nothing above it changes).
 * less is the build's, passed again so that the compiler inlines it. */
static inline void qx_tourn_update(qx_tourn *t, uint32_t s, qx_tourn_less less) {
  for (uint32_t q = (t->n + s) / 2; q >= 1; q /= 2) {
    uint32_t a = t->node[2 * q], b = t->node[2 * q + 1], w = less(t->ctx, b, a) ? b : a;
    if (w == t->node[q] && w != s) break;
    t->node[q] = w;
  }
}

static inline void qx_tourn_free(qx_tourn *t) {
  free(t->node);
  memset(t, 0, sizeof *t);
}

#endif
