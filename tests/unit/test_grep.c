/*
 * test_grep.c: the grep engine (search/qx_grep.h): BRE/ERE translation,
 * line finding across buffers, leftmost-longest matches, literal search
 * (SIMD and scalar agree), newline counting and UTF-8 validation.
 */
#include <stdlib.h>

#include <strings.h>

#include "qx_common.h"
#include "qx_grep.h"
#include "qx_search.h"
#include "qx_test.h"

static void check_tr(const char *pat, qx_grep_syntax syn, const char *want) {
  char *out = NULL;
  size_t ng = 0;
  int rc = qx_grep_translate(&out, &ng, pat, strlen(pat), syn, 0);
  CHECK_EQ_INT(rc, 0);
  if (out) CHECK_EQ_STR(out, want);
  free(out);
}

/* A copy of s[0, n) followed by QX_GREP_PAD zero bytes, as the matcher
 * wants its subjects (qx_grep.h); valid until the next call. */
static const char *padded(const char *s, size_t n) {
  static char b[256 + QX_GREP_PAD];
  if (n > 256) abort();
  memset(b, 0, sizeof b);
  memcpy(b, s, n);
  return b;
}

static int find_all(const char *pat, qx_grep_syntax syn, int icase, const char *text) {
  const char *buf = padded(text, strlen(text));
  qx_grep *g = NULL;
  size_t len = strlen(pat);
  const char *pv[1] = {pat};
  qx_grep_opts o = {syn, icase, 0, 0};
  if (qx_grep_compile(&g, pv, &len, 1, &o) < 0) return -1;
  size_t pos = 0, end = strlen(buf), ls, le;
  int n = 0;
  while (qx_grep_find_line(g, buf, pos, end, &ls, &le) == 1) {
    n++;
    pos = le;
  }
  qx_grep_free(g);
  return n;
}

/* Lines of buf[0, n) (every line ending in '\n') that qx_grep_find_line
 * finds, and, in *want, those in which a line-by-line match succeeds: the
 * prefilters must find exactly the latter. */
static size_t lines_found(qx_grep *g, const char *buf, size_t n, size_t *want) {
  size_t found = 0, pos = 0, ls, le, ms, me;
  while (qx_grep_find_line(g, buf, pos, n, &ls, &le) == 1) {
    found++;
    pos = le;
  }
  *want = 0;
  for (size_t s = 0; s < n;) {
    const char *nl = memchr(buf + s, '\n', n - s);
    size_t e = (size_t)(nl - buf);
    *want += qx_grep_match_in_line(g, buf + s, e - s, 0, &ms, &me) == 1;
    s = e + 1;
  }
  return found;
}

