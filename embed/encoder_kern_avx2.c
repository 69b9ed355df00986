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

const qx_enc_kern qx_enc_kern_avx2 = {"avx2", add_layernorm_avx2, gelu_avx2, softmax_rows_avx2,
                                      q4_dequant_avx2};
