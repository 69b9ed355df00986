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
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "qx_daat.h"

double qx_bm25_idf(uint64_t N, uint64_t df) {
  return log(1.0 + ((double)N - (double)df + 0.5) / ((double)df + 0.5));
}

void qx_bm25_norm_cache(double cache[256], double k1, double b, double avgdl) {
  if (avgdl <= 0) avgdl = 1;
  for (int i = 0; i < 256; i++) cache[i] = k1 * (1.0 - b + b * (double)qx_norm_decode((uint8_t)i) / avgdl);
}

/* ---- matchers ----------------------------------------------------------------- */

static uint32_t min_doc(const qx_matcher *m) {
  uint32_t d = QX_DOC_END;
  for (uint32_t i = 0; i < m->ncur; i++) d = QX_MIN(d, m->cur[i].doc);
  return d;
}

/* Count phrase occurrences in the passage all cursors sit on. */
static int phrase_count(qx_matcher *m, uint32_t *out) {
  *out = 0;
  uint32_t need = 0;
  for (uint32_t i = 0; i < m->ncur; i++) need = QX_MAX(need, qx_pcursor_freq(&m->cur[i]));
  if (need > m->pos_cap) {
    uint32_t cap = QX_MAX(need, 2 * m->pos_cap);
    for (int k = 0; k < 2; k++) {
      uint32_t *p = qx_scratch_alloc(m->sc, cap * sizeof *p);
      if (!p) return qx_err(QUARRY_ENOMEM, "out of memory");
      m->pos[k] = p;
    }
    m->pos_cap = cap;
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
int qx_m_advance(qx_matcher *m, uint32_t target) {
  int rc = 0;
  if (m->ncur == 1 && m->cl->kind != QX_Q_PHRASE) { /* the common case: one term */
    rc = qx_pcursor_advance(&m->cur[0], target);
    m->doc = m->cur[0].doc;
    return rc;
  }
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

double qx_m_score(qx_matcher *m, const double K[256], uint8_t norm) {
  double s = 0, k = K[norm];
  if (m->cl->kind == QX_Q_PHRASE) {
    double tf = m->phrase_freq;
    return m->phrase_idf * tf / (tf + k);
  }
  if (m->use_block && m->ncur == 1) { /* same value as the loop below (qx_daat.h) */
    const qx_pcursor *c = &m->cur[0];
    if (m->bsc_block != c->decoded) {
      for (uint32_t i = 0; i < c->n; i++) m->bnorm[i] = m->normtab[c->docs[i]];
      qx_bm25_block(m->bsc, c->tfs, m->bnorm, c->n, K, m->idf[0]);
      m->bsc_block = c->decoded;
    }
    s += m->bsc[c->i];
    return m->cl->kind == QX_Q_TERM ? s * m->cl->weight : s;
  }
  for (uint32_t i = 0; i < m->ncur; i++)
    if (m->cur[i].doc == m->doc) {
      double tf = qx_pcursor_freq(&m->cur[i]);
      s += m->idf[i] * tf / (tf + k);
    }
  return m->cl->kind == QX_Q_TERM ? s * m->cl->weight : s;
}

/* ---- resolving clauses against the whole index ------------------------------ */

typedef struct pterm {
  const char *form, *term; /* surface form, its analysed term (in a segment's tables) */
  uint32_t flen, tlen;
  uint64_t df;
} pterm;

static int cmp_mem(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, QX_MIN(al, bl));
  return c ? c : (al > bl) - (al < bl);
}
static int cmp_term_form(const void *a, const void *b) {
  const pterm *x = a, *y = b;
  int c = cmp_mem(x->term, x->tlen, y->term, y->tlen);
  return c ? c : cmp_mem(x->form, x->flen, y->form, y->flen);
}
static int cmp_form(const void *a, const void *b) {
  const pterm *x = a, *y = b;
  return cmp_mem(x->form, x->flen, y->form, y->flen);
}
static int cmp_df_desc(const void *a, const void *b) {
  const pterm *x = a, *y = b;
  if (x->df != y->df) return x->df > y->df ? -1 : 1;
  return cmp_mem(x->term, x->tlen, y->term, y->tlen);
}

/* A prefix expands to the analysed terms of the surface forms starting with
 * it, over every segment, in order of their first form; above
 * QX_PREFIX_MAX_TERMS terms, the highest global df win (ties: term order).
 * With one segment this is the order of its surface table. */
static int resolve_prefix(qx_rclause *out, quarry_index *ix, const char *prefix, qx_scratch *sc) {
  size_t plen = strlen(prefix), total = 0;
  uint64_t *lo = qx_scratch_alloc(sc, ix->nseg * sizeof *lo), *hi = qx_scratch_alloc(sc, ix->nseg * sizeof *hi);
  if (!lo || !hi) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = 0;
  for (uint32_t s = 0; !rc && s < ix->nseg; s++) {
    rc = qx_seg_surface_range(&lo[s], &hi[s], ix->seg[s], prefix, plen);
    if (!rc) total += (size_t)(hi[s] - lo[s]);
  }
  pterm *p = rc ? NULL : qx_scratch_alloc(sc, (total ? total : 1) * sizeof *p);
  if (!rc && !p) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  size_t n = 0;
  qx_lex_iter *it = NULL, *tit = NULL; /* forms in order; their terms */
  for (uint32_t s = 0; !rc && s < ix->nseg; s++) {
    const qx_seg *sg = ix->seg[s];
    if (hi[s] > lo[s]) { /* read the forms (or the terms, when they are the forms) in order */
      if (!it && !(it = qx_scratch_alloc(sc, sizeof *it))) return qx_err(QUARRY_ENOMEM, "out of memory");
      if (sg->surf_lexicon) qx_lex_iter_init(it, sg, lo[s]);
      else qx_surf_iter_init(it, sg, lo[s]);
      if (!sg->surf_lexicon && !tit && !(tit = qx_scratch_alloc(sc, sizeof *tit)))
        return qx_err(QUARRY_ENOMEM, "out of memory");
      if (!sg->surf_lexicon) qx_lex_iter_init(tit, sg, 0);
    }
    for (uint64_t i = lo[s]; !rc && i < hi[s]; i++) {
      uint32_t t;
      const char *f;
      char fbuf[QX_TERM_MAX];
      qx_term_info ti = {0};
      if (sg->surf_lexicon) {
        rc = qx_lex_iter_next(it, &ti);
        rc = rc == 1 ? 0 : rc ? rc : qx_err(QUARRY_ECORRUPT, "%s/lexicon: term %" PRIu64 " missing", sg->dir, i);
        f = ti.str, p[n].flen = ti.len;
      } else {
        rc = qx_surf_iter_next(it, &f, &p[n].flen, &t, fbuf);
        rc = rc == 1 ? 0 : rc ? rc : qx_err(QUARRY_ECORRUPT, "%s/surface: form %" PRIu64 " missing", sg->dir, i);
        if (!rc) rc = qx_lex_iter_get(tit, &ti, t);
      }
      /* both strings may be in buffers of this loop (lexicon 3): keep copies */
      char *fc = rc ? NULL : qx_scratch_alloc(sc, p[n].flen + ti.len + 1);
      if (!rc && !fc) rc = qx_err(QUARRY_ENOMEM, "out of memory");
      if (rc) break;
      memcpy(fc, f, p[n].flen);
      memcpy(fc + p[n].flen, ti.str, ti.len);
      p[n].form = fc;
      p[n].term = fc + p[n].flen, p[n].tlen = ti.len, n++;
    }
  }
  if (rc) return rc;
  /* one entry per term, carrying its smallest form, then in form order */
  if (n > 1) qsort(p, n, sizeof *p, cmp_term_form);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (u == 0 || cmp_mem(p[u - 1].term, p[u - 1].tlen, p[i].term, p[i].tlen)) p[u++] = p[i];
  if (u) qsort(p, u, sizeof *p, cmp_form);
  for (size_t i = 0; !rc && i < u; i++) rc = qx_index_df(&p[i].df, ix, p[i].term, p[i].tlen);
  if (rc) return rc;
  if (u > QX_PREFIX_MAX_TERMS) {
    qsort(p, u, sizeof *p, cmp_df_desc);
    u = QX_PREFIX_MAX_TERMS;
  }
  out->t = qx_scratch_alloc(sc, (u ? u : 1) * sizeof *out->t);
  if (!out->t) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < u; i++)
    out->t[i] = (qx_rterm){p[i].term, p[i].tlen, qx_bm25_idf(ix->npassages, p[i].df), NULL};
  out->n = (uint32_t)u;
  return 0;
}

int qx_resolve(qx_rclause **out, quarry_index *ix, const qx_query *q, qx_scratch *sc) {
  qx_rclause *r = qx_scratch_alloc(sc, (q->n ? q->n : 1) * sizeof *r);
  if (!r) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t c = 0; !rc && c < q->n; c++) {
    const qx_qclause *cl = &q->c[c];
    r[c] = (qx_rclause){0};
    if (cl->kind == QX_Q_PREFIX) {
      rc = resolve_prefix(&r[c], ix, cl->terms[0], sc);
      continue;
    }
    r[c].t = qx_scratch_alloc(sc, (cl->nterms ? cl->nterms : 1) * sizeof *r[c].t);
    if (!r[c].t) return qx_err(QUARRY_ENOMEM, "out of memory");
    uint32_t n = 0;
    for (uint32_t j = 0; !rc && j < cl->nterms; j++) {
      uint64_t df = 0;
      size_t len = strlen(cl->terms[j]);
      qx_term_info *seg = qx_scratch_alloc(sc, ix->nseg * sizeof *seg);
      if (!seg) return qx_err(QUARRY_ENOMEM, "out of memory");
      for (uint32_t s = 0; !rc && s < ix->nseg; s++) { /* one lookup per segment, kept for qx_m_open */
        int found = qx_seg_find_term(&seg[s], ix->seg[s], cl->terms[j], len);
        if (found < 0) rc = found;
        else if (!found) seg[s].df = 0;
        else df += seg[s].df;
      }
      if (!rc && !df) { /* TERM absent: no match; PHRASE with an absent term: no match */
        n = 0;
        break;
      }
      if (!rc) r[c].t[n++] = (qx_rterm){cl->terms[j], (uint32_t)len, qx_bm25_idf(ix->npassages, df), seg};
    }
    r[c].n = n;
  }
  *out = r;
  return rc;
}

