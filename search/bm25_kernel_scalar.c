/*
 * bm25_kernel_scalar.c: the BM25 block scoring kernel (scalar twin) and its
 * run-time dispatch. For the postings of one decoded block it computes
 * idf * tf / (tf + K[norm]) (Lucene >= 9 BM25, K = the per-query norm table
 * of bm25.c) for every posting at once; the AVX2 / AVX-512 twins do the same
 * operations in the same order on 4 / 8 doubles, so results are identical.
 * The variant follows the bit-unpacker's (qx_simd_level, index/bitpack_scalar.c).
 */
#include "qx_daat.h"

void qx_bm25_block_scalar(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n, const double K[256],
                          double idf) {
  for (uint32_t i = 0; i < n; i++) {
    double f = tf[i];
    out[i] = idf * f / (f + K[norm[i]]);
  }
}

qx_bm25_block_fn qx_bm25_block = qx_bm25_block_scalar;

__attribute__((constructor)) static void kernel_init(void) {
  const char *level = qx_simd_level();
  if (!strcmp(level, "avx512")) qx_bm25_block = qx_bm25_block_avx512;
  else if (!strcmp(level, "avx2")) qx_bm25_block = qx_bm25_block_avx2;
}
