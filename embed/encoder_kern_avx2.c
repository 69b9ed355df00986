/*
 * encoder_kern_avx2.c: AVX2 + FMA twins of the scalar kernels in
 * encoder_kern_scalar.c (8 floats a step, scalar tails). Same exp (Cephes
 * expf) and erf (Abramowitz & Stegun 7.1.26) as the AVX-512 file.
 */
#include <immintrin.h>
#include <math.h>

#include "encoder_kern.h"
#include "qx_e5s1.h"

static inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

static inline float hmax256(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

static inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  /* 2^fx built in the exponent field (fx in [-126, 127] after the clamp) */
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

static inline __m256 gelu256(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
  __m256 az = _mm256_andnot_ps(sign, z);
  __m256 t = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_fmadd_ps(az, _mm256_set1_ps(0.3275911f),
                                                                 _mm256_set1_ps(1.f)));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  __m256 e = exp256(_mm256_mul_ps(_mm256_xor_ps(az, sign), az));
  __m256 erf = _mm256_or_ps(_mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.f)), _mm256_and_ps(z, sign));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(_mm256_set1_ps(1.f), erf));
}

static void add_layernorm_avx2(float *x, const float *r, const float *g, const float *b,
                               size_t rows, size_t h, float eps) {
  size_t h8 = h & ~(size_t)7;
  for (size_t t = 0; t < rows; t++) {
    float *row = x + t * h;
    if (r) {
      const float *rr = r + t * h;
      size_t i = 0;
      for (; i < h8; i += 8)
        _mm256_storeu_ps(row + i, _mm256_add_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(rr + i)));
      for (; i < h; i++) row[i] += rr[i];
    }
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i < h8; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(row + i));
    float mean = hsum256(acc);
    for (; i < h; i++) mean += row[i];
    mean /= (float)h;
    __m256 vm = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (i = 0; i < h8; i += 8) {
      __m256 d = _mm256_sub_ps(_mm256_loadu_ps(row + i), vm);
      acc = _mm256_fmadd_ps(d, d, acc);
    }
    float var = hsum256(acc);
    for (; i < h; i++) var += (row[i] - mean) * (row[i] - mean);
    var /= (float)h;
    float inv = 1.f / sqrtf(var + eps);
    __m256 vi = _mm256_set1_ps(inv);
    for (i = 0; i < h8; i += 8) {
      __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + i), vm), vi);
      _mm256_storeu_ps(row + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(g + i), _mm256_loadu_ps(b + i)));
    }
    for (; i < h; i++) row[i] = (row[i] - mean) * inv * g[i] + b[i];
  }
}

static void gelu_avx2(float *x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu256(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float tmp[8] = {0};
    for (size_t j = i; j < n; j++) tmp[j - i] = x[j];
    _mm256_storeu_ps(tmp, gelu256(_mm256_loadu_ps(tmp)));
    for (size_t j = i; j < n; j++) x[j] = tmp[j - i];
  }
}

static void softmax_rows_avx2(float *x, size_t rows, size_t n, size_t ld) {
  size_t n8 = n & ~(size_t)7;
  for (size_t r = 0; r < rows; r++) {
    float *row = x + r * ld;
    __m256 vmx = _mm256_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i < n8; i += 8) vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(row + i));
    float mx = hmax256(vmx);
    for (; i < n; i++) mx = row[i] > mx ? row[i] : mx;
    vmx = _mm256_set1_ps(mx);
    __m256 sum = _mm256_setzero_ps();
    for (i = 0; i < n8; i += 8) {
      __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + i), vmx));
      sum = _mm256_add_ps(sum, e);
      _mm256_storeu_ps(row + i, e);
    }
    float s = hsum256(sum);
    for (; i < n; i++) {
      row[i] = expf(row[i] - mx);
      s += row[i];
    }
    float inv = 1.f / s;
    __m256 vi = _mm256_set1_ps(inv);
    for (i = 0; i < n8; i += 8) _mm256_storeu_ps(row + i, _mm256_mul_ps(_mm256_loadu_ps(row + i), vi));
    for (; i < n; i++) row[i] *= inv;
  }
}