/* Open a clause's cursors in one segment. A term the segment lacks is left
 * out (a phrase then cannot match in this segment). */
int qx_m_open(qx_matcher *m, const quarry_index *ix, uint32_t si, const qx_qclause *cl, const qx_rclause *r,
              qx_scratch *sc) {
  const qx_seg *sg = ix->seg[si];
  memset(m, 0, sizeof *m);
  m->cl = cl;
  m->doc = QX_DOC_END;
  m->bsc_block = UINT32_MAX;
  m->sc = sc;
  m->normtab = sg->norms.data + QX_HEADER_SIZE + 8;
  if (!r->n) return 0;
  m->cur = qx_scratch_alloc(sc, r->n * sizeof *m->cur);
  m->idf = qx_scratch_alloc(sc, r->n * sizeof *m->idf);
  if (!m->cur || !m->idf) return qx_err(QUARRY_ENOMEM, "out of memory");
  memset(m->cur, 0, r->n * sizeof *m->cur);
  uint32_t n = 0;
  int rc = 0;
  for (uint32_t j = 0; !rc && j < r->n; j++) {
    qx_term_info ti = {0};
    int found;
    if (r->t[j].seg) { /* looked up by qx_resolve */
      ti = r->t[j].seg[si];
      found = ti.df != 0;
    } else if ((found = qx_seg_find_term(&ti, sg, r->t[j].s, r->t[j].len)) < 0)
      return found;
    m->phrase_idf += r->t[j].idf;
    if (!found) {
      if (cl->kind == QX_Q_PHRASE) return 0;
      continue;
    }
    rc = qx_pcursor_open(&m->cur[n], sg, &ti);
    m->idf[n++] = r->t[j].idf;
  }
  m->ncur = n;
  if (!rc && n) rc = qx_m_advance(m, 0);
  return rc;
}

