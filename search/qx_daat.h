/*
 * qx_daat.h: private header of the BM25 evaluators of search/ (bm25.c,
 * maxscore.c, bmw.c): clause matchers over posting cursors, the top-k
 * collector and the per-clause score upper bounds used for pruning.
 *
 * Exactness contract: every evaluator scores a passage with qx_daat_score(),
 * which sums the clauses' scores in clause order exactly like the exhaustive
 * loop, and offers it to the same collector. Pruning only decides which
 * passages are scored; its bounds carry a small relative slack so that float
 * rounding in a bound can never hide a passage that would enter the top k.
 */
#ifndef QX_DAAT_H
#define QX_DAAT_H

#include "qx_postings.h"
#include "qx_search.h"

/* Per-query bump arena (search/scratch.c): reset after each query; grows
 * to the peak seen, so that evaluation stops allocating after warm-up. */
typedef struct qx_scratch {
  uint8_t *buf;
  size_t cap, used;
  size_t want;     /* peak need seen: the arena grows to it at reset */
  void **big;      /* overflow blocks of this query */
  size_t nbig, over;
  uint64_t mallocs; /* malloc calls made so far (tests: 0 more after warm-up) */
} qx_scratch;
void *qx_scratch_alloc(qx_scratch *s, size_t n); /* 16-aligned, not zeroed; NULL: out of memory */
void qx_scratch_reset(qx_scratch *s);
void qx_scratch_free(qx_scratch *s);

/* What quarry_search borrows from the index's pool for one query. */
typedef struct qx_searcher {
  qx_analyzer *an;
  qx_scratch sc;
  struct qx_searcher *next;
} qx_searcher;
int qx_searcher_get(qx_searcher **out, quarry_index *ix);
void qx_searcher_put(quarry_index *ix, qx_searcher *s);

typedef struct qx_matcher {
  const qx_qclause *cl;
  qx_pcursor *cur;
  double *idf;
  uint32_t ncur;
  uint32_t doc;
  double phrase_idf;
  uint32_t phrase_freq; /* PHRASE: occurrences in `doc` */
  uint32_t *pos[2];     /* PHRASE scratch */
  uint32_t pos_cap;
  qx_scratch *sc;       /* where cursors, idf and position buffers come from */
  double ub;            /* upper bound of the clause's score (qx_daat_bounds) */
  /* TERM with use_block: scores of the cursor's whole decoded block, computed
   * by the block kernel the first time one of its postings is scored */
  int use_block;
  uint32_t bsc_block;
  const uint8_t *normtab;
  uint8_t bnorm[QX_BLOCK];
  double bsc[QX_BLOCK];
} qx_matcher;

/* A clause resolved against the whole index (qx_resolve): the analysed
 * terms every segment looks up, in scoring order, with their GLOBAL idf
 * (df summed over the segments, N = every passage id), so that a passage's
 * score does not depend on how the index is cut into segments. n = 0: the
 * clause matches nothing anywhere (absent term, phrase with an absent term). */
typedef struct qx_rterm {
  const char *s;
  uint32_t len;
  double idf;
  /* the term's lexicon entry in each segment (df 0: absent there), found
   * while summing df so that opening a segment's cursor looks nothing up
   * again; NULL (prefix expansions): qx_m_open looks the term up itself */
  qx_term_info *seg;
} qx_rterm;
typedef struct qx_rclause {
  qx_rterm *t;
  uint32_t n;
} qx_rclause;
/* out[i] for each clause q->c[i], from the arena. */
int qx_resolve(qx_rclause **out, quarry_index *ix, const qx_query *q, qx_scratch *sc);

/* Open a clause's matcher on segment si of ix (local passage ids). */
int qx_m_open(qx_matcher *m, const quarry_index *ix, uint32_t si, const qx_qclause *cl, const qx_rclause *r,
              qx_scratch *sc);
/* Move m to its first match >= target. */
int qx_m_advance(qx_matcher *m, uint32_t target);
double qx_m_score(qx_matcher *m, const double K[256], uint8_t norm);

