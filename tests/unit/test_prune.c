/* test_prune.c: MaxScore and block-max WAND give exactly the top k of the
 * exhaustive evaluator (same passages, same order, bit-identical scores) on
 * a generated Zipf corpus: random queries of 1-6 rare and common terms,
 * k in {1, 10, 100, 1000}, with +required, -excluded, "phrases", prefix*,
 * per_doc and non-default k1/b; on one segment, and on the same corpus cut
 * into 3 segments with deleted documents (pruning runs per segment with the
 * threshold carried over; deleted passages are skipped). */
#include <stdlib.h>

#include "index_fixture.h"
#include "qx_daat.h"
#include "qx_test.h"
#include "segment_fixture.h"

#define NDOCS 300
#define VOCAB 3000

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* Zipf-ish rank in [0, VOCAB): inverse-power sampling. */
static uint32_t zipf(void) {
  double u = (rnd() % 1000000 + 1) / 1000001.0;
  uint32_t r = (uint32_t)(pow((double)VOCAB, u)) - 1;
  return r < VOCAB ? r : VOCAB - 1;
}

static void word(char *out, uint32_t r) { /* "q" + base-20 letters: never stemmed (lang none) */
  int n = 0;
  out[n++] = 'q';
  do {
    out[n++] = (char)('b' + r % 20);
    r /= 20;
  } while (r);
  out[n] = 0;
}

static char *gen_doc(void) {
  size_t ntok = 40 + rnd() % 400, cap = ntok * 8 + 16, at = 0;
  char *s = malloc(cap);
  uint32_t prev = 0;
  for (size_t i = 0; i < ntok; i++) {
    char w[16];
    uint32_t r = (i && rnd() % 8 == 0) ? prev : zipf(); /* some bursts */
    if (rnd() % 10 == 0) r = (prev + 1) % VOCAB;          /* some fixed bigrams for phrases */
    word(w, r);
    prev = r;
    at += (size_t)snprintf(s + at, cap - at, "%s%s", w, i % 12 == 11 ? ".\n" : " ");
  }
  return s;
}

/* A corpus for the block corners (postings 4): one passage per document,
 * lengths log-uniform from 3 to 700 tokens, and in each document a burst
 * word (one of the 30 most frequent) repeated in proportion to its length,
 * so that a block's (tf, norm) front runs from short passages with a low tf
 * to long ones with a high tf (fronts of 1 to over 16 points); one
 * document repeats the most frequent word 60,000 times (a huge tf: the tf
 * cut's binary search). */
#define NVARIED 1200
static char *gen_varied(int d) {
  if (d == NVARIED / 2) {
    size_t n = 60000, cap = n * 3 + 64, at = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < n; i++) at += (size_t)snprintf(s + at, cap - at, "qb ");
    snprintf(s + at, cap - at, "qc qd.\n");
    return s;
  }
  size_t ntok = (size_t)exp(log(3.0) + (rnd() % 10000) / 10000.0 * (log(700.0) - log(3.0)));
  size_t cap = ntok * 8 + 16, at = 0;
  char *s = malloc(cap);
  uint32_t burst = rnd() % 30, pb = rnd() % 60;
  for (size_t i = 0; i < ntok; i++) {
    char w[16];
    word(w, rnd() % 100 < pb ? burst : zipf());
    at += (size_t)snprintf(s + at, cap - at, "%s%s", w, i % 12 == 11 ? ".\n" : " ");
  }
  return s;
}

