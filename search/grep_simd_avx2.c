/*
 * grep_simd_avx2.c: AVX2 kernels for grep_literal.c (packed-pair substring
 * search, newline counting). Compiled with -mavx2; called only when the CPU
 * has AVX2 (checked once in grep_literal.c).
 */
#include <immintrin.h>

#include "grep_int.h"

static inline uint64_t mask64(__m256i lo, __m256i hi) {
  return (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

const char *grep_lit_find_tail(const qx_lit *l, const char *hay, size_t len);
int grep_lit_verify(const qx_lit *l, const uint8_t *at);

/* A one-byte needle that matches exactly one byte value (not a letter under
 * -i), optionally with NUL bytes watched: a memchr2, 128 bytes a step. The
 * first 32 bytes are tested unaligned and the loop then runs on 32-byte
 * aligned addresses: the scan starts wherever the last line left off, and
 * loads that straddle cache lines made the loop about 25% slower on a
 * buffer in L2 (as memchr, which aligns the same way). */
static const char *find_byte_avx2(const char *hay, size_t len, uint8_t b, const char **nul) {
  const uint8_t *h = (const uint8_t *)hay;
  const __m256i vb = _mm256_set1_epi8((char)b), zero = _mm256_setzero_si256();
  const __m256i vz = nul ? zero : vb; /* without a NUL watch, compare with b twice */
  size_t i = 0;
  if (len >= 32) {
    __m256i v = _mm256_loadu_si256((const __m256i *)h);
    if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, vb), _mm256_cmpeq_epi8(v, vz))))
      len = 32; /* the answer is in the first block: the loops below find it */
    else
      i = 32 - ((uintptr_t)h & 31);
  }
  for (; i + 128 <= len; i += 128) {
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(h + i));
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(h + i + 32));
    __m256i v2 = _mm256_loadu_si256((const __m256i *)(h + i + 64));
    __m256i v3 = _mm256_loadu_si256((const __m256i *)(h + i + 96));
    __m256i e0 = _mm256_or_si256(_mm256_cmpeq_epi8(v0, vb), _mm256_cmpeq_epi8(v0, vz));
    __m256i e1 = _mm256_or_si256(_mm256_cmpeq_epi8(v1, vb), _mm256_cmpeq_epi8(v1, vz));
    __m256i e2 = _mm256_or_si256(_mm256_cmpeq_epi8(v2, vb), _mm256_cmpeq_epi8(v2, vz));
    __m256i e3 = _mm256_or_si256(_mm256_cmpeq_epi8(v3, vb), _mm256_cmpeq_epi8(v3, vz));
    __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3));
    if (_mm256_testz_si256(any, any)) continue;
    break;
  }
  for (; i + 32 <= len; i += 32) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(h + i));
    uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, vb), _mm256_cmpeq_epi8(v, vz)));
    if (m) {
      i += (size_t)__builtin_ctz(m);
      if (nul && h[i] == 0) {
        *nul = hay + i;
        return NULL;
      }
      return hay + i;
    }
  }
  for (; i < len; i++) {
    if (nul && h[i] == 0) {
      *nul = hay + i;
      return NULL;
    }
    if (h[i] == b) return hay + i;
  }
  return NULL;
}

