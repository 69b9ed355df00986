/*
 * hybrid.c: vector and hybrid retrieval. The vector leg embeds the query
 * with the index's model and asks FAISS for the nearest passages; the
 * hybrid mode runs both legs for depth = max(k, 100) candidates each and
 * fuses them, by reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR
 * 2009: score = sum over legs of 1 / (rrf_k + rank)) or by a convex sum of
 * min-max normalised scores. Every fused candidate is re-scored against
 * the query vector with quarry's own SIMD dot product (search/qx_dot.h),
 * so --explain shows an exact cosine even for passages only BM25 found.
 * The BM25 leg is weighted by the query's lexical coverage (the share of
 * its words the index holds; see lexical_coverage below). The encoder sees
 * the query's words without the operators, or, for a literal query
 * (quarry_search_opts.literal), the text exactly as given.
 */
#include <stdlib.h>

#include "qx_dot.h"
#include "qx_search.h"
#include "qx_vectors.h"

typedef struct cand {
  uint32_t pid, doc;
  uint32_t bm25_rank, vec_rank;
  double bm25_score, vec_score, fused;
} cand;

static int cmp_pid(const void *a, const void *b) {
  uint32_t x = ((const cand *)a)->pid, y = ((const cand *)b)->pid;
  return (x > y) - (x < y);
}

static int cmp_fused(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->fused != y->fused) return x->fused > y->fused ? -1 : 1;
  return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The query text the encoder sees: the words, without the operators of
 * docs/QUERY.md (quotes, +, trailing *) and without excluded (-word) words. */
