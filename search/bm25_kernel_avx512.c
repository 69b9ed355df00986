/*
 * bm25_kernel_avx512.c: AVX-512 twin of qx_bm25_block_scalar, 8 postings
 * per step, same operation order (bit-identical results).
 */
#include <immintrin.h>

#include "qx_daat.h"

void qx_bm25_block_avx512(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n, const double K[256],
                          double idf) {
  const __m512d vidf = _mm512_set1_pd(idf);
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d f = _mm512_cvtepu32_pd(_mm256_loadu_si256((const __m256i *)(tf + i)));
    uint64_t nb;
    memcpy(&nb, norm + i, 8);
    __m512d k = _mm512_i32gather_pd(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)nb)), K, 8);
    _mm512_storeu_pd(out + i, _mm512_div_pd(_mm512_mul_pd(vidf, f), _mm512_add_pd(f, k)));
  }
  for (; i < n; i++) {
    double f = tf[i];
    out[i] = idf * f / (f + K[norm[i]]);
  }
}
