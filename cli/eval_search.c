/*
 * eval_search.c: the searching half of `quarry eval`: reads the queries, runs
 * each judged one through the library's search API and evaluates the ranking.
 *
 * Document-level runs: qrels judge documents while the index scores passages,
 * so each query asks for the best passage per document (per_doc): a
 * document's score is the maximum of its passages' scores. Queries are
 * literal (quarry_search_opts.literal): for BM25 the query-syntax characters
 * (" + - : * ~ ( )) read as spaces, so that a natural-language question is
 * never read as an exclusion, a field or a phrase; the vector leg embeds the
 * text as written (punctuation and hyphens included, as the encoder was
 * trained). A query left with no searchable word (only
 * stopwords) returns nothing and counts with 0, as in trec_eval given an
 * empty ranking. Should the index hold two documents with one external id,
 * the id keeps its best score (a run must not list a document twice).
 *
 * --sweep "k1=A:B:STEP,b=C:D:STEP" evaluates every (k1, b) on the grid with the
 * same index (BM25 parameters are free at query time) and names the best
 * setting by the first metric of --metrics. In hybrid mode the fusion
 * parameters are free too: "rrf_k=10:100:10" (reciprocal rank fusion, implied by sweeping rrf_k) or
 * "alpha=0:1:0.1" (convex fusion, implied by sweeping alpha), alone or with
 * k1 and b.
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

/* The sweepable parameters, in column order. */
enum { AX_K1, AX_B, AX_RRFK, AX_ALPHA, AX_N };
static const char *const ax_name[AX_N] = {"k1", "b", "rrf_k", "alpha"};

/* "k1=0.6:1.6:0.1,b=..." into ax[]; swept[i] set for the named axes. Returns 0 or -1. */
static int parse_sweep(range ax[AX_N], int swept[AX_N], const char *spec) {
  char buf[256];
  if (strlen(spec) >= sizeof buf) return -1;
  strcpy(buf, spec);
  char *save = NULL;
  for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(item, '=');
    if (!eq) return -1;
    *eq = '\0';
    int a = 0;
    while (a < AX_N && strcmp(item, ax_name[a])) a++;
    if (a == AX_N || swept[a] || parse_range(&ax[a], eq + 1)) return -1;
    swept[a] = 1;
  }
  if (ax[AX_K1].lo < 0 || ax[AX_B].lo < 0 || ax[AX_B].hi > 1 + 1e-9) return -1;
  if (swept[AX_RRFK] && !(ax[AX_RRFK].lo > 0)) return -1;
  if (swept[AX_ALPHA] && (ax[AX_ALPHA].lo < 0 || ax[AX_ALPHA].hi > 1 + 1e-9)) return -1;
  return 0;
}

static size_t steps(const range *r) { return (size_t)floor((r->hi - r->lo) / r->step + 1e-6) + 1; }

/* Run every judged topic once with the parameters p[AX_*] (< 0: the library
 * default) into a new run. Returns 0 or an exit status. */
