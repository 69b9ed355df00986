/*
 * qx_encoder.h: the transformer encoder forward pass shared by every model
 * source (embed/model_hf.c, embed/model_e5s1.c). Internal to embed/.
 *
 * Weights are f32, Linear weights stored as PyTorch keeps them ([out, in],
 * row-major) so that Y = X W^T + b is one cblas_sgemm (NoTrans, Trans).
 * The word-embedding table may instead stay Q4_0 (E5S1 files: 250k x 384
 * would be 384 MB as f32), dequantised one row per token.
 */
#ifndef QX_ENCODER_H
#define QX_ENCODER_H

#include <stddef.h>
#include <stdint.h>

typedef struct qx_enc_layer {
  float *wq, *bq, *wk, *bk, *wv, *bv; /* [H,H], [H] */
  float *wo, *bo;                     /* attention output [H,H], [H] */
  float *ln1_g, *ln1_b;               /* post-attention LayerNorm */
  float *wi, *bi;                     /* FFN in [F,H], [F] */
  float *wf, *bf;                     /* FFN out [H,F], [H] */
  float *ln2_g, *ln2_b;               /* post-FFN LayerNorm */
} qx_enc_layer;

typedef struct qx_encoder {
  int hidden, layers, heads, ffn, vocab, max_pos, type_vocab;
  float eps;
  int pos_offset; /* position id of the first token (XLM-R: padding_idx + 1 = 2) */
  int pool_cls;   /* 1: pooled = first token's hidden state; 0: mean over tokens */
  /* word embeddings: exactly one of the two is set */
  const float *word_f32;  /* [vocab, hidden] */
  const uint8_t *word_q4; /* [vocab, hidden/32] Q4_0 blocks of 18 bytes */
  float *pos;             /* [max_pos, hidden], row p = position id p */
  float *type;            /* [type_vocab, hidden]; type 0 is used */
  float *emb_ln_g, *emb_ln_b;
  qx_enc_layer *layer; /* [layers] */
} qx_encoder;

/* Q4_0: 32 weights per block = f16 scale + 16 bytes of nibbles. */
#define QX_Q4_BLOCK 32
#define QX_Q4_BYTES 18

/* Per-call scratch, grown on demand and reused (owned by the model). */
typedef struct qx_enc_scratch {
  float *x, *q, *k, *v, *ctx, *tmp, *mid, *att;
  size_t cap_tokens, cap_att;
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

/* OpenBLAS threads for the encoder's sgemm calls (QUARRY_THREADS or all cores). */
void qx_encoder_set_threads(void);

#endif /* QX_ENCODER_H */
