/*
 * bm25_kernel_avx2.c: AVX2 twin of qx_bm25_block_scalar, 4 postings per
 * step: tf to double, K gathered by norm, then idf * tf / (tf + K) with the
 * scalar's operation order (bit-identical results).
 */
#include <immintrin.h>

#include "qx_daat.h"

void qx_bm25_block_avx2(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n, const double K[256],
                        double idf) {
  const __m256d vidf = _mm256_set1_pd(idf), two31 = _mm256_set1_pd(2147483648.0);
  const __m128i flip = _mm_set1_epi32(INT32_MIN);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    /* unsigned to double, exactly: (tf - 2^31) as signed, then + 2^31 */
    __m128i t = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(tf + i)), flip);
    __m256d f = _mm256_add_pd(_mm256_cvtepi32_pd(t), two31);
    uint32_t nb;
    memcpy(&nb, norm + i, 4);
    __m256d k = _mm256_i32gather_pd(K, _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)nb)), 8);
    _mm256_storeu_pd(out + i, _mm256_div_pd(_mm256_mul_pd(vidf, f), _mm256_add_pd(f, k)));
  }
  for (; i < n; i++) {
    double f = tf[i];
    out[i] = idf * f / (f + K[norm[i]]);
  }
}
