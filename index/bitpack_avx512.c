/*
 * bitpack_avx512.c: AVX-512 twin of qx_bitunpack_scalar: the method of
 * bitpack_avx2.c (clamped 4-byte windows, one gather per vector, per-lane
 * shifts) on 16 lanes.
 */
#include <immintrin.h>

#include "qx_postings.h"

void qx_bitunpack_avx512(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits) {
  size_t size = qx_bitpack_size(n, bits);
  if (bits == 0 || bits > 25 || size < 4) {
    qx_bitunpack_scalar(out, in, n, bits);
    return;
  }
  const uint32_t lim = (uint32_t)size - 4, mask = (1u << bits) - 1;
  const __m512i vlim = _mm512_set1_epi32((int)lim), vmask = _mm512_set1_epi32((int)mask);
  const __m512i step = _mm512_set1_epi32((int)(16 * bits));
  __m512i off = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                   _mm512_set1_epi32((int)bits));
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i byte = _mm512_min_epu32(_mm512_srli_epi32(off, 3), vlim);
    __m512i sh = _mm512_sub_epi32(off, _mm512_slli_epi32(byte, 3));
    __m512i w = _mm512_i32gather_epi32(byte, (const void *)in, 1);
    _mm512_storeu_si512((void *)(out + i), _mm512_and_si512(_mm512_srlv_epi32(w, sh), vmask));
    off = _mm512_add_epi32(off, step);
  }
  for (; i < n; i++) {
    uint32_t o = i * bits, b = QX_MIN(o >> 3, lim);
    out[i] = (qx_le32(in + b) >> (o - 8 * b)) & mask;
  }
}
