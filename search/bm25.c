/*
 * bm25.c: BM25 scoring and the exhaustive document-at-a-time evaluator.
 *
 * BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25
 * and Beyond", 2009) in the exact form of Lucene >= 9's BM25Similarity:
 *   idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))
 *   score(t, p) = idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
 * with N = passages, dl = the passage length decoded from its 1-byte norm
 * (SmallFloat, index/norms.c), avgdl = total tokens / N. Lucene 8 and older
 * multiplied by (k1 + 1); that constant factor changes no ranking.
 * Phrases score like Lucene's PhraseQuery (tf = phrase occurrences, idf =
 * sum of the terms' idfs); a prefix scores as the sum of its expansions.
 *
 * Evaluation: every clause is a matcher over posting cursors (qx_postings.h);
 * the candidate is the smallest current passage of the positive clauses;
 * required and excluded clauses are checked by advancing them to it. Scores
 * go into a bounded heap; ties are broken by passage id (smaller first). The
 * speed work (MaxScore, block-max WAND) replaces this loop, not its results.
 */
#include <math.h>
#include <stdlib.h>

#include "qx_postings.h"
#include "qx_search.h"

double qx_bm25_idf(uint64_t N, uint64_t df) {
  return log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
}

void qx_bm25_norm_cache(double cache[256], double k1, double b, double avgdl) {
  if (avgdl <= 0) avgdl = 1;
  for (int i = 0; i < 256; i++) cache[i] = k1 * (1.0 - b + b * (double)qx_norm_decode((uint8_t)i) / avgdl);
}

/* ---- matchers ----------------------------------------------------------------- */

typedef struct matcher {
  const qx_qclause *cl;
  qx_pcursor *cur;
  double *idf;
  uint32_t ncur;
  uint32_t doc;
  double phrase_idf;
  uint32_t phrase_freq; /* PHRASE: occurrences in `doc` */
  uint32_t *pos[2];     /* PHRASE scratch */
  uint32_t pos_cap;
} matcher;

static uint32_t min_doc(const matcher *m) {
  uint32_t d = QX_DOC_END;
  for (uint32_t i = 0; i < m->ncur; i++) d = QX_MIN(d, m->cur[i].doc);
  return d;
}

/* Count phrase occurrences in the passage all cursors sit on. */
static int phrase_count(matcher *m, uint32_t *out) {
  *out = 0;
  uint32_t need = 0;
  for (uint32_t i = 0; i < m->ncur; i++) need = QX_MAX(need, qx_pcursor_freq(&m->cur[i]));
  if (need > m->pos_cap) {
    for (int k = 0; k < 2; k++) {
      uint32_t *p = realloc(m->pos[k], need * sizeof *p);
      if (!p) return qx_err(QUARRY_ENOMEM, "out of memory");
      m->pos[k] = p;
    }
    m->pos_cap = need;
  }
  /* candidates: start positions s such that term i occurs at s + rel[i] */
  uint32_t n = qx_pcursor_freq(&m->cur[0]);
  int rc = qx_pcursor_positions(&m->cur[0], m->pos[0], m->pos_cap);
  if (rc) return rc;
  for (uint32_t i = 1; i < m->ncur && n; i++) {
    uint32_t tf = qx_pcursor_freq(&m->cur[i]), rel = m->cl->pos[i], k = 0, j = 0, w = 0;
    if ((rc = qx_pcursor_positions(&m->cur[i], m->pos[1], m->pos_cap))) return rc;
    while (k < n && j < tf) {
      uint64_t want = (uint64_t)m->pos[0][k] + rel;
      if (m->pos[1][j] < want) j++;
      else if (m->pos[1][j] > want) k++;
      else {
        m->pos[0][w++] = m->pos[0][k++];
        j++;
      }
    }
    n = w;
  }
  *out = n;
  return 0;
}

/* Move m to its first match >= target. */
static int m_advance(matcher *m, uint32_t target) {
  int rc = 0;
  if (m->cl->kind != QX_Q_PHRASE) {
    for (uint32_t i = 0; !rc && i < m->ncur; i++) rc = qx_pcursor_advance(&m->cur[i], target);
    m->doc = min_doc(m);
    return rc;
  }
  for (;;) {
    uint32_t hi = target;
    for (uint32_t i = 0; i < m->ncur; i++) {
      if ((rc = qx_pcursor_advance(&m->cur[i], hi))) return rc;
      hi = QX_MAX(hi, m->cur[i].doc);
      if (hi == QX_DOC_END) {
        m->doc = QX_DOC_END;
        return 0;
      }
    }
    int same = 1;
    for (uint32_t i = 0; i < m->ncur; i++) same &= m->cur[i].doc == hi;
    if (!same) {
      target = hi;
      continue;
    }
    uint32_t pf;
    if ((rc = phrase_count(m, &pf))) return rc;
    if (pf) {
      m->doc = hi;
      m->phrase_freq = pf;
      return 0;
    }
    if (hi == QX_DOC_END - 1) {
      m->doc = QX_DOC_END;
      return 0;
    }
    target = hi + 1;
  }
}