static void gen_query(char *q, size_t cap, int variants) {
  size_t at = 0;
  uint32_t n = 1 + rnd() % 6;
  q[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    char w[16], w2[16];
    uint32_t r = rnd() % 3 == 0 ? rnd() % 30 : rnd() % 2 ? zipf() : rnd() % (VOCAB + 200);
    word(w, r);
    const char *pre = "";
    if (variants) {
      uint32_t v = rnd() % 12;
      if (v == 0) pre = "+";
      if (v == 1) pre = "-";
      if (v == 2) { /* a phrase of two consecutive ranks */
        word(w2, (r + 1) % VOCAB);
        at += (size_t)snprintf(q + at, cap - at, "%s\"%s %s\" ", rnd() % 4 ? "" : "+", w, w2);
        continue;
      }
      if (v == 3 && strlen(w) > 2) { /* a prefix */
        w[strlen(w) - 1] = 0;
        at += (size_t)snprintf(q + at, cap - at, "%s* ", w);
        continue;
      }
    }
    at += (size_t)snprintf(q + at, cap - at, "%s%s ", pre, w);
  }
}

static int same(const quarry_results *a, const quarry_results *b) {
  if (a->n != b->n) return 0;
  for (size_t i = 0; i < a->n; i++)
    if (a->hits[i].passage != b->hits[i].passage || a->hits[i].doc != b->hits[i].doc ||
        memcmp(&a->hits[i].score, &b->hits[i].score, sizeof(double)))
      return 0;
  return 1;
}

static int run_algo(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o,
                    qx_algo algo) {
  memset(r, 0, sizeof *r);
  int rc = qx_evaluate_algo(r, ix, q, o, algo);
  if (rc) fprintf(stderr, "evaluate: %s\n", quarry_error_last());
  return rc;
}

typedef struct counts {
  int nq, nbmw, nms, bad, nonempty;
} counts;

static void check_algos(counts *c, quarry_index *ix, qx_analyzer *an, int iters) {
  static const uint32_t ks[] = {1, 10, 100, 1000};
  for (int it = 0; it < iters; it++) {
    char text[512];
    int variants = it >= iters / 2;
    gen_query(text, sizeof text, variants);
    qx_query q;
    if (qx_query_parse(&q, an, text)) continue;
    quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
    o.k = ks[rnd() % 4];
    o.per_doc = variants && rnd() % 4 == 0;
    if (rnd() % 5 == 0) {
      o.k1 = (rnd() % 30) / 10.0;
      o.b = (rnd() % 11) / 10.0;
    }
    int positive = 0;
    for (size_t i = 0; i < q.n; i++) positive |= q.c[i].occur != QX_OCC_NOT;
    if (positive) {
      quarry_results ref, ms, bmw, bmm;
      int rc = run_algo(&ref, ix, &q, &o, QX_ALGO_EXHAUSTIVE);
      rc |= run_algo(&ms, ix, &q, &o, QX_ALGO_MAXSCORE);
      rc |= run_algo(&bmw, ix, &q, &o, QX_ALGO_BMW);
      rc |= run_algo(&bmm, ix, &q, &o, QX_ALGO_BMM);
      CHECK_EQ_INT(rc, 0);
      c->nq++;
      c->nonempty += ref.n > 0;
      c->nms += qx_daat_choose(&q, o.k) != QX_ALGO_EXHAUSTIVE;
      c->nbmw += qx_daat_bmw_applies(&q);
      for (size_t i = 0; i < ref.n; i++) CHECK(!qx_index_deleted(ix, ref.hits[i].passage));
      if (!same(&ref, &ms) || !same(&ref, &bmw) || !same(&ref, &bmm)) {
        if (c->bad++ < 5)
          fprintf(stderr, "mismatch: '%s' k=%u per_doc=%d k1=%g b=%g: ref %zu maxscore %zu(%d) bmw %zu(%d) bmm %zu(%d)\n",
                  text, o.k, o.per_doc, o.k1, o.b, ref.n, ms.n, same(&ref, &ms), bmw.n, same(&ref, &bmw), bmm.n,
                  same(&ref, &bmm));
      }
      free(ref.hits);
      free(ms.hits);
      free(bmw.hits);
      free(bmm.hits);
    }
    qx_query_free(&q);
  }
}

/* qx_tf_cut against a linear walk (small ranges), and on huge tfs (a word
 * repeated millions of times): the cut qualifies, the tf above it does not. */
