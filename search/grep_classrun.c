/*
 * grep_classrun.c: the "class run" prefilter of `quarry grep`.
 *
 * A regex that begins with a bracket class of ASCII bytes repeated at least
 * k times (`[0-9]{7}`, `[A-Z]{3,}`) and has no other literal to search for
 * gets no help from the start-byte prefilter when the class's bytes are
 * common (every line of a log starts with digits): PCRE2 would then be
 * called at every candidate. But a run of k class bytes in a row is rare
 * when single bytes are not, and it can be found with SIMD: the class's
 * membership mask of 64 bytes (one unsigned compare per range), ANDed with
 * itself shifted k-1 times across the previous block, marks the ends of
 * such runs (GNU grep's DFA and Hyperscan's "run" accelerations check the
 * same thing byte by byte or block by block). When the class run is the
 * whole pattern, a run is a match and PCRE2 is not called at all.
 */
#include "grep_int.h"

/* Parse "[...]" at p[0, len): ASCII printable members and ranges, no
 * negation, escapes or POSIX classes (anything else: 0). Returns the bytes
 * consumed. */
static size_t parse_class(grep_classrun *r, const char *p, size_t len) {
  if (len < 3 || p[0] != '[' || p[1] == '^' || p[1] == ']') return 0;
  size_t i = 1;
  r->nranges = 0;
  while (i < len && p[i] != ']') {
    unsigned a = (unsigned char)p[i], b = a;
    if (a < 0x20 || a > 0x7e || a == '\\' || a == '[') return 0;
    if (i + 2 < len && p[i + 1] == '-' && p[i + 2] != ']') {
      b = (unsigned char)p[i + 2];
      if (b < 0x20 || b > 0x7e || b == '\\' || b == '[' || b < a) return 0;
      i += 3;
    } else {
      i++;
    }
    if (r->nranges == GREP_CLASSRUN_RANGES) return 0;
    r->lo[r->nranges] = (uint8_t)a;
    r->hi[r->nranges] = (uint8_t)b;
    r->nranges++;
  }
  if (i >= len || r->nranges == 0) return 0;
  return i + 1;
}

/* "{k}", "{k,}" or "{k,m}" with k >= 2 at p[0, len): returns the bytes
 * consumed and k in *k, 0 if none. */
static size_t parse_repeat(const char *p, size_t len, unsigned *k) {
  if (len < 3 || p[0] != '{') return 0;
  size_t i = 1;
  unsigned v = 0;
  while (i < len && p[i] >= '0' && p[i] <= '9' && v < 1000)
    v = v * 10 + (unsigned)(p[i++] - '0');
  if (i == 1 || i >= len) return 0;
  if (p[i] == ',') {
    i++;
    while (i < len && p[i] >= '0' && p[i] <= '9')
      i++;
  }
  if (i >= len || p[i] != '}') return 0;
  *k = v;
  return i + 1;
}

int grep_classrun_parse(grep_classrun *r, const char *pat, size_t len, int icase) {
  memset(r, 0, sizeof *r);
  size_t c = parse_class(r, pat, len);
  if (!c) return 0;
  unsigned k = 0;
  size_t q = parse_repeat(pat + c, len - c, &k);
  if (!q || k < 2 || k > 64) return 0;
  /* A top-level alternation after the run would let matches skip it; any
   * '|' at all is refused (it may sit in a group or a class: no matter). */
  if (memchr(pat + c + q, '|', len - c - q)) return 0;
  for (unsigned i = 0; i < r->nranges; i++) {
    /* caseless and Unicode: [a-z] also matches U+212A (K) and U+017F
     * (long s), which are not ASCII bytes */
    if (icase && r->hi[i] >= 'A' && r->lo[i] <= 'z') return 0;
    for (unsigned b = r->lo[i]; b <= r->hi[i]; b++)
      r->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
  }
  r->k = k;
  r->pure = c + q == len;
  return 1;
}

static inline int in_class(const grep_classrun *r, uint8_t b) { return (r->bits[b >> 3] >> (b & 7)) & 1; }

const char *grep_classrun_find_tail(const grep_classrun *r, const char *hay, size_t len, size_t run) {
  const uint8_t *h = (const uint8_t *)hay;
  for (size_t i = 0; i < len; i++) {
    if (!in_class(r, h[i])) {
      run = 0;
      continue;
    }
    if (++run >= r->k) return hay + (ptrdiff_t)i - (ptrdiff_t)r->k + 1;
  }
  return NULL;
}

const char *grep_classrun_find(const grep_classrun *r, const char *hay, size_t len) {
  if (grep_simd()) return grep_classrun_find_avx2(r, hay, len);
  return grep_classrun_find_tail(r, hay, len, 0);
}
