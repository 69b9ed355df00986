/*
 * bmw.c: block-max WAND (Ding & Suel, "Faster top-k document retrieval
 * using block-max indexes", SIGIR 2011; control flow as PISA's
 * block_max_wand_query).
 *
 * WAND (Broder et al., CIKM 2003) keeps the term lists sorted by current
 * passage; the pivot is the first list where the sum of the lists' global
 * bounds exceeds the top-k threshold: no passage before the pivot passage
 * can enter the heap. Block-max WAND then refines the test with the bounds
 * of the blocks holding the pivot passage (the (tf, norm) corners of the
 * block's skip entry, turned into a BM25 bound for this query's k1 and b):
 * when even those cannot beat the threshold, it jumps past the end of the
 * nearest block instead of scoring. The block pointers are "shallow": kept
 * apart from the cursors, they read skip entries and decode nothing.
 *
 * Applies to disjunctions of plain terms (excluded clauses are checked on
 * the survivors); qx_daat_choose sends anything else to MaxScore.
 */
#include "qx_daat.h"

typedef struct bl {
  qx_matcher *m;
  double ub;       /* global bound */
  double weight;   /* clause weight x idf: block bound factor */
  uint32_t bb;     /* block of the block-max pointer */
  uint32_t blast;  /* its last passage */
  double bub;      /* its bound */
} bl;

/* Move l's block-max pointer to the block that may hold target. */
static void shallow(const qx_daat *e, bl *l, uint32_t target) {
  const qx_pcursor *c = &l->m->cur[0];
  if (l->bb != UINT32_MAX && l->blast >= target) return;
  uint32_t b = l->bb == UINT32_MAX ? c->block : l->bb, last = 0, mt = 0, mdl = 0;
  for (; b < c->nblocks; b++) {
    qx_pcursor_block_info(c, b, &last, &mt, &mdl);
    if (last >= target) break;
  }
  if (b >= c->nblocks) { /* past the end: nothing left to bound */
    l->bb = c->nblocks;
    l->blast = QX_DOC_END;
    l->bub = 0;
    return;
  }
  qx_block_bound bb;
  qx_pcursor_block_bound(c, b, &bb);
  l->bb = b;
  l->blast = last;
  l->bub = qx_block_ub(e->K, l->weight, &bb);
}

/* Keep lists sorted by current passage after list i moved forward. */
static void bubble(bl *L, size_t n, size_t i) {
  while (i + 1 < n && L[i + 1].m->doc < L[i].m->doc) {
    bl t = L[i];
    L[i] = L[i + 1];
    L[i + 1] = t;
    i++;
  }
}

/* One plain term and no excluded clause: the block-max loop without WAND's
 * bookkeeping (as Tantivy's block_wand_single_scorer). A block whose bound
 * cannot beat the threshold is skipped without being decoded; in a block that
 * may, only postings whose tf could beat it at the block's shortest length
 * are scored (on a frequent word, a few of the 128), and only passages above
 * the threshold are offered. Same scores as qx_daat_score (qx_m_score's
 * formula; (0 + s) x weight), and the same
 * rule as the collector: a passage scoring <= a full heap's minimum comes
 * after it and loses the tie. Runs per segment like the other evaluators
 * (local ids, deleted passages skipped, offered with the segment's base). */
