/*
 * grep_literal.c: substring search and byte counting for `quarry grep`.
 *
 * Literal search uses the "packed pair" technique (Wojciech Mula, "SIMD-
 * friendly algorithms for substring searching", 2016; the memchr crate used
 * by ripgrep): two bytes of the needle, chosen as the rarest by a static
 * byte-frequency table, are compared at 32 candidate positions per AVX2
 * step, and only positions where both agree are verified. Without AVX2 the
 * scalar path uses memchr on the rarest byte. ASCII case-insensitive search
 * compares bytes OR 0x20 at letter positions.
 * The kernels live in grep_simd_avx2.c; the choice is made once.
 */
#include <ctype.h>
#include <stdlib.h>

#include "grep_int.h"

/* Rough frequency rank of a byte in text (higher = more common). */
static int byte_rank(uint8_t c) {
  static const char common[] = " etaoinsrhldcumfpgwybvkxjqz";
  const char *p = c ? strchr(common, tolower(c)) : NULL;
  if (c == ' ') return 255;
  if (p && islower(c)) return 250 - (int)(p - common) * 4;
  if (p) return 120 - (int)(p - common);
  if (isdigit(c)) return 110;
  if (c == ',' || c == '.' || c == '\'' || c == '-' || c == '\n') return 130;
  if (c >= 0xC0) return 100; /* UTF-8 lead bytes: common in French text */
  if (c >= 0x80) return 90;
  if (ispunct(c)) return 60;
  return 20;
}

static int use_avx2 = -1;

static int have_avx2(void) {
  if (use_avx2 < 0) {
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    const char *e = getenv("QUARRY_NO_SIMD");
    if (e && *e) use_avx2 = 0;
  }
  return use_avx2;
}

int grep_simd(void) { return have_avx2() > 0; }

int qx_lit_init(qx_lit *l, const char *needle, size_t len, int icase) {
  memset(l, 0, sizeof *l);
  if (len == 0) return qx_err(QUARRY_EINVAL, "empty literal");
  l->needle = qx_malloc(len);
  if (!l->needle) return qx_err(QUARRY_ENOMEM, "out of memory");
  l->len = len;
  l->icase = icase;
  for (size_t i = 0; i < len; i++)
    l->needle[i] = icase ? (uint8_t)tolower((uint8_t)needle[i]) : (uint8_t)needle[i];
  size_t best = 0, second = len > 1 ? 1 : 0;
  for (size_t i = 0; i < len; i++)
    if (byte_rank(l->needle[i]) < byte_rank(l->needle[best])) best = i;
  if (len > 1) {
    second = best == 0 ? 1 : 0;
    for (size_t i = 0; i < len; i++)
      if (i != best && byte_rank(l->needle[i]) < byte_rank(l->needle[second])) second = i;
  }
  l->i1 = best;
  l->i2 = second;
  have_avx2();
  return 0;
}

void qx_lit_free(qx_lit *l) {
  free(l->needle);
  memset(l, 0, sizeof *l);
}

static int eq_icase(const uint8_t *a, const uint8_t *lower, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((uint8_t)tolower(a[i]) != lower[i]) return 0;
  return 1;
}

static const char *lit_find_scalar(const qx_lit *l, const char *hay, size_t len) {
  const uint8_t *h = (const uint8_t *)hay;
  size_t n = l->len;
  if (len < n) return NULL;
  size_t last = len - n; /* last candidate start */
  if (!l->icase) {
    size_t pos = 0;
    uint8_t b = l->needle[l->i1];
    while (pos <= last) {
      const uint8_t *p = memchr(h + pos + l->i1, b, last - pos + 1);
      if (!p) return NULL;
      size_t s = (size_t)(p - h) - l->i1;
      if (!memcmp(h + s, l->needle, n)) return hay + s;
      pos = s + 1;
    }
    return NULL;
  }
  uint8_t b = l->needle[l->i1], u = (uint8_t)toupper(b);
  for (size_t s = 0; s <= last; s++) {
    uint8_t c = h[s + l->i1];
    if ((c == b || c == u) && eq_icase(h + s, l->needle, n)) return hay + s;
  }
  return NULL;
}

