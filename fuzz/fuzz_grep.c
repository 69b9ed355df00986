/*
 * fuzz_grep.c: the line-matching engine of `quarry grep` (search/grep_*.c):
 * GNU BRE/ERE translation to PCRE2, fixed strings, -P, -i/-w/-x, the SIMD
 * literal prefilter, and the literal searcher on its own.
 *
 * Input: byte 0 = options (bits 0-1 syntax G/E/F/P, bit 2 -i, bit 3 -w,
 * bit 4 -x, bit 5 literal-searcher mode); byte 1 = pattern length L; then
 * L bytes of patterns (split on '\n' as grep does) and the text to search.
 * Checked:
 *   - compile succeeds or fails with QUARRY_EINVAL and a message;
 *   - qx_grep_find_line returns whole lines, in order, inside the buffer;
 *   - for BRE/ERE/fixed strings, a line is found by qx_grep_find_line if
 *     and only if qx_grep_match_in_line finds a match in it (the two paths
 *     behind `grep` and `grep -o/--color` agree); -P is only checked for
 *     safety (lookarounds may legitimately see the newline);
 *   - successive matches inside a line are ordered, inside the line, and
 *     the scan terminates;
 *   - qx_grep_find_unmatched (-v) returns runs of whole lines, and the
 *     lines it returns are exactly those qx_grep_find_line skips;
 *   - literal mode: qx_lit_find agrees with a naive search (ASCII case
 *     folding when -i), and qx_lit_find_nul returns that match when no NUL
 *     comes before it, else the first NUL.
 */
#include <ctype.h>

#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_grep.h"

static const char *naive_find(const uint8_t *needle, size_t n, const uint8_t *hay, size_t len, int icase) {
  if (n == 0) return (const char *)hay;
  for (size_t i = 0; i + n <= len; i++) {
    size_t k = 0;
    while (k < n && (icase ? tolower(hay[i + k]) == tolower(needle[k]) : hay[i + k] == needle[k])) k++;
    if (k == n) return (const char *)hay + i;
  }
  return NULL;
}

