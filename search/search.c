/*
 * search.c: the public search API (quarry_search and the results object):
 * parse and analyse the query with the index's language, evaluate it
 * (bm25.c), then attach document path, title and line to each hit.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "qx_daat.h"

static int push_str(char ***arr, size_t *n, const char *s) {
  for (size_t i = 0; i < *n; i++)
    if (!strcmp((*arr)[i], s)) return 0;
  char **a = realloc(*arr, (*n + 1) * sizeof *a);
  if (!a) return qx_err(QUARRY_ENOMEM, "out of memory");
  *arr = a;
  if (!(a[*n] = qx_strdup(s))) return qx_err(QUARRY_ENOMEM, "out of memory");
  (*n)++;
  return 0;
}

static int set_note(quarry_results *r, const char *msg) {
  free(r->note);
  r->note = qx_strdup(msg);
  return r->note ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
}

/* Path, title, line and id of every hit. Pass after pass over the hits:
 * their passage and document records lie far apart in the mapped files, and
 * loads of different hits do not wait on each other, so the cache misses of
 * a top 1000 overlap instead of queueing; the strings go into one block. */
static int fill_hits(quarry_results *r, quarry_index *ix) {
  if (!r->n) return 0;
  qx_doc_info *d = malloc(r->n * sizeof *d);
  if (!d) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t i = 0; !rc && i < r->n; i++) {
    quarry_hit *h = &r->hits[i];
    qx_passage_info p = {0};
    rc = qx_index_passage(&p, ix, h->passage);
    h->doc = p.doc;
    h->start = p.start;
    h->end = p.end;
    h->line = p.line;
  }
  size_t total = 0;
  for (size_t i = 0; !rc && i < r->n; i++) {
    rc = qx_index_doc(&d[i], ix, r->hits[i].doc);
    total += (size_t)d[i].path_len + d[i].title_len + d[i].id_len + 3;
  }
  char *at = rc ? NULL : (r->strings = malloc(total));
  if (!rc && !at) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < r->n; i++) {
    quarry_hit *h = &r->hits[i];
    const char *src[3] = {d[i].path, d[i].title, d[i].id};
    uint32_t len[3] = {d[i].path_len, d[i].title_len, d[i].id_len};
    const char **dst[3] = {&h->path, &h->title, &h->id};
    for (int k = 0; k < 3; k++) {
      memcpy(at, src[k], len[k]);
      at[len[k]] = 0;
      *dst[k] = at;
      at += len[k] + 1;
    }
  }
  free(d);
  return rc;
}

/* A literal query for the BM25 leg: the operator characters read as spaces. */
static char *literal_words(const char *query) {
  char *s = qx_strdup(query);
  for (char *p = s; p && *p; p++)
    if (strchr("\"+-:*~()", *p)) *p = ' ';
  return s;
}

