/* test_text.c: UTF-8 repair, binary detection, segmentation, elision,
 * folding, stopwords, stemming, positions and byte offsets (text/). */
#include <pthread.h>
#include <stdlib.h>

#include "qx_common.h"
#include "qx_test.h"
#include "qx_text.h"
#include "qx_text_int.h"

/* ---- helpers: run the analyzer and render its tokens as one string ------ */

typedef struct render {
  const char *src;
  char out[4096];
  size_t len;
  int count;
  int detail; /* 0: "term term", 1: "term@pos[surface]" */
} render;

static int render_tok(void *ctx, const qx_token *t) {
  render *r = ctx;
  int n;
  CHECK(t->start < t->end);
  CHECK(strlen(t->term) == t->term_len && strlen(t->folded) == t->folded_len);
  CHECK(t->term_len <= QX_TERM_MAX && t->folded_len <= QX_TERM_MAX);
  if (r->detail)
    n = snprintf(r->out + r->len, sizeof r->out - r->len, "%s%s%s@%u[%.*s]", r->count ? " " : "",
                 t->is_stop ? "!" : "", t->term, t->pos, (int)(t->end - t->start), r->src + t->start);
  else
    n = snprintf(r->out + r->len, sizeof r->out - r->len, "%s%s", r->count ? " " : "", t->term);
  if (n > 0 && (size_t)n < sizeof r->out - r->len) r->len += (size_t)n;
  r->count++;
  return 0;
}

static const char *run(qx_analyzer *a, const char *s, int flags, int detail) {
  static render r;
  memset(&r, 0, sizeof r);
  r.src = s;
  r.detail = detail;
  CHECK_EQ_INT(qx_analyze(a, s, strlen(s), flags, render_tok, &r), 0);
  return r.out;
}
#define TERMS(a, s) run(a, s, 0, 0)
#define DETAIL(a, s) run(a, s, QX_ANALYZE_KEEP_STOP, 1)

static const char *word(qx_analyzer *a, const char *s, int flags) {
  static char buf[QX_TERM_MAX + 1];
  int n = qx_analyze_word(a, s, strlen(s), flags, buf, sizeof buf);
  CHECK(n >= 0);
  CHECK_EQ_INT(n, strlen(buf));
  return buf;
}

/* ---- UTF-8 ------------------------------------------------------------- */

static void test_utf8(void) {
  int32_t cp;
  const uint8_t e_acute[] = {0xC3, 0xA9}, euro[] = {0xE2, 0x82, 0xAC}, emoji[] = {0xF0, 0x9F, 0x98, 0x80};
  CHECK_EQ_INT(qx_utf8_decode(e_acute, e_acute + 2, &cp), 2);
  CHECK_EQ_INT(cp, 0xE9);
  CHECK_EQ_INT(qx_utf8_decode(euro, euro + 3, &cp), 3);
  CHECK_EQ_INT(cp, 0x20AC);
  CHECK_EQ_INT(qx_utf8_decode(emoji, emoji + 4, &cp), 4);
  CHECK_EQ_INT(cp, 0x1F600);
  /* truncated sequences never read past end */
  CHECK_EQ_INT(qx_utf8_decode(euro, euro + 2, &cp), 1);
  CHECK_EQ_INT(cp, 0xFFFD);
  CHECK_EQ_INT(qx_utf8_decode(emoji, emoji + 3, &cp), 1);
  CHECK_EQ_INT(cp, 0xFFFD);
  CHECK_EQ_INT(qx_utf8_decode(euro, euro, &cp), 0);
  /* invalid: overlongs, surrogates, > U+10FFFF, lone continuation, 0xFF */
  const char *bad[] = {"\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xED\xA0\x80",
                       "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80", "\xBF", "\xFF",
                       "\xFE"};
  for (size_t i = 0; i < QX_ARRAY_LEN(bad); i++) {
    const uint8_t *p = (const uint8_t *)bad[i];
    CHECK_EQ_INT(qx_utf8_decode(p, p + strlen(bad[i]), &cp), 1);
    CHECK_EQ_INT(cp, 0xFFFD);
    CHECK_EQ_INT(qx_utf8_valid(bad[i], strlen(bad[i])), 0);
  }
  /* boundaries that are valid */
  const char *good[] = {"", "abc", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                        "\xEF\xBF\xBD", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                        "g\xC3\xA9n\xC3\xA9rateur d\xE2\x80\x99images, long ASCII run 0123456789"};
  for (size_t i = 0; i < QX_ARRAY_LEN(good); i++) CHECK_EQ_INT(qx_utf8_valid(good[i], strlen(good[i])), 1);
  CHECK_EQ_INT(qx_utf8_valid("abcdefghij\xC3", 11), 0); /* truncated at the very end */
  CHECK_EQ_INT(qx_utf8_valid("abc\0def", 7), 1);        /* NUL is valid UTF-8 */
}

