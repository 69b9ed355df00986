/*
 * encoder_kern_avx512.c: AVX-512 twins of the scalar kernels in
 * encoder_kern_scalar.c (16 floats a step, masked tails). exp is Cephes'
 * expf (range reduction to [-ln2/2, ln2/2] + degree-6 polynomial, ~1 ulp);
 * erf is Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for GELU to
 * stay within float rounding of the libm version.
 * Compiled with -mavx512f/bw/dq/vl (CMake gives *_avx512.c those flags).
 */
#include <immintrin.h>
#include <math.h>

#include "encoder_kern.h"
#include "qx_e5s1.h"

static inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(x, x), _mm512_add_ps(x, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(y, fx);
}

static inline __m512 gelu512(__m512 x) {
  __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
  __m512 az = _mm512_abs_ps(z);
  __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(az, _mm512_set1_ps(0.3275911f),
                                                                 _mm512_set1_ps(1.f)));
  __m512 p = _mm512_set1_ps(1.061405429f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
  p = _mm512_mul_ps(p, t);
  __m512 e = exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), az), az));
  __m512 erf_abs = _mm512_fnmadd_ps(p, e, _mm512_set1_ps(1.f));
  /* copy the sign of z */
  __m512 erf = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_castps_si512(erf_abs),
      _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32((int)0x80000000u))));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
                       _mm512_add_ps(_mm512_set1_ps(1.f), erf));
}

static inline __mmask16 tail_mask(size_t left) {
  return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

static void add_layernorm_avx512(float *x, const float *r, const float *g, const float *b,
                                 size_t rows, size_t h, float eps) {
  for (size_t t = 0; t < rows; t++) {
    float *row = x + t * h;
    __m512 acc = _mm512_setzero_ps();
    for (size_t i = 0; i < h; i += 16) {
      __mmask16 m = tail_mask(h - i);
      __m512 v = _mm512_maskz_loadu_ps(m, row + i);
      if (r) {
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + t * h + i));
        _mm512_mask_storeu_ps(row + i, m, v);
      }
      acc = _mm512_add_ps(acc, v);
    }
    float mean = _mm512_reduce_add_ps(acc) / (float)h;
    __m512 vm = _mm512_set1_ps(mean);
    acc = _mm512_setzero_ps();
    for (size_t i = 0; i < h; i += 16) {
      __mmask16 m = tail_mask(h - i);
      __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, row + i), vm);
      acc = _mm512_fmadd_ps(d, d, acc);
    }
    float var = _mm512_reduce_add_ps(acc) / (float)h;
    __m512 inv = _mm512_set1_ps(1.f / sqrtf(var + eps));
    for (size_t i = 0; i < h; i += 16) {
      __mmask16 m = tail_mask(h - i);
      __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), vm), inv);
      d = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, g + i), _mm512_maskz_loadu_ps(m, b + i));
      _mm512_mask_storeu_ps(row + i, m, d);
    }
  }
}

static void gelu_avx512(float *x, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, gelu512(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

static void softmax_rows_avx512(float *x, size_t rows, size_t n, size_t ld) {
  for (size_t r = 0; r < rows; r++) {
    float *row = x + r * ld;
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < n; i += 16) {
      __mmask16 m = tail_mask(n - i);
      mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, row + i));
    }
    __m512 vmx = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
      __mmask16 m = tail_mask(n - i);
      __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), vmx));
      sum = _mm512_mask_add_ps(sum, m, sum, e);
      _mm512_mask_storeu_ps(row + i, m, e);
    }
    __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(sum));
    for (size_t i = 0; i < n; i += 16) {
      __mmask16 m = tail_mask(n - i);
      _mm512_mask_storeu_ps(row + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), inv));
    }
  }
}

static void q4_dequant_avx512(const uint8_t *blocks, size_t n, float *out) {
  const __m128i lo4 = _mm_set1_epi8(0x0f);
  const __m512 eight = _mm512_set1_ps(8.f);
  for (size_t blk = 0; blk < n / 32; blk++, blocks += 18, out += 32) {
    __m512 d = _mm512_set1_ps(qx_e5s1_half((uint16_t)(blocks[0] | blocks[1] << 8)));
    __m128i q = _mm_loadu_si128((const __m128i *)(blocks + 2));
    __m128i lo = _mm_and_si128(q, lo4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), lo4);
    __m512 flo = _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(lo)), eight);
    __m512 fhi = _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(hi)), eight);
    _mm512_storeu_ps(out, _mm512_mul_ps(flo, d));
    _mm512_storeu_ps(out + 16, _mm512_mul_ps(fhi, d));
  }
}

const qx_enc_kern qx_enc_kern_avx512 = {"avx512", add_layernorm_avx512, gelu_avx512,
                                        softmax_rows_avx512, q4_dequant_avx512};