static void lit_mode(const uint8_t *pat, size_t plen, const uint8_t *text, size_t tlen, int icase) {
  qx_lit l;
  if (qx_lit_init(&l, (const char *)pat, plen, icase) != 0) return;
  for (size_t from = 0; from <= tlen; from += 1 + from / 2) {
    const char *got = qx_lit_find(&l, (const char *)text + from, tlen - from);
    const char *want = naive_find(pat, plen, text + from, tlen - from, icase);
    FZ_CHECK(got == want);
    const char *nul = NULL, *z = memchr(text + from, 0, tlen - from);
    got = qx_lit_find_nul(&l, (const char *)text + from, tlen - from, &nul);
    if (got) FZ_CHECK(got == want && !nul && (!z || z > got));
    else if (nul) FZ_CHECK(nul == z);
    else FZ_CHECK(!want && !z);
    if (from == tlen) break;
  }
  qx_lit_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t opt = fz_take_byte(&data, &size);
  size_t plen = fz_take_byte(&data, &size);
  if (plen > size) plen = size;
  const uint8_t *pat = data, *text = data + plen;
  size_t tlen = size - plen;
  if (tlen > 4096) tlen = 4096; /* keep backtracking inputs fast */

  if (opt & 32) {
    uint8_t *p = malloc(plen ? plen : 1), *t = malloc(tlen ? tlen : 1);
    if (plen) memcpy(p, pat, plen);
    if (tlen) memcpy(t, text, tlen);
    lit_mode(p, plen, t, tlen, (opt >> 2) & 1);
    free(p);
    free(t);
    return 0;
  }

  /* patterns: split on newlines */
  const char *pv[64];
  size_t lv[64], n = 0, s = 0;
  char *pcopy = malloc(plen ? plen : 1);
  if (plen) memcpy(pcopy, pat, plen);
  for (size_t i = 0; i <= plen && n < 64; i++)
    if (i == plen || pcopy[i] == '\n') {
      pv[n] = pcopy + s;
      lv[n++] = i - s;
      s = i + 1;
    }
  qx_grep_opts o = {(qx_grep_syntax)(opt & 3), (opt >> 2) & 1, (opt >> 3) & 1, (opt >> 4) & 1};
  qx_grep *g = NULL;
  int rc = qx_grep_compile(&g, pv, lv, n, &o);
  if (rc != 0) {
    FZ_CHECK(rc == QUARRY_EINVAL && quarry_error_last()[0] != 0);
    free(pcopy);
    return 0;
  }
  FZ_CHECK(qx_grep_pattern(g) != NULL);

  /* the text, every line terminated */
  size_t blen = tlen + (tlen == 0 || text[tlen - 1] != '\n');
  char *buf = calloc(1, blen + QX_GREP_PAD); /* the matcher's padding (qx_grep.h) */
  if (tlen) memcpy(buf, text, tlen);
  if (blen > tlen) buf[tlen] = '\n';
  /* -w with an empty match before an invalid byte at a line start
   * ("de\n\x82x\n" | grep -w '') once differed here: such patterns are
   * now searched line by line (grep_match.c). */
  int strict = o.syntax != QX_GREP_PCRE;

  size_t from = 0, matched = 0, lines = 0, unmatched = 0;
  int failed = 0;
  for (size_t i = 0; i < blen; i++) lines += buf[i] == '\n';
  while (from < blen) {
    size_t ls = 0, le = 0;
    int f = qx_grep_find_line(g, buf, from, blen, &ls, &le);
    if (f < 0) failed = 1;
    if (f < 0) break; /* PCRE2 resource limit: an error, reported by the caller */
    matched += f == 1;
    size_t stop = f == 1 ? ls : blen;
    if (f == 1) FZ_CHECK(ls >= from && le > ls && le <= blen && buf[le - 1] == '\n' && (ls == 0 || buf[ls - 1] == '\n'));
    /* lines skipped must hold no match; the found line must hold one */
    size_t p = from;
    while (p < stop || (f == 1 && p == ls)) {
      const char *nl = memchr(buf + p, '\n', blen - p);
      size_t e = (size_t)(nl - buf);
      size_t ms = 0, me = 0;
      int m = qx_grep_match_in_line(g, buf + p, e - p, 0, &ms, &me);
      if (m >= 0 && strict && m != (p == ls && f == 1)) {
        fprintf(stderr, "line at %zu (%zu bytes): find_line says %s, match_in_line says %d; pcre: %s\n", p,
                e - p, f == 1 && p == ls ? "match" : "no match", m, qx_grep_pattern(g));
        FZ_CHECK(m == (p == ls && f == 1));
      }
      size_t st = 0, count = 0;
      while (m == 1) {
        FZ_CHECK(ms >= st && me >= ms && me <= e - p);
        st = me > ms ? me : me + 1;
        if (st > e - p || ++count > e - p + 1) break;
        m = qx_grep_match_in_line(g, buf + p, e - p, st, &ms, &me);
      }
      p = e + 1;
      if (f == 1 && e + 1 == le) break;
    }
    if (f != 1) break;
    from = le;
  }
  /* -v: runs of whole lines, together the lines find_line skipped */
  for (size_t pos = 0, rs = 0, re = 0; pos < blen && !failed; pos = re) {
    int f = qx_grep_find_unmatched(g, buf, pos, blen, &rs, &re);
    if (f < 0) failed = 1;
    if (f != 1) break;
    FZ_CHECK(rs >= pos && re > rs && re <= blen && buf[re - 1] == '\n' && (rs == 0 || buf[rs - 1] == '\n'));
    for (size_t i = rs; i < re; i++) unmatched += buf[i] == '\n';
  }
  if (!failed) FZ_CHECK(matched + unmatched == lines);
  free(buf);
  qx_grep_free(g);
  free(pcopy);
  return 0;
}