static double m_score(const matcher *m, const double K[256], uint8_t norm) {
  double s = 0, k = K[norm];
  if (m->cl->kind == QX_Q_PHRASE) {
    double tf = m->phrase_freq;
    return m->phrase_idf * tf / (tf + k);
  }
  for (uint32_t i = 0; i < m->ncur; i++)
    if (m->cur[i].doc == m->doc) {
      double tf = qx_pcursor_freq(&m->cur[i]);
      s += m->idf[i] * tf / (tf + k);
    }
  return m->cl->kind == QX_Q_TERM ? s * m->cl->weight : s;
}

typedef struct df_term {
  uint32_t id, df;
} df_term;

static int cmp_df_desc(const void *a, const void *b) {
  const df_term *x = a, *y = b;
  if (x->df != y->df) return x->df > y->df ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Resolve a clause's terms to cursors. A missing term leaves the matcher
 * empty (a phrase with a missing term can never match). */
static int m_open(matcher *m, quarry_index *ix, const qx_qclause *cl) {
  memset(m, 0, sizeof *m);
  m->cl = cl;
  m->doc = QX_DOC_END;
  df_term *ids = NULL;
  uint32_t n = 0;
  int rc = 0;
  if (cl->kind == QX_Q_PREFIX) {
    uint64_t lo, hi;
    rc = qx_index_surface_range(&lo, &hi, ix, cl->terms[0], strlen(cl->terms[0]));
    if (rc) return rc;
    ids = qx_malloc((size_t)(hi - lo) * sizeof *ids);
    if (!ids) return qx_err(QUARRY_ENOMEM, "out of memory");
    for (uint64_t i = lo; !rc && i < hi; i++) {
      const char *f;
      uint32_t fl, t;
      rc = qx_index_surface_get(&f, &fl, &t, ix, i);
      int dup = 0;
      for (uint32_t j = 0; !rc && j < n && !dup; j++) dup = ids[j].id == t;
      if (!rc && !dup) ids[n++].id = t;
    }
    for (uint32_t j = 0; !rc && j < n; j++) {
      qx_term_info ti = {0};
      rc = qx_index_term(&ti, ix, ids[j].id);
      ids[j].df = ti.df;
    }
    if (!rc && n > QX_PREFIX_MAX_TERMS) {
      qsort(ids, n, sizeof *ids, cmp_df_desc);
      n = QX_PREFIX_MAX_TERMS;
    }
  } else {
    ids = qx_malloc(cl->nterms * sizeof *ids);
    if (!ids) return qx_err(QUARRY_ENOMEM, "out of memory");
    for (uint32_t j = 0; !rc && j < cl->nterms; j++) {
      qx_term_info ti = {0};
      int found = qx_index_find_term(&ti, ix, cl->terms[j], strlen(cl->terms[j]));
      if (found < 0) rc = found;
      else if (!found) {
        n = 0; /* TERM absent: no match; PHRASE with an absent term: no match */
        break;
      } else
        ids[n++].id = ti.id;
    }
  }
  if (!rc && n) {
    m->cur = qx_calloc(n, sizeof *m->cur);
    m->idf = qx_calloc(n, sizeof *m->idf);
    if (!m->cur || !m->idf) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    for (uint32_t j = 0; !rc && j < n; j++) {
      qx_term_info ti = {0};
      rc = qx_index_term(&ti, ix, ids[j].id);
      if (!rc) rc = qx_pcursor_open(&m->cur[j], ix, &ti);
      m->idf[j] = qx_bm25_idf(ix->npassages, ti.df);
      m->phrase_idf += m->idf[j];
      m->ncur = j + 1;
    }
    if (!rc) rc = m_advance(m, 0);
  }
  free(ids);
  return rc;
}

static void m_free(matcher *m) {
  free(m->cur);
  free(m->idf);
  free(m->pos[0]);
  free(m->pos[1]);
}

/* ---- top-k heap (min-heap on "worse") ---------------------------------------- */

static int worse(const quarry_hit *a, const quarry_hit *b) {
  return a->score < b->score || (a->score == b->score && a->passage > b->passage);
}

static void heap_push(quarry_hit *h, size_t *n, size_t k, uint32_t pid, uint32_t doc, double score) {
  quarry_hit x = {.passage = pid, .doc = doc, .score = score};
  if (*n == k) {
    if (!worse(&h[0], &x)) return;
    h[0] = x;
    size_t i = 0;
    for (;;) { /* sift down */
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < *n && worse(&h[l], &h[m])) m = l;
      if (r < *n && worse(&h[r], &h[m])) m = r;
      if (m == i) break;
      quarry_hit t = h[i];
      h[i] = h[m];
      h[m] = t;
      i = m;
    }
    return;
  }
  size_t i = (*n)++;
  h[i] = x;
  while (i > 0 && worse(&h[i], &h[(i - 1) / 2])) {
    quarry_hit t = h[i];
    h[i] = h[(i - 1) / 2];
    h[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

static int cmp_hits(const void *a, const void *b) {
  const quarry_hit *x = a, *y = b;
  return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

int qx_evaluate(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o) {
  size_t k = o->k;
  matcher *ms = qx_calloc(q->n, sizeof *ms);
  r->hits = qx_calloc(k ? k : 1, sizeof *r->hits);
  if (!ms || !r->hits) {
    free(ms);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  int rc = 0;
  size_t nm = 0;
  for (; !rc && nm < q->n; nm++) rc = m_open(&ms[nm], ix, &q->c[nm]);
  double K[256];
  qx_bm25_norm_cache(K, o->k1, o->b, ix->avgdl);
  uint32_t cur_doc = QX_DOC_END, best_pid = 0;
  double best = -1;
  size_t n = 0;
  while (!rc && k) {
    uint32_t d = QX_DOC_END;
    for (size_t i = 0; i < q->n; i++)
      if (q->c[i].occur != QX_OCC_NOT) d = QX_MIN(d, ms[i].doc);
    if (d == QX_DOC_END) break;
    int ok = 1;
    for (size_t i = 0; !rc && ok && i < q->n; i++) {
      if (q->c[i].occur == QX_OCC_SHOULD) continue;
      if (ms[i].doc < d) rc = m_advance(&ms[i], d);
      if (q->c[i].occur == QX_OCC_MUST && ms[i].doc != d) ok = 0;
      if (q->c[i].occur == QX_OCC_NOT && ms[i].doc == d) ok = 0;
    }
    if (!rc && ok) {
      uint8_t norm = qx_index_norm(ix, d);
      double s = 0;
      for (size_t i = 0; i < q->n; i++)
        if (q->c[i].occur != QX_OCC_NOT && ms[i].doc == d) s += m_score(&ms[i], K, norm);
      if (!o->per_doc) heap_push(r->hits, &n, k, d, 0, s);
      else {
        qx_passage_info pi = {0};
        rc = qx_index_passage(&pi, ix, d);
        if (!rc && pi.doc != cur_doc) {
          if (cur_doc != QX_DOC_END) heap_push(r->hits, &n, k, best_pid, cur_doc, best);
          cur_doc = pi.doc;
          best = -1;
        }
        if (!rc && s > best) {
          best = s;
          best_pid = d;
        }
      }
    }
    for (size_t i = 0; !rc && i < q->n; i++)
      if (q->c[i].occur != QX_OCC_NOT && ms[i].doc == d) rc = m_advance(&ms[i], d + 1);
  }
  if (!rc && o->per_doc && cur_doc != QX_DOC_END) heap_push(r->hits, &n, k, best_pid, cur_doc, best);
  for (size_t i = 0; i < nm; i++) m_free(&ms[i]);
  free(ms);
  if (rc) return rc;
  qsort(r->hits, n, sizeof *r->hits, cmp_hits);
  r->n = n;
  return 0;
}

/* ---- constraints for other retrieval legs --------------------------------- */

/* For passages pids[0..n) (ascending), keep[i] = 1 when passage pids[i]
 * satisfies the query's +required and -excluded clauses (terms, phrases,
 * prefixes), so vector and hybrid results obey the same operators. */
int qx_query_constraints(uint8_t *keep, quarry_index *ix, const qx_query *q, const uint32_t *pids, size_t n) {
  for (size_t i = 0; i < n; i++) keep[i] = 1;
  int rc = 0;
  for (size_t c = 0; !rc && c < q->n; c++) {
    const qx_qclause *cl = &q->c[c];
    if (cl->occur == QX_OCC_SHOULD) continue;
    matcher m;
    rc = m_open(&m, ix, cl);
    for (size_t i = 0; !rc && i < n; i++) {
      if (m.doc < pids[i] && m.doc != QX_DOC_END) rc = m_advance(&m, pids[i]);
      if (rc) break;
      int has = m.doc == pids[i];
      if ((cl->occur == QX_OCC_MUST && !has) || (cl->occur == QX_OCC_NOT && has)) keep[i] = 0;
    }
    m_free(&m);
  }
  return rc;
}