/* Top-k collector: a bounded heap ordered by (score desc, passage asc); with
 * per_doc, consecutive passages of one document collapse to the best one.
 * The heap holds 16-byte entries (a quarry_hit is 96 bytes: sifting those
 * was a visible share of top-1000 queries), kept in the memory of the
 * caller's hit array h[k] and widened into hits by qx_topk_finish. */
typedef struct qx_topk_ent {
  double score;
  uint32_t passage, doc;
} qx_topk_ent;
typedef struct qx_topk {
  quarry_hit *h;
  qx_topk_ent *e; /* the heap, in h's memory */
  size_t n, k;
  int per_doc;
  quarry_index *ix;
  uint32_t cur_doc, best_pid;
  double best;
} qx_topk;

void qx_topk_init(qx_topk *t, quarry_hit *h, size_t k, int per_doc, quarry_index *ix);
/* Offer global passage d with score s (passages must come in increasing order). */
int qx_topk_add(qx_topk *t, uint32_t d, double s);
/* Flush the last document (per_doc) and sort best first; returns the count. */
size_t qx_topk_finish(qx_topk *t);
/* A passage scoring <= this can never enter (every later passage loses ties). */
static inline double qx_topk_threshold(const qx_topk *t) { return t->n == t->k ? t->e[0].score : -1.0; }

/* One query's evaluation state shared by the evaluators. The evaluators
 * run once per segment (sg, local passage ids; base = its first global id)
 * into one collector, so the threshold reached in a segment prunes the next. */
typedef struct qx_daat {
  quarry_index *ix;
  const qx_seg *sg;
  uint32_t base;
  qx_rclause *rcl; /* resolved clauses, clause order */
  const qx_query *q;
  qx_matcher *ms; /* one per clause, clause order */
  size_t nm;
  size_t nnot; /* excluded clauses */
  qx_scratch *sc;
  double K[256];
  double k1, b;
  qx_topk top;
} qx_daat;

/* Exact score of passage d: clauses positioned on d, in clause order. */
static inline double qx_daat_score(const qx_daat *e, uint32_t d) {
  uint8_t norm = qx_seg_norm(e->sg, d);
  double s = 0;
  for (size_t i = 0; i < e->q->n; i++)
    if (e->q->c[i].occur != QX_OCC_NOT && e->ms[i].doc == d) s += qx_m_score(&e->ms[i], e->K, norm);
  return s;
}

/* Is local passage d live (not deleted)? Deleted passages are skipped
 * before scoring, so they never reach the collector. */
static inline int qx_daat_live(const qx_daat *e, uint32_t d) { return !qx_seg_deleted(e->sg, d); }
/* Offer local passage d of the current segment to the collector. */
static inline int qx_daat_offer(qx_daat *e, uint32_t d, double s) { return qx_topk_add(&e->top, e->base + d, s); }

/* Is an upper bound ub (sum of clause bounds) unable to beat threshold th?
 * The slack covers rounding differences between bound and exact sums. */
static inline int qx_below(double ub, double th) { return ub * (1.0 + 1e-9) + 1e-12 <= th; }

/* BM25 upper bound of one term with max tf `tf` and min decoded length dl. */
double qx_bm25_term_ub(double idf, uint32_t tf, uint32_t dl, double k1, double b, double avgdl);
/* Block-max bound of a term's block from its skip entry's corners (K: the
 * query's length factors by norm byte, bw: idf x clause weight): the best
 * corner's score. Every posting of the block is dominated by a corner (tf
 * at most the corner's, norm at least its), and the term score grows with
 * tf and falls with the norm for any k1 >= 0, 0 <= b <= 1, avgdl. */
static inline double qx_block_ub(const double K[256], double bw, const qx_block_bound *bb) {
  double u = 0;
  for (int i = 0; i < QX_SKIP_CORNERS; i++) {
    double f = bb->tf[i], s = bw * f / (f + K[bb->norm[i]]);
    u = s > u ? s : u;
  }
  return u;
}
/* Largest t in [lo, hi] with t == lo or qx_below(bw * t / (t + k) + extra, th):
 * the term score is monotone in t, so a binary search (a tf may be in the
 * millions for a word repeated through a long passage). */