static void test_binary(void) {
  CHECK_EQ_INT(qx_text_is_binary("", 0), 0);
  CHECK_EQ_INT(qx_text_is_binary("hello\nworld\n", 12), 0);
  CHECK_EQ_INT(qx_text_is_binary("hello\0world", 11), 1);
  const char *latin1 = "Le g\xE9n\xE9rateur d'images de la soci\xE9t\xE9 lev\xE9"
                       "e de fonds, beaucoup de texte normal ici";
  CHECK_EQ_INT(qx_text_is_binary(latin1, strlen(latin1)), 0); /* a few invalid bytes: still text */
  char junk[4000];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(0x80 + (i * 37) % 0x7F); /* no NUL */
  CHECK_EQ_INT(qx_text_is_binary(junk, sizeof junk), 1);
  char ctl[1000];
  for (size_t i = 0; i < sizeof ctl; i++) ctl[i] = (char)(1 + i % 8);
  CHECK_EQ_INT(qx_text_is_binary(ctl, sizeof ctl), 1);
  /* a NUL after the first 32 KiB is not looked at (like grep's first buffer) */
  size_t big = 40000;
  char *b = malloc(big);
  memset(b, 'a', big);
  b[big - 10] = '\0';
  CHECK_EQ_INT(qx_text_is_binary(b, big), 0);
  b[100] = '\0';
  CHECK_EQ_INT(qx_text_is_binary(b, big), 1);
  free(b);
}

/* ---- languages and stopword tables -------------------------------------- */

static void test_lang(void) {
  qx_lang l = QX_LANG_NONE;
  CHECK_EQ_INT(qx_lang_parse(&l, "fr"), 0);
  CHECK_EQ_INT(l, QX_LANG_FR);
  CHECK_EQ_INT(qx_lang_parse(&l, "EN"), 0);
  CHECK_EQ_INT(l, QX_LANG_EN);
  CHECK_EQ_INT(qx_lang_parse(&l, "none"), 0);
  CHECK_EQ_INT(l, QX_LANG_NONE);
  CHECK_EQ_INT(qx_lang_parse(&l, "de"), QUARRY_EINVAL);
  CHECK_EQ_STR(qx_lang_name(QX_LANG_FR), "fr");
  CHECK_EQ_STR(qx_lang_name(QX_LANG_EN), "en");
  CHECK_EQ_STR(qx_lang_name(QX_LANG_NONE), "none");

  qx_lang langs[] = {QX_LANG_FR, QX_LANG_EN};
  for (size_t k = 0; k < 2; k++) {
    size_t n = 0;
    const char *const *list = qx_stopword_list(langs[k], &n);
    CHECK(n > 100);
    for (size_t i = 1; i < n; i++) CHECK(strcmp(list[i - 1], list[i]) < 0); /* sorted, no duplicates */
    for (size_t i = 0; i < n; i++) CHECK(qx_is_stopword(langs[k], list[i], strlen(list[i])));
  }
  CHECK(qx_is_stopword(QX_LANG_FR, "de", 2));
  CHECK(qx_is_stopword(QX_LANG_FR, "ete", 3)); /* été, folded */
  CHECK(qx_is_stopword(QX_LANG_FR, "a", 1));   /* à, folded */
  CHECK(!qx_is_stopword(QX_LANG_FR, "argent", 6));
  CHECK(!qx_is_stopword(QX_LANG_FR, "d", 0));
  CHECK(!qx_is_stopword(QX_LANG_FR, "dee", 3));
  CHECK(qx_is_stopword(QX_LANG_EN, "don't", 5));
  CHECK(!qx_is_stopword(QX_LANG_EN, "dont", 4));
  CHECK(!qx_is_stopword(QX_LANG_NONE, "the", 3));
  CHECK(!qx_is_stopword(QX_LANG_EN, "a\0b", 3));
}

