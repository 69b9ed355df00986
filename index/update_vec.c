/*
 * update_vec.c: no re-embedding of unchanged passages. A passage's vector
 * depends only on its text and the model, so before the vector step of a
 * segment built by an update or a merge, the passages of the candidate
 * documents (their encoder input, qx_vec_passage_input, from segments built
 * with today's QX_VEC_INPUT) (the old versions of changed files, files with the same
 * content elsewhere, the documents a merge copies) are hashed (xxHash64 of
 * the text + its length) into an open-addressing table pointing at their
 * rows in the old segments' vectors.f32 (mapped: the index stays open until
 * the build ends). The vector step (index/vectors.c) copies a found row and
 * embeds only the rest. Candidate texts come from store.zst, read once per
 * document.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "qx_update.h"
#include "qx_vectors.h"

typedef struct slot {
  uint64_t h, len; /* len + 1: 0 = empty slot */
  const float *row;
} slot;

struct qx_vec_reuse {
  slot *slots;
  size_t cap, n;
  char *model;
  uint64_t checksum;
  int dim;
  uint64_t docs_added;
};

int qx_vec_reuse_new(qx_vec_reuse **out, const qx_manifest *man) {
  *out = NULL;
  const char *model = qx_manifest_get(man, "vectors.model"), *sum = qx_manifest_get(man, "vectors.checksum"),
             *dim = qx_manifest_get(man, "vectors.dim");
  if (!model || !sum || !dim) return qx_err(QUARRY_ECORRUPT, "MANIFEST: incomplete vectors.* entries");
  qx_vec_reuse *r = qx_calloc(1, sizeof *r);
  if (!r || !(r->model = qx_strdup(model))) {
    free(r);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  r->checksum = strtoull(sum, NULL, 16);
  r->dim = atoi(dim);
  *out = r;
  return 0;
}

void qx_vec_reuse_free(qx_vec_reuse *r) {
  if (!r) return;
  free(r->slots);
  free(r->model);
  free(r);
}

const char *qx_vec_reuse_model(const qx_vec_reuse *r, uint64_t *checksum, int *dim) {
  *checksum = r->checksum;
  *dim = r->dim;
  return r->model;
}

static int grow(qx_vec_reuse *r) {
  size_t ncap = r->cap ? r->cap * 2 : 1024;
  slot *ns = qx_calloc(ncap, sizeof *ns);
  if (!ns) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < r->cap; i++) {
    if (!r->slots[i].len) continue;
    size_t j = r->slots[i].h & (ncap - 1);
    while (ns[j].len) j = (j + 1) & (ncap - 1);
    ns[j] = r->slots[i];
  }
  free(r->slots);
  r->slots = ns;
  r->cap = ncap;
  return 0;
}

static int put(qx_vec_reuse *r, const char *text, size_t len, const float *row) {
  if ((r->n + 1) * 2 > r->cap) {
    int rc = grow(r);
    if (rc) return rc;
  }
  uint64_t h = qx_xxh64(text, len);
  size_t j = h & (r->cap - 1);
  while (r->slots[j].len) {
    if (r->slots[j].h == h && r->slots[j].len == len + 1) return 0; /* same text: either row will do */
    j = (j + 1) & (r->cap - 1);
  }
  r->slots[j] = (slot){h, len + 1, row};
  r->n++;
  return 0;
}

const float *qx_vec_reuse_find(const qx_vec_reuse *r, const char *text, size_t len) {
  if (!r->cap) return NULL;
  uint64_t h = qx_xxh64(text, len);
  size_t j = h & (r->cap - 1);
  while (r->slots[j].len) {
    if (r->slots[j].h == h && r->slots[j].len == len + 1) return r->slots[j].row;
    j = (j + 1) & (r->cap - 1);
  }
  return NULL;
}

int qx_vec_reuse_add_doc(qx_vec_reuse *r, qx_seg *sg, uint32_t doc) {
  if (!sg->vec || qx_vectors_dim(sg->vec) != r->dim) return 0; /* no rows of this model here */
  const char *input = qx_manifest_get(&sg->man, "vectors.input");
  if (!input || strcmp(input, QX_VEC_INPUT)) return 0; /* rows embedded from other input: not reused */
  qx_doc_info d;
  int rc = qx_seg_doc(&d, sg, doc);
  char *text = NULL, *in = NULL;
  size_t len = 0, inlen = 0;
  if (!rc) rc = qx_store_read(&text, &len, sg->st, doc, 0, UINT64_MAX);
  for (uint32_t k = 0; !rc && k < d.npassages; k++) {
    qx_passage_info p;
    uint32_t pid = d.first_passage + k;
    rc = qx_seg_passage(&p, sg, pid);
    const float *row = rc ? NULL : qx_vectors_row(sg->vec, pid);
    if (rc || !row || p.start > p.end || p.end > len) continue;
    /* keyed by the encoder input, as index/vectors.c looks it up */
    rc = qx_vec_passage_input(&in, &inlen, d.title, d.title_len, text + p.start, (size_t)(p.end - p.start), k == 0);
    if (!rc) rc = put(r, in, inlen, row);
    free(in);
    in = NULL;
  }
  free(text);
  r->docs_added++;
  return rc;
}
