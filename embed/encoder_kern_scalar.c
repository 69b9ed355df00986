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

float qx_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, f;
  if (exp == 0) {
    if (man == 0) {
      f = sign;
    } else { /* subnormal: renormalise */
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while (!(man & 0x400u));
      f = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | (man << 13);
  } else {
    f = sign | ((exp - 15 + 127) << 23) | (man << 13);
  }
  float out;
  memcpy(&out, &f, 4);
  return out;
}

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
    float d = qx_f16_to_f32((uint16_t)(blocks[0] | blocks[1] << 8));
    const uint8_t *qs = blocks + 2;
    for (int j = 0; j < 16; j++) {
      out[j] = (float)((qs[j] & 0x0f) - 8) * d;
      out[j + 16] = (float)((qs[j] >> 4) - 8) * d;
    }
  }
}

const qx_enc_kern qx_enc_kern_scalar = {"scalar", add_layernorm_scalar, gelu_scalar,
                                        softmax_rows_scalar, q4_dequant_scalar};

const qx_enc_kern *qx_enc_kern_best(void) {
  const char *force = getenv("QUARRY_SIMD");
  __builtin_cpu_init();
  int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (force && !strcmp(force, "scalar")) return &qx_enc_kern_scalar;
  if (force && !strcmp(force, "avx2") && has2) return &qx_enc_kern_avx2;
  if (has512 && !(force && !strcmp(force, "avx2"))) return &qx_enc_kern_avx512;
  if (has2) return &qx_enc_kern_avx2;
  return &qx_enc_kern_scalar;
}