int quarry_search(quarry_results **out, quarry_index *ix, const char *query, const quarry_search_opts *opts) {
  *out = NULL;
  quarry_search_opts defaults = QUARRY_SEARCH_OPTS_INIT;
  if (!opts) opts = &defaults;
  if (opts->version == 1) { /* a caller built before `literal`: its struct ends there */
    memcpy(&defaults, opts, offsetof(quarry_search_opts, literal));
    defaults.version = QUARRY_SEARCH_OPTS_VERSION;
    defaults.literal = 0;
    opts = &defaults;
  }
  if (opts->version != QUARRY_SEARCH_OPTS_VERSION) return qx_err(QUARRY_EINVAL, "unknown search options version");
  if (opts->mode < QUARRY_MODE_AUTO || opts->mode > QUARRY_MODE_HYBRID || opts->fusion < QUARRY_FUSION_RRF ||
      opts->fusion > QUARRY_FUSION_CONVEX)
    return qx_err(QUARRY_EINVAL, "unknown search mode or fusion");
  if (!(opts->rrf_k > 0) || !(opts->alpha >= 0 && opts->alpha <= 1))
    return qx_err(QUARRY_EINVAL, "fusion parameters out of range (rrf-k > 0, 0 <= alpha <= 1)");
  if (!(opts->k1 >= 0) || !(opts->b >= 0 && opts->b <= 1))
    return qx_err(QUARRY_EINVAL, "BM25 parameters out of range (k1 >= 0, 0 <= b <= 1)");
  if (!query) return qx_err(QUARRY_EINVAL, "empty query");
  quarry_results *r = qx_calloc(1, sizeof *r);
  if (!r) return qx_err(QUARRY_ENOMEM, "out of memory");
  qx_searcher *sr = NULL;
  qx_query q = {0};
  double t0 = qx_now();
  int rc = qx_searcher_get(&sr, ix);
  char *plain = NULL;
  if (!rc && opts->literal && !(plain = literal_words(query))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_query_parse(&q, sr->an, plain ? plain : query);
  free(plain);
  r->t_parse = qx_now() - t0;
  int positive = 0;
  for (size_t i = 0; !rc && i < q.n; i++) {
    const qx_qclause *c = &q.c[i];
    if (c->occur == QX_OCC_NOT) continue;
    positive = 1;
    for (uint32_t j = 0; !rc && j < c->nterms; j++)
      rc = c->kind == QX_Q_PREFIX ? push_str(&r->prefixes, &r->nprefixes, c->terms[j])
                                  : push_str(&r->terms, &r->nterms, c->terms[j]);
  }
  quarry_mode mode = quarry_search_mode(ix, opts);
  if (!rc && mode != QUARRY_MODE_BM25 && !ix->vec)
    rc = qx_err(QUARRY_EUNSUPPORTED, "the index %s has no vectors (built with --no-vectors): use --mode bm25", ix->dir);
  if (!rc && !positive) {
    if (q.n != 0)
      rc = qx_err(QUARRY_EINVAL, "the query only excludes: add a word to search for");
    else if (mode == QUARRY_MODE_BM25)
      rc = set_note(r, "every query word is a stopword: nothing to search for");
  }
  if (!rc && mode == QUARRY_MODE_BM25 && positive) {
    rc = qx_evaluate_scratch(r, ix, &q, opts, QX_ALGO_AUTO, &sr->sc);
    for (size_t i = 0; !rc && i < r->n; i++) {
      r->hits[i].bm25_rank = (uint32_t)i + 1;
      r->hits[i].bm25_score = r->hits[i].score;
    }
  }
  if (!rc && mode != QUARRY_MODE_BM25) rc = qx_search_fused(r, ix, query, &q, positive, opts, mode);
  if (!rc) rc = fill_hits(r, ix);
  qx_query_free(&q);
  qx_searcher_put(ix, sr);
  r->t_total = qx_now() - t0;
  if (rc) {
    quarry_results_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

quarry_mode quarry_search_mode(const quarry_index *ix, const quarry_search_opts *opts) {
  quarry_mode m = opts ? opts->mode : QUARRY_MODE_AUTO;
  if (m == QUARRY_MODE_AUTO) m = ix && ix->vec ? QUARRY_MODE_HYBRID : QUARRY_MODE_BM25;
  return m;
}

size_t quarry_results_count(const quarry_results *r) { return r ? r->n : 0; }
const quarry_hit *quarry_results_hit(const quarry_results *r, size_t i) {
  return r && i < r->n ? &r->hits[i] : NULL;
}
const char *quarry_results_note(const quarry_results *r) { return r ? r->note : NULL; }

void quarry_results_times(quarry_search_times *out, const quarry_results *r) {
  memset(out, 0, sizeof *out);
  if (!r) return;
  out->total_us = r->t_total * 1e6;
  out->analyse_us = (r->t_parse + r->t_embed) * 1e6;
  out->fuse_us = r->t_fuse * 1e6;
  out->retrieve_us = QX_MAX(0.0, out->total_us - out->analyse_us - out->fuse_us);
}

void quarry_results_free(quarry_results *r) {
  if (!r) return;
  free(r->strings); /* every hit's path, title and id */
  for (size_t i = 0; i < r->nterms; i++) free(r->terms[i]);
  for (size_t i = 0; i < r->nprefixes; i++) free(r->prefixes[i]);
  free(r->terms);
  free(r->prefixes);
  free(r->hits);
  free(r->note);
  free(r);
}