static int tf_qualifies(double bw, double k, double extra, double th, uint32_t t) {
  double f = t;
  return qx_below(bw * f / (f + k) + extra, th);
}
static void test_tf_cut(void) {
  for (int r = 0; r < 20000; r++) {
    double bw = 0.1 + (rnd() % 1000) / 100.0, k = (rnd() % 4000) / 1000.0, extra = rnd() % 3 ? 0 : (rnd() % 100) / 50.0;
    double th = (rnd() % 1200) / 1000.0 * (bw + extra);
    uint32_t lo = rnd() % 4 ? 0 : rnd() % 20, hi = lo + rnd() % 60, want = lo;
    while (want < hi && tf_qualifies(bw, k, extra, th, want + 1)) want++;
    CHECK_EQ_INT(qx_tf_cut(bw, k, extra, th, lo, hi), want);
  }
  static const uint32_t his[] = {1000000, 60000000, 4000000000u, UINT32_MAX};
  for (int r = 0; r < 2000; r++) {
    uint32_t hi = his[r % 4];
    double bw = 1 + rnd() % 10, k = 1 + (rnd() % 100000) / 10.0, th = bw * (1 - 1.0 / (1 + rnd() % 1000000));
    uint32_t t = qx_tf_cut(bw, k, 0, th, 0, hi);
    CHECK(t <= hi && (t == 0 || tf_qualifies(bw, k, 0, th, t)) && (t == hi || !tf_qualifies(bw, k, 0, th, t + 1)));
  }
}

static int del_pred(const char *path, size_t len) { /* every 3rd document, by the number in dNNN.txt */
  return len >= 8 && atoi(path + len - 7) % 3 == 0;
}