static char *vector_text(const char *q, size_t *len) {
  size_t n = strlen(q), o = 0;
  char *s = malloc(n + 1);
  if (!s) return NULL;
  size_t i = 0;
  while (i < n) {
    while (i < n && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n')) s[o++] = q[i++];
    int skip = q[i] == '-' && i + 1 < n && q[i + 1] != ' ';
    if (q[i] == '+') i++;
    while (i < n && q[i] != ' ' && q[i] != '\t' && q[i] != '\n') {
      char c = q[i++];
      int last = i == n || q[i] == ' ' || q[i] == '\t' || q[i] == '\n';
      if (skip || c == '"' || (c == '*' && last)) continue;
      s[o++] = c;
    }
  }
  s[o] = '\0';
  *len = o;
  return s;
}

/* Share of the query's positive lexical terms that occur in the index.
 * The BM25 leg of a fusion is weighted by it: a query whose words the
 * collection does not have (a paraphrase, another language) gets its
 * lexical candidates from incidental matches, which should not outvote the
 * vector leg; a query whose words are all there keeps full weight. */
static double lexical_coverage(quarry_index *ix, const qx_query *q) {
  uint32_t all = 0, found = 0;
  for (size_t i = 0; i < q->n; i++) {
    const qx_qclause *c = &q->c[i];
    if (c->occur == QX_OCC_NOT) continue;
    for (uint32_t j = 0; j < c->nterms; j++) {
      all++;
      if (c->kind == QX_Q_PREFIX) {
        int any = 0;
        for (uint32_t s = 0; !any && s < ix->nseg; s++) {
          uint64_t lo = 0, hi = 0;
          any = !qx_seg_surface_range(&lo, &hi, ix->seg[s], c->terms[j], strlen(c->terms[j])) && hi > lo;
        }
        found += any;
      } else {
        uint64_t df = 0;
        found += !qx_index_df(&df, ix, c->terms[j], strlen(c->terms[j])) && df > 0;
      }
    }
  }
  return all ? (double)found / all : 0.0;
}

static int cmp_vec(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->vec_score != y->vec_score) return x->vec_score > y->vec_score ? -1 : 1;
  return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The vector leg over every segment: each is asked for depth + its deleted
 * passages (capped at its size), deleted ones are dropped, and the lists
 * are merged by score (ties: global id). Fills c[0..*n) with pid and
 * vec_rank (c holds depth entries). */
static int vector_leg(cand *c, uint32_t *n, quarry_index *ix, const float *qv, uint32_t depth, int ef) {
  *n = 0;
  size_t cap = 0, nall = 0;
  for (uint32_t s = 0; s < ix->nseg; s++) cap += QX_MIN((uint64_t)depth + ix->seg[s]->del_passages, ix->seg[s]->npassages);
  cand *all = malloc(sizeof *all * (cap ? cap : 1));
  uint32_t *ids = malloc(sizeof *ids * (cap ? cap : 1));
  float *sc = malloc(sizeof *sc * (cap ? cap : 1));
  int rc = all && ids && sc ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  for (uint32_t s = 0; !rc && s < ix->nseg; s++) {
    const qx_seg *sg = ix->seg[s];
    uint32_t want = (uint32_t)QX_MIN((uint64_t)depth + sg->del_passages, sg->npassages), got = 0;
    if (!want || !sg->vec) continue;
    rc = qx_vectors_search(sg->vec, qv, want, ef, ids, sc, &got);
    for (uint32_t i = 0; !rc && i < got; i++)
      if (!qx_seg_deleted(sg, ids[i]))
        all[nall++] = (cand){.pid = (uint32_t)ix->pbase[s] + ids[i], .vec_score = sc[i]};
  }
  if (!rc && nall > 1) qsort(all, nall, sizeof *all, cmp_vec);
  for (size_t i = 0; !rc && i < nall && *n < depth; i++) {
    c[*n] = (cand){.pid = all[i].pid, .vec_rank = *n + 1};
    (*n)++;
  }
  free(all);
  free(ids);
  free(sc);
  return rc;
}

/* Vector row of global passage pid, or NULL. */
static const float *vector_row(const quarry_index *ix, uint32_t pid) {
  if (pid >= ix->npassages) return NULL;
  uint32_t s = qx_index_seg_of_passage(ix, pid);
  return ix->seg[s]->vec ? qx_vectors_row(ix->seg[s]->vec, (uint32_t)(pid - ix->pbase[s])) : NULL;
}

/* Drop vector candidates (sorted by pid) that break a +required or
 * -excluded clause: every leg obeys the query's operators. */
static int apply_constraints(cand *c, size_t *nc, quarry_index *ix, const qx_query *q) {
  int any = 0;
  for (size_t i = 0; i < q->n; i++) any |= q->c[i].occur != QX_OCC_SHOULD;
  if (!any || *nc == 0) return 0;
  uint32_t *pids = malloc(sizeof *pids * *nc);
  uint8_t *keep = malloc(*nc);
  int rc = pids && keep ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < *nc; i++) pids[i] = c[i].pid;
  if (!rc) rc = qx_query_constraints(keep, ix, q, pids, *nc);
  size_t o = 0;
  for (size_t i = 0; !rc && i < *nc; i++)
    if (keep[i]) c[o++] = c[i];
  if (!rc) *nc = o;
  free(pids);
  free(keep);
  return rc;
}

static cand *find(cand *c, size_t n, uint32_t pid) {
  cand key = {.pid = pid};
  return bsearch(&key, c, n, sizeof *c, cmp_pid);
}