/* ---- top-k collector (min-heap on "worse") ---------------------------------- */

_Static_assert(sizeof(qx_topk_ent) <= sizeof(quarry_hit), "the heap lives in the hit array");

static inline int worse(const qx_topk_ent *a, const qx_topk_ent *b) {
  return a->score < b->score || (a->score == b->score && a->passage > b->passage);
}

static void heap_push(qx_topk *t, uint32_t pid, uint32_t doc, double score) {
  qx_topk_ent *h = t->e, x = {.score = score, .passage = pid, .doc = doc};
  if (t->n == t->k) {
    if (!worse(&h[0], &x)) return;
    size_t i = 0, n = t->n;
    for (;;) { /* sift x down from the root */
      size_t l = 2 * i + 1, r = l + 1, m = l;
      if (l >= n) break;
      if (r < n && worse(&h[r], &h[l])) m = r;
      if (!worse(&h[m], &x)) break;
      h[i] = h[m];
      i = m;
    }
    h[i] = x;
    return;
  }
  size_t i = t->n++;
  while (i > 0 && worse(&x, &h[(i - 1) / 2])) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = x;
}

static int cmp_ents(const void *a, const void *b) {
  const qx_topk_ent *x = a, *y = b;
  return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

void qx_topk_init(qx_topk *t, quarry_hit *h, size_t k, int per_doc, quarry_index *ix) {
  memset(t, 0, sizeof *t);
  t->h = h;
  t->e = (qx_topk_ent *)(void *)h; /* k entries fit: sizeof(qx_topk_ent) < sizeof(quarry_hit) */
  t->k = k;
  t->per_doc = per_doc;
  t->ix = ix;
  t->cur_doc = QX_DOC_END;
  t->best = -1;
}

int qx_topk_add(qx_topk *t, uint32_t d, double s) {
  if (!t->per_doc) {
    heap_push(t, d, 0, s);
    return 0;
  }
  qx_passage_info pi = {0};
  int rc = qx_index_passage(&pi, t->ix, d);
  if (rc) return rc;
  if (pi.doc != t->cur_doc) {
    if (t->cur_doc != QX_DOC_END) heap_push(t, t->best_pid, t->cur_doc, t->best);
    t->cur_doc = pi.doc;
    t->best = -1;
  }
  if (s > t->best) {
    t->best = s;
    t->best_pid = d;
  }
  return 0;
}

size_t qx_topk_finish(qx_topk *t) {
  if (t->per_doc && t->cur_doc != QX_DOC_END) heap_push(t, t->best_pid, t->cur_doc, t->best);
  t->cur_doc = QX_DOC_END;
  qsort(t->e, t->n, sizeof *t->e, cmp_ents);
  /* widen in place from the last entry: hit i starts at or after entry i's
   * end for i >= 1, so entries not yet read are never overwritten */
  for (size_t i = t->n; i-- > 0;) {
    qx_topk_ent x = t->e[i];
    t->h[i] = (quarry_hit){.passage = x.passage, .doc = x.doc, .score = x.score};
  }
  return t->n;
}

/* ---- upper bounds ------------------------------------------------------------ */

double qx_bm25_term_ub(double idf, uint32_t tf, uint32_t dl, double k1, double b, double avgdl) {
  if (avgdl <= 0) avgdl = 1;
  double k = k1 * (1.0 - b + b * (double)dl / avgdl), f = tf;
  return idf * f / (f + k);
}

static inline int tf_below(double bw, double k, double extra, double th, uint32_t t) {
  double f = t;
  return qx_below(bw * f / (f + k) + extra, th);
}

uint32_t qx_tf_cut(double bw, double k, double extra, double th, uint32_t lo, uint32_t hi) {
  if (hi <= lo) return lo;
  if (tf_below(bw, k, extra, th, hi)) return hi; /* the usual answer: no tf of the range can beat th */
  /* bw t / (t + k) + extra <= th  <=>  t <= (th - extra) k / (bw - th + extra): a guess,
   * kept only if the predicate itself confirms it (rounding), else searched */
  double x = th - extra, g = bw > x && x > 0 ? x * k / (bw - x) : 0;
  uint32_t t = g <= lo ? lo : g >= hi - 1 ? hi - 1 : (uint32_t)g;
  if ((t == lo || tf_below(bw, k, extra, th, t)) && !tf_below(bw, k, extra, th, t + 1)) return t;
  hi--;           /* hi does not qualify */
  while (lo < hi) { /* invariant: lo qualifies, every t > hi does not */
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (tf_below(bw, k, extra, th, mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

void qx_tfcut_make(qx_tfcut *out, const double K[256], double bw, const qx_block_bound *bb, double extra,
                   double th) {
  uint32_t lo = 0, n = 0;
  out->all = 0;
  for (int i = 0; i < QX_SKIP_CORNERS - 1; i++) out->lo[i] = out->hi[i] = 0;
  for (int j = 0; j < QX_SKIP_CORNERS; j++) {
    uint32_t hi = bb->tf[j];
    if (hi <= lo) continue; /* a repeated corner: no tf of its own */
    uint32_t cut = qx_tf_cut(bw, K[bb->norm[j]], extra, th, lo, hi);
    if (lo <= out->all) /* contiguous with the tfs skipped so far */
      out->all = QX_MAX(out->all, cut);
    else if (cut > lo) {
      out->lo[n] = lo;
      out->hi[n++] = cut;
    }
    lo = hi;
  }
}

/* A clause's bound from its terms' lexicon entries (max tf, min length):
 * TERM and PREFIX sum their terms' bounds; a PHRASE occurs at most
 * min(max tf) times in a passage at least max(min length) long. */
int qx_daat_bounds(qx_daat *e) {
  double avgdl = e->ix->avgdl;
  for (size_t i = 0; i < e->nm; i++) {
    qx_matcher *m = &e->ms[i];
    m->ub = 0;
    if (m->cl->occur == QX_OCC_NOT || !m->ncur) continue;
    uint32_t ptf = UINT32_MAX, pdl = 0;
    for (uint32_t j = 0; j < m->ncur; j++) { /* the cursor keeps its lexicon entry's bound inputs */
      const qx_pcursor *c = &m->cur[j];
      m->ub += qx_bm25_term_ub(m->idf[j], c->max_tf, c->min_dl, e->k1, e->b, avgdl);
      ptf = QX_MIN(ptf, c->max_tf);
      pdl = QX_MAX(pdl, c->min_dl);
    }
    if (m->cl->kind == QX_Q_PHRASE) m->ub = qx_bm25_term_ub(m->phrase_idf, ptf, pdl, e->k1, e->b, avgdl);
    if (m->cl->kind == QX_Q_TERM) m->ub *= m->cl->weight;
  }
  return 0;
}

int qx_daat_excluded(qx_daat *e, uint32_t d, int *excluded) {
  *excluded = 0;
  if (!e->nnot) return 0;
  for (size_t i = 0; i < e->q->n; i++) {
    if (e->q->c[i].occur != QX_OCC_NOT) continue;
    if (e->ms[i].doc < d) {
      int rc = qx_m_advance(&e->ms[i], d);
      if (rc) return rc;
    }
    if (e->ms[i].doc == d) {
      *excluded = 1;
      return 0;
    }
  }
  return 0;
}

int qx_daat_term_lists(qx_matcher **out, const qx_daat *e, const char *who) {
  int n = 0;
  for (size_t i = 0; i < e->nm; i++) {
    qx_matcher *m = &e->ms[i];
    if (m->cl->occur != QX_OCC_SHOULD || m->ncur == 0 || m->doc == QX_DOC_END) continue;
    if (m->cl->kind != QX_Q_TERM || m->ncur != 1 || n == QX_BMW_LISTS)
      return qx_err(QUARRY_EINVAL, "internal: %s on a query it does not apply to", who);
    out[n++] = m;
  }
  return n;
}

/* ---- exhaustive DAAT (the reference) ------------------------------------------- */

int qx_eval_exhaustive(qx_daat *e) {
  const qx_query *q = e->q;
  qx_matcher *ms = e->ms;
  int rc = 0;
  while (!rc && e->top.k) {
    uint32_t d = QX_DOC_END;
    for (size_t i = 0; i < q->n; i++)
      if (q->c[i].occur != QX_OCC_NOT) d = QX_MIN(d, ms[i].doc);
    if (d == QX_DOC_END) break;
    int ok = 1;
    for (size_t i = 0; !rc && ok && i < q->n; i++) {
      if (q->c[i].occur == QX_OCC_SHOULD) continue;
      if (ms[i].doc < d) rc = qx_m_advance(&ms[i], d);
      if (q->c[i].occur == QX_OCC_MUST && ms[i].doc != d) ok = 0;
      if (q->c[i].occur == QX_OCC_NOT && ms[i].doc == d) ok = 0;
    }
    if (!rc && ok && qx_daat_live(e, d)) rc = qx_daat_offer(e, d, qx_daat_score(e, d));
    for (size_t i = 0; !rc && i < q->n; i++)
      if (q->c[i].occur != QX_OCC_NOT && ms[i].doc == d) rc = qx_m_advance(&ms[i], d + 1);
  }
  return rc;
}

/* ---- choice of evaluator -------------------------------------------------------- */

static size_t npositive(const qx_query *q) {
  size_t n = 0;
  for (size_t i = 0; i < q->n; i++) n += q->c[i].occur != QX_OCC_NOT;
  return n;
}

int qx_daat_bmw_applies(const qx_query *q) {
  for (size_t i = 0; i < q->n; i++)
    if (q->c[i].occur != QX_OCC_NOT && (q->c[i].occur != QX_OCC_SHOULD || q->c[i].kind != QX_Q_TERM)) return 0;
  size_t n = npositive(q);
  return n > 0 && n <= QX_BMW_LISTS;
}

qx_algo qx_daat_choose(const qx_query *q, uint32_t k) {
  (void)k; /* BMW won at k = 10 and at k = 1000 alike (search/README.md) */
  if (npositive(q) == 0) return QX_ALGO_EXHAUSTIVE;
  if (!qx_daat_bmw_applies(q)) return QX_ALGO_MAXSCORE;
  return npositive(q) >= 2 ? QX_ALGO_BMM : QX_ALGO_BMW;
}

int qx_evaluate_scratch(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o,
                        qx_algo algo, qx_scratch *sc) {
  size_t k = o->k;
  qx_daat e = {.ix = ix, .q = q, .k1 = o->k1, .b = o->b, .sc = sc};
  e.ms = qx_scratch_alloc(sc, (q->n ? q->n : 1) * sizeof *e.ms);
  r->hits = qx_calloc(k ? k : 1, sizeof *r->hits); /* the caller's results: not scratch */
  if (!e.ms || !r->hits) return qx_err(QUARRY_ENOMEM, "out of memory");
  qx_topk_init(&e.top, r->hits, k, o->per_doc, ix);
  int rc = qx_resolve(&e.rcl, ix, q, sc);
  for (size_t i = 0; i < q->n; i++) e.nnot += q->c[i].occur == QX_OCC_NOT;
  qx_bm25_norm_cache(e.K, o->k1, o->b, ix->avgdl);
  qx_algo auto_algo = qx_daat_choose(q, o->k);
  if (algo == QX_ALGO_AUTO || ((algo == QX_ALGO_BMW || algo == QX_ALGO_BMM) && !qx_daat_bmw_applies(q)) ||
      (algo == QX_ALGO_MAXSCORE && auto_algo == QX_ALGO_EXHAUSTIVE))
    algo = auto_algo;
  /* Segment after segment into one collector: ids grow, so the threshold a
   * segment leaves is a valid start for the next one. */
  for (uint32_t s = 0; !rc && s < ix->nseg; s++) {
    e.sg = ix->seg[s];
    e.base = (uint32_t)ix->pbase[s];
    if (e.sg->del_passages == e.sg->npassages) continue; /* empty, or everything deleted */
    for (e.nm = 0; !rc && e.nm < q->n; e.nm++) rc = qx_m_open(&e.ms[e.nm], ix, s, &q->c[e.nm], &e.rcl[e.nm], sc);
    if (!rc && algo != QX_ALGO_EXHAUSTIVE) rc = qx_daat_bounds(&e);
    /* Block scoring pays where most postings of a list get scored: the
     * exhaustive loop and MaxScore's essential lists, not BMW's skips. */
    for (size_t i = 0; i < e.nm; i++) e.ms[i].use_block = algo != QX_ALGO_BMW;
    if (!rc) {
      if (algo == QX_ALGO_BMW) rc = qx_eval_bmw(&e);
      else if (algo == QX_ALGO_BMM) rc = qx_eval_bmm(&e);
      else if (algo == QX_ALGO_MAXSCORE) rc = qx_eval_maxscore(&e);
      else rc = qx_eval_exhaustive(&e);
    }
  }
  if (rc) return rc;
  r->n = qx_topk_finish(&e.top);
  return 0;
}

int qx_evaluate_algo(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o,
                     qx_algo algo) {
  qx_scratch sc = {0};
  int rc = qx_evaluate_scratch(r, ix, q, o, algo, &sc);
  qx_scratch_free(&sc);
  return rc;
}

int qx_evaluate(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o) {
  return qx_evaluate_algo(r, ix, q, o, QX_ALGO_AUTO);
}

/* ---- constraints for other retrieval legs --------------------------------- */

/* For passages pids[0..n) (ascending), keep[i] = 1 when passage pids[i]
 * satisfies the query's +required and -excluded clauses (terms, phrases,
 * prefixes), so vector and hybrid results obey the same operators. */
int qx_query_constraints(uint8_t *keep, quarry_index *ix, const qx_query *q, const uint32_t *pids, size_t n) {
  for (size_t i = 0; i < n; i++) keep[i] = 1;
  int any = 0;
  for (size_t c = 0; c < q->n; c++) any |= q->c[c].occur != QX_OCC_SHOULD;
  if (!any) return 0;
  qx_scratch sc = {0};
  qx_rclause *rcl = NULL;
  int rc = qx_resolve(&rcl, ix, q, &sc);
  size_t i0 = 0;
  for (uint32_t s = 0; !rc && s < ix->nseg && i0 < n; s++) { /* pids of segment s: [i0, i1) */
    size_t i1 = i0;
    while (i1 < n && pids[i1] < ix->pbase[s + 1]) i1++;
    uint32_t base = (uint32_t)ix->pbase[s];
    for (size_t c = 0; !rc && i1 > i0 && c < q->n; c++) {
      const qx_qclause *cl = &q->c[c];
      if (cl->occur == QX_OCC_SHOULD) continue;
      qx_matcher m;
      rc = qx_m_open(&m, ix, s, cl, &rcl[c], &sc);
      for (size_t i = i0; !rc && i < i1; i++) {
        uint32_t d = pids[i] - base;
        if (m.doc < d && m.doc != QX_DOC_END) rc = qx_m_advance(&m, d);
        if (rc) break;
        int has = m.doc == d;
        if ((cl->occur == QX_OCC_MUST && !has) || (cl->occur == QX_OCC_NOT && has)) keep[i] = 0;
      }
    }
    i0 = i1;
  }
  qx_scratch_free(&sc);
  return rc;
}
