/*
 * bmm.c: block-max MaxScore over windows of passage ids, for disjunctions
 * of plain terms (MaxScore: Turtle & Flood, IP&M 1995; block-max bounds:
 * Ding & Suel, SIGIR 2011; the windowed form is Lucene's
 * MaxScoreBulkScorer, with the essential / non-essential split of
 * Mallia et al., "An experimental study of index compression and DAAT
 * query processing methods", ECIR 2019).
 *
 * BMW (bmw.c) pays per posting: pivot selection, block bounds and
 * re-sorting the lists at every step. Here the id space is cut into
 * windows that lie inside one skip block of every list (at most
 * BMM_WINDOW ids). Per window:
 *  - each list's bound is the block-max bound of its block there (skip
 *    entry only, nothing decoded); lists sorted by that bound, the longest
 *    prefix whose bounds sum below the threshold is non-essential; when
 *    every list is, the window is skipped undecoded;
 *  - with one essential list (the common case: the frequent words of a
 *    query are non-essential once the threshold has grown) its postings
 *    are the candidates, in id order; those whose tf cannot beat the
 *    threshold even at the block's shortest length plus the non-essential
 *    bounds are not scored at all;
 *  - with several, the essential lists are decoded, scored whole by the
 *    block kernel and their scores added into a window accumulator (a
 *    bitmap of touched ids keeps them in id order);
 *  - a candidate whose essential sum plus the non-essential bounds may
 *    beat the threshold advances the non-essential lists to it, highest
 *    bound first, dropping it as soon as it cannot;
 *  - a survivor is scored exactly: each list's score summed in clause
 *    order as qx_daat_score does (the accumulator, summed in another order,
 *    only filters), so the top k is bit-identical to the exhaustive one.
 * Excluded clauses are checked on survivors; deleted passages are skipped.
 */
#include "qx_daat.h"

#define BMM_WINDOW 4096 /* ids per window at most (a multiple of 64) */
#define BMM_CUT_MIN 24  /* fewer postings of the one essential list in a window: no tf cut */

typedef struct bmm_list {
  qx_matcher *m;
  qx_pcursor *c;
  double w;       /* clause weight */
  double bw;      /* idf x weight: block bound factor */
  uint32_t sb;    /* shallow block: first block whose last id >= window start */
  uint32_t slast; /* its last id */
  double wub;     /* bound in the current window (0: no posting there) */
  uint32_t bb;    /* block whose bound is in bub (UINT32_MAX: none yet) */
  double bub;     /* block bb's bound: a block spans many windows of the other lists */
  uint32_t from;  /* essential: index of its first posting in the window */
  uint32_t to;    /* ... one past its last */
  uint32_t scan;  /* exact scoring: moving index in [from, to) */
  int ess;  /* in the current window: 0 no posting, 1 essential (scores in m->bsc), 2 non-essential,
             * 3 the one essential list (score at the candidate in sc) */
  double sc; /* non-essential: score at the current candidate (0: absent) */
} bmm_list;

/* Move l's shallow pointer to the first block whose last id >= t. */
static void shallow(bmm_list *l, uint32_t t) {
  const qx_pcursor *c = l->c;
  if (l->sb < c->nblocks && l->slast >= t) return;
  uint32_t b = l->sb == UINT32_MAX ? c->block : QX_MAX(l->sb, c->block), last = 0, mt, mdl;
  for (; b < c->nblocks; b++) {
    qx_pcursor_block_info(c, b, &last, &mt, &mdl);
    if (last >= t) break;
  }
  l->sb = b;
  l->slast = b < c->nblocks ? last : QX_DOC_END;
}

static double block_bound(const qx_daat *e, bmm_list *l) {
  if (l->bb != l->sb) {
    qx_block_bound bb;
    qx_pcursor_block_bound(l->c, l->sb, &bb);
    l->bub = qx_block_ub(e->K, l->bw, &bb);
    l->bb = l->sb;
  }
  return l->bub;
}

/* Block kernel scores of the cursor's decoded block (cached per block). */
static void block_scores(const qx_daat *e, bmm_list *l) {
  qx_matcher *m = l->m;
  qx_pcursor *c = l->c;
  if (m->bsc_block == c->decoded) return;
  for (uint32_t i = 0; i < c->n; i++) m->bnorm[i] = m->normtab[c->docs[i]];
  qx_bm25_block(m->bsc, c->tfs, m->bnorm, c->n, e->K, m->idf[0]);
  m->bsc_block = c->decoded;
}

/* Essential list l in window [wmin, wmax]: move it to the window, score its
 * decoded block with the kernel (if asked), note its postings there: [from, to). */
