/* test_search.c: BM25 values against the formula, boolean operators,
 * phrases (with stopword gaps), prefixes, per-document results, ties,
 * stopword-only and empty queries, snippets with highlights. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "index_fixture.h"
#include "qx_search.h"
#include "qx_test.h"

static quarry_results *run(quarry_index *ix, const char *q, uint32_t k) {
  quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
  o.k = k;
  quarry_results *r = NULL;
  int rc = quarry_search(&r, ix, q, &o);
  if (rc) fprintf(stderr, "search '%s': %s\n", q, quarry_error_last());
  return r;
}

/* Searches + snippets from several threads give the single-thread answers. */
typedef struct thr {
  quarry_index *ix;
  const char *q;
  char want[4096];
  int ok;
} thr;

static void answer(quarry_index *ix, const char *q, char *out, size_t cap) {
  quarry_results *r = NULL;
  size_t at = 0;
  out[0] = 0;
  if (quarry_search(&r, ix, q, NULL)) return;
  for (size_t i = 0; i < quarry_results_count(r); i++) {
    char *snip = NULL;
    if (quarry_snippet(&snip, ix, r, i, NULL)) break;
    at += (size_t)snprintf(out + at, cap - at, "%u %.9f %s|", quarry_results_hit(r, i)->passage,
                           quarry_results_hit(r, i)->score, snip);
    quarry_free(snip);
    if (at >= cap) break;
  }
  quarry_results_free(r);
}

static void *thr_run(void *arg) {
  thr *t = arg;
  char got[4096];
  t->ok = 1;
  for (int i = 0; i < 50; i++) {
    answer(t->ix, t->q, got, sizeof got);
    if (strcmp(got, t->want)) t->ok = 0;
  }
  return NULL;
}

static int has_doc(const quarry_results *r, uint32_t doc) {
  for (size_t i = 0; i < quarry_results_count(r); i++)
    if (quarry_results_hit(r, i)->doc == doc) return 1;
  return 0;
}