int qx_search_fused(quarry_results *r, quarry_index *ix, const char *query, const qx_query *q, int bm25_leg,
                    const quarry_search_opts *o, quarry_mode mode) {
  qx_vectors *v = ix->vec;
  uint32_t k = o->k ? o->k : 10;
  uint32_t depth = o->depth ? o->depth : QX_MAX(k, 100u);
  if (depth < k) depth = k;
  uint32_t vdepth = o->per_doc ? depth * 4 : depth; /* passages, collapsed to documents below */
  int dim = qx_vectors_dim(v);
  float *qv = malloc(sizeof *qv * (size_t)dim);
  cand *vc = malloc(sizeof *vc * vdepth);
  size_t tlen = 0;
  char *text = o->literal ? qx_strdup(query) : vector_text(query, &tlen); /* literal: verbatim */
  if (o->literal && text) tlen = strlen(text);
  quarry_results br = {0};
  cand *c = NULL;
  size_t nc = 0;
  uint32_t nv = 0;
  int rc = (!qv || !vc || !text) ? qx_err(QUARRY_ENOMEM, "out of memory") : 0;
  double t0 = qx_now();
  if (!rc) rc = qx_vectors_embed_query(v, o->model, text, tlen, qv);
  r->t_embed = qx_now() - t0;
  if (!rc) rc = vector_leg(vc, &nv, ix, qv, vdepth, o->ef_search);
  if (!rc && mode == QUARRY_MODE_HYBRID && bm25_leg) {
    quarry_search_opts bo = *o;
    bo.k = depth;
    rc = qx_evaluate(&br, ix, q, &bo);
  }
  t0 = qx_now();
  if (!rc && !(c = malloc(sizeof *c * ((size_t)nv + br.n + 1)))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  /* union of the legs, keyed by passage id */
  for (uint32_t i = 0; !rc && i < nv; i++) c[nc++] = vc[i];
  if (!rc && nc) qsort(c, nc, sizeof *c, cmp_pid);
  if (!rc) rc = apply_constraints(c, &nc, ix, q);
  size_t nvc = nc;
  for (size_t i = 0; !rc && i < br.n; i++) {
    cand *x = find(c, nvc, br.hits[i].passage);
    if (!x) x = &c[nc++], *x = (cand){.pid = br.hits[i].passage};
    x->bm25_rank = (uint32_t)i + 1;
    x->bm25_score = br.hits[i].score;
  }
  double wb = mode == QUARRY_MODE_HYBRID && bm25_leg ? lexical_coverage(ix, q) : 0.0;
  /* exact cosine for every candidate, and the document of each */
  double bmin = 0, bmax = 0, vmin = 0, vmax = 0;
  for (size_t i = 0; !rc && i < nc; i++) {
    const float *row = vector_row(ix, c[i].pid);
    qx_passage_info p;
    if (!row) rc = qx_err(QUARRY_ECORRUPT, "%s: passage %u has no vector", ix->dir, c[i].pid);
    if (!rc) rc = qx_index_passage(&p, ix, c[i].pid);
    if (rc) break;
    c[i].doc = p.doc;
    c[i].vec_score = qx_dot(qv, row, (size_t)dim);
    if (i == 0 || c[i].vec_score < vmin) vmin = c[i].vec_score;
    if (i == 0 || c[i].vec_score > vmax) vmax = c[i].vec_score;
  }
  for (size_t i = 0; i < br.n; i++) {
    if (i == 0 || br.hits[i].score < bmin) bmin = br.hits[i].score;
    if (i == 0 || br.hits[i].score > bmax) bmax = br.hits[i].score;
  }
  for (size_t i = 0; !rc && i < nc; i++) {
    cand *x = &c[i];
    if (mode == QUARRY_MODE_VECTOR) {
      x->fused = x->vec_score;
    } else if (o->fusion == QUARRY_FUSION_CONVEX) {
      double nb = x->bm25_rank ? (bmax > bmin ? (x->bm25_score - bmin) / (bmax - bmin) : 1.0) : 0.0;
      double nvv = vmax > vmin ? (x->vec_score - vmin) / (vmax - vmin) : 1.0;
      x->fused = o->alpha * nvv + (1.0 - o->alpha) * wb * nb;
    } else {
      x->fused = (x->bm25_rank ? wb / (o->rrf_k + x->bm25_rank) : 0.0) +
                 (x->vec_rank ? 1.0 / (o->rrf_k + x->vec_rank) : 0.0);
    }
  }
  if (!rc) qsort(c, nc, sizeof *c, cmp_fused);
  if (!rc && !(r->hits = qx_calloc(k, sizeof *r->hits))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < nc && r->n < k; i++) {
    if (o->per_doc) { /* best passage per document: skip a document already taken */
      int seen = 0;
      for (size_t j = 0; j < r->n && !seen; j++) seen = r->hits[j].doc == c[i].doc;
      if (seen) continue;
    }
    quarry_hit *h = &r->hits[r->n++];
    h->passage = c[i].pid;
    h->doc = c[i].doc;
    h->score = c[i].fused;
    h->bm25_rank = c[i].bm25_rank;
    h->bm25_score = c[i].bm25_score;
    h->vec_rank = c[i].vec_rank;
    h->vec_score = c[i].vec_score;
  }
  r->t_fuse = qx_now() - t0;
  free(br.hits);
  free(c);
  free(text);
  free(qv);
  free(vc);
  return rc;
}