/* ---- French ------------------------------------------------------------- */

static void test_fr(void) {
  qx_analyzer *a = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&a, QX_LANG_FR), 0);
  CHECK_EQ_INT(qx_analyzer_lang(a), QX_LANG_FR);

  /* elision with both apostrophes, surface offsets after the elided part */
  CHECK_EQ_STR(DETAIL(a, "l\xE2\x80\x99" "argent"), "argent@0[argent]");
  CHECK_EQ_STR(DETAIL(a, "l'argent"), "argent@0[argent]");
  CHECK_EQ_STR(DETAIL(a, "qu'il"), "!il@0[il]");
  CHECK_EQ_STR(TERMS(a, "d\xE2\x80\x99images"), "imag");
  CHECK_EQ_STR(TERMS(a, "L'ARGENT D\xCA\xBC" "ARGENT Qu\xE2\x80\x99" "argent"), "argent argent argent");
  CHECK_EQ_STR(TERMS(a, "jusqu'ici lorsqu'arrive puisqu'alors j'aime n'importe s'agit c'est m'a t'as"),
               "arriv alor aim import agit");
  CHECK_EQ_STR(TERMS(a, "aujourd\xE2\x80\x99hui prud'hommes"), "aujourdhui prudhomm");
  /* a stray apostrophe at a word edge is not part of the word */
  CHECK_EQ_STR(DETAIL(a, "'argent' l' argent"), "argent@0[argent] !l@1[l] argent@2[argent]");

  /* the seeds' phrases */
  CHECK_EQ_STR(DETAIL(a, "g\xC3\xA9n\xC3\xA9rateur d\xE2\x80\x99images"),
               "gener@0[g\xC3\xA9n\xC3\xA9rateur] imag@1[images]");
  CHECK_EQ_STR(DETAIL(a, "\xC3\x89tats-Unis"), "etat@0[\xC3\x89tats] unis@1[Unis]");
  CHECK_EQ_STR(DETAIL(a, "lev\xC3\xA9" "e de fonds"), "leve@0[lev\xC3\xA9" "e] !de@1[de] fond@2[fonds]");
  CHECK_EQ_STR(DETAIL(a, "6 milliards de dollars"), "6@0[6] milliard@1[milliards] !de@2[de] dollar@3[dollars]");
  CHECK_EQ_STR(DETAIL(a, "200 000"), "200@0[200] 000@1[000]");
  CHECK_EQ_STR(TERMS(a, "en 2024, 6,6 milliards; 100.000 GPU"), "2024 6 6 milliard 100 000 gpu");

  /* stems shared by accented / plain / plural spellings */
  const char *pairs[][2] = {{"investisseurs", "investisseur"}, {"lev\xC3\xA9" "e", "levee"},
                            {"fonds", "fond"},                 {"g\xC3\xA9n\xC3\xA9rateur", "generateur"},
                            {"images", "image"},               {"\xC3\x89tats", "Etats"},
                            {"soci\xC3\xA9t\xC3\xA9", "societe"}};
  for (size_t i = 0; i < QX_ARRAY_LEN(pairs); i++) {
    char w0[QX_TERM_MAX + 1], w1[QX_TERM_MAX + 1];
    CHECK(qx_analyze_word(a, pairs[i][0], strlen(pairs[i][0]), 0, w0, sizeof w0) > 0);
    CHECK(qx_analyze_word(a, pairs[i][1], strlen(pairs[i][1]), 0, w1, sizeof w1) > 0);
    CHECK_EQ_STR(w0, w1);
  }

  /* stopwords keep their positions; only-stopwords gives nothing */
  CHECK_EQ_STR(DETAIL(a, "la course \xC3\xA0 l'armement"),
               "!la@0[la] cours@1[course] !a@2[\xC3\xA0] armement@3[armement]");
  CHECK_EQ_STR(TERMS(a, "le la les de du des \xC3\xA0 et qu'il"), "");
  CHECK_EQ_STR(TERMS(a, "la course \xC3\xA0 l'armement"), "cours armement");
  CHECK_EQ_STR(run(a, "Les fonds", QX_ANALYZE_NO_STEM, 0), "fonds");

  /* qx_analyze_word */
  CHECK_EQ_STR(word(a, "l'argent", 0), "argent");
  CHECK_EQ_STR(word(a, "L\xE2\x80\x99" "Argent", QX_ANALYZE_NO_STEM), "argent");
  CHECK_EQ_STR(word(a, "G\xC3\xA9n\xC3\xA9rateurs", QX_ANALYZE_NO_STEM), "generateurs");
  CHECK_EQ_STR(word(a, "de", 0), "");
  CHECK_EQ_STR(word(a, "de", QX_ANALYZE_KEEP_STOP), "de");
  CHECK_EQ_STR(word(a, "\xC3\x89tats-Unis", 0), "etat");
  CHECK_EQ_STR(word(a, "  --  ", 0), "");
  CHECK_EQ_STR(word(a, "", 0), "");
  char tiny[3];
  CHECK_EQ_INT(qx_analyze_word(a, "argent", 6, 0, tiny, sizeof tiny), QUARRY_EINVAL);
  qx_analyzer_free(a);
}

