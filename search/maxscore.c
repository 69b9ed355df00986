/*
 * maxscore.c: MaxScore dynamic pruning (Turtle & Flood, "Query evaluation:
 * strategies and optimizations", IP&M 1995; in the document-at-a-time form
 * of PISA's maxscore_query).
 *
 * The positive optional clauses are sorted by their score upper bound
 * (qx_daat_bounds). The longest prefix of that order whose bounds sum to at
 * most the current top-k threshold is "non-essential": a passage matching
 * only those clauses cannot enter the heap. Candidates are therefore the
 * passages of the essential clauses only; the non-essential ones are
 * advanced lazily, highest bound first, and a candidate is dropped as soon
 * as its partial score plus the remaining bounds cannot beat the threshold.
 *
 * With required (+) clauses, the candidates are the passages of all of them
 * (a leapfrog intersection) and every optional clause is non-essential.
 * Excluded (-) clauses are checked only for candidates that survive. Works
 * for every clause kind (terms, phrases, prefixes) and with per_doc.
 */
#include "qx_daat.h"

typedef struct ms_state {
  qx_daat *e;
  uint32_t *ord; /* optional clauses by ascending bound */
  double *pre;   /* pre[j] = sum of the bounds of ord[0..j) */
  uint32_t *must;
  size_t ns, nmust;
} ms_state;

/* Insertion sort by (bound, clause index): queries have few clauses, and
 * qsort would need a global context (queries may run on several threads). */
static void sort_by_ub(uint32_t *ord, size_t n, const qx_matcher *ms) {
  for (size_t i = 1; i < n; i++) {
    uint32_t x = ord[i];
    size_t j = i;
    while (j > 0 && (ms[ord[j - 1]].ub > ms[x].ub || (ms[ord[j - 1]].ub == ms[x].ub && ord[j - 1] > x))) {
      ord[j] = ord[j - 1];
      j--;
    }
    ord[j] = x;
  }
}

/* Score the non-essential clauses ord[ne-1..0] into *s, highest bound first;
 * *ok = 0 as soon as the passage can no longer beat th. */
static int add_optional(ms_state *st, size_t ne, uint32_t d, uint8_t norm, double th, double *s, int *ok) {
  qx_daat *e = st->e;
  *ok = 1;
  for (size_t j = ne; j-- > 0;) {
    if (qx_below(*s + st->pre[j + 1], th)) {
      *ok = 0;
      return 0;
    }
    qx_matcher *m = &e->ms[st->ord[j]];
    if (m->doc < d) {
      int rc = qx_m_advance(m, d);
      if (rc) return rc;
    }
    if (m->doc == d) *s += qx_m_score(m, e->K, norm);
  }
  return 0;
}

static int offer(qx_daat *e, uint32_t d) {
  int excluded, rc = qx_daat_excluded(e, d, &excluded);
  if (rc || excluded) return rc;
  return qx_daat_offer(e, d, qx_daat_score(e, d));
}

static int run_disjunctive(ms_state *st) {
  qx_daat *e = st->e;
  size_t ne = 0;
  int rc = 0;
  while (!rc) {
    double th = qx_topk_threshold(&e->top);
    while (ne < st->ns && qx_below(st->pre[ne + 1], th)) ne++;
    if (ne == st->ns) break;
    uint32_t d = QX_DOC_END;
    for (size_t j = ne; j < st->ns; j++) d = QX_MIN(d, e->ms[st->ord[j]].doc);
    if (d == QX_DOC_END) break;
    /* bound first (adds only), then the essential scores */
    double bound = st->pre[ne];
    for (size_t j = ne; j < st->ns; j++)
      if (e->ms[st->ord[j]].doc == d) bound += e->ms[st->ord[j]].ub;
    if (!qx_below(bound, th) && qx_daat_live(e, d)) {
      uint8_t norm = qx_seg_norm(e->sg, d);
      double s = 0;
      for (size_t j = ne; j < st->ns; j++) {
        qx_matcher *m = &e->ms[st->ord[j]];
        if (m->doc == d) s += qx_m_score(m, e->K, norm);
      }
      int ok;
      rc = add_optional(st, ne, d, norm, th, &s, &ok);
      if (!rc && ok) rc = offer(e, d);
    }
    for (size_t j = ne; !rc && j < st->ns; j++) {
      qx_matcher *m = &e->ms[st->ord[j]];
      if (m->doc == d) rc = qx_m_advance(m, d + 1);
    }
  }
  return rc;
}

static int run_conjunctive(ms_state *st) {
  qx_daat *e = st->e;
  double must_ub = 0;
  for (size_t i = 0; i < st->nmust; i++) must_ub += e->ms[st->must[i]].ub;
  uint32_t d = 0;
  int rc = 0;
  while (!rc) {
    /* leapfrog: smallest passage >= d in every required clause */
    int agree = 0;
    while (!rc && !agree && d != QX_DOC_END) {
      agree = 1;
      for (size_t i = 0; !rc && i < st->nmust; i++) {
        qx_matcher *m = &e->ms[st->must[i]];
        if (m->doc < d) rc = qx_m_advance(m, d);
        if (!rc && m->doc > d) {
          d = m->doc;
          agree = 0;
        }
      }
    }
    if (rc || d == QX_DOC_END) break;
    double th = qx_topk_threshold(&e->top);
    if (qx_below(must_ub + st->pre[st->ns], th)) break;
    if (qx_daat_live(e, d)) {
      uint8_t norm = qx_seg_norm(e->sg, d);
      double s = 0;
      for (size_t i = 0; i < st->nmust; i++) s += qx_m_score(&e->ms[st->must[i]], e->K, norm);
      int ok;
      rc = add_optional(st, st->ns, d, norm, th, &s, &ok);
      if (!rc && ok) rc = offer(e, d);
    }
    d = d + 1 == QX_DOC_END ? QX_DOC_END : d + 1;
  }
  return rc;
}

int qx_eval_maxscore(qx_daat *e) {
  if (!e->top.k) return 0;
  size_t n = e->q->n;
  ms_state st = {.e = e};
  st.ord = qx_scratch_alloc(e->sc, (n + 1) * sizeof *st.ord);
  st.must = qx_scratch_alloc(e->sc, (n + 1) * sizeof *st.must);
  st.pre = qx_scratch_alloc(e->sc, (n + 1) * sizeof *st.pre);
  int rc = 0;
  if (!st.ord || !st.must || !st.pre) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    if (e->q->c[i].occur == QX_OCC_SHOULD) st.ord[st.ns++] = (uint32_t)i;
    else if (e->q->c[i].occur == QX_OCC_MUST) st.must[st.nmust++] = (uint32_t)i;
  }
  if (!rc) {
    sort_by_ub(st.ord, st.ns, e->ms);
    st.pre[0] = 0;
    for (size_t j = 0; j < st.ns; j++) st.pre[j + 1] = st.pre[j] + e->ms[st.ord[j]].ub;
    rc = st.nmust ? run_conjunctive(&st) : run_disjunctive(&st);
  }
  return rc;
}