const char *qx_lit_find(const qx_lit *l, const char *hay, size_t len) {
  if (len < l->len) return NULL;
  if (use_avx2 > 0) return grep_lit_find_avx2(l, hay, len, NULL);
  return lit_find_scalar(l, hay, len);
}

const char *qx_lit_find_nul(const qx_lit *l, const char *hay, size_t len, const char **nul) {
  *nul = NULL;
  if (use_avx2 > 0 && len >= l->len) return grep_lit_find_avx2(l, hay, len, nul);
  /* scalar: find the match, then look for a NUL before it (two passes) */
  const char *m = len >= l->len ? lit_find_scalar(l, hay, len) : NULL;
  const char *z = memchr(hay, 0, m ? (size_t)(m - hay) : len);
  if (z) {
    *nul = z;
    return NULL;
  }
  return m;
}

/* Used by the AVX2 kernel for its tail and candidate checks. */
const char *grep_lit_find_tail(const qx_lit *l, const char *hay, size_t len);
const char *grep_lit_find_tail(const qx_lit *l, const char *hay, size_t len) {
  return lit_find_scalar(l, hay, len);
}
int grep_lit_verify(const qx_lit *l, const uint8_t *at);
int grep_lit_verify(const qx_lit *l, const uint8_t *at) {
  return l->icase ? eq_icase(at, l->needle, l->len) : !memcmp(at, l->needle, l->len);
}

size_t qx_count_newlines(const char *p, size_t len) {
  if (have_avx2() > 0) return grep_count_nl_avx2(p, len);
  size_t n = 0;
  const char *end = p + len;
  while ((p = memchr(p, '\n', (size_t)(end - p)))) {
    n++;
    p++;
  }
  return n;
}

int qx_grep_utf8_valid(const char *s, size_t len) {
  const uint8_t *p = (const uint8_t *)s, *end = p + len;
  while (p < end) {
    /* ASCII fast path, 8 bytes at a time */
    while (end - p >= 8) {
      uint64_t w;
      memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= end) break;
    uint8_t c = *p;
    if (c < 0x80) {
      p++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    p += n;
  }
  return 1;
}

/* ---- byte sets (the first byte of a regex match) ------------------------ */

void grep_byteset_init(grep_byteset *s, const uint8_t bits[32]) {
  memset(s, 0, sizeof *s);
  memcpy(s->bits, bits, 32);
  for (unsigned b = 0; b < 256; b++) {
    if (!(bits[b >> 3] & (1u << (b & 7)))) continue;
    unsigned bucket = (b >> 4) & 7;
    s->lo[b & 15] |= (uint8_t)(1u << bucket);
  }
  for (unsigned h = 0; h < 16; h++) s->hi[h] = (uint8_t)(1u << (h & 7));
  have_avx2();
}

unsigned grep_byte_permille(unsigned b) {
  if (b == ' ') return 150;
  if (b >= 'a' && b <= 'z') return 40;
  if (b >= 'A' && b <= 'Z') return 3;
  if (b >= '0' && b <= '9') return 1;
  if (b == '\n' || b == ',' || b == '.' || b == 0xC3) return 12;
  if (b >= 0x80 && b <= 0xBF) return 3; /* continuation bytes: é is C3 A9 */
  if (b == '\t' || b == '\'' || b == '-' || b == '"') return 3;
  return 1;
}

unsigned grep_byteset_cost(const grep_byteset *s) {
  unsigned total = 0;
  for (unsigned b = 0; b < 256; b++)
    if (s->bits[b >> 3] & (1u << (b & 7))) total += grep_byte_permille(b);
  return total;
}

static const char *byteset_find_scalar(const grep_byteset *s, const char *hay, size_t len, const char **nul) {
  const uint8_t *h = (const uint8_t *)hay;
  for (size_t i = 0; i < len; i++) {
    if (nul && h[i] == 0) {
      *nul = hay + i;
      return NULL;
    }
    if (s->bits[h[i] >> 3] & (1u << (h[i] & 7))) return hay + i;
  }
  return NULL;
}

const char *grep_byteset_find(const grep_byteset *s, const char *hay, size_t len, const char **nul) {
  if (nul) *nul = NULL;
  if (use_avx2 > 0) return grep_byteset_find_avx2(s, hay, len, nul);
  return byteset_find_scalar(s, hay, len, nul);
}