/* ---- English and none ---------------------------------------------------- */

static void test_en_none(void) {
  qx_analyzer *a = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&a, QX_LANG_EN), 0);
  CHECK_EQ_STR(DETAIL(a, "Musk's"), "musk@0[Musk]");
  CHECK_EQ_STR(DETAIL(a, "Musk\xE2\x80\x99s rockets"), "musk@0[Musk] rocket@1[rockets]");
  CHECK_EQ_STR(TERMS(a, "don't dont won't isn't it's let's we'll"), "dont");
  CHECK_EQ_STR(TERMS(a, "well shell cant rock'n'roll"), "well shell cant rocknrol");
  CHECK_EQ_STR(TERMS(a, "The images of an image"), "imag imag");
  CHECK_EQ_STR(TERMS(a, "l'argent"), "largent"); /* no French elision in en */
  CHECK_EQ_STR(DETAIL(a, "the investors' money"), "!the@0[the] investor@1[investors] money@2[money]");
  CHECK_EQ_STR(word(a, "Running", 0), "run");
  CHECK_EQ_STR(word(a, "the", 0), "");
  qx_analyzer_free(a);

  CHECK_EQ_INT(qx_analyzer_new(&a, QX_LANG_NONE), 0);
  /* none: folding only, no stopwords, no stemming, apostrophes separate */
  CHECK_EQ_STR(DETAIL(a, "l\xE2\x80\x99" "argent des Images"), "l@0[l] argent@1[argent] des@2[des] images@3[Images]");
  CHECK_EQ_STR(TERMS(a, "The \xC3\x89T\xC3\x89 don't"), "the ete don t");
  CHECK_EQ_STR(word(a, "Levees", 0), "levees");
  qx_analyzer_free(a);

  CHECK_EQ_INT(qx_analyzer_new(&a, (qx_lang)42), QUARRY_EINVAL);
  CHECK(a == NULL);
  qx_analyzer_free(NULL);
}