const char *grep_lit_find_avx2(const qx_lit *l, const char *hay, size_t len, const char **nul) {
  const uint8_t *h = (const uint8_t *)hay;
  if (l->len == 1 && !(l->icase && l->needle[0] >= 'a' && l->needle[0] <= 'z'))
    return find_byte_avx2(hay, len, l->needle[0], nul);
  size_t n = l->len, i1 = l->i1, i2 = l->i2;
  size_t maxi = i1 > i2 ? i1 : i2;
  uint8_t b1 = l->needle[i1], b2 = l->needle[i2];
  uint8_t f1 = (l->icase && b1 >= 'a' && b1 <= 'z') ? 0x20 : 0;
  uint8_t f2 = (l->icase && b2 >= 'a' && b2 <= 'z') ? 0x20 : 0;
  const __m256i v1 = _mm256_set1_epi8((char)b1), v2 = _mm256_set1_epi8((char)b2);
  const __m256i m1 = _mm256_set1_epi8((char)f1), m2 = _mm256_set1_epi8((char)f2);
  size_t s = 0;
  const __m256i zero = _mm256_setzero_si256();
  if (nul) {
    /* the vector loop sees bytes from offset i1 on; check the few before */
    const char *z = memchr(hay, 0, QX_MIN(i1, len));
    if (z) {
      *nul = z;
      return NULL;
    }
  }
  if (len >= n && len >= maxi + 32) {
    size_t lim = len - maxi - 32; /* last block start with in-bounds loads */
    while (s <= lim) {
      /* Two blocks per step; candidates and NULs are told apart only when
       * one shows up (rare), so the common path is 1 movemask per 64 bytes. */
      while (s + 32 <= lim) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(h + s + i1));
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(h + s + i2));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(h + s + 32 + i1));
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(h + s + 32 + i2));
        __m256i e0 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a0, m1), v1),
                                      _mm256_cmpeq_epi8(_mm256_or_si256(b0, m2), v2));
        __m256i e1 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a1, m1), v1),
                                      _mm256_cmpeq_epi8(_mm256_or_si256(b1, m2), v2));
        __m256i any = _mm256_or_si256(e0, e1);
        if (nul)
          any = _mm256_or_si256(any, _mm256_or_si256(_mm256_cmpeq_epi8(a0, zero), _mm256_cmpeq_epi8(a1, zero)));
        if (_mm256_movemask_epi8(any)) break;
        s += 64;
      }
      if (s > lim) break;
      /* one block in detail */
      __m256i a = _mm256_loadu_si256((const __m256i *)(h + s + i1));
      __m256i b = _mm256_loadu_si256((const __m256i *)(h + s + i2));
      __m256i e = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, m1), v1),
                                   _mm256_cmpeq_epi8(_mm256_or_si256(b, m2), v2));
      uint32_t mask = (uint32_t)_mm256_movemask_epi8(e);
      if (nul) {
        uint32_t zm = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, zero));
        if (zm) {
          *nul = hay + s + i1 + __builtin_ctz(zm);
          return NULL;
        }
      }
      while (mask) {
        size_t c = s + (size_t)__builtin_ctz(mask);
        if (c + n <= len && grep_lit_verify(l, h + c)) return hay + c;
        mask &= mask - 1;
      }
      s += 32;
    }
  }
  if (s >= len) return NULL;
  const char *r = grep_lit_find_tail(l, hay + s, len - s);
  if (nul) {
    /* bytes from s + i1 on were not covered by the vector loop */
    size_t from = s + i1 < len ? s + i1 : len;
    const char *z = memchr(hay + from, 0, (r ? (size_t)(r - hay) + n : len) - from);
    if (z) {
      *nul = z;
      return NULL;
    }
  }
  return r;
}

size_t grep_count_nl_avx2(const char *p, size_t len) {
  const __m256i nl = _mm256_set1_epi8('\n');
  size_t i = 0, total = 0;
  while (i + 32 <= len) {
    __m256i acc = _mm256_setzero_si256();
    size_t blocks = (len - i) / 32;
    if (blocks > 255) blocks = 255;
    for (size_t b = 0; b < blocks; b++, i += 32) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
      acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(v, nl));
    }
    __m256i sad = _mm256_sad_epu8(acc, _mm256_setzero_si256());
    total += (size_t)_mm256_extract_epi64(sad, 0) + (size_t)_mm256_extract_epi64(sad, 1) +
             (size_t)_mm256_extract_epi64(sad, 2) + (size_t)_mm256_extract_epi64(sad, 3);
  }
  for (; i < len; i++) total += p[i] == '\n';
  return total;
}

/* Byte-set membership 64 bytes per step with two nibble lookups (the
 * "shufti" technique of Hyperscan): a byte is a candidate when the bucket
 * bit of its high nibble is set in the low nibble's entry. Candidates are
 * confirmed against the exact bitmap. With `nul`, NUL bytes are candidates
 * too (one more compare per vector), reported before anything at or after
 * them. `watch` is a constant in each inlined copy. */