static int single_term(qx_daat *e, qx_matcher *m) {
  qx_pcursor *c = &m->cur[0];
  double w = m->cl->weight, bw = m->idf[0] * w, th = qx_topk_threshold(&e->top);
  uint32_t prev_last = 0, last = 0, mt = 0, mdl = 0;
  int rc = 0;
  for (uint32_t b = c->block; !rc && b < c->nblocks; b++, prev_last = last) {
    qx_block_bound bb;
    qx_pcursor_block_info(c, b, &last, &mt, &mdl);
    qx_pcursor_block_bound(c, b, &bb);
    if (qx_below(qx_block_ub(e->K, bw, &bb), th)) continue;
    if ((rc = qx_pcursor_advance(c, b ? prev_last + 1 : 0))) break;
    if (c->doc == QX_DOC_END || c->block != b) return qx_err(QUARRY_ECORRUPT, "%s: term %u: skip table inconsistent",
                                                             e->ix->dir, c->term);
    /* A posting whose tf cannot beat th even at the shortest length its
     * corners allow is not scored: only the others are (the kernel's formula) */
    qx_tfcut cut;
    qx_tfcut_make(&cut, e->K, bw, &bb, 0, th);
    for (uint32_t i = c->i; !rc && i < c->n; i++) {
      if (qx_tfcut_skip(&cut, c->tfs[i])) continue;
      double tf = c->tfs[i], s = (0 + m->idf[0] * tf / (tf + e->K[m->normtab[c->docs[i]]])) * w; /* = qx_m_score */
      if (s <= th || !qx_daat_live(e, c->docs[i])) continue;
      rc = qx_daat_offer(e, c->docs[i], s);
      th = qx_topk_threshold(&e->top);
    }
  }
  m->doc = QX_DOC_END;
  return rc;
}

int qx_eval_bmw(qx_daat *e) {
  if (!e->top.k) return 0;
  bl L[QX_BMW_LISTS];
  qx_matcher *ms[QX_BMW_LISTS];
  int got = qx_daat_term_lists(ms, e, "block-max WAND");
  if (got < 0) return got;
  size_t n = (size_t)got;
  for (size_t i = 0; i < n; i++)
    L[i] = (bl){.m = ms[i], .ub = ms[i]->ub, .weight = ms[i]->idf[0] * ms[i]->cl->weight, .bb = UINT32_MAX};
  if (n == 1 && e->nnot == 0) return single_term(e, L[0].m);
  for (size_t i = n; i-- > 0;) bubble(L, n, i);
  int rc = 0;
  while (!rc) {
    double th = qx_topk_threshold(&e->top), acc = 0;
    size_t p = n;
    for (size_t i = 0; i < n && L[i].m->doc != QX_DOC_END; i++) {
      acc += L[i].ub;
      if (!qx_below(acc, th)) {
        p = i;
        break;
      }
    }
    if (p == n) break;
    uint32_t pd = L[p].m->doc;
    while (p + 1 < n && L[p + 1].m->doc == pd) p++;
    double bsum = 0;
    for (size_t i = 0; i <= p; i++) {
      shallow(e, &L[i], pd);
      bsum += L[i].bub;
    }
    if (!qx_below(bsum, th)) {
      if (L[0].m->doc == pd) { /* lists 0..p all sit on pd: score it */
        int excluded;
        rc = qx_daat_excluded(e, pd, &excluded);
        if (!rc && !excluded && qx_daat_live(e, pd)) rc = qx_daat_offer(e, pd, qx_daat_score(e, pd));
        for (size_t i = p + 1; !rc && i-- > 0;) {
          rc = qx_m_advance(L[i].m, pd + 1);
          bubble(L, n, i);
        }
      } else { /* move a list that lags behind the pivot up to it */
        size_t j = p;
        while (L[j].m->doc == pd) j--;
        rc = qx_m_advance(L[j].m, pd);
        bubble(L, n, j);
      }
    } else { /* the blocks cannot beat th: jump past the nearest block end */
      size_t j = p;
      uint32_t next = QX_DOC_END;
      for (size_t i = 0; i <= p; i++) {
        if (L[i].ub > L[j].ub) j = i;
        if (L[i].blast != QX_DOC_END) next = QX_MIN(next, L[i].blast + 1);
      }
      if (p + 1 < n) next = QX_MIN(next, L[p + 1].m->doc);
      if (next <= pd) next = pd + 1;
      rc = qx_m_advance(L[j].m, next);
      bubble(L, n, j);
    }
  }
  return rc;
}