/* ---- Unicode folding ---------------------------------------------------- */

static void test_folding(void) {
  qx_analyzer *a = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&a, QX_LANG_NONE), 0);
  CHECK_EQ_STR(TERMS(a, "\xC5\x92uvre \xC5\x93uvre \xC3\x86ther Stra\xC3\x9F" "e \xEF\xAC\x81nance"),
               "oeuvre oeuvre aether strasse finance"); /* Œ œ Æ ß ﬁ */
  CHECK_EQ_STR(TERMS(a, "e\xCC\x81t\xC3\xA9"), "ete");   /* combining acute vs precomposed */
  CHECK_EQ_STR(TERMS(a, "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91"), "abc1"); /* fullwidth */
  CHECK_EQ_STR(TERMS(a, "\xCE\x9A\xCE\xB1\xCE\xBB\xCE\xB7\xCE\xBC\xCE\xAD\xCF\x81\xCE\xB1"),
               "\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xB7\xCE\xBC\xCE\xB5\xCF\x81\xCE\xB1"); /* Greek, tonos stripped */
  CHECK_EQ_STR(TERMS(a, "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0"),
               "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0"); /* Москва -> москва */
  CHECK_EQ_STR(TERMS(a, "\xE6\x9D\xB1\xE4\xBA\xAC"), "\xE6\x9D\xB1\xE4\xBA\xAC"); /* CJK run: one word */
  CHECK_EQ_STR(TERMS(a, "Pi\xC5\x82sudski K\xC3\xB8" "benhavn"), "pilsudski kobenhavn");
  /* soft hyphen and zero-width joiners inside a word are dropped, not splits */
  CHECK_EQ_STR(DETAIL(a, "infor\xC2\xADmation"), "information@0[infor\xC2\xADmation]");
  CHECK_EQ_STR(TERMS(a, "\xEF\xBB\xBFHello"), "hello"); /* BOM */
  /* symbols and punctuation separate */
  CHECK_EQ_STR(TERMS(a, "a\xE2\x80\x94" "b c\xE2\x82\xAC" "d e_f g/h i@j k.l"), "a b c d e f g h i j k l");
  /* the table path for Latin letters folds like utf8proc: a trailing
   * combining mark (stripped) sends the same word down the utf8proc path */
  for (int cp = 0xC0; cp < 0x250; cp++) {
    char w1[16], w2[16], t1[QX_TERM_MAX + 1], t2[QX_TERM_MAX + 1];
    size_t n = 0;
    w1[n++] = 'x';
    w1[n++] = (char)(0xC0 | (cp >> 6));
    w1[n++] = (char)(0x80 | (cp & 0x3F));
    w1[n++] = 'b';
    memcpy(w2, w1, n);
    memcpy(w2 + n, "\xCC\x81", 2);
    int r1 = qx_analyze_word(a, w1, n, 0, t1, sizeof t1), r2 = qx_analyze_word(a, w2, n + 2, 0, t2, sizeof t2);
    CHECK_EQ_INT(r1, r2);
    if (r1 >= 0 && r2 >= 0 && strcmp(t1, t2)) fprintf(stderr, "U+%04X: %s vs %s\n", cp, t1, t2);
    CHECK(r1 < 0 || r2 < 0 || !strcmp(t1, t2));
  }
  /* U+0149 decomposes to U+02BC n: the apostrophe never reaches a term */
  CHECK_EQ_STR(TERMS(a, "x\xC5\x89y \xC5\x89"), "xny n");
  /* a lone combining mark is no word and takes no position */
  CHECK_EQ_STR(DETAIL(a, "x \xCC\x81 y"), "x@0[x] y@1[y]");
  qx_analyzer_free(a);
}

/* ---- robustness --------------------------------------------------------- */

