/*
 * dot_avx2.c: AVX2 + FMA dot product, 16 lanes as two 8-wide accumulators
 * (elements 16j..16j+7 and 16j+8..16j+15), then the shared tail and
 * reduction of qx_dot.h, so the result equals qx_dot_scalar bit for bit.
 */
#include <immintrin.h>

#include "qx_dot.h"

float qx_dot_avx2(const float *a, const float *b, size_t n) {
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    lo = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), lo);
    hi = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), hi);
  }
  float lanes[16];
  _mm256_storeu_ps(lanes, lo);
  _mm256_storeu_ps(lanes + 8, hi);
  qx_dot_tail(lanes, a, b, i, n);
  return qx_dot_reduce16(lanes);
}