static int run_topics(qx_run **out, size_t *empty, size_t *dups, quarry_index *ix, const qx_topics *t,
                      const qx_qrels *qrels, const eval_opts *o, const double p[AX_N]) {
  qx_run *run = qx_run_new();
  if (!run) return cli_fail("eval: out of memory");
  quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
  so.k = (uint32_t)o->depth;
  so.per_doc = 1;
  so.literal = 1; /* topics are natural language: no operators, the encoder sees the text as written */
  so.mode = !strcmp(o->mode, "vector") ? QUARRY_MODE_VECTOR : !strcmp(o->mode, "hybrid") ? QUARRY_MODE_HYBRID : QUARRY_MODE_BM25;
  if (o->fusion) so.fusion = !strcmp(o->fusion, "rrf") ? QUARRY_FUSION_RRF : QUARRY_FUSION_CONVEX;
  else if (o->rrf_k > 0) so.fusion = QUARRY_FUSION_RRF; /* --rrf-k alone means RRF */
  if (p[AX_RRFK] > 0) so.rrf_k = p[AX_RRFK];
  if (p[AX_ALPHA] >= 0) so.alpha = p[AX_ALPHA];
  if (p[AX_K1] >= 0) so.k1 = p[AX_K1];
  if (p[AX_B] >= 0) so.b = p[AX_B];
  *empty = *dups = 0;
  for (size_t i = 0; i < t->n; i++) {
    if (!qx_qrels_find(qrels, t->t[i].qid)) continue;
    qx_run_query *rq;
    if (qx_run_add_query(run, &rq, t->t[i].qid)) {
      qx_run_free(run);
      return cli_fail_lib("eval");
    }
    quarry_results *res = NULL;
    int rc = quarry_search(&res, ix, t->t[i].text, &so);
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
  /* every parameter is a range; one not swept is the single value of its
   * option (--k1, --b, --rrf-k, --alpha) or, below 0, the library default */
  range ax[AX_N] = {{o->k1, o->k1, 1}, {o->b, o->b, 1}, {o->rrf_k, o->rrf_k, 1}, {o->alpha, o->alpha, 1}};
  int swept[AX_N] = {0};
  eval_opts eo = *o;
  if (o->sweep) {
    quarry_search_opts d = QUARRY_SEARCH_OPTS_INIT;
    const double def[AX_N] = {d.k1, d.b, d.rrf_k, d.alpha};
    for (int a = 0; a < AX_N; a++)
      if (ax[a].lo < 0) ax[a] = (range){def[a], def[a], 1};
    if (parse_sweep(ax, swept, o->sweep))
      return cli_fail("eval: bad --sweep '%s' (expected NAME=LO:HI:STEP,... with NAME k1, b (within [0, 1]), "
                      "rrf_k (> 0) or alpha (within [0, 1]))",
                      o->sweep);
    if ((swept[AX_RRFK] || swept[AX_ALPHA]) && strcmp(o->mode, "hybrid"))
      return cli_fail("eval: --sweep rrf_k or alpha needs --mode hybrid");
    if (swept[AX_RRFK] && swept[AX_ALPHA])
      return cli_fail("eval: --sweep: rrf_k belongs to --fusion rrf and alpha to --fusion convex, not both");
    if (swept[AX_ALPHA] && o->fusion && strcmp(o->fusion, "convex"))
      return cli_fail("eval: --sweep alpha needs --fusion convex");
    if (swept[AX_RRFK] && o->fusion && strcmp(o->fusion, "rrf"))
      return cli_fail("eval: --sweep rrf_k needs --fusion rrf");
    if (swept[AX_ALPHA]) eo.fusion = "convex"; /* sweeping alpha implies convex fusion */
    if (swept[AX_RRFK]) eo.fusion = "rrf";     /* and sweeping rrf_k RRF */
  }
  o = &eo;
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
  /* columns: k1 and b always (BM25 is a leg of every mode but vector), the
   * fusion parameter when it is swept */
  int show[AX_N] = {1, 1, swept[AX_RRFK], swept[AX_ALPHA]};
  size_t n[AX_N], idx[AX_N] = {0}, total = 1;
  for (int a = 0; a < AX_N; a++)
    total *= n[a] = steps(&ax[a]);
  double best = -1, best_p[AX_N] = {0};
  if (o->sweep && !o->json) {
    for (int a = 0; a < AX_N; a++)
      if (show[a]) printf("%-6s ", ax_name[a]);
    for (size_t j = 0; j < nm; j++)
      printf(" %10s", m[j].name);
    putchar('\n');
  }
  for (size_t g = 0; g < total && !status; g++) {
    double p[AX_N];
    for (int a = 0; a < AX_N; a++) /* mixed-radix counter, the last axis fastest */
      p[a] = ax[a].lo + (double)idx[a] * ax[a].step;
    for (int a = AX_N - 1; a >= 0 && ++idx[a] == n[a]; a--) idx[a] = 0;
    qx_run *run = NULL;
    size_t empty = 0, dups = 0;
    qx_eval_result r;
    if ((status = run_topics(&run, &empty, &dups, ix, t, qrels, o, p))) break;
    if (qx_eval_run(&r, run, qrels, m, nm)) {
      qx_run_free(run);
      status = cli_fail_lib("eval");
      break;
    }
    if (!o->sweep) {
      if (empty) fprintf(stderr, "quarry: note: %zu of %zu queries retrieved nothing\n", empty, r.nq);
      if (dups)
        fprintf(stderr,
                "quarry: note: %zu hits shared a document id with a better hit (ids not unique in the index)\n",
                dups);
      eval_print(o, &r, m, nm, o->per_query);
      if (o->write_run) status = eval_write_run(o->write_run, run, "quarry");
    } else if (o->json) {
      putchar('{');
      for (int a = 0; a < AX_N; a++)
        if (show[a]) printf("\"%s\":%.4g,", ax_name[a], p[a]);
      printf("\"queries\":%zu", r.nq);
      for (size_t x = 0; x < nm; x++)
        printf(",\"%s\":%.10g", m[x].name, r.mean[x]);
      printf("}\n");
    } else {
      for (int a = 0; a < AX_N; a++)
        if (show[a]) printf("%-6.3g ", p[a]);
      for (size_t x = 0; x < nm; x++)
        printf(" %10.4f", r.mean[x]);
      putchar('\n');
    }
    if (r.mean[0] > best) {
      best = r.mean[0];
      memcpy(best_p, p, sizeof best_p);
    }
    qx_eval_result_free(&r);
    qx_run_free(run);
  }
  if (!status && o->sweep) {
    if (o->json) {
      printf("{\"best\":{");
      for (int a = 0; a < AX_N; a++)
        if (show[a]) printf("\"%s\":%.4g,", ax_name[a], best_p[a]);
      printf("\"%s\":%.10g}}\n", m[0].name, best);
    } else {
      printf("best:");
      for (int a = 0; a < AX_N; a++)
        if (show[a]) printf(" %s=%.3g", ax_name[a], best_p[a]);
      printf(" %s=%.4f\n", m[0].name, best);
    }
  }
  quarry_index_close(ix);
  qx_topics_free(t);
  return status;
}