static int count_tok(void *ctx, const qx_token *t) {
  (void)t;
  (*(size_t *)ctx)++;
  return 0;
}

typedef struct span_check {
  const char *src;
  size_t len;
  int bad;
} span_check;

static int check_span(void *ctx, const qx_token *t) {
  span_check *c = ctx;
  if (t->start >= t->end || t->end > c->len || !qx_utf8_valid(c->src + t->start, t->end - t->start)) c->bad++;
  return 0;
}

static int stop_after_two(void *ctx, const qx_token *t) {
  (void)t;
  return ++*(int *)ctx == 2 ? 7 : 0;
}

static void test_robust(void) {
  qx_analyzer *a = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&a, QX_LANG_FR), 0);
  size_t n = 0;
  CHECK_EQ_INT(qx_analyze(a, "", 0, 0, count_tok, &n), 0);
  CHECK_EQ_INT(qx_analyze(a, NULL, 0, 0, count_tok, &n), 0);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(qx_analyze(a, NULL, 3, 0, count_tok, &n), QUARRY_EINVAL);

  /* invalid bytes split words and never show up in a token */
  const char inv[] = "caf\xC3\xA9\xFF" "bar\xC3 baz\xE2\x82 qux\xED\xA0\x80zut \xC0\xAF" "fin\xF0\x9F";
  CHECK_EQ_STR(DETAIL(a, inv), "caf@0[caf\xC3\xA9] bar@1[bar] baz@2[baz] qux@3[qux] zut@4[zut] fin@5[fin]");
  span_check sc = {inv, sizeof inv - 1, 0};
  CHECK_EQ_INT(qx_analyze(a, inv, sizeof inv - 1, QX_ANALYZE_KEEP_STOP, check_span, &sc), 0);
  CHECK_EQ_INT(sc.bad, 0);

  /* embedded NULs separate words; the length, not the NUL, ends the input */
  const char nul[] = "argent\0fonds\0\0images";
  render r;
  memset(&r, 0, sizeof r);
  r.src = nul;
  CHECK_EQ_INT(qx_analyze(a, nul, sizeof nul - 1, 0, render_tok, &r), 0);
  CHECK_EQ_STR(r.out, "argent fond imag");
  /* the input need not be NUL-terminated: analyse a prefix */
  memset(&r, 0, sizeof r);
  CHECK_EQ_INT(qx_analyze(a, "argent fonds", 8, 0, render_tok, &r), 0);
  CHECK_EQ_STR(r.out, "argent f");

  /* apostrophes at the very end, before invalid bytes, doubled */
  CHECK_EQ_STR(DETAIL(a, "argent l'"), "argent@0[argent] !l@1[l]");
  CHECK_EQ_STR(DETAIL(a, "l\xE2\x80\x99"), "!l@0[l]");
  CHECK_EQ_STR(DETAIL(a, "l\xE2\x80"), "!l@0[l]"); /* truncated ’ */
  CHECK_EQ_STR(DETAIL(a, "l'\xFF" "argent"), "!l@0[l] argent@1[argent]");
  CHECK_EQ_STR(DETAIL(a, "l''argent"), "!l@0[l] argent@1[argent]");
  CHECK_EQ_STR(word(a, "qu'", 0), "");
  CHECK_EQ_STR(word(a, "QU\xE2\x80\x99", QX_ANALYZE_KEEP_STOP), "qu");
  /* soft hyphen at a word edge is not part of the word */
  CHECK_EQ_STR(DETAIL(a, "\xC2\xAD" "fonds\xC2\xAD"), "fond@0[fonds]");

  /* the callback can stop the analysis; its value is returned */
  int seen = 0;
  CHECK_EQ_INT(qx_analyze(a, "un deux trois quatre", 20, QX_ANALYZE_KEEP_STOP, stop_after_two, &seen), 7);
  CHECK_EQ_INT(seen, 2);

  /* a 1 MB word (ASCII and accented): one token, cut at QX_TERM_MAX bytes */
  size_t big = 1 << 20;
  char *w = malloc(big + 16);
  memset(w, 'a', big);
  memcpy(w + big, " fin", 5);
  memset(&r, 0, sizeof r);
  r.src = w;
  r.detail = 0;
  CHECK_EQ_INT(qx_analyze(a, w, big + 4, 0, render_tok, &r), 0);
  CHECK_EQ_INT(r.count, 2);
  char expect[QX_TERM_MAX + 1];
  memset(expect, 'a', QX_TERM_MAX);
  expect[QX_TERM_MAX] = '\0';
  CHECK_EQ_STR(word(a, w, QX_ANALYZE_NO_STEM), expect);
  for (size_t i = 0; i + 1 < big; i += 2) w[i] = (char)0xC3, w[i + 1] = (char)0xA9; /* éééé... */
  memset(expect, 'e', QX_TERM_MAX);
  CHECK_EQ_STR(word(a, w, QX_ANALYZE_NO_STEM), expect);
  for (size_t i = 0; i + 2 < big; i += 3) w[i] = (char)0xE6, w[i + 1] = (char)0x9D, w[i + 2] = (char)0xB1; /* 東 */
  memset(w + big - big % 3, 'x', big % 3);
  const char *t = word(a, w, QX_ANALYZE_NO_STEM);
  CHECK_EQ_INT(strlen(t), 63); /* 21 whole 3-byte code points, never a cut one */
  CHECK(qx_utf8_valid(t, strlen(t)));
  free(w);

  /* 64-byte cut on a word mixing ASCII and 2-byte letters stays valid UTF-8 */
  char mix[200];
  size_t m = 0;
  for (int i = 0; i < 60; i++) {
    mix[m++] = 'a';
    mix[m++] = (char)0xC3;
    mix[m++] = (char)0xBE; /* þ -> th */
  }
  mix[m] = '\0';
  t = word(a, mix, QX_ANALYZE_NO_STEM);
  CHECK_EQ_INT(strlen(t), QX_TERM_MAX);
  CHECK(qx_utf8_valid(t, strlen(t)));
  mix[0] = (char)0xC5, mix[1] = (char)0x93; /* starts with œ */
  t = word(a, mix, QX_ANALYZE_NO_STEM);
  CHECK(strlen(t) <= QX_TERM_MAX && qx_utf8_valid(t, strlen(t)));

  /* a long stream: positions count every word, stopwords included */
  size_t reps = 20000;
  const char *unit = "la lev\xC3\xA9" "e de fonds ";
  size_t ul = strlen(unit);
  char *s = malloc(reps * ul);
  for (size_t i = 0; i < reps; i++) memcpy(s + i * ul, unit, ul);
  n = 0;
  CHECK_EQ_INT(qx_analyze(a, s, reps * ul, 0, count_tok, &n), 0);
  CHECK_EQ_INT(n, 2 * reps);
  n = 0;
  CHECK_EQ_INT(qx_analyze(a, s, reps * ul, QX_ANALYZE_KEEP_STOP, count_tok, &n), 0);
  CHECK_EQ_INT(n, 4 * reps);
  free(s);
  qx_analyzer_free(a);
}