int main(void) {
  const char *texts[] = {
      "La levée de fonds de xAI atteint six milliards.",         /* 0 */
      "Une levée des fonds rapide.",                              /* 1: other stopword, same gap */
      "Levée fonds sans article.",                                /* 2: no gap: not the phrase */
      "Les investisseurs financent xAI. Tesla aussi.",            /* 3 */
      "Un investissement dans Tesla.",                            /* 4 */
      "Même texte exactement.",                                   /* 5 */
      "Même texte exactement.",                                   /* 6: a tie with 5 */
      "le la les de des",                                         /* 7: only stopwords */
  };
  fixture f;
  CHECK_EQ_INT(fixture_make(&f, texts, QX_ARRAY_LEN(texts), "fr", 200, 50), 0);
  quarry_index *ix = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  if (!ix) return qx_test_result();

  /* BM25 of a one-term query, recomputed from the statistics */
  quarry_results *r = run(ix, "xAI", 10);
  CHECK_EQ_INT(quarry_results_count(r), 2);
  double N = (double)ix->npassages, avgdl = (double)ix->total_tokens / N, df = 2;
  double idf = log(1 + (N - df + 0.5) / (df + 0.5));
  for (size_t i = 0; i < quarry_results_count(r); i++) {
    const quarry_hit *h = quarry_results_hit(r, i);
    qx_passage_info p;
    CHECK_EQ_INT(qx_index_passage(&p, ix, h->passage), 0);
    double dl = qx_norm_decode(qx_norm_encode(p.ntokens));
    double want = idf * 1 / (1 + 0.9 * (1 - 0.4 + 0.4 * dl / avgdl));
    CHECK_NEAR(h->score, want, 1e-12);
    if (i) CHECK(h->score <= quarry_results_hit(r, i - 1)->score);
  }
  quarry_results_free(r);

  /* k1, b change the scores without re-indexing */
  quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
  o.k1 = 2.0;
  o.b = 1.0;
  CHECK_EQ_INT(quarry_search(&r, ix, "xAI", &o), 0);
  CHECK(quarry_results_hit(r, 0)->score > 0);
  quarry_results_free(r);
  o.b = 1.5;
  CHECK_EQ_INT(quarry_search(&r, ix, "xAI", &o), QUARRY_EINVAL);

  /* +required, -excluded */
  r = run(ix, "+xAI investisseurs", 10);
  CHECK_EQ_INT(quarry_results_count(r), 2);
  CHECK_EQ_INT(quarry_results_hit(r, 0)->doc, 3);
  quarry_results_free(r);
  r = run(ix, "xAI -Tesla", 10);
  CHECK_EQ_INT(quarry_results_count(r), 1);
  CHECK_EQ_INT(quarry_results_hit(r, 0)->doc, 0);
  quarry_results_free(r);
  r = run(ix, "+xAI +zzzunknown", 10);
  CHECK_EQ_INT(quarry_results_count(r), 0);
  quarry_results_free(r);
  /* literal queries: no operators, "-Tesla" and "+xAI" are words; a version 1
   * options struct (before `literal`) is still accepted */
  o = (quarry_search_opts)QUARRY_SEARCH_OPTS_INIT;
  o.literal = 1;
  CHECK_EQ_INT(quarry_search(&r, ix, "xAI -Tesla", &o), 0);
  CHECK_EQ_INT(quarry_results_count(r), 3);
  quarry_results_free(r);
  CHECK_EQ_INT(quarry_search(&r, ix, "-Tesla", &o), 0);
  CHECK(quarry_results_count(r) > 0);
  quarry_results_free(r);
  o.literal = 0;
  o.version = 1;
  CHECK_EQ_INT(quarry_search(&r, ix, "xAI -Tesla", &o), 0);
  CHECK_EQ_INT(quarry_results_count(r), 1);
  quarry_results_free(r);

  /* phrases: the stopword gap must match, whatever the stopword */
  r = run(ix, "\"levée de fonds\"", 10);
  CHECK_EQ_INT(quarry_results_count(r), 2);
  CHECK(has_doc(r, 0) && has_doc(r, 1) && !has_doc(r, 2));
  quarry_results_free(r);
  r = run(ix, "\"fonds levée\"", 10);
  CHECK_EQ_INT(quarry_results_count(r), 0);
  quarry_results_free(r);

  /* prefix over surface forms: investiss* reaches investisseurs and investissement */
  r = run(ix, "investiss*", 10);
  CHECK_EQ_INT(quarry_results_count(r), 2);
  CHECK(has_doc(r, 3) && has_doc(r, 4));
  quarry_results_free(r);
  r = run(ix, "zzz*", 10);
  CHECK_EQ_INT(quarry_results_count(r), 0);
  quarry_results_free(r);

  /* ties: equal scores come out by passage id */
  r = run(ix, "exactement", 10);
  CHECK_EQ_INT(quarry_results_count(r), 2);
  CHECK(quarry_results_hit(r, 0)->score == quarry_results_hit(r, 1)->score);
  CHECK(quarry_results_hit(r, 0)->passage < quarry_results_hit(r, 1)->passage);
  quarry_results_free(r);
  r = run(ix, "exactement", 1);
  CHECK_EQ_INT(quarry_results_count(r), 1);
  CHECK_EQ_INT(quarry_results_hit(r, 0)->doc, 5);
  quarry_results_free(r);

  /* stopwords only: empty with a note; empty query and only exclusions: errors */
  r = run(ix, "le de la", 10);
  CHECK(r && quarry_results_count(r) == 0 && quarry_results_note(r) != NULL);
  quarry_results_free(r);
  CHECK_EQ_INT(quarry_search(&r, ix, "", NULL), QUARRY_EINVAL);
  CHECK_EQ_INT(quarry_search(&r, ix, "-xAI", NULL), QUARRY_EINVAL);

  /* hit metadata and snippet highlights */
  r = run(ix, "investisseurs xAI", 10);
  const quarry_hit *h = quarry_results_hit(r, 0);
  CHECK(h && strstr(h->path, "d003.txt") && h->line == 1 && h->start == 0 && h->end > 20);
  CHECK(!strcmp(h->id, h->path));
  /* stage times: non-negative, adding up to the call's time, no fusion in BM25 */
  quarry_search_times tm;
  quarry_results_times(&tm, r);
  CHECK(tm.total_us > 0 && tm.analyse_us > 0 && tm.retrieve_us >= 0 && tm.fuse_us == 0);
  CHECK(fabs(tm.analyse_us + tm.retrieve_us + tm.fuse_us - tm.total_us) < 1e-6 * tm.total_us + 1e-9);
  quarry_results_times(&tm, NULL);
  CHECK(tm.total_us == 0);
  quarry_snippet_opts so = QUARRY_SNIPPET_OPTS_INIT;
  so.hl_open = "[";
  so.hl_close = "]";
  char *snip = NULL;
  CHECK_EQ_INT(quarry_snippet(&snip, ix, r, 0, &so), 0);
  CHECK(snip && strstr(snip, "[investisseurs]") && strstr(snip, "[xAI]"));
  quarry_free(snip);
  quarry_results_free(r);

  /* public accessors */
  quarry_passage_info pi;
  quarry_doc_info di;
  CHECK_EQ_INT(quarry_index_passage(&pi, ix, 3), 0);
  CHECK_EQ_INT(pi.doc, 3);
  CHECK_EQ_INT(quarry_index_doc(&di, ix, 3), 0);
  CHECK(di.path_len > 8 && !memcmp(di.path + di.path_len - 8, "d003.txt", 8));
  CHECK_EQ_INT(di.npassages, 1);
  char *txt = NULL;
  size_t tl = 0;
  CHECK_EQ_INT(quarry_index_text(&txt, &tl, ix, 3, 0, UINT64_MAX), 0);
  CHECK(tl == strlen(texts[3]) && !memcmp(txt, texts[3], tl));
  quarry_free(txt);
  CHECK_EQ_INT(quarry_index_text(&txt, &tl, ix, 3, 4, 16), 0);
  CHECK(tl == 12 && !memcmp(txt, texts[3] + 4, 12));
  quarry_free(txt);
  CHECK_EQ_INT(quarry_index_text(&txt, &tl, ix, 99, 0, 1), QUARRY_EINVAL);
  CHECK_EQ_INT(quarry_index_passage(&pi, ix, 999), QUARRY_EINVAL);
  CHECK(quarry_index_manifest_get(ix, "analyzer.lang") && !strcmp(quarry_index_manifest_get(ix, "analyzer.lang"), "fr"));

  /* threads */
  thr th[4] = {{ix, "xAI investisseurs", "", 0}, {ix, "\"levée de fonds\"", "", 0}, {ix, "investiss* Tesla", "", 0},
               {ix, "+xAI -Tesla", "", 0}};
  pthread_t tid[4];
  for (int i = 0; i < 4; i++) answer(ix, th[i].q, th[i].want, sizeof th[i].want);
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(pthread_create(&tid[i], NULL, thr_run, &th[i]), 0);
  for (int i = 0; i < 4; i++) {
    pthread_join(tid[i], NULL);
    CHECK(th[i].ok && th[i].want[0]);
  }

  /* per document: one passage per doc */
  quarry_index_close(ix);
  fixture_free(&f);
  static char longdoc[20000];
  size_t at = 0;
  for (int i = 0; i < 300 && at < sizeof longdoc - 64; i++)
    at += (size_t)snprintf(longdoc + at, sizeof longdoc - at, "Phrase %d sur xAI et le marché.\n", i);
  const char *t2[] = {longdoc, "xAI encore.", longdoc};
  CHECK_EQ_INT(fixture_make(&f, t2, 3, "fr", 50, 10), 0);
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  r = run(ix, "xAI", 100);
  CHECK(quarry_results_count(r) > 10);
  quarry_results_free(r);
  o = (quarry_search_opts)QUARRY_SEARCH_OPTS_INIT;
  o.per_doc = 1;
  CHECK_EQ_INT(quarry_search(&r, ix, "xAI", &o), 0);
  CHECK_EQ_INT(quarry_results_count(r), 3);
  CHECK(has_doc(r, 0) && has_doc(r, 1) && has_doc(r, 2));
  quarry_results_free(r);
  /* line numbers of later passages */
  r = run(ix, "\"phrase 250\"", 5);
  CHECK(quarry_results_count(r) >= 2); /* in docs 0 and 2, maybe twice each (overlap) */
  h = quarry_results_hit(r, 0);
  CHECK(h && h->line > 200 && h->line <= 251);
  quarry_results_free(r);
  quarry_index_close(ix);
  fixture_free(&f);
  return qx_test_result();
}
