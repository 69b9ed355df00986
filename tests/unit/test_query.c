/* test_query.c: the query parser: clause kinds, occurrences, analysis of
 * words like documents, phrase positions with stopword gaps, prefixes. */
#include "qx_search.h"
#include "qx_test.h"

int main(void) {
  qx_analyzer *an;
  CHECK_EQ_INT(qx_analyzer_new(&an, QX_LANG_FR), 0);
  qx_query q;
  CHECK_EQ_INT(qx_query_parse(&q, an, "levée de fonds xAI"), 0);
  CHECK_EQ_INT(q.n, 3); /* "de" is a stopword */
  CHECK_EQ_INT(q.words, 4);
  CHECK_EQ_INT(q.stop_words, 1);
  for (size_t i = 0; i < q.n; i++) {
    CHECK_EQ_INT(q.c[i].kind, QX_Q_TERM);
    CHECK_EQ_INT(q.c[i].occur, QX_OCC_SHOULD);
  }
  CHECK_EQ_STR(q.c[2].terms[0], "xai");
  qx_query_free(&q);

  CHECK_EQ_INT(qx_query_parse(&q, an, "+Musk -Tesla \"levée de fonds\" investiss* images Images"), 0);
  CHECK_EQ_INT(q.n, 5);
  CHECK_EQ_INT(q.c[0].occur, QX_OCC_MUST);
  CHECK_EQ_INT(q.c[1].occur, QX_OCC_NOT);
  CHECK_EQ_INT(q.c[2].kind, QX_Q_PHRASE);
  CHECK_EQ_INT(q.c[2].nterms, 2);
  CHECK_EQ_INT(q.c[2].pos[0], 0);
  CHECK_EQ_INT(q.c[2].pos[1], 2); /* the stopword gap is kept */
  CHECK_EQ_INT(q.c[3].kind, QX_Q_PREFIX);
  CHECK_EQ_STR(q.c[3].terms[0], "investiss"); /* folded, not stemmed */
  CHECK_EQ_INT(q.c[4].weight, 2);             /* duplicates merged */
  qx_query_free(&q);

  /* typographic apostrophe, accents: same terms as the plain spelling */
  qx_query a, b;
  CHECK_EQ_INT(qx_query_parse(&a, an, "générateur d’images"), 0);
  CHECK_EQ_INT(qx_query_parse(&b, an, "generateur d'images"), 0);
  CHECK_EQ_INT(a.n, 2);
  CHECK_EQ_INT(b.n, 2);
  for (size_t i = 0; i < a.n && i < b.n; i++) CHECK_EQ_STR(a.c[i].terms[0], b.c[i].terms[0]);
  qx_query_free(&a);
  qx_query_free(&b);

  /* a word that analyses to several tokens gives several terms */
  CHECK_EQ_INT(qx_query_parse(&q, an, "+États-Unis"), 0);
  CHECK_EQ_INT(q.n, 2);
  CHECK_EQ_INT(q.c[1].occur, QX_OCC_MUST);
  qx_query_free(&q);

  /* a one-word phrase is a term; an unclosed quote runs to the end */
  CHECK_EQ_INT(qx_query_parse(&q, an, "\"xAI\" \"Elon Musk"), 0);
  CHECK_EQ_INT(q.n, 2);
  CHECK_EQ_INT(q.c[0].kind, QX_Q_TERM);
  CHECK_EQ_INT(q.c[1].kind, QX_Q_PHRASE);
  qx_query_free(&q);

  /* only stopwords: parses to nothing; empty: error */
  CHECK_EQ_INT(qx_query_parse(&q, an, "le la de"), 0);
  CHECK_EQ_INT(q.n, 0);
  CHECK_EQ_INT(q.stop_words, 3);
  qx_query_free(&q);
  CHECK_EQ_INT(qx_query_parse(&q, an, ""), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_query_parse(&q, an, " \t "), QUARRY_EINVAL);
  /* odd input never crashes */
  const char *odd[] = {"+", "-", "\"", "*", "**", "+\"", "-\"\"", "\xff\xfe", "a*b*", "\"\" \"\"", "+-+-x"};
  for (size_t i = 0; i < QX_ARRAY_LEN(odd); i++) {
    int rc = qx_query_parse(&q, an, odd[i]);
    CHECK(rc == 0 || rc == QUARRY_EINVAL);
    if (!rc) qx_query_free(&q);
  }
  qx_analyzer_free(an);
  return qx_test_result();
}