int main(void) {
  test_tf_cut();
  char *texts[NDOCS];
  for (int i = 0; i < NDOCS; i++) texts[i] = gen_doc();
  fixture f;
  int rc = fixture_make(&f, (const char *const *)texts, NDOCS, "none", 24, 4);
  /* the same documents in 3 segments, every 3rd document deleted */
  char sdir[96], groups[3][112];
  const char *gp[3] = {groups[0], groups[1], groups[2]};
  snprintf(sdir, sizeof sdir, "%s/seg", f.root);
  char sroot[96];
  snprintf(sroot, sizeof sroot, "%s/s", f.root);
  CHECK_EQ_INT(mkdir(sroot, 0755), 0);
  CHECK_EQ_INT(seg_write_texts(sroot, (const char *const *)texts, NDOCS, 3), 0);
  for (int g = 0; g < 3; g++) snprintf(groups[g], sizeof groups[g], "%s/in/%c", sroot, 'a' + g);
  quarry_build_opts so = QUARRY_BUILD_OPTS_INIT;
  so.lang = "none";
  so.passage_tokens = 24;
  so.passage_overlap = 4;
  CHECK_EQ_INT(seg_build(sdir, gp, 3, del_pred, &so), 0);
  for (int i = 0; i < NDOCS; i++) free(texts[i]);
  CHECK_EQ_INT(rc, 0);
  quarry_index *ix = NULL, *sx = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  CHECK_EQ_INT(quarry_index_open(&sx, sdir), 0);
  if (!ix || !sx) {
    quarry_index_close(ix);
    quarry_index_close(sx);
    fixture_free(&f);
    return qx_test_result();
  }
  CHECK(ix->npassages > 2000);
  CHECK(sx->nseg == 3 && sx->live_passages < sx->npassages);
  qx_analyzer *an = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&an, ix->lang), 0);
  counts c = {0}, cs = {0};
  check_algos(&c, ix, an, 1600);
  CHECK_EQ_INT(c.bad, 0);
  CHECK(c.nq >= 1000);
  check_algos(&cs, sx, an, 800);
  CHECK_EQ_INT(cs.bad, 0);
  CHECK(cs.nq >= 500 && cs.nonempty >= 250);
  fprintf(stderr, "3 segments with deletions: %d queries (%d non-empty), %d mismatches\n", cs.nq, cs.nonempty, cs.bad);
  int nq = c.nq, nbmw = c.nbmw, nms = c.nms, bad = c.bad, nonempty = c.nonempty;

  /* No allocation in evaluation after warm-up: the second pass over the same
   * queries through quarry_search makes no malloc from the scratch arena. */
  char qs[64][512];
  for (int i = 0; i < 64; i++) gen_query(qs[i], sizeof qs[i], i % 2);
  uint64_t before = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < 64; i++) {
      quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
      static const uint32_t ks[] = {1, 10, 100, 1000};
      o.k = ks[i % 4];
      quarry_results *r = NULL;
      if (quarry_search(&r, ix, qs[i], &o) == 0) quarry_results_free(r);
    }
    const qx_searcher *sr = ix->search_pool;
    CHECK(sr != NULL && sr->next == NULL);
    if (!sr) break;
    if (pass == 1) CHECK_EQ_INT(sr->sc.mallocs, before);
    before = sr->sc.mallocs;
    CHECK(sr->sc.cap > 0);
  }
  /* block corners: varied lengths, bursts, a huge tf */
  char *vt[NVARIED];
  for (int i = 0; i < NVARIED; i++) vt[i] = gen_varied(i);
  fixture fv;
  rc = fixture_make(&fv, (const char *const *)vt, NVARIED, "none", 100000, 0);
  for (int i = 0; i < NVARIED; i++) free(vt[i]);
  CHECK_EQ_INT(rc, 0);
  quarry_index *vx = NULL;
  CHECK_EQ_INT(quarry_index_open(&vx, fv.idx), 0);
  if (vx) {
    CHECK_EQ_INT(vx->npassages, NVARIED);
    counts cv = {0};
    check_algos(&cv, vx, an, 800);
    CHECK_EQ_INT(cv.bad, 0);
    CHECK(cv.nq >= 500 && cv.nonempty >= 400);
    /* the word of the huge tf alone (its passage first) and with others */
    static const char *const hq[] = {"qb", "qb qc", "qc qb qd qe"};
    for (size_t i = 0; i < QX_ARRAY_LEN(hq); i++) {
      qx_query q;
      CHECK_EQ_INT(qx_query_parse(&q, an, hq[i]), 0);
      quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
      quarry_results ref, bmw, bmm;
      CHECK_EQ_INT(run_algo(&ref, vx, &q, &o, QX_ALGO_EXHAUSTIVE), 0);
      CHECK_EQ_INT(run_algo(&bmw, vx, &q, &o, QX_ALGO_BMW), 0);
      CHECK_EQ_INT(run_algo(&bmm, vx, &q, &o, QX_ALGO_BMM), 0);
      CHECK(ref.n == 10 && same(&ref, &bmw) && same(&ref, &bmm));
      qx_passage_info pi = {0};
      qx_doc_info di = {0};
      if (i == 0) { /* document NVARIED / 2 */
        CHECK(ref.n && qx_index_passage(&pi, vx, ref.hits[0].passage) == 0 && qx_index_doc(&di, vx, pi.doc) == 0);
        CHECK(di.path_len >= 8 && !memcmp(di.path + di.path_len - 8, "d600.txt", 8));
      }
      free(ref.hits);
      free(bmw.hits);
      free(bmm.hits);
      qx_query_free(&q);
    }
    fprintf(stderr, "varied lengths: %d queries (%d non-empty), %d mismatches\n", cv.nq, cv.nonempty, cv.bad);
  }
  quarry_index_close(vx);
  fixture_free(&fv);

  CHECK(nonempty >= 800);
  CHECK(nbmw >= 300);
  fprintf(stderr, "%d queries (%d non-empty, %d pruned, %d plain-term disjunctions), %d mismatches\n", nq, nonempty,
          nms, nbmw, bad);
  qx_analyzer_free(an);
  quarry_index_close(ix);
  quarry_index_close(sx);
  fixture_free(&f);
  return qx_test_result();
}