static void q4_dequant_avx2(const uint8_t *blocks, size_t n, float *out) {
  const __m128i lo4 = _mm_set1_epi8(0x0f);
  const __m256 eight = _mm256_set1_ps(8.f);
  for (size_t blk = 0; blk < n / 32; blk++, blocks += 18, out += 32) {
    __m256 d = _mm256_set1_ps(qx_e5s1_half((uint16_t)(blocks[0] | blocks[1] << 8)));
    __m128i q = _mm_loadu_si128((const __m128i *)(blocks + 2));
    __m128i lo = _mm_and_si128(q, lo4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), lo4);
    __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int k = 0; k < 4; k++) {
      __m256 f = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[k])), eight);
      _mm256_storeu_ps(out + 8 * k, _mm256_mul_ps(f, d));
    }
  }
}

/* 4 weight rows x 2 tokens per step: 8 accumulators of 8 floats, written out
 * by hand so they stay in registers; k tails scalar. */
static void gemm_nt_avx2(const float *x, size_t T, const float *w, const float *b, size_t n,
                         size_t k, float *y, size_t ldy) {
  size_t k8 = k & ~(size_t)7, j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    size_t t = 0;
    for (; t + 2 <= T; t += 2) {
      const float *x0 = x + t * k, *x1 = x0 + k;
      __m256 a00 = _mm256_setzero_ps(), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00,
             a21 = a00, a31 = a00;
      for (size_t i = 0; i < k8; i += 8) {
        __m256 xv0 = _mm256_loadu_ps(x0 + i), xv1 = _mm256_loadu_ps(x1 + i);
        __m256 wv = _mm256_loadu_ps(w0 + i);
        a00 = _mm256_fmadd_ps(wv, xv0, a00), a01 = _mm256_fmadd_ps(wv, xv1, a01);
        wv = _mm256_loadu_ps(w1 + i);
        a10 = _mm256_fmadd_ps(wv, xv0, a10), a11 = _mm256_fmadd_ps(wv, xv1, a11);
        wv = _mm256_loadu_ps(w2 + i);
        a20 = _mm256_fmadd_ps(wv, xv0, a20), a21 = _mm256_fmadd_ps(wv, xv1, a21);
        wv = _mm256_loadu_ps(w3 + i);
        a30 = _mm256_fmadd_ps(wv, xv0, a30), a31 = _mm256_fmadd_ps(wv, xv1, a31);
      }
      float s[8] = {hsum256(a00), hsum256(a10), hsum256(a20), hsum256(a30),
                    hsum256(a01), hsum256(a11), hsum256(a21), hsum256(a31)};
      const float *wr[4] = {w0, w1, w2, w3};
      for (int r = 0; r < 4; r++) {
        for (size_t i = k8; i < k; i++) s[r] += wr[r][i] * x0[i], s[4 + r] += wr[r][i] * x1[i];
        y[t * ldy + j + r] = b[j + r] + s[r];
        y[(t + 1) * ldy + j + r] = b[j + r] + s[4 + r];
      }
    }
    for (; t < T; t++) {
      const float *x0 = x + t * k;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t i = 0; i < k8; i += 8) {
        __m256 xv = _mm256_loadu_ps(x0 + i);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), xv, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), xv, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), xv, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), xv, a3);
      }
      float s[4] = {hsum256(a0), hsum256(a1), hsum256(a2), hsum256(a3)};
      const float *wr[4] = {w0, w1, w2, w3};
      for (int r = 0; r < 4; r++) {
        for (size_t i = k8; i < k; i++) s[r] += wr[r][i] * x0[i];
        y[t * ldy + j + r] = b[j + r] + s[r];
      }
    }
  }
  for (; j < n; j++)
    for (size_t t = 0; t < T; t++) {
      float s = 0.f;
      for (size_t i = 0; i < k; i++) s += w[j * k + i] * x[t * k + i];
      y[t * ldy + j] = b[j] + s;
    }
}

const qx_enc_kern qx_enc_kern_avx2 = {"avx2",          add_layernorm_avx2, gelu_avx2, softmax_rows_avx2,
                                      q4_dequant_avx2, gemm_nt_avx2};
