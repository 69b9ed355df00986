/*
 * eval_search.c: the searching half of `quarry eval`: reads the queries, runs
 * each judged one through the library's search API and evaluates the ranking.
 *
 * Document-level runs: qrels judge documents while the index scores passages,
 * so each query asks for the best passage per document (per_doc): a
 * document's score is the maximum of its passages' scores. Queries are
 * searched as plain words: the query-syntax characters (" + - : * ~ ( )) are
 * blanked first so that a natural-language question is never read as an
 * exclusion, a field or a phrase. A query left with no searchable word (only
 * stopwords) returns nothing and counts with 0, as in trec_eval given an
 * empty ranking. Should the index hold two documents with one external id,
 * the id keeps its best score (a run must not list a document twice).
 *
 * --sweep "k1=A:B:STEP,b=C:D:STEP" evaluates every (k1, b) on the grid with the
 * same index (BM25 parameters are free at query time) and names the best
 * setting by the first metric of --metrics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_cli.h"
#include "qx_cli.h"
#include "qx_common.h"
#include "quarry.h"

typedef struct range {
  double lo, hi, step;
} range;

/* "k1=0.6:1.6:0.1" or "k1=1.2"; returns 0 or -1. */
static int parse_range(range *r, const char *s) {
  char *e;
  r->lo = strtod(s, &e);
  if (e == s) return -1;
  if (*e == '\0') {
    r->hi = r->lo, r->step = 1;
    return 0;
  }
  if (*e != ':') return -1;
  const char *p = e + 1;
  r->hi = strtod(p, &e);
  if (e == p || *e != ':') return -1;
  p = e + 1;
  r->step = strtod(p, &e);
  if (e == p || *e || !(r->step > 0) || r->hi < r->lo || (r->hi - r->lo) / r->step > 1000) return -1;
  return 0;
}

static int parse_sweep(range *k1, range *b, const char *spec) {
  char buf[256];
  if (strlen(spec) >= sizeof buf) return -1;
  strcpy(buf, spec);
  char *save = NULL;
  for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(item, '=');
    if (!eq) return -1;
    *eq = '\0';
    range *r = !strcmp(item, "k1") ? k1 : !strcmp(item, "b") ? b : NULL;
    if (!r || parse_range(r, eq + 1)) return -1;
  }
  if (k1->lo < 0 || b->lo < 0 || b->hi > 1 + 1e-9) return -1;
  return 0;
}

static size_t steps(const range *r) { return (size_t)floor((r->hi - r->lo) / r->step + 1e-6) + 1; }

/* Blank the query-syntax characters: the text is searched as plain words. */
static void plain_words(char *q) {
  for (char *p = q; *p; p++)
    if (strchr("\"+-:*~()", *p)) *p = ' ';
}

/* Run every judged topic once with (k1, b) into a new run. Returns 0 or an exit status. */
static int run_topics(qx_run **out, size_t *empty, size_t *dups, quarry_index *ix, const qx_topics *t,
                      const qx_qrels *qrels, const eval_opts *o, double k1, double b) {
  qx_run *run = qx_run_new();
  if (!run) return cli_fail("eval: out of memory");
  quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
  so.k = (uint32_t)o->depth;
  so.per_doc = 1;
  so.mode = !strcmp(o->mode, "vector") ? QUARRY_MODE_VECTOR : !strcmp(o->mode, "hybrid") ? QUARRY_MODE_HYBRID : QUARRY_MODE_BM25;
  if (!strcmp(o->fusion, "convex")) so.fusion = QUARRY_FUSION_CONVEX;
  if (o->rrf_k > 0) so.rrf_k = o->rrf_k;
  if (o->alpha >= 0) so.alpha = o->alpha;
  if (k1 >= 0) so.k1 = k1;
  if (b >= 0) so.b = b;
  *empty = *dups = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (!qx_qrels_find(qrels, t->t[i].qid)) continue;
    qx_run_query *rq;
    if (qx_run_add_query(run, &rq, t->t[i].qid)) {
      qx_run_free(run);
      return cli_fail_lib("eval");
    }
    char *q = qx_strdup(t->t[i].text);
    if (!q) {
      qx_run_free(run);
      return cli_fail("eval: out of memory");
    }
    plain_words(q);
    quarry_results *res = NULL;
    int rc = quarry_search(&res, ix, q, &so);
    free(q);
    if (rc == QUARRY_EINVAL) { /* nothing searchable left: an empty ranking */
      (*empty)++;
      continue;
    }
    if (rc) {
      qx_run_free(run);
      return cli_fail_lib("eval: query %s", t->t[i].qid);
    }
    size_t n = quarry_results_count(res);
    if (n == 0) (*empty)++;
    for (size_t h = 0; h < n && !rc; h++) {
      const quarry_hit *hit = quarry_results_hit(res, h);
      rc = qx_run_add(rq, hit->id ? hit->id : hit->path, hit->score);
    }
    quarry_results_free(res);
    if (!rc) *dups += qx_run_query_dedupe(rq);
    if (rc) {
      qx_run_free(run);
      return cli_fail_lib("eval");
    }
  }
  *out = run;
  return 0;
}

