/*
 * encoder_kern.h: the element-wise kernels of the encoder (LayerNorm, GELU,
 * softmax, Q4_0 dequantisation) with a scalar reference and AVX2 / AVX-512
 * variants (encoder_kern_scalar.c, _avx2.c, _avx512.c), picked once at
 * start-up by CPU features. The matrix products themselves go to OpenBLAS.
 * Tests run every variant against the scalar one (tests/unit/test_embed.c).
 */
#ifndef QX_ENCODER_KERN_H
#define QX_ENCODER_KERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct qx_enc_kern {
  const char *name;
  /* x[t] = LayerNorm(x[t] + r[t]) * g + b for t < rows (r may be NULL). */
  void (*add_layernorm)(float *x, const float *r, const float *g, const float *b, size_t rows,
                        size_t h, float eps);
  /* x = 0.5 x (1 + erf(x / sqrt 2)), the exact GELU of BERT, in place. */
  void (*gelu)(float *x, size_t n);
  /* Each of `rows` rows of length n (stride ld) -> softmax, in place. */
  void (*softmax_rows)(float *x, size_t rows, size_t n, size_t ld);
  /* out[0..n) = Q4_0 blocks dequantised; n is a multiple of 32. */
  void (*q4_dequant)(const uint8_t *blocks, size_t n, float *out);
  /* y[t*ldy + j] = b[j] + sum_k x[t*k + i] w[j*k + i] for t < T, j < n: a
   * product for few tokens that reads each weight once, in place (sgemm
   * packs the whole weight matrix first, which dominates below ~32 tokens). */
  void (*gemm_nt)(const float *x, size_t T, const float *w, const float *b, size_t n, size_t k,
                  float *y, size_t ldy);
} qx_enc_kern;

extern const qx_enc_kern qx_enc_kern_scalar;
extern const qx_enc_kern qx_enc_kern_avx2;
extern const qx_enc_kern qx_enc_kern_avx512;

/* 1 if this CPU can run variant k. */
int qx_enc_kern_supported(const qx_enc_kern *k);
/* The best variant this CPU supports (QUARRY_SIMD=scalar|avx2|avx512 forces one). */
const qx_enc_kern *qx_enc_kern_best(void);

#endif
