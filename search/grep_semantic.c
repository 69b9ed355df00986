/*
 * grep_semantic.c: embedding similarity for `quarry grep --semantic` and
 * `--hybrid`: the query is embedded as a query, every unit as a passage
 * (E5's "query: " / "passage: " prefixes, embed/qx_embed.h), and since the
 * vectors are L2-normalised the cosine is their dot product. Units are
 * embedded in batches of similar length (sorted by length, so padding is
 * small), as the indexer does.
 */
#include <stdlib.h>

#include "grep_int.h"
#include "qx_embed.h"

#define SEM_BATCH 32

typedef struct lenidx {
  size_t len, i;
} lenidx;

static int cmp_len(const void *a, const void *b) {
  const lenidx *x = a, *y = b;
  return x->len < y->len ? -1 : x->len > y->len;
}

int qx_rank_cosines(float *out, qx_model *m, const char *query, const char *const *texts,
                    const size_t *lens, size_t n) {
  int dim = qx_model_dim(m);
  float *qv = qx_malloc((size_t)dim * sizeof *qv);
  float *vec = qx_malloc((size_t)dim * SEM_BATCH * sizeof *vec);
  lenidx *order = qx_malloc((n ? n : 1) * sizeof *order);
  const char **bt = qx_malloc(SEM_BATCH * sizeof *bt);
  size_t *bl = qx_malloc(SEM_BATCH * sizeof *bl);
  int rc = (!qv || !vec || !order || !bt || !bl) ? qx_err(QUARRY_ENOMEM, "out of memory") : 0;
  if (!rc) rc = qx_embed_batch(m, QX_EMBED_QUERY, &query, NULL, 1, qv);
  for (size_t i = 0; i < n && !rc; i++) order[i] = (lenidx){lens[i], i};
  if (!rc) qsort(order, n, sizeof *order, cmp_len);
  for (size_t s = 0; s < n && !rc; s += SEM_BATCH) {
    size_t k = QX_MIN((size_t)SEM_BATCH, n - s);
    for (size_t j = 0; j < k; j++) {
      bt[j] = texts[order[s + j].i];
      bl[j] = lens[order[s + j].i];
    }
    rc = qx_embed_batch(m, QX_EMBED_PASSAGE, bt, bl, k, vec);
    for (size_t j = 0; j < k && !rc; j++) {
      double dot = 0;
      for (int d = 0; d < dim; d++) dot += (double)qv[d] * vec[j * (size_t)dim + (size_t)d];
      out[order[s + j].i] = (float)dot;
    }
  }
  free(qv);
  free(vec);
  free(order);
  free(bt);
  free(bl);
  return rc;
}