static int essential(const qx_daat *e, bmm_list *l, uint32_t wmin, uint32_t wmax, int kernel) {
  qx_pcursor *c = l->c;
  l->ess = 1;
  l->from = l->to = l->scan = 0;
  int rc = qx_pcursor_advance(c, wmin);
  if (rc || c->doc == QX_DOC_END || c->doc > wmax) return rc;
  if (kernel) block_scores(e, l);
  uint32_t i = c->i;
  l->from = i;
  if (c->docs[c->n - 1] <= wmax) /* the window holds the rest of the block */
    i = c->n;
  else
    while (c->docs[i] <= wmax) i++;
  l->to = i;
  l->scan = l->from;
  if (i < c->n) { /* stays on its first posting past the window */
    c->i = i;
    c->doc = c->docs[i];
  } else { /* block done: the next advance moves on */
    c->i = c->n - 1;
    c->doc = c->docs[c->n - 1];
  }
  return 0;
}

/* One window's partition: lists ord[0..ne) non-essential (bounds summed in
 * pre[]), the rest essential; th, the collector's threshold, kept current. */
typedef struct bmm_window {
  bmm_list *L;
  const uint32_t *ord;
  const double *pre;
  size_t n, ne;
  double th;
} bmm_window;

/* Candidate d whose essential lists sum to part (which with the
 * non-essential bounds may beat th): advance the non-essential lists to d,
 * highest bound first, dropping d as soon as it cannot win; a survivor is
 * scored exactly (every list's score summed in clause order, as
 * qx_daat_score does) and offered. */
static int candidate(qx_daat *e, bmm_window *w, uint32_t d, double part) {
  if (!qx_daat_live(e, d)) return 0;
  uint8_t norm = qx_seg_norm(e->sg, d);
  for (size_t j = w->ne; j-- > 0;) { /* non-essential, highest bound first */
    if (qx_below(part + w->pre[j + 1], w->th)) return 0;
    bmm_list *l = &w->L[w->ord[j]];
    qx_pcursor *c = l->c;
    if (c->decoded == c->block && c->doc != QX_DOC_END && c->docs[c->n - 1] >= d) { /* in the decoded block */
      uint32_t i = c->i;
      while (c->docs[i] < d) i++;
      c->i = i;
      c->doc = c->docs[i];
    } else {
      int rc = qx_pcursor_advance(c, d);
      if (rc) return rc;
    }
    l->sc = 0;
    if (c->doc == d) {
      double tf = qx_pcursor_freq(c);
      l->sc = (0 + l->m->idf[0] * tf / (tf + e->K[norm])) * l->w; /* = qx_m_score */
      part += l->sc;
    }
  }
  double sum = 0;
  for (size_t i = 0; i < w->n; i++) {
    bmm_list *l = &w->L[i];
    if (l->ess == 1) {
      const qx_pcursor *c = l->c;
      while (l->scan < l->to && c->docs[l->scan] < d) l->scan++; /* ids grow */
      if (l->scan < l->to && c->docs[l->scan] == d) sum += l->m->bsc[l->scan] * l->w;
    } else if (l->ess >= 2) {
      sum += l->sc; /* 0 when the list has no posting on d: adding +0.0 changes no sum */
    }
  }
  if (!(sum > w->th)) return 0;
  int excluded, rc = qx_daat_excluded(e, d, &excluded);
  if (!rc && !excluded) rc = qx_daat_offer(e, d, sum);
  w->th = qx_topk_threshold(&e->top);
  return rc;
}

