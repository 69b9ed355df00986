/*
 * qx_encoder.h: the transformer encoder forward pass shared by every model
 * source (embed/model_hf.c, embed/model_e5s1.c). Internal to embed/.
 *
 * Linear weights are stored as PyTorch keeps them ([out, in], row-major), as
 * f32 or as Q4_0 blocks (E5S1 files), so that Y = X W^T + b is one
 * cblas_sgemm (NoTrans, Trans) for many tokens, or a kernel that reads the
 * weights in place for a few (encoder.c explains the switch). The word table
 * is read one row per token (Q4_0 rows dequantised on the fly).
 */
#ifndef QX_ENCODER_H
#define QX_ENCODER_H

#include <stddef.h>
#include <stdint.h>

/* A weight matrix [out, in]: f32, or Q4_0 blocks (in a multiple of 32). */
typedef struct qx_enc_mat {
  const float *f32;
  const uint8_t *q4;
} qx_enc_mat;

typedef struct qx_enc_layer {
  qx_enc_mat wq, wk, wv, wo;          /* [H,H]: query, key, value, attention output */
  qx_enc_mat wi, wf;                  /* FFN in [F,H], FFN out [H,F] */
  const float *bq, *bk, *bv, *bo;     /* [H] */
  const float *bi, *bf;               /* [F], [H] */
  const float *ln1_g, *ln1_b;         /* post-attention LayerNorm */
  const float *ln2_g, *ln2_b;         /* post-FFN LayerNorm */
} qx_enc_layer;

typedef struct qx_encoder {
  int hidden, layers, heads, ffn, vocab, max_pos, type_vocab;
  float eps;
  int pos_offset; /* position id of the first token (XLM-R: padding_idx + 1 = 2) */
  /* RoBERTa family (else -1): a token with this id (a literal "<pad>" in the
   * text) takes position id pos_offset - 1, the padding row (zeros when the
   * table has no such row), and does not advance the positions of the tokens
   * after it, as transformers' create_position_ids_from_input_ids does. */
  int32_t pad_id;
  int pool_cls;   /* 1: pooled = first token's hidden state; 0: mean over tokens */
  qx_enc_mat word;         /* [vocab, hidden] */
  const float *pos;        /* [max_pos, hidden], row p = position id p */
  const float *type;       /* [type_vocab, hidden]; type 0 is used */
  const float *emb_ln_g, *emb_ln_b;
  qx_enc_layer *layer; /* [layers] */
} qx_encoder;

/* Q4_0: 32 weights per block = f16 scale + 16 bytes of nibbles. */
#define QX_Q4_BLOCK 32
#define QX_Q4_BYTES 18

/* Per-call scratch, grown on demand and reused (owned by the model). */
typedef struct qx_enc_scratch {
  float *x, *q, *k, *v, *ctx, *tmp, *mid, *att, *wbuf;
  size_t cap_tokens, cap_att, cap_wbuf;
} qx_enc_scratch;

/* Check the hyper-parameters of an encoder; the message names `what` (the file). */
int qx_encoder_check(const qx_encoder *e, const char *what);

/* Run the encoder over nseq packed sequences (no padding: sequence s holds
 * tokens ids[off[s] .. off[s+1]), attention never crosses sequences, which is
 * exactly what a padded batch with an attention mask computes) and write the
 * mean of each sequence's final hidden states (or the first token's, with
 * pool_cls) to pooled[s * hidden] (not normalised). Each sequence must be at most max_pos - pos_offset long. */
int qx_encoder_forward(const qx_encoder *e, qx_enc_scratch *s, const int32_t *ids,
                       const size_t *off, size_t nseq, float *pooled);

void qx_enc_scratch_free(qx_enc_scratch *s);

/* bf16 -> f32. */
static inline float qx_bf16_to_f32(uint16_t h) {
  union {
    uint32_t u;
    float f;
  } v = {.u = (uint32_t)h << 16};
  return v.f;
}
/* Dequantise n weights (multiple of 32) of Q4_0 blocks into out. */
void qx_q4_dequant(const uint8_t *blocks, size_t n, float *out);

/* Once per process, before the first sgemm: make OpenBLAS use the kernels of
 * this CPU (see encoder.c) and QUARRY_THREADS threads (default: all cores).
 * Also worth calling before FAISS, which shares OpenBLAS. */
void qx_blas_setup(void);
/* OpenBLAS's kernel family after qx_blas_setup (e.g. "SkylakeX"). */
const char *qx_blas_core(void);

#endif /* QX_ENCODER_H */