int main(void) {
  check_tr("a\\(b\\)*c", QX_GREP_BRE, "a(b)*c");
  check_tr("a+b?(c)|d{2}", QX_GREP_BRE, "a\\+b\\?\\(c\\)\\|d\\{2\\}");
  check_tr("*a", QX_GREP_BRE, "\\*a");
  check_tr("*a", QX_GREP_ERE, "a");
  check_tr("a+?", QX_GREP_ERE, "(?:a+)?");
  check_tr("x\\{,3\\}", QX_GREP_BRE, "x{0,3}");
  check_tr("[^a]", QX_GREP_BRE, "[^a\\n]");
  check_tr("[\\]", QX_GREP_BRE, "[\\\\]");
  check_tr("a^b$c", QX_GREP_BRE, "a\\^b\\$c");
  check_tr("\\<w\\>", QX_GREP_BRE, "\\b(?=\\w)w\\b(?<=\\w)");
  check_tr("a{1", QX_GREP_ERE, "a\\{1");
  check_tr("\\d", QX_GREP_ERE, "d");
  char *bad = NULL;
  size_t ng;
  CHECK(qx_grep_translate(&bad, &ng, "\\(", 2, QX_GREP_BRE, 0) < 0);
  CHECK(qx_grep_translate(&bad, &ng, "[a", 2, QX_GREP_ERE, 0) < 0);
  CHECK(qx_grep_translate(&bad, &ng, "a\\", 2, QX_GREP_ERE, 0) < 0);

  const char *text = "alpha\nbeta gamma\n\nGamma ray\ngam\nma\n";
  CHECK_EQ_INT(find_all("gamma", QX_GREP_FIXED, 0, text), 1);
  CHECK_EQ_INT(find_all("gamma", QX_GREP_FIXED, 1, text), 2);
  CHECK_EQ_INT(find_all("^$", QX_GREP_BRE, 0, text), 1);
  CHECK_EQ_INT(find_all("", QX_GREP_BRE, 0, text), 6);
  CHECK_EQ_INT(find_all("gam[^x]ma", QX_GREP_BRE, 0, text), 0); /* never across lines */
  CHECK_EQ_INT(find_all("m\\sm", QX_GREP_PCRE, 0, text), 0);
  CHECK_EQ_INT(find_all("a$", QX_GREP_BRE, 0, text), 3);

  /* leftmost-longest inside a line */
  {
    const char *pv[2] = {"foo", "foo bar"};
    size_t lv[2] = {3, 7}, ms, me;
    qx_grep_opts o = {QX_GREP_BRE, 0, 0, 0};
    qx_grep *g = NULL;
    CHECK_EQ_INT(qx_grep_compile(&g, pv, lv, 2, &o), 0);
    CHECK_EQ_INT(qx_grep_match_in_line(g, padded("a foo bar", 9), 9, 0, &ms, &me), 1);
    CHECK_EQ_INT(ms, 2);
    CHECK_EQ_INT(me, 9);
    qx_grep_free(g);
  }

  /* literal search: SIMD and scalar paths agree with a naive search */
  {
    char hay[700];
    unsigned seed = 7;
    for (size_t i = 0; i < sizeof hay; i++) {
      seed = seed * 1103515245u + 12345u;
      hay[i] = "abcAB \n"[(seed >> 16) % 7];
    }
    const char *needles[] = {"ab", "abc", "cab", "a", "bcAB", "zz", "abcabc"};
    for (size_t k = 0; k < QX_ARRAY_LEN(needles); k++) {
      for (int icase = 0; icase < 2; icase++) {
        qx_lit l;
        size_t nl = strlen(needles[k]);
        CHECK_EQ_INT(qx_lit_init(&l, needles[k], nl, icase), 0);
        for (size_t start = 0; start < 64; start += 5) {
          const char *got = qx_lit_find(&l, hay + start, sizeof hay - start);
          const char *want = NULL;
          for (size_t i = start; i + nl <= sizeof hay && !want; i++)
            if (icase ? !strncasecmp(hay + i, needles[k], nl) : !memcmp(hay + i, needles[k], nl))
              want = hay + i;
          CHECK(got == want);
        }
        qx_lit_free(&l);
      }
    }
    size_t nl = 0;
    for (size_t i = 0; i < sizeof hay; i++) nl += hay[i] == '\n';
    CHECK_EQ_INT(qx_count_newlines(hay, sizeof hay), nl);
  }
  /* NUL bytes in patterns (grep -f on a binary file) stay in the regex: "a\0b"
   * matches only a NUL between a and b, in every syntax, with -w too
   * (found by fuzz/fuzz_grep.c; the PCRE2 source used to be cut at the NUL) */
  for (int syn = 0; syn < 4; syn++) {
    for (int word = 0; word < 2; word++) {
      const char *pv[1] = {"a\0b"};
      size_t lv[1] = {3}, ls, le, ms, me;
      qx_grep_opts o = {(qx_grep_syntax)syn, 0, word, 0};
      qx_grep *g = NULL;
      CHECK_EQ_INT(qx_grep_compile(&g, pv, lv, 1, &o), 0);
      if (!g) continue;
      CHECK_EQ_INT(qx_grep_find_line(g, padded("ab\nx a\0b y\n", 12), 0, 12, &ls, &le), 1);
      CHECK_EQ_INT(ls, 3);
      CHECK_EQ_INT(qx_grep_match_in_line(g, padded("ab", 2), 2, 0, &ms, &me), 0);
      CHECK_EQ_INT(qx_grep_match_in_line(g, padded("x a\0b y", 8), 8, 0, &ms, &me), 1);
      CHECK_EQ_INT(ms, 2);
      CHECK_EQ_INT(me, 5);
      qx_grep_free(g);
    }
  }
  /* The start-byte prefilter (rare first bytes such as [QXZ] or digits):
   * qx_grep_find_line finds exactly the lines in which qx_grep_match_in_line
   * finds a match, on text where candidates are rare, clustered, dense
   * (the prefilter switches itself off) and where \s could cross a line. */
  {
    size_t n = 200000;
    char *buf = qx_calloc(1, n + QX_GREP_PAD); /* the matcher's padding */
    unsigned seed = 11;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      unsigned r = (seed >> 16) % 1000;
      buf[i] = r < 150 ? ' ' : r < 170 ? '\n' : r < 172 ? 'Q' : r < 173 ? 'Z' : r < 175 ? 'q' : r < 180 ? (char)('0' + r % 10)
               : (i > n / 2 && r < 400) ? (char)('0' + r % 10) : (char)('a' + r % 26);
    }
    buf[n - 1] = '\n';
    const char *pats[] = {"[QXZ][a-z]+ [0-9]", "[0-9]{3}", "q[a-z]", "Z\\s+[a-z]", "[QZ]\\b", "[0-9]+ [a-z]{2}$"};
    for (size_t k = 0; k < QX_ARRAY_LEN(pats); k++) {
      for (int icase = 0; icase < 2; icase++) {
        const char *pv[1] = {pats[k]};
        size_t lv[1] = {strlen(pats[k])};
        qx_grep_opts o = {QX_GREP_ERE, icase, 0, 0};
        qx_grep *g = NULL;
        CHECK_EQ_INT(qx_grep_compile(&g, pv, lv, 1, &o), 0);
        if (!g) continue;
        size_t want, found = lines_found(g, buf, n, &want);
        CHECK_EQ_INT(found, want);
        qx_grep_free(g);
      }
    }
    free(buf);
  }
  /* A one-byte required literal (a rare byte such as the "-" of
   * ^[0-9]{2}-) prefilters lines: the lines found are exactly those in
   * which a match is found line by line, where the byte is rare (first
   * half) and where it is in every line (the prefilter drops itself). */
  {
    size_t n = 400000;
    char *buf = qx_calloc(1, n + QX_GREP_PAD); /* the matcher's padding */
    unsigned seed = 5;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      unsigned r = (seed >> 16) % 1000;
      buf[i] = r < 150 ? ' ' : r < 175 ? '\n' : r < 275 ? (char)('0' + r % 10) : r < (i < n / 2 ? 277u : 400u) ? '-'
               : (char)('a' + r % 26);
    }
    buf[n - 1] = '\n';
    const char *pats[] = {"^[0-9]{2}-", "[a-z]-[0-9]", "-$", "[0-9] -"};
    for (size_t k = 0; k < QX_ARRAY_LEN(pats); k++) {
      const char *pv[1] = {pats[k]};
      size_t lv[1] = {strlen(pats[k])};
      qx_grep_opts o = {QX_GREP_ERE, 0, 0, 0};
      qx_grep *g = NULL;
      CHECK_EQ_INT(qx_grep_compile(&g, pv, lv, 1, &o), 0);
      if (!g) continue;
      size_t want, found = lines_found(g, buf, n, &want);
      CHECK(want > 0);
      CHECK_EQ_INT(found, want);
      qx_grep_free(g);
    }
    free(buf);
  }
  /* qx_lit_find_nul (the literal scan that also watches NUL bytes): it
   * returns the first match when no NUL comes before it, else the first
   * NUL; one-byte needles take their own kernel. */
  {
    char hay[1500];
    unsigned seed = 3;
    const char *needles[] = {"-", "a", "ab", "b-a", "zz"};
    for (int round = 0; round < 40; round++) {
      for (size_t i = 0; i < sizeof hay; i++) {
        seed = seed * 1103515245u + 12345u;
        hay[i] = "abcA \n"[(seed >> 16) % 6];
      }
      for (int k = 0; k < round % 4; k++) {
        seed = seed * 1103515245u + 12345u;
        hay[(seed >> 8) % sizeof hay] = (char)(k == 0 ? '-' : 0);
      }
      for (size_t k = 0; k < QX_ARRAY_LEN(needles); k++) {
        for (int icase = 0; icase < 2; icase++) {
          qx_lit l;
          size_t nl = strlen(needles[k]);
          CHECK_EQ_INT(qx_lit_init(&l, needles[k], nl, icase), 0);
          for (size_t start = 0; start < 200; start += 37) {
            const char *nul = NULL, *want = NULL;
            const char *got = qx_lit_find_nul(&l, hay + start, sizeof hay - start, &nul);
            for (size_t i = start; i + nl <= sizeof hay && !want; i++)
              if (icase ? !strncasecmp(hay + i, needles[k], nl) : !memcmp(hay + i, needles[k], nl)) want = hay + i;
            const char *z = memchr(hay + start, 0, sizeof hay - start);
            if (got) {
              CHECK(got == want);
              CHECK(nul == NULL);
              CHECK(!z || z > got);
            } else if (nul) {
              CHECK(nul == z);
            } else {
              CHECK(!want && !z);
            }
            CHECK(qx_lit_find(&l, hay + start, sizeof hay - start) == want);
          }
          qx_lit_free(&l);
        }
      }
    }
  }
  /* qx_grep_find_unmatched (-v): its runs are exactly the lines without a
   * match, for plain literals (the one-pass kernel, one-byte and longer
   * needles, -i) and for a regex (built on qx_grep_find_line); long lines,
   * short lines, and runs cut at `end`. */
  {
    size_t n = 20000;
    char *buf = qx_calloc(1, n + QX_GREP_PAD); /* the matcher's padding */
    unsigned seed = 9;
    const char *pats[] = {"e", "E", "ab", "xyz", "b a", "a[bc]"};
    for (int round = 0; round < 6; round++) {
      unsigned nlrate = round < 3 ? 20 : 300; /* lines of ~50 or ~3 bytes */
      for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) % 1000;
        buf[i] = r < nlrate ? '\n' : "abcdexyzE "[r % 10];
        if (round % 3 == 1 && buf[i] == 'e') buf[i] = 'a'; /* few matches */
      }
      buf[n - 1] = '\n';
      for (size_t k = 0; k < QX_ARRAY_LEN(pats); k++) {
        for (int icase = 0; icase < 2; icase++) {
          const char *pv[1] = {pats[k]};
          size_t lv[1] = {strlen(pats[k])}, ms, me, rs, re;
          qx_grep_opts o = {QX_GREP_BRE, icase, 0, 0};
          qx_grep *g = NULL;
          CHECK_EQ_INT(qx_grep_compile(&g, pv, lv, 1, &o), 0);
          if (!g) continue;
          size_t end = round % 3 == 2 ? (size_t)((const char *)memchr(buf + n / 2, '\n', n) - buf) + 1 : n;
          size_t pos = 0, want = 0, got = 0, bad = 0;
          while (qx_grep_find_unmatched(g, buf, pos, end, &rs, &re) == 1) {
            bad += rs < pos || re <= rs || re > end || buf[re - 1] != '\n' || (rs > 0 && buf[rs - 1] != '\n');
            for (size_t s = rs; s < re && !bad;) {
              size_t e = (size_t)((const char *)memchr(buf + s, '\n', re - s) - buf);
              bad += qx_grep_match_in_line(g, buf + s, e - s, 0, &ms, &me) == 1;
              got++;
              s = e + 1;
            }
            if (bad) break;
            pos = re;
          }
          for (size_t s = 0; s < end;) {
            size_t e = (size_t)((const char *)memchr(buf + s, '\n', end - s) - buf);
            want += qx_grep_match_in_line(g, buf + s, e - s, 0, &ms, &me) != 1;
            s = e + 1;
          }
          CHECK_EQ_INT(bad, 0);
          CHECK_EQ_INT(got, want);
          qx_grep_free(g);
        }
      }
    }
    free(buf);
  }
  /* --rank: BM25 (Lucene form) over the lines of a small text, by hand:
   * N = 3 lines with tokens, dl = 2, 2, 1, avgdl = 5/3; "chat" in lines 1
   * and 3 (df 2), idf = ln(1 + (3 - 2 + 0.5) / 2.5) = ln 1.6. */
  {
    qx_rank *rk = NULL;
    const char *text = "chat noir\nchien blanc\n\nchats\n";
    CHECK_EQ_INT(qx_rank_new(&rk, "le chat", QX_LANG_FR, QX_UNIT_LINE, 0.9, 0.4, 0), 0);
    if (rk) {
      CHECK_EQ_INT(qx_rank_nterms(rk), 1);
      CHECK_EQ_INT(qx_rank_add(rk, 0, text, strlen(text)), 0);
      const qx_rank_hit *h;
      size_t n;
      CHECK_EQ_INT(qx_rank_finish(rk, &h, &n), 0);
      CHECK_EQ_INT(n, 2);
      double idf = log(1.6), avgdl = 5.0 / 3.0;
      double s1 = idf * 1 / (1 + 0.9 * (1 - 0.4 + 0.4 * 2 / avgdl));
      double s3 = idf * 1 / (1 + 0.9 * (1 - 0.4 + 0.4 * 1 / avgdl));
      if (n == 2) {
        CHECK_EQ_INT(h[0].line, 4); /* the shorter line first */
        CHECK_NEAR(h[0].score, s3, 1e-9);
        CHECK_EQ_INT(h[1].line, 1);
        CHECK_NEAR(h[1].score, s1, 1e-9);
        CHECK_EQ_INT(h[1].start, 0);
        CHECK_EQ_INT(h[1].end, 9);
      }
      CHECK_NEAR(qx_bm25_idf(3, 2), idf, 1e-12);
      qx_rank_free(rk);
    }
  }
  CHECK(qx_grep_utf8_valid("h\xc3\xa9llo", 6));
  CHECK(!qx_grep_utf8_valid("\xc0\xaf", 2));
  CHECK(!qx_grep_utf8_valid("\xed\xa0\x80", 3));
  CHECK(!qx_grep_utf8_valid("ab\xc3", 3));
  return qx_test_result();
}