static inline __attribute__((always_inline)) const char *byteset_find(const grep_byteset *s, const char *hay,
                                                                     size_t len, const char **nul, int watch) {
  const uint8_t *h = (const uint8_t *)hay;
  const __m256i tlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)s->lo));
  const __m256i thi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)s->hi));
  const __m256i m0f = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
  size_t i = 0;
  while (i + 64 <= len) {
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(h + i));
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(h + i + 32));
    __m256i c0 = _mm256_and_si256(_mm256_shuffle_epi8(tlo, _mm256_and_si256(v0, m0f)),
                                  _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi16(v0, 4), m0f)));
    __m256i c1 = _mm256_and_si256(_mm256_shuffle_epi8(tlo, _mm256_and_si256(v1, m0f)),
                                  _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi16(v1, 4), m0f)));
    __m256i any = _mm256_or_si256(c0, c1);
    __m256i z0 = zero, z1 = zero;
    if (watch) {
      z0 = _mm256_cmpeq_epi8(v0, zero);
      z1 = _mm256_cmpeq_epi8(v1, zero);
      any = _mm256_or_si256(any, _mm256_or_si256(z0, z1));
    }
    if (!_mm256_testz_si256(any, any)) {
      uint64_t m = ~(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c0, zero)) & 0xffffffffu;
      m |= (~(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c1, zero))) << 32;
      if (watch) m |= mask64(z0, z1);
      while (m) {
        size_t k = i + (size_t)__builtin_ctzll(m);
        if (watch && h[k] == 0) {
          *nul = hay + k;
          return NULL;
        }
        if (s->bits[h[k] >> 3] & (1u << (h[k] & 7))) return hay + k;
        m &= m - 1;
      }
    }
    i += 64;
  }
  for (; i < len; i++) {
    if (watch && h[i] == 0) {
      *nul = hay + i;
      return NULL;
    }
    if (s->bits[h[i] >> 3] & (1u << (h[i] & 7))) return hay + i;
  }
  return NULL;
}

const char *grep_byteset_find_avx2(const grep_byteset *s, const char *hay, size_t len, const char **nul) {
  return nul ? byteset_find(s, hay, len, nul, 1) : byteset_find(s, hay, len, NULL, 0);
}

/* Class runs (grep_classrun.c): membership of 64 bytes, one unsigned range
 * compare (min(v - lo, hi - lo) == v - lo) per range; then the bits that end
 * k members in a row, across the previous block, by k-1 shifts and ANDs of
 * the 128-bit pair. Blocks without a member (most of them) cost the compare
 * only. */
static inline __m256i class_member(const grep_classrun *r, __m256i v) {
  __m256i in = _mm256_setzero_si256();
  for (unsigned j = 0; j < r->nranges; j++) {
    __m256i x = _mm256_sub_epi8(v, _mm256_set1_epi8((char)r->lo[j]));
    __m256i w = _mm256_set1_epi8((char)(r->hi[j] - r->lo[j]));
    in = _mm256_or_si256(in, _mm256_cmpeq_epi8(_mm256_min_epu8(x, w), x));
  }
  return in;
}

const char *grep_classrun_find_avx2(const grep_classrun *r, const char *hay, size_t len) {
  const uint8_t *h = (const uint8_t *)hay;
  const unsigned k = r->k;
  uint64_t prev = 0; /* members among the previous 64 bytes */
  size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(h + i));
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(h + i + 32));
    uint64_t m = mask64(class_member(r, v0), class_member(r, v1));
    if (!m) {
      prev = 0;
      continue;
    }
    unsigned __int128 x = ((unsigned __int128)m << 64) | prev, run = x;
    for (unsigned j = 1; j < k; j++) run &= x << j;
    uint64_t ends = (uint64_t)(run >> 64);
    if (ends) return hay + i + (size_t)__builtin_ctzll(ends) + 1 - k;
    prev = m;
  }
  size_t carry = prev == ~(uint64_t)0 ? 64 : (size_t)__builtin_clzll(~prev);
  return grep_classrun_find_tail(r, hay + i, len - i, carry);
}

/* Some candidate of c (bit k: the needle may start at s + k) verified. */
static inline int some_match(const qx_lit *l, const uint8_t *h, size_t s, uint64_t c, size_t end, int one) {
  if (one) return c != 0; /* a one-byte compare is exact */
  for (; c; c &= c - 1) {
    size_t p = s + (size_t)__builtin_ctzll(c);
    if (p + l->len <= end && grep_lit_verify(l, h + p)) return 1;
  }
  return 0;
}

