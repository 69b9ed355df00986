/*
 * dot_avx512.c: AVX-512F dot product, one 16-wide FMA accumulator, then the
 * shared tail and reduction of qx_dot.h (bit-identical to qx_dot_scalar).
 */
#include <immintrin.h>

#include "qx_dot.h"

float qx_dot_avx512(const float *a, const float *b, size_t n) {
  __m512 acc = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  float lanes[16];
  _mm512_storeu_ps(lanes, acc);
  qx_dot_tail(lanes, a, b, i, n);
  return qx_dot_reduce16(lanes);
}
