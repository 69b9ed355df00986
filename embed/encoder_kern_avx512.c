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
  for (size_t blk = 0; blk < n / 32; blk++, blocks += 18, out += 32) {
    /* (q - 8) * d = q * d - 8 d; the f16 scale is widened by vcvtph2ps (AVX512F) */
    __m512 d = _mm512_cvtph_ps(_mm256_set1_epi16((short)(blocks[0] | blocks[1] << 8)));
    __m512 m8d = _mm512_mul_ps(d, _mm512_set1_ps(-8.f));
    __m128i q = _mm_loadu_si128((const __m128i *)(blocks + 2));
    __m128i lo = _mm_and_si128(q, lo4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), lo4);
    _mm512_storeu_ps(out, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(lo)), d, m8d));
    _mm512_storeu_ps(out + 16, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(hi)), d, m8d));
  }
}

/* 4 weight rows x 4 tokens per step: 16 accumulators in registers (written
 * out by hand: GCC -O2 keeps an accumulator array on the stack), 8 loads per
 * 16 FMAs; the 4 rows (4 x k floats) stay in L1 while the token groups pass. */
#define FMA4(A0, A1, A2, A3, X)                                                                    \
  A0 = _mm512_fmadd_ps(w0v, X, A0), A1 = _mm512_fmadd_ps(w1v, X, A1),                             \
  A2 = _mm512_fmadd_ps(w2v, X, A2), A3 = _mm512_fmadd_ps(w3v, X, A3)

static void gemm_nt_avx512(const float *x, size_t T, const float *w, const float *b, size_t n,
                           size_t k, float *y, size_t ldy) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    const float b0 = b[j], b1 = b[j + 1], b2 = b[j + 2], b3 = b[j + 3];
    size_t t = 0;
    for (; t + 4 <= T; t += 4) {
      const float *x0 = x + t * k, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;
      __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00,
             a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00,
             a31 = a00, a32 = a00, a33 = a00;
      for (size_t i = 0; i < k; i += 16) {
        __mmask16 m = tail_mask(k - i);
        __m512 w0v = _mm512_maskz_loadu_ps(m, w0 + i), w1v = _mm512_maskz_loadu_ps(m, w1 + i),
               w2v = _mm512_maskz_loadu_ps(m, w2 + i), w3v = _mm512_maskz_loadu_ps(m, w3 + i);
        __m512 xv = _mm512_maskz_loadu_ps(m, x0 + i);
        FMA4(a00, a10, a20, a30, xv);
        xv = _mm512_maskz_loadu_ps(m, x1 + i);
        FMA4(a01, a11, a21, a31, xv);
        xv = _mm512_maskz_loadu_ps(m, x2 + i);
        FMA4(a02, a12, a22, a32, xv);
        xv = _mm512_maskz_loadu_ps(m, x3 + i);
        FMA4(a03, a13, a23, a33, xv);
      }
      float *y0 = y + t * ldy + j, *y1 = y0 + ldy, *y2 = y1 + ldy, *y3 = y2 + ldy;
      y0[0] = b0 + _mm512_reduce_add_ps(a00), y0[1] = b1 + _mm512_reduce_add_ps(a10);
      y0[2] = b2 + _mm512_reduce_add_ps(a20), y0[3] = b3 + _mm512_reduce_add_ps(a30);
      y1[0] = b0 + _mm512_reduce_add_ps(a01), y1[1] = b1 + _mm512_reduce_add_ps(a11);
      y1[2] = b2 + _mm512_reduce_add_ps(a21), y1[3] = b3 + _mm512_reduce_add_ps(a31);
      y2[0] = b0 + _mm512_reduce_add_ps(a02), y2[1] = b1 + _mm512_reduce_add_ps(a12);
      y2[2] = b2 + _mm512_reduce_add_ps(a22), y2[3] = b3 + _mm512_reduce_add_ps(a32);
      y3[0] = b0 + _mm512_reduce_add_ps(a03), y3[1] = b1 + _mm512_reduce_add_ps(a13);
      y3[2] = b2 + _mm512_reduce_add_ps(a23), y3[3] = b3 + _mm512_reduce_add_ps(a33);
    }
    for (; t < T; t++) {
      const float *x0 = x + t * k;
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t i = 0; i < k; i += 16) {
        __mmask16 m = tail_mask(k - i);
        __m512 w0v = _mm512_maskz_loadu_ps(m, w0 + i), w1v = _mm512_maskz_loadu_ps(m, w1 + i),
               w2v = _mm512_maskz_loadu_ps(m, w2 + i), w3v = _mm512_maskz_loadu_ps(m, w3 + i);
        __m512 xv = _mm512_maskz_loadu_ps(m, x0 + i);
        FMA4(a0, a1, a2, a3, xv);
      }
      float *y0 = y + t * ldy + j;
      y0[0] = b0 + _mm512_reduce_add_ps(a0), y0[1] = b1 + _mm512_reduce_add_ps(a1);
      y0[2] = b2 + _mm512_reduce_add_ps(a2), y0[3] = b3 + _mm512_reduce_add_ps(a3);
    }
  }
  for (; j < n; j++)
    for (size_t t = 0; t < T; t++) {
      __m512 a = _mm512_setzero_ps();
      for (size_t i = 0; i < k; i += 16) {
        __mmask16 m = tail_mask(k - i);
        a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + j * k + i),
                            _mm512_maskz_loadu_ps(m, x + t * k + i), a);
      }
      y[t * ldy + j] = b[j] + _mm512_reduce_add_ps(a);
    }
}
#undef FMA4

const qx_enc_kern qx_enc_kern_avx512 = {"avx512",           add_layernorm_avx512, gelu_avx512,
                                        softmax_rows_avx512, q4_dequant_avx512,   gemm_nt_avx512};