uint32_t qx_tf_cut(double bw, double k, double extra, double th, uint32_t lo, uint32_t hi);
/* The tfs of a block whose postings cannot score above th even with
 * `extra` added (the other lists' bounds): a posting with tf t is dominated
 * by a corner with tf >= t, so its score is at most t's at the norm of the
 * first such corner j; tfs in (tf[j-1], cut_j] are skipped. `all`: every
 * tf <= all is; lo/hi: up to two more ranges (lo, hi] (empty: lo == hi). */
typedef struct qx_tfcut {
  uint32_t all;
  uint32_t lo[QX_SKIP_CORNERS - 1], hi[QX_SKIP_CORNERS - 1];
} qx_tfcut;
void qx_tfcut_make(qx_tfcut *out, const double K[256], double bw, const qx_block_bound *bb, double extra,
                   double th);
static inline int qx_tfcut_skip(const qx_tfcut *t, uint32_t tf) {
  return tf <= t->all || (tf > t->lo[0] && tf <= t->hi[0]) || (tf > t->lo[1] && tf <= t->hi[1]);
}
/* Fill m->ub for every positive clause from the lexicon's max tf / min length. */
int qx_daat_bounds(qx_daat *e);

/* Is passage d excluded by a NOT clause (advances the NOT matchers)? */
int qx_daat_excluded(qx_daat *e, uint32_t d, int *excluded);

/* For disjunctions of plain terms (at most QX_BMW_LISTS of them): one term
 * goes to BMW's single-term block loop, two or more to block-max MaxScore
 * (bmm.c); anything else to MaxScore (measured: search/README.md). */
#define QX_BMW_LISTS 64 /* most term lists the BMW evaluator takes */

/* BM25 block kernel: out[i] = idf * tf[i] / (tf[i] + K[norm[i]]), evaluated
 * in exactly this order in every variant (no FMA: a product and a quotient
 * cannot contract), so all variants give bit-identical doubles, equal to the
 * one-passage formula of qx_m_score. One file per instruction set
 * (search/bm25_kernel_*.c); qx_bm25_block is chosen once at start-up. */
typedef void (*qx_bm25_block_fn)(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n,
                                 const double K[256], double idf);
void qx_bm25_block_scalar(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n, const double K[256],
                          double idf);
void qx_bm25_block_avx2(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n, const double K[256],
                        double idf);
void qx_bm25_block_avx512(double *out, const uint32_t *tf, const uint8_t *norm, uint32_t n, const double K[256],
                          double idf);
extern qx_bm25_block_fn qx_bm25_block;

typedef enum qx_algo { QX_ALGO_AUTO = 0, QX_ALGO_EXHAUSTIVE, QX_ALGO_MAXSCORE, QX_ALGO_BMW, QX_ALGO_BMM } qx_algo;

/* Does block-max WAND apply (positive clauses all optional plain terms)? */
int qx_daat_bmw_applies(const qx_query *q);
/* Pick the evaluator for a query (rule documented in search/README.md). */
qx_algo qx_daat_choose(const qx_query *q, uint32_t k);
/* Evaluate with a given algorithm (AUTO applies qx_daat_choose; an
 * algorithm that does not apply to the query falls back like AUTO would). */
int qx_evaluate_algo(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o,
                     qx_algo algo);
/* The same with the caller's arena (reset by the caller after the query). */
int qx_evaluate_scratch(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o,
                        qx_algo algo, qx_scratch *sc);

/* The term lists that take part in block-max pruning (bmw.c, bmm.c): the
 * matchers of the SHOULD clauses that still have a posting in this segment,
 * in clause order, into out[QX_BMW_LISTS]. Returns their count, or a
 * negative error when a positive clause is not one plain term (the caller,
 * named by `who`, was chosen for a query it does not apply to). */
int qx_daat_term_lists(qx_matcher **out, const qx_daat *e, const char *who);

int qx_eval_exhaustive(qx_daat *e);
int qx_eval_maxscore(qx_daat *e);
int qx_eval_bmw(qx_daat *e);
/* Block-max MaxScore over id windows (bmm.c): where BMW applies. */
int qx_eval_bmm(qx_daat *e);

#endif /* QX_DAAT_H */
