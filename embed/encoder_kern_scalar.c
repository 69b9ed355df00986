/*
 * encoder_kern_scalar.c: the reference (portable C, libm) versions of the
 * encoder's element-wise kernels, plus the start-up dispatch that picks the
 * AVX2 / AVX-512 twins when the CPU has them. The SIMD variants must agree
 * with these to float rounding (tests/unit/test_embed.c checks it).
 *
 * LayerNorm: Ba, Kiros & Hinton 2016 (two-pass mean / biased variance, as
 * PyTorch). GELU: Hendrycks & Gimpel 2016, exact erf form used by BERT.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encoder_kern.h"
#include "qx_e5s1.h"

static void add_layernorm_scalar(float *x, const float *r, const float *g, const float *b,
                                 size_t rows, size_t h, float eps) {
  for (size_t t = 0; t < rows; t++) {
    float *row = x + t * h;
    if (r)
      for (size_t i = 0; i < h; i++) row[i] += r[t * h + i];
    float mean = 0.f;
    for (size_t i = 0; i < h; i++) mean += row[i];
    mean /= (float)h;
    float var = 0.f;
    for (size_t i = 0; i < h; i++) {
      float d = row[i] - mean;
      var += d * d;
    }
    var /= (float)h;
    float inv = 1.f / sqrtf(var + eps);
    for (size_t i = 0; i < h; i++) row[i] = (row[i] - mean) * inv * g[i] + b[i];
  }
}

static void gelu_scalar(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.f + erff(x[i] * 0.70710678118654752f));
}

static void softmax_rows_scalar(float *x, size_t rows, size_t n, size_t ld) {
  for (size_t r = 0; r < rows; r++) {
    float *row = x + r * ld, mx = -INFINITY, sum = 0.f;
    for (size_t i = 0; i < n; i++) mx = row[i] > mx ? row[i] : mx;
    for (size_t i = 0; i < n; i++) {
      row[i] = expf(row[i] - mx);
      sum += row[i];
    }
    float inv = 1.f / sum;
    for (size_t i = 0; i < n; i++) row[i] *= inv;
  }
}

static void q4_dequant_scalar(const uint8_t *blocks, size_t n, float *out) {
  for (size_t blk = 0; blk < n / 32; blk++, blocks += 18, out += 32) {
    float d = qx_e5s1_half((uint16_t)(blocks[0] | blocks[1] << 8));
    const uint8_t *qs = blocks + 2;
    for (int j = 0; j < 16; j++) {
      out[j] = (float)((qs[j] & 0x0f) - 8) * d;
      out[j + 16] = (float)((qs[j] >> 4) - 8) * d;
    }
  }
}

static void gemm_nt_scalar(const float *x, size_t T, const float *w, const float *b, size_t n,
                           size_t k, float *y, size_t ldy) {
  for (size_t t = 0; t < T; t++)
    for (size_t j = 0; j < n; j++) {
      float acc = 0.f;
      for (size_t i = 0; i < k; i++) acc += x[t * k + i] * w[j * k + i];
      y[t * ldy + j] = b[j] + acc;
    }
}

const qx_enc_kern qx_enc_kern_scalar = {"scalar", add_layernorm_scalar, gelu_scalar,
                                        softmax_rows_scalar, q4_dequant_scalar, gemm_nt_scalar};

int qx_enc_kern_supported(const qx_enc_kern *k) {
  __builtin_cpu_init();
  if (k == &qx_enc_kern_avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (k == &qx_enc_kern_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return 1;
}

const qx_enc_kern *qx_enc_kern_best(void) {
  const char *force = getenv("QUARRY_SIMD");
  int has512 = qx_enc_kern_supported(&qx_enc_kern_avx512);
  int has2 = qx_enc_kern_supported(&qx_enc_kern_avx2);
  if (force && !strcmp(force, "scalar")) return &qx_enc_kern_scalar;
  if (force && !strcmp(force, "avx2") && has2) return &qx_enc_kern_avx2;
  if (has512 && !(force && !strcmp(force, "avx2"))) return &qx_enc_kern_avx512;
  if (has2) return &qx_enc_kern_avx2;
  return &qx_enc_kern_scalar;
}
