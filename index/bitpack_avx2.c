/*
 * bitpack_avx2.c: AVX2 twin of qx_bitunpack_scalar (same layout, same
 * output). Value i sits at bit offset i*bits; for bits <= 25 a 4-byte window
 * starting at byte min(off/8, size-4) holds it whole, so 8 values are
 * fetched with one gather, shifted with per-lane shifts and masked. Windows
 * are clamped to the packed size: nothing past the block is read. Wider
 * values (and blocks under 4 bytes) take the scalar path.
 */
#include <immintrin.h>

#include "qx_postings.h"

void qx_bitunpack_avx2(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits) {
  size_t size = qx_bitpack_size(n, bits);
  if (bits == 0 || bits > 25 || size < 4) {
    qx_bitunpack_scalar(out, in, n, bits);
    return;
  }
  const uint32_t lim = (uint32_t)size - 4, mask = (1u << bits) - 1;
  const __m256i vlim = _mm256_set1_epi32((int)lim), vmask = _mm256_set1_epi32((int)mask);
  const __m256i step = _mm256_set1_epi32((int)(8 * bits));
  __m256i off = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)bits));
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i byte = _mm256_min_epu32(_mm256_srli_epi32(off, 3), vlim);
    __m256i sh = _mm256_sub_epi32(off, _mm256_slli_epi32(byte, 3));
    __m256i w = _mm256_i32gather_epi32((const int *)in, byte, 1);
    _mm256_storeu_si256((__m256i *)(out + i), _mm256_and_si256(_mm256_srlv_epi32(w, sh), vmask));
    off = _mm256_add_epi32(off, step);
  }
  for (; i < n; i++) {
    uint32_t o = i * bits, b = QX_MIN(o >> 3, lim);
    out[i] = (qx_le32(in + b) >> (o - 8 * b)) & mask;
  }
}