/* ---- the seeds: every token's byte range is valid and in order ---------- */

typedef struct order_check {
  const char *src;
  size_t len, last_end;
  uint32_t last_pos;
  int bad, count;
} order_check;

static int check_order(void *ctx, const qx_token *t) {
  order_check *c = ctx;
  if (t->end > c->len || t->start >= t->end || t->start < c->last_end) c->bad++;
  if (c->count && t->pos != c->last_pos + 1) c->bad++;
  if (!qx_utf8_valid(c->src + t->start, t->end - t->start)) c->bad++;
  c->last_end = t->end;
  c->last_pos = t->pos;
  c->count++;
  return 0;
}

static void test_seeds(void) {
  const char *files[] = {"seeds/000_446b4627d861f2ba.txt", "seeds/001_62c14ce66077f5ca.txt",
                         "seeds/002_54df15698cb5ceed.txt", "seeds/003_61439d9d6adc8a6b.txt",
                         "seeds/004_470020fb51c335e4.txt"};
  qx_analyzer *a = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&a, QX_LANG_FR), 0);
  for (size_t i = 0; i < QX_ARRAY_LEN(files); i++) {
    char *s = NULL;
    size_t len = 0;
    if (qx_file_read(&s, &len, files[i])) continue;
    CHECK(!qx_text_is_binary(s, len));
    CHECK(qx_utf8_valid(s, len));
    order_check c = {s, len, 0, 0, 0, 0};
    CHECK_EQ_INT(qx_analyze(a, s, len, QX_ANALYZE_KEEP_STOP, check_order, &c), 0);
    CHECK(c.count > 200);
    CHECK_EQ_INT(c.bad, 0);
    free(s);
  }
  qx_analyzer_free(a);
}