int qx_eval_bmm(qx_daat *e) {
  if (!e->top.k) return 0;
  bmm_list L[QX_BMW_LISTS];
  uint32_t ord[QX_BMW_LISTS];
  double pre[QX_BMW_LISTS + 1];
  qx_matcher *ms[QX_BMW_LISTS];
  int got = qx_daat_term_lists(ms, e, "block-max MaxScore");
  if (got <= 0) return got;
  size_t n = (size_t)got;
  for (size_t i = 0; i < n; i++)
    L[i] = (bmm_list){.m = ms[i], .c = &ms[i]->cur[0], .w = ms[i]->cl->weight,
                      .bw = ms[i]->idf[0] * ms[i]->cl->weight, .sb = UINT32_MAX, .bb = UINT32_MAX};
  double *acc = qx_scratch_alloc(e->sc, BMM_WINDOW * sizeof *acc);
  uint64_t *bits = qx_scratch_alloc(e->sc, BMM_WINDOW / 64 * sizeof *bits);
  if (!acc || !bits) return qx_err(QUARRY_ENOMEM, "out of memory");
  memset(bits, 0, BMM_WINDOW / 64 * sizeof *bits);
  memset(acc, 0, BMM_WINDOW * sizeof *acc);
  uint32_t wmin = QX_DOC_END;
  for (size_t i = 0; i < n; i++) wmin = QX_MIN(wmin, L[i].c->doc);
  int rc = 0;
  while (!rc && wmin != QX_DOC_END) {
    double th = qx_topk_threshold(&e->top);
    /* the window: inside the shallow block of every list */
    uint64_t wmax = (uint64_t)wmin + BMM_WINDOW - 1;
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
      shallow(&L[i], wmin);
      if (L[i].sb < L[i].c->nblocks) wmax = QX_MIN(wmax, (uint64_t)L[i].slast);
    }
    if (wmax >= QX_DOC_END) wmax = QX_DOC_END - 1;
    for (size_t i = 0; i < n; i++) {
      bmm_list *l = &L[i];
      l->ess = 0;
      /* no posting in the window: past the end, or the cursor (current on
       * its block) already beyond it */
      int none = l->sb >= l->c->nblocks || l->c->doc == QX_DOC_END ||
                 (l->c->doc > wmax && l->c->decoded == l->c->block && l->c->block >= l->sb);
      l->wub = none ? 0 : block_bound(e, l);
      if (!none) { /* insertion sort of the lists with postings, by bound */
        size_t j = na++;
        while (j > 0 && L[ord[j - 1]].wub > l->wub) {
          ord[j] = ord[j - 1];
          j--;
        }
        ord[j] = (uint32_t)i;
      }
    }
    pre[0] = 0;
    for (size_t j = 0; j < na; j++) pre[j + 1] = pre[j] + L[ord[j]].wub;
    size_t ne = 0;
    while (ne < na && qx_below(pre[ne + 1], th)) ne++;
    for (size_t j = 0; j < ne; j++) L[ord[j]].ess = 2;
    if (ne < na) { /* else nothing here can beat th: the window is skipped, undecoded */
      /* essential lists: decode, score whole blocks (cached per block) */
      for (size_t j = ne; !rc && j < na; j++) rc = essential(e, &L[ord[j]], wmin, (uint32_t)wmax, na - ne > 1);
      bmm_window w = {.L = L, .ord = ord, .pre = pre, .n = n, .ne = ne, .th = th};
      if (!rc && na - ne == 1) { /* one essential list: its postings are the candidates, in id order */
        bmm_list *l = &L[ord[ne]];
        const qx_pcursor *c = l->c;
        l->ess = 3; /* its score at the candidate is l->sc */
        /* a tf that cannot beat th even at the shortest length the block's
         * corners allow, with the non-essential bounds: not scored. Working
         * that out costs a few scores' worth: not for a handful of postings
         * (the window of a rarer word between a frequent word's blocks) */
        qx_tfcut cut = {0};
        if (l->to - l->from > BMM_CUT_MIN) {
          qx_block_bound bb;
          qx_pcursor_block_bound(c, c->block, &bb);
          qx_tfcut_make(&cut, e->K, l->bw, &bb, pre[ne], w.th);
        }
        for (uint32_t i = l->from; !rc && i < l->to; i++) {
          if (qx_tfcut_skip(&cut, c->tfs[i])) continue;
          double tf = c->tfs[i], part = (0 + l->m->idf[0] * tf / (tf + e->K[l->m->normtab[c->docs[i]]])) * l->w;
          l->sc = part; /* = qx_m_score */
          if (!qx_below(part + pre[ne], w.th)) rc = candidate(e, &w, c->docs[i], part);
        }
      } else if (!rc) { /* several: summed into the window accumulator, candidates from its bitmap */
        for (size_t j = ne; j < na; j++) {
          const bmm_list *l = &L[ord[j]];
          const double *bsc = l->m->bsc;
          const uint32_t *docs = l->c->docs;
          for (uint32_t i = l->from; i < l->to; i++) { /* acc is all zeros outside a window's work */
            uint32_t s = docs[i] - wmin;
            bits[s >> 6] |= 1ull << (s & 63);
            acc[s] += bsc[i] * l->w;
          }
        }
        uint32_t nwords = (uint32_t)((wmax - wmin) >> 6) + 1;
        for (uint32_t wd = 0; wd < nwords; wd++) {
          uint64_t word = bits[wd];
          bits[wd] = 0;
          while (word) {
            uint32_t s = (uint32_t)(wd * 64 + (uint32_t)__builtin_ctzll(word));
            word &= word - 1;
            double part = acc[s];
            acc[s] = 0;
            if (!rc && !qx_below(part + pre[ne], w.th)) rc = candidate(e, &w, wmin + s, part);
          }
        }
      }
    }
    /* the next window starts at the first id past this one that a list may
     * hold (a cursor beyond the window has nothing before its posting) */
    uint64_t next = QX_DOC_END;
    for (size_t i = 0; i < n; i++) {
      const qx_pcursor *c = L[i].c;
      if (c->doc == QX_DOC_END || L[i].sb >= c->nblocks) continue;
      next = QX_MIN(next, c->doc > wmax && c->decoded == c->block ? (uint64_t)c->doc : wmax + 1);
    }
    wmin = next >= QX_DOC_END ? QX_DOC_END : (uint32_t)next;
  }
  for (size_t i = 0; i < n; i++) L[i].m->doc = QX_DOC_END;
  return rc;
}