/* For -v: the first run of lines of buf[from, end) without the literal, in
 * one pass. Each 64-byte step makes a newline mask and the packed-pair
 * candidate mask (one compare for a one-byte needle: `one`, a constant in
 * each inlined copy); walking the newlines in order, a line holds the
 * literal when a (verified) candidate lies before its newline. */
static inline __attribute__((always_inline)) int unmatched(const qx_lit *l, const char *buf, size_t from,
                                                          size_t end, size_t *rs, size_t *re, int one) {
  const uint8_t *h = (const uint8_t *)buf;
  size_t n = l->len, i1 = l->i1, i2 = l->i2, maxi = i1 > i2 ? i1 : i2;
  uint8_t b1 = l->needle[i1], b2 = l->needle[i2];
  uint8_t f1 = (l->icase && b1 >= 'a' && b1 <= 'z') ? 0x20 : 0;
  uint8_t f2 = (l->icase && b2 >= 'a' && b2 <= 'z') ? 0x20 : 0;
  const __m256i v1 = _mm256_set1_epi8((char)b1), v2 = _mm256_set1_epi8((char)b2);
  const __m256i m1 = _mm256_set1_epi8((char)f1), m2 = _mm256_set1_epi8((char)f2);
  const __m256i vnl = _mm256_set1_epi8('\n');
  size_t ls = from, run = SIZE_MAX, s = from;
  int has = 0; /* the line that starts at ls holds the literal */
  for (; s + 64 + maxi <= end; s += 64) {
    __m256i x0 = _mm256_loadu_si256((const __m256i *)(h + s));
    __m256i x1 = _mm256_loadu_si256((const __m256i *)(h + s + 32));
    uint64_t nl = mask64(_mm256_cmpeq_epi8(x0, vnl), _mm256_cmpeq_epi8(x1, vnl)), c;
    if (one) {
      c = mask64(_mm256_cmpeq_epi8(_mm256_or_si256(x0, m1), v1), _mm256_cmpeq_epi8(_mm256_or_si256(x1, m1), v1));
    } else {
      __m256i a0 = _mm256_loadu_si256((const __m256i *)(h + s + i1));
      __m256i a1 = _mm256_loadu_si256((const __m256i *)(h + s + 32 + i1));
      __m256i b0 = _mm256_loadu_si256((const __m256i *)(h + s + i2));
      __m256i b1v = _mm256_loadu_si256((const __m256i *)(h + s + 32 + i2));
      c = mask64(_mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a0, m1), v1),
                                  _mm256_cmpeq_epi8(_mm256_or_si256(b0, m2), v2)),
                 _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a1, m1), v1),
                                  _mm256_cmpeq_epi8(_mm256_or_si256(b1v, m2), v2)));
    }
    if (!nl) {
      if (!has && c) has = some_match(l, h, s, c, end, one);
      continue;
    }
    while (nl) {
      uint64_t bit = nl & (0 - nl); /* the next newline */
      if (!has && (c & (bit - 1))) has = some_match(l, h, s, c & (bit - 1), end, one);
      if (!has) {
        if (run == SIZE_MAX) run = ls;
      } else if (run != SIZE_MAX) {
        *rs = run;
        *re = ls;
        return 1;
      }
      ls = s + (size_t)__builtin_ctzll(nl) + 1;
      has = 0;
      c &= ~(bit | (bit - 1));
      nl &= nl - 1;
    }
    if (c) has = some_match(l, h, s, c, end, one);
  }
  for (; s < end; s++) {
    if (!has && s + n <= end && (h[s + i1] | f1) == b1 && grep_lit_verify(l, h + s)) has = 1;
    if (h[s] != '\n') continue;
    if (!has) {
      if (run == SIZE_MAX) run = ls;
    } else if (run != SIZE_MAX) {
      *rs = run;
      *re = ls;
      return 1;
    }
    ls = s + 1;
    has = 0;
  }
  if (run == SIZE_MAX) return 0;
  *rs = run;
  *re = end;
  return 1;
}

int grep_lit_unmatched_avx2(const qx_lit *l, const char *buf, size_t from, size_t end, size_t *rs, size_t *re) {
  return l->len == 1 ? unmatched(l, buf, from, end, rs, re, 1) : unmatched(l, buf, from, end, rs, re, 0);
}