/* ---- the stem cache is invisible; analyzers in threads agree ------------ */

static int hash_tok(void *ctx, const qx_token *t) {
  uint64_t *h = ctx;
  *h = (*h ^ qx_xxh64(t->term, t->term_len)) * 1099511628211ull + t->pos * 31u + t->start + t->is_stop;
  *h ^= qx_xxh64(t->folded, t->folded_len);
  return 0;
}

typedef struct job {
  const char *text;
  size_t len;
  qx_lang lang;
  uint64_t h[3];
} job;

static void *run_job(void *arg) {
  job *j = arg;
  qx_analyzer *a = NULL;
  if (qx_analyzer_new(&a, j->lang)) return NULL;
  for (int pass = 0; pass < 3; pass++) { /* no cache, cold cache, warm cache */
    qx_analyzer_use_cache(a, pass > 0);
    j->h[pass] = 0;
    qx_analyze(a, j->text, j->len, QX_ANALYZE_KEEP_STOP, hash_tok, &j->h[pass]);
  }
  qx_analyzer_free(a);
  return NULL;
}

static void test_cache_threads(void) {
  qx_buf all = {0};
  const char *files[] = {"seeds/000_446b4627d861f2ba.txt", "seeds/004_470020fb51c335e4.txt"};
  for (size_t i = 0; i < QX_ARRAY_LEN(files); i++) {
    char *s = NULL;
    size_t n = 0;
    if (qx_file_read(&s, &n, files[i]) == 0) qx_buf_append(&all, s, n);
    free(s);
  }
  /* many distinct words to force cache evictions: w0 w1 ... plus accents */
  for (int i = 0; i < 70000; i++) qx_buf_printf(&all, " mot%d\xC3\xA9t\xC3\xA9s%d l'arbre%d", i, i % 97, i % 1013);
  CHECK(all.len > 100000);
  job jobs[4];
  pthread_t th[4];
  for (int k = 0; k < 4; k++) {
    jobs[k] = (job){(const char *)all.data, all.len, k % 2 ? QX_LANG_EN : QX_LANG_FR, {0, 0, 0}};
    CHECK_EQ_INT(pthread_create(&th[k], NULL, run_job, &jobs[k]), 0);
  }
  for (int k = 0; k < 4; k++) pthread_join(th[k], NULL);
  for (int k = 0; k < 4; k++) {
    CHECK(jobs[k].h[0] != 0);
    CHECK(jobs[k].h[0] == jobs[k].h[1] && jobs[k].h[1] == jobs[k].h[2]);
  }
  CHECK(jobs[0].h[0] == jobs[2].h[0] && jobs[1].h[0] == jobs[3].h[0]);
  CHECK(jobs[0].h[0] != jobs[1].h[0]);
  qx_buf_free(&all);
}

int main(void) {
  test_utf8();
  test_binary();
  test_lang();
  test_fr();
  test_en_none();
  test_folding();
  test_robust();
  test_seeds();
  test_cache_threads();
  return qx_test_result();
}
