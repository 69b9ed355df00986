/*
 * norms.c: 1-byte passage-length norms, bit-for-bit Lucene's
 * SmallFloat.intToByte4 / byte4ToInt (org.apache.lucene.util.SmallFloat):
 * lengths below 24 are exact, larger ones keep a 4-bit mantissa (3 stored
 * bits + an implicit one) and an exponent, so the decoded length is within
 * 12.5% of the real one. BM25 scores use the decoded length, as Lucene does.
 */
#include "qx_index.h"

/* SmallFloat.longToInt4: 4 significant bits (3 stored) and a shift. */
static uint32_t long_to_int4(uint64_t i) {
  unsigned nbits = i ? 64u - (unsigned)__builtin_clzll(i) : 0u;
  if (nbits < 4) return (uint32_t)i; /* subnormal */
  unsigned shift = nbits - 4;
  uint32_t enc = (uint32_t)(i >> shift) & 0x07;
  enc |= (shift + 1) << 3;
  return enc;
}

static uint64_t int4_to_long(uint32_t i) {
  uint64_t bits = i & 0x07;
  int shift = (int)(i >> 3) - 1;
  if (shift == -1) return bits;
  return (bits | 0x08) << shift;
}

/* MAX_INT4 = longToInt4(Integer.MAX_VALUE) = 231; NUM_FREE_VALUES = 255 - 231. */
#define NUM_FREE_VALUES 24u

uint8_t qx_norm_encode(uint32_t len) {
  if (len > INT32_MAX) len = INT32_MAX;
  if (len < NUM_FREE_VALUES) return (uint8_t)len;
  return (uint8_t)(NUM_FREE_VALUES + long_to_int4(len - NUM_FREE_VALUES));
}

uint32_t qx_norm_decode(uint8_t norm) {
  if (norm < NUM_FREE_VALUES) return norm;
  return (uint32_t)(NUM_FREE_VALUES + int4_to_long(norm - NUM_FREE_VALUES));
}
