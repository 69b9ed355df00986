/* test_simd.c: every SIMD variant the CPU supports against its scalar twin
 * on random blocks: bit-unpacking (bit-identical values, all widths 0..32,
 * all block sizes 1..128, input buffers sized exactly so ASan sees any
 * over-read) and the BM25 block kernel (bit-identical doubles, equal to the
 * one-passage formula). */
#include <stdlib.h>

#include "qx_daat.h"
#include "qx_test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static void test_unpack(const char *name, qx_unpack_fn fn) {
  int bad = 0;
  for (int it = 0; it < 20000; it++) {
    uint32_t n = it % 3 ? QX_BLOCK : 1 + rnd() % QX_BLOCK;
    unsigned bits = (unsigned)(it % 33);
    uint32_t vals[QX_BLOCK], a[QX_BLOCK], b[QX_BLOCK];
    uint32_t mask = bits == 32 ? UINT32_MAX : (1u << bits) - 1;
    for (uint32_t i = 0; i < n; i++) vals[i] = (rnd() ^ (rnd() << 16)) & (rnd() % 4 ? mask : mask >> (rnd() % 32));
    size_t sz = qx_bitpack_size(n, bits);
    uint8_t *buf = malloc(sz ? sz : 1);
    memset(buf, 0, sz);
    qx_bitpack(buf, vals, n, bits);
    qx_bitunpack_scalar(a, buf, n, bits);
    fn(b, buf, n, bits);
    if (memcmp(a, vals, n * 4) || memcmp(a, b, n * 4)) bad++;
    free(buf);
  }
  fprintf(stderr, "unpack %s: %d mismatching blocks\n", name, bad);
  CHECK_EQ_INT(bad, 0);
}

static void test_kernel(const char *name, qx_bm25_block_fn fn) {
  int bad = 0;
  for (int it = 0; it < 5000; it++) {
    double K[256];
    qx_bm25_norm_cache(K, (rnd() % 300) / 100.0, (rnd() % 101) / 100.0, 1 + rnd() % 500);
    uint32_t n = 1 + rnd() % QX_BLOCK, tf[QX_BLOCK];
    uint8_t *norm = malloc(n);
    for (uint32_t i = 0; i < n; i++) {
      tf[i] = rnd() % 8 ? 1 + rnd() % 20 : rnd() % 2 ? rnd() ^ (rnd() << 16) : UINT32_MAX - rnd() % 4;
      norm[i] = (uint8_t)rnd();
    }
    double idf = qx_bm25_idf(1 + rnd() % 1000000, 1 + rnd() % 1000), a[QX_BLOCK], b[QX_BLOCK];
    qx_bm25_block_scalar(a, tf, norm, n, K, idf);
    fn(b, tf, norm, n, K, idf);
    for (uint32_t i = 0; i < n; i++) {
      double f = tf[i], one = idf * f / (f + K[norm[i]]);
      if (memcmp(&a[i], &b[i], sizeof(double)) || memcmp(&a[i], &one, sizeof(double))) bad++;
    }
    free(norm);
  }
  fprintf(stderr, "bm25 kernel %s: %d mismatching scores\n", name, bad);
  CHECK_EQ_INT(bad, 0);
}

int main(void) {
  fprintf(stderr, "chosen at start-up: %s\n", qx_simd_level());
  test_unpack("scalar", qx_bitunpack_scalar);
  test_kernel("scalar", qx_bm25_block_scalar);
  int tested = 0;
  if (qx_simd_supported("avx2")) {
    test_unpack("avx2", qx_bitunpack_avx2);
    test_kernel("avx2", qx_bm25_block_avx2);
    tested++;
  }
  if (qx_simd_supported("avx512")) {
    test_unpack("avx512", qx_bitunpack_avx512);
    test_kernel("avx512", qx_bm25_block_avx512);
    tested++;
  }
  if (!tested) fprintf(stderr, "no SIMD variant on this CPU: scalar only\n");
  CHECK(qx_bitunpack != NULL && qx_bm25_block != NULL);
  return qx_test_result();
}