int eval_search(const eval_opts *o, const qx_qrels *qrels, const qx_metric *m, size_t nm) {
  if (strcmp(o->mode, "bm25") && strcmp(o->mode, "vector") && strcmp(o->mode, "hybrid"))
    return cli_fail("eval: --mode: expected bm25, vector or hybrid, got '%s'", o->mode);
  range k1 = {o->k1, o->k1, 1}, b = {o->b, o->b, 1};
  if (o->sweep) { /* a parameter not swept keeps --k1/--b, else the library default */
    quarry_search_opts d = QUARRY_SEARCH_OPTS_INIT;
    if (k1.lo < 0) k1 = (range){d.k1, d.k1, 1};
    if (b.lo < 0) b = (range){d.b, d.b, 1};
    if (parse_sweep(&k1, &b, o->sweep))
      return cli_fail("eval: bad --sweep '%s' (expected k1=LO:HI:STEP,b=LO:HI:STEP, b within [0, 1])",
                      o->sweep);
  }
  qx_topics *t = NULL;
  if (qx_topics_read(&t, o->queries, o->queries_format, o->topic_flags)) return cli_fail_lib("eval: queries");
  size_t judged = 0;
  for (size_t i = 0; i < t->n; i++)
    judged += qx_qrels_find(qrels, t->t[i].qid) != NULL;
  if (judged == 0) {
    qx_topics_free(t);
    return cli_fail(
        "eval: no query of %s has judgments in the qrels (query ids differ? see --qid-by-position)",
        o->queries);
  }
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, o->index)) {
    qx_topics_free(t);
    return cli_fail_lib("eval: %s", o->index);
  }
  int status = 0;
  size_t nk1 = steps(&k1), nb = steps(&b);
  double best = -1, best_k1 = 0, best_b = 0;
  if (o->sweep && !o->json) {
    printf("%-6s %-6s", "k1", "b");
    for (size_t j = 0; j < nm; j++)
      printf(" %10s", m[j].name);
    putchar('\n');
  }
  for (size_t i = 0; i < nk1 && !status; i++)
    for (size_t j = 0; j < nb && !status; j++) {
      double vk1 = k1.lo + (double)i * k1.step, vb = b.lo + (double)j * b.step;
      qx_run *run = NULL;
      size_t empty = 0, dups = 0;
      qx_eval_result r;
      if ((status = run_topics(&run, &empty, &dups, ix, t, qrels, o, vk1, vb))) break;
      if (qx_eval_run(&r, run, qrels, m, nm)) {
        qx_run_free(run);
        status = cli_fail_lib("eval");
        break;
      }
      if (!o->sweep) {
        if (empty) fprintf(stderr, "quarry: note: %zu of %zu queries retrieved nothing\n", empty, r.nq);
        if (dups)
          fprintf(
              stderr,
              "quarry: note: %zu hits shared a document id with a better hit (ids not unique in the index)\n",
              dups);
        eval_print(o, &r, m, nm, o->per_query);
        if (o->write_run) status = eval_write_run(o->write_run, run, "quarry");
      } else if (o->json) {
        printf("{\"k1\":%.4g,\"b\":%.4g,\"queries\":%zu", vk1, vb, r.nq);
        for (size_t x = 0; x < nm; x++)
          printf(",\"%s\":%.10g", m[x].name, r.mean[x]);
        printf("}\n");
      } else {
        printf("%-6.3g %-6.3g", vk1, vb);
        for (size_t x = 0; x < nm; x++)
          printf(" %10.4f", r.mean[x]);
        putchar('\n');
      }
      if (r.mean[0] > best) best = r.mean[0], best_k1 = vk1, best_b = vb;
      qx_eval_result_free(&r);
      qx_run_free(run);
    }
  if (!status && o->sweep) {
    if (o->json)
      printf("{\"best\":{\"k1\":%.4g,\"b\":%.4g,\"%s\":%.10g}}\n", best_k1, best_b, m[0].name, best);
    else
      printf("best: k1=%.3g b=%.3g %s=%.4f\n", best_k1, best_b, m[0].name, best);
  }
  quarry_index_close(ix);
  qx_topics_free(t);
  return status;
}
