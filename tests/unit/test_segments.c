/* test_segments.c: reading segmented (2.0) indexes.
 *   - the same documents as 1 segment and as 3 segments give identical
 *     top-k (passages, documents, paths, bit-identical scores, snippets),
 *     with every query kind, per_doc and non-default k1/b;
 *   - with deletions: deleted documents never come back, the live top k is
 *     the full ranking with deleted documents removed (statistics keep the
 *     deleted passages, so scores do not move), counts are live;
 *   - a segment directory is a 1.0 index and still opens on its own;
 *   - a damaged top MANIFEST or .del file is reported with its name;
 *   - vector and hybrid search (when the model is installed) agree between
 *     1 and 3 segments and skip deleted passages.
 * `test_segments mkindex DIR [--vectors] [--format F] [--lang L] [--delete SUBSTR]... PATHS...`
 * builds a segmented index for the end-to-end tests (tests/e2e/segments.sh):
 * one segment per PATHS argument (comma-separated files or folders). */
#include <math.h>
#include <stdlib.h>

#include "qx_daat.h"
#include "qx_test.h"
#include "segment_fixture.h"

#define NDOCS 120

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

static void word(char *out, uint32_t r) { /* lang none: never stemmed */
  int n = 0;
  out[n++] = 'w';
  do {
    out[n++] = (char)('b' + r % 20);
    r /= 20;
  } while (r);
  out[n] = 0;
}

static uint32_t zipf(uint32_t vocab) {
  double u = (rnd() % 1000000 + 1) / 1000001.0;
  uint32_t r = (uint32_t)pow((double)vocab, u) - 1;
  return r < vocab ? r : vocab - 1;
}

static char *gen_doc(void) {
  size_t ntok = 20 + rnd() % 200, cap = ntok * 8 + 16, at = 0;
  char *s = malloc(cap);
  uint32_t prev = 0;
  for (size_t i = 0; i < ntok; i++) {
    char w[16];
    uint32_t r = rnd() % 10 == 0 ? (prev + 1) % 800 : zipf(800);
    word(w, r);
    prev = r;
    at += (size_t)snprintf(s + at, cap - at, "%s%s", w, i % 9 == 8 ? ".\n" : " ");
  }
  return s;
}

static void gen_query(char *q, size_t cap) {
  size_t at = 0;
  uint32_t n = 1 + rnd() % 4;
  q[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    char w[16], w2[16];
    word(w, rnd() % 3 == 0 ? rnd() % 20 : zipf(850));
    uint32_t v = rnd() % 10;
    if (v == 0) at += (size_t)snprintf(q + at, cap - at, "+%s ", w);
    else if (v == 1) at += (size_t)snprintf(q + at, cap - at, "-%s ", w);
    else if (v == 2) {
      word(w2, rnd() % 40);
      at += (size_t)snprintf(q + at, cap - at, "\"%s %s\" ", w, w2);
    } else if (v == 3 && strlen(w) > 2) {
      w[2] = 0;
      at += (size_t)snprintf(q + at, cap - at, "%s* ", w);
    } else
      at += (size_t)snprintf(q + at, cap - at, "%s ", w);
  }
}

/* Documents deleted in the deletion tests: every 4th, and all of group c's d1xx. */
static int del_pred(const char *path, size_t len) {
  if (len < 8) return 0;
  const char *b = path + len - 8; /* dNNN.txt */
  int num = atoi(b + 1);
  return num % 4 == 1 || (num >= 100 && num < 110);
}

static int same_hits(const quarry_results *a, const quarry_results *b, int check_paths) {
  if (quarry_results_count(a) != quarry_results_count(b)) return 0;
  for (size_t i = 0; i < quarry_results_count(a); i++) {
    const quarry_hit *x = quarry_results_hit(a, i), *y = quarry_results_hit(b, i);
    if (x->passage != y->passage || x->doc != y->doc || memcmp(&x->score, &y->score, sizeof x->score) ||
        x->start != y->start || x->end != y->end || x->line != y->line || x->bm25_rank != y->bm25_rank ||
        x->vec_rank != y->vec_rank || memcmp(&x->vec_score, &y->vec_score, sizeof x->vec_score))
      return 0;
    if (check_paths && strcmp(x->path, y->path)) return 0;
  }
  return 1;
}

/* Vector legs: the same passages in the same order, scores within 1e-5.
 * Passage vectors of separately built segments come from other embedding
 * batches (other padding, other BLAS blocking), so they differ from the
 * single build's in the last float bits (measured: ~1e-7); the search
 * logic itself is exact (BM25 above is bit-identical). */
static int close_hits(const quarry_results *a, const quarry_results *b) {
  if (quarry_results_count(a) != quarry_results_count(b)) return 0;
  for (size_t i = 0; i < quarry_results_count(a); i++) {
    const quarry_hit *x = quarry_results_hit(a, i), *y = quarry_results_hit(b, i);
    if (x->passage != y->passage || x->doc != y->doc || x->bm25_rank != y->bm25_rank || x->vec_rank != y->vec_rank ||
        fabs(x->score - y->score) > 1e-5 * fmax(1.0, fabs(x->score)) || fabs(x->vec_score - y->vec_score) > 1e-5 ||
        memcmp(&x->bm25_score, &y->bm25_score, sizeof x->bm25_score) || strcmp(x->path, y->path))
      return 0;
  }
  return 1;
}

static int search(quarry_results **r, quarry_index *ix, const char *q, const quarry_search_opts *o) {
  int rc = quarry_search(r, ix, q, o);
  if (rc && rc != QUARRY_EINVAL) fprintf(stderr, "search '%s': %s\n", q, quarry_error_last());
  return rc;
}

/* 1 vs 3 segments, no deletion: identical answers. Also every evaluator on
 * the segmented index equals the exhaustive one on the single index. */
static void test_equal(quarry_index *one, quarry_index *seg) {
  quarry_index_info a, b;
  quarry_index_stat(&a, one);
  quarry_index_stat(&b, seg);
  CHECK_EQ_INT(b.format_major, 2);
  CHECK_EQ_INT(b.segments, 3);
  CHECK_EQ_INT(a.docs, b.docs);
  CHECK_EQ_INT(a.passages, b.passages);
  CHECK_EQ_INT(a.total_tokens, b.total_tokens);
  CHECK(a.avgdl == b.avgdl);
  CHECK_EQ_INT(quarry_index_verify(seg), 0);
  quarry_segment_info si;
  uint64_t sum = 0;
  for (size_t i = 0; quarry_index_segment(&si, seg, i) == 0; i++) {
    CHECK_EQ_INT(si.first_passage, sum);
    sum += si.passages;
  }
  CHECK_EQ_INT(sum, b.passage_ids);
  CHECK_EQ_STR(quarry_index_manifest_get(seg, "analyzer.lang"), "none");
  qx_analyzer *an = NULL;
  CHECK_EQ_INT(qx_analyzer_new(&an, seg->lang), 0);
  static const uint32_t ks[] = {1, 10, 50, 1000};
  int n = 0, bad = 0, nonempty = 0, badalgo = 0;
  for (int it = 0; it < 400; it++) {
    char q[256];
    gen_query(q, sizeof q);
    quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
    o.k = ks[rnd() % 4];
    o.per_doc = rnd() % 4 == 0;
    o.mode = QUARRY_MODE_BM25;
    if (rnd() % 4 == 0) o.k1 = (rnd() % 30) / 10.0, o.b = (rnd() % 11) / 10.0;
    quarry_results *r1 = NULL, *r3 = NULL;
    int rc1 = search(&r1, one, q, &o), rc3 = search(&r3, seg, q, &o);
    CHECK_EQ_INT(rc1, rc3);
    if (!rc1 && !rc3) {
      n++;
      nonempty += quarry_results_count(r1) > 0;
      if (!same_hits(r1, r3, 1) && bad++ < 5)
        fprintf(stderr, "1 vs 3 segments differ: '%s' k=%u per_doc=%d: %zu vs %zu hits\n", q, o.k, o.per_doc,
                quarry_results_count(r1), quarry_results_count(r3));
      if (quarry_results_count(r1) && rnd() % 8 == 0) {
        char *s1 = NULL, *s3 = NULL;
        CHECK_EQ_INT(quarry_snippet(&s1, one, r1, 0, NULL), 0);
        CHECK_EQ_INT(quarry_snippet(&s3, seg, r3, 0, NULL), 0);
        CHECK(s1 && s3 && !strcmp(s1, s3));
        quarry_free(s1);
        quarry_free(s3);
      }
      /* every evaluator across segments = the exhaustive one on one segment */
      qx_query pq;
      if (qx_query_parse(&pq, an, q) == 0) {
        int positive = 0;
        for (size_t i = 0; i < pq.n; i++) positive |= pq.c[i].occur != QX_OCC_NOT;
        for (int algo = QX_ALGO_EXHAUSTIVE; positive && algo <= QX_ALGO_BMM; algo++) {
          quarry_results ref = {0}, got = {0};
          CHECK_EQ_INT(qx_evaluate_algo(&ref, one, &pq, &o, QX_ALGO_EXHAUSTIVE), 0);
          CHECK_EQ_INT(qx_evaluate_algo(&got, seg, &pq, &o, (qx_algo)algo), 0);
          int same = ref.n == got.n;
          for (size_t i = 0; same && i < ref.n; i++)
            same = ref.hits[i].passage == got.hits[i].passage &&
                   !memcmp(&ref.hits[i].score, &got.hits[i].score, sizeof(double));
          if (!same && badalgo++ < 5) fprintf(stderr, "algo %d across segments differs: '%s' k=%u\n", algo, q, o.k);
          free(ref.hits);
          free(got.hits);
        }
        qx_query_free(&pq);
      }
    }
    quarry_results_free(r1);
    quarry_results_free(r3);
  }
  qx_analyzer_free(an);
  fprintf(stderr, "1 vs 3 segments: %d queries (%d non-empty), %d differ, %d evaluator mismatches\n", n, nonempty,
          bad, badalgo);
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(badalgo, 0);
  CHECK(n >= 300 && nonempty >= 200);
}

/* seg: 3 segments, segd: the same with del_pred's documents deleted. */
static void test_deleted(quarry_index *seg, quarry_index *segd) {
  quarry_index_info a, b;
  quarry_index_stat(&a, seg);
  quarry_index_stat(&b, segd);
  uint64_t ndel = 0, pdel = 0;
  for (uint32_t d = 0; d < a.doc_ids; d++) {
    quarry_doc_info di;
    CHECK_EQ_INT(quarry_index_doc(&di, segd, d), 0);
    int want = del_pred(di.path, di.path_len);
    CHECK_EQ_INT(quarry_index_doc_deleted(segd, d), want);
    CHECK_EQ_INT(quarry_index_doc_deleted(seg, d), 0);
    ndel += (uint64_t)want;
    pdel += want ? di.npassages : 0;
  }
  CHECK(ndel > 20);
  CHECK_EQ_INT(b.docs, a.docs - ndel);
  CHECK_EQ_INT(b.passages, a.passages - pdel);
  CHECK_EQ_INT(b.doc_ids, a.doc_ids);
  CHECK_EQ_INT(b.passage_ids, a.passage_ids);
  CHECK(a.avgdl == b.avgdl); /* statistics keep deleted passages until a merge */
  CHECK_EQ_INT(quarry_index_verify(segd), 0);
  int n = 0, bad = 0;
  for (int it = 0; it < 300; it++) {
    char q[256];
    gen_query(q, sizeof q);
    quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT, all = QUARRY_SEARCH_OPTS_INIT;
    o.mode = all.mode = QUARRY_MODE_BM25;
    o.k = 1 + rnd() % 30;
    o.per_doc = all.per_doc = rnd() % 3 == 0;
    all.k = 100000;
    quarry_results *rd = NULL, *rf = NULL;
    if (search(&rd, segd, q, &o) || search(&rf, seg, q, &all)) {
      quarry_results_free(rd);
      quarry_results_free(rf);
      continue;
    }
    n++;
    size_t j = 0, ok = 1;
    for (size_t i = 0; i < quarry_results_count(rf) && j < quarry_results_count(rd); i++) {
      const quarry_hit *f = quarry_results_hit(rf, i);
      if (quarry_index_doc_deleted(segd, f->doc)) continue;
      const quarry_hit *h = quarry_results_hit(rd, j++);
      ok &= h->passage == f->passage && !memcmp(&h->score, &f->score, sizeof h->score);
    }
    for (size_t i = 0; i < quarry_results_count(rd); i++) {
      const quarry_hit *h = quarry_results_hit(rd, i);
      ok &= !quarry_index_doc_deleted(segd, h->doc) && !del_pred(h->path, strlen(h->path));
    }
    ok &= j == quarry_results_count(rd);
    if (!ok && bad++ < 5) fprintf(stderr, "deleted: '%s' k=%u per_doc=%d differs\n", q, o.k, o.per_doc);
    quarry_results_free(rd);
    quarry_results_free(rf);
  }
  fprintf(stderr, "deletions: %d queries, %d differ\n", n, bad);
  CHECK(n >= 200);
  CHECK_EQ_INT(bad, 0);
}

/* A segment folder is a 1.0 index: it opens alone, as one segment. */
static void test_compat(const char *segdir, quarry_index *seg) {
  char sdir[512];
  snprintf(sdir, sizeof sdir, "%s/s000001", segdir);
  quarry_index *ix = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, sdir), 0);
  if (!ix) return;
  quarry_index_info in, all;
  quarry_index_stat(&in, ix);
  quarry_index_stat(&all, seg);
  CHECK_EQ_INT(in.format_major, 1);
  CHECK_EQ_INT(in.segments, 1);
  CHECK(in.docs > 0 && in.docs < all.docs);
  CHECK_EQ_INT(quarry_index_verify(ix), 0);
  quarry_segment_info si;
  CHECK_EQ_INT(quarry_index_segment(&si, ix, 0), 0);
  CHECK_EQ_STR(si.name, ".");
  CHECK_EQ_INT(quarry_index_segment(&si, ix, 1), QUARRY_ENOTFOUND);
  const char *name;
  uint64_t size;
  CHECK_EQ_INT(quarry_index_file(&name, &size, ix, 0), 0);
  CHECK(!strchr(name, '/'));
  CHECK_EQ_INT(quarry_index_file(&name, &size, seg, 0), 0);
  CHECK(!strncmp(name, "s000001/", 8));
  quarry_results *r = NULL;
  quarry_search_opts o = QUARRY_SEARCH_OPTS_INIT;
  o.mode = QUARRY_MODE_BM25;
  CHECK_EQ_INT(quarry_search(&r, ix, "wb wc wd", &o), 0);
  CHECK(quarry_results_count(r) > 0);
  quarry_results_free(r);
  quarry_index_close(ix);
}

static void flip(const char *path, long off) {
  FILE *f = fopen(path, "r+b");
  if (!f) return;
  if (off < 0) fseek(f, off, SEEK_END);
  else fseek(f, off, SEEK_SET);
  int c = fgetc(f);
  fseek(f, -1, SEEK_CUR);
  fputc(c ^ 0x21, f);
  fclose(f);
}

static void expect_corrupt(const char *dir, const char *name, const char *what) {
  quarry_index *ix = NULL;
  int rc = quarry_index_open(&ix, dir);
  CHECK(rc == QUARRY_ECORRUPT || rc == QUARRY_EVERSION);
  if (rc == 0) {
    fprintf(stderr, "%s: not detected\n", what);
    quarry_index_close(ix);
  } else if (!strstr(quarry_error_last(), name)) {
    fprintf(stderr, "%s: message does not name %s: %s\n", what, name, quarry_error_last());
    CHECK(0);
  }
}

static int run(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0) fprintf(stderr, "failed: %s\n", cmd);
  return rc;
}

/* Damage the top MANIFEST and a .del file of a copy of dir. */
static void test_corrupt(const char *root, const char *dir) {
  char cp[128], cmd[1024], path[256];
  snprintf(cp, sizeof cp, "%s/damaged", root);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", cp, dir, cp);
  if (run(cmd)) return;
  const char *del = "s000004.del";
  snprintf(path, sizeof path, "%s/%s", cp, del);
  struct stat st;
  CHECK_EQ_INT(stat(path, &st), 0);
  long offs[] = {0, 9, 17, 25, 33, -1};
  for (size_t i = 0; i < QX_ARRAY_LEN(offs); i++) {
    flip(path, offs[i]);
    expect_corrupt(cp, del, "flipped .del byte");
    flip(path, offs[i]);
  }
  quarry_index *ix = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, cp), 0);
  CHECK_EQ_INT(truncate(path, st.st_size - 8), 0);
  expect_corrupt(cp, del, "truncated .del");
  CHECK(ix && quarry_index_verify(ix) == QUARRY_ECORRUPT && strstr(quarry_error_last(), del));
  quarry_index_close(ix);
  CHECK_EQ_INT(unlink(path), 0);
  expect_corrupt(cp, del, "missing .del");
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", cp, dir, cp);
  if (run(cmd)) return;
  snprintf(path, sizeof path, "%s/MANIFEST", cp);
  CHECK_EQ_INT(stat(path, &st), 0);
  for (long o = 0; o < st.st_size; o += 1 + st.st_size / 23) {
    flip(path, o);
    expect_corrupt(cp, "MANIFEST", "flipped MANIFEST byte");
    flip(path, o);
  }
  CHECK_EQ_INT(truncate(path, st.st_size - 3), 0);
  expect_corrupt(cp, "MANIFEST", "truncated MANIFEST");
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s' && rm -rf '%s/s000007'", cp, dir, cp, cp);
  if (run(cmd)) return;
  expect_corrupt(cp, "s000007", "missing segment");
}

static int vdel(const char *path, size_t len) { /* path: not NUL-terminated */
  return memmem(path, len, "/001_", 5) || memmem(path, len, "/004_", 5);
}

/* Vector and hybrid legs: 1 vs 3 segments, and deleted passages skipped. */
static void test_vectors(const char *root) {
  char cmd[1024], one[128], seg[128], segd[128], in[128];
  snprintf(in, sizeof in, "%s/vin", root);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/a' '%s/b' '%s/c' && cp seeds/000_* seeds/001_* '%s/a/' && "
           "cp seeds/002_* seeds/003_* '%s/b/' && cp seeds/004_* '%s/c/'", in, in, in, in, in, in);
  if (run(cmd)) return;
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  o.vectors = 1;
  snprintf(one, sizeof one, "%s/vone", root);
  snprintf(seg, sizeof seg, "%s/vseg", root);
  snprintf(segd, sizeof segd, "%s/vsegd", root);
  const char *paths[] = {in};
  char a[160], b[160], c[160];
  snprintf(a, sizeof a, "%s/a", in);
  snprintf(b, sizeof b, "%s/b", in);
  snprintf(c, sizeof c, "%s/c", in);
  const char *groups[] = {a, b, c};
  int brc = quarry_index_build(NULL, one, paths, 1, &o);
  if (brc == QUARRY_EMODEL || brc == QUARRY_ENOTFOUND) {
    fprintf(stderr, "no embedding model (%s): vector checks skipped\n", quarry_error_last());
    return;
  }
  CHECK_EQ_INT(brc, 0);
  CHECK_EQ_INT(seg_build(seg, groups, 3, NULL, &o), 0);
  quarry_index *i1 = NULL, *i3 = NULL, *id = NULL;
  CHECK_EQ_INT(quarry_index_open(&i1, one), 0);
  CHECK_EQ_INT(quarry_index_open(&i3, seg), 0);
  if (!i1 || !i3) goto out;
  CHECK(quarry_index_has_vectors(i3));
  const char *qs[] = {"levée de fonds", "investissement startup", "\"levée de fonds\"", "invest*", "+fonds financement",
                      "marché -fonds", "comment financer une entreprise", "le la les"};
  static const quarry_mode modes[] = {QUARRY_MODE_VECTOR, QUARRY_MODE_HYBRID};
  int bad = 0, n = 0;
  for (size_t qi = 0; qi < QX_ARRAY_LEN(qs); qi++)
    for (size_t m = 0; m < 2; m++)
      for (int fusion = 0; fusion < 2; fusion++) {
        quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
        so.mode = modes[m];
        so.fusion = (quarry_fusion)fusion;
        so.k = 8;
        so.per_doc = qi % 3 == 2;
        quarry_results *r1 = NULL, *r3 = NULL;
        int rc1 = search(&r1, i1, qs[qi], &so), rc3 = search(&r3, i3, qs[qi], &so);
        CHECK_EQ_INT(rc1, rc3);
        if (!rc1 && !rc3) {
          n++;
          if (!close_hits(r1, r3) && bad++ < 5) {
            fprintf(stderr, "vectors 1 vs 3 segments differ: '%s' mode %d fusion %d\n", qs[qi], so.mode, fusion);
            for (size_t i = 0; i < quarry_results_count(r1) && i < quarry_results_count(r3); i++)
              fprintf(stderr, "  %u %.9g %.9g | %u %.9g %.9g\n", quarry_results_hit(r1, i)->passage,
                      quarry_results_hit(r1, i)->score, quarry_results_hit(r1, i)->vec_score,
                      quarry_results_hit(r3, i)->passage, quarry_results_hit(r3, i)->score,
                      quarry_results_hit(r3, i)->vec_score);
          }
        }
        quarry_results_free(r1);
        quarry_results_free(r3);
      }
  fprintf(stderr, "vector/hybrid: %d searches, %d differ\n", n, bad);
  CHECK(n >= 24);
  CHECK_EQ_INT(bad, 0);
  /* deletions (seeds 001 and 004) on a copy of the segments: no second embedding */
  snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", seg, segd);
  if (run(cmd)) goto out;
  CHECK_EQ_INT(seg_assemble(segd, 3, vdel), 0);
  CHECK_EQ_INT(quarry_index_open(&id, segd), 0);
  if (!id) goto out;
  int seen_live = 0, seen_deleted = 0;
  for (size_t qi = 0; qi < QX_ARRAY_LEN(qs); qi++)
    for (size_t m = 0; m < 2; m++) {
      quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
      so.mode = modes[m];
      so.k = 100;
      quarry_results *r = NULL;
      if (search(&r, id, qs[qi], &so)) continue;
      for (size_t i = 0; i < quarry_results_count(r); i++) {
        const quarry_hit *h = quarry_results_hit(r, i);
        seen_deleted += quarry_index_doc_deleted(id, h->doc) || strstr(h->path, "/001_") || strstr(h->path, "/004_");
        seen_live++;
      }
      quarry_results_free(r);
    }
  CHECK(seen_live > 0);
  CHECK_EQ_INT(seen_deleted, 0);
out:
  quarry_index_close(i1);
  quarry_index_close(i3);
  quarry_index_close(id);
}

/* mkindex DIR [--vectors] [--delete SUBSTR]... PATHS... */
static const char *del_subs[16];
static int ndel_subs;
static int del_by_sub(const char *path, size_t len) { /* path: not NUL-terminated */
  for (int i = 0; i < ndel_subs; i++)
    if (memmem(path, len, del_subs[i], strlen(del_subs[i]))) return 1;
  return 0;
}

static int mkindex(int argc, char **argv) {
  if (argc < 4) return 2;
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  char *groups[16];
  int ng = 0, rc = 0;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--vectors")) o.vectors = 1;
    else if (!strcmp(argv[i], "--format") && i + 1 < argc) o.format = argv[++i];
    else if (!strcmp(argv[i], "--lang") && i + 1 < argc) o.lang = argv[++i];
    else if (!strcmp(argv[i], "--delete") && i + 1 < argc && ndel_subs < 16) del_subs[ndel_subs++] = argv[++i];
    else if (ng < 16) groups[ng++] = argv[i];
  }
  if (mkdir(argv[2], 0755) != 0) return 2;
  for (int g = 0; !rc && g < ng; g++) { /* segment g: the comma-separated paths of groups[g] */
    const char *paths[256];
    size_t np = 0;
    for (char *t = strtok(groups[g], ","); t && np < 256; t = strtok(NULL, ",")) paths[np++] = t;
    char name[QX_SEG_NAME_MAX], sdir[1024];
    snprintf(sdir, sizeof sdir, "%s/%s", argv[2], qx_seg_name(name, 1 + 3 * (uint32_t)g));
    qx_segment_out so; /* one 1.0 segment directory (quarry_index_build writes a whole 2.0 tree) */
    rc = qx_segment_build_paths(&so, sdir, argv[2], paths, np, &o);
  }
  if (!rc) rc = seg_assemble(argv[2], (size_t)ng, ndel_subs ? del_by_sub : NULL);
  if (rc) fprintf(stderr, "mkindex: %s\n", quarry_error_last());
  return rc ? 2 : 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "mkindex")) return mkindex(argc, argv);
  char root[64] = "/tmp/quarry-seg-XXXXXX";
  if (!mkdtemp(root)) return 1;
  char *texts[NDOCS];
  for (int i = 0; i < NDOCS; i++) texts[i] = gen_doc();
  CHECK_EQ_INT(seg_write_texts(root, (const char *const *)texts, NDOCS, 3), 0);
  for (int i = 0; i < NDOCS; i++) free(texts[i]);
  char in[128], one[128], seg[128], segd[128], a[160], b[160], c[160];
  snprintf(in, sizeof in, "%s/in", root);
  snprintf(one, sizeof one, "%s/one", root);
  snprintf(seg, sizeof seg, "%s/seg", root);
  snprintf(segd, sizeof segd, "%s/segd", root);
  snprintf(a, sizeof a, "%s/a", in);
  snprintf(b, sizeof b, "%s/b", in);
  snprintf(c, sizeof c, "%s/c", in);
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  o.lang = "none";
  o.passage_tokens = 24;
  o.passage_overlap = 4;
  const char *paths[] = {in}, *groups[] = {a, b, c};
  CHECK_EQ_INT(quarry_index_build(NULL, one, paths, 1, &o), 0);
  CHECK_EQ_INT(seg_build(seg, groups, 3, NULL, &o), 0);
  CHECK_EQ_INT(seg_build(segd, groups, 3, del_pred, &o), 0);
  quarry_index *i1 = NULL, *i3 = NULL, *id = NULL;
  CHECK_EQ_INT(quarry_index_open(&i1, one), 0);
  CHECK_EQ_INT(quarry_index_open(&i3, seg), 0);
  CHECK_EQ_INT(quarry_index_open(&id, segd), 0);
  if (i1 && i3 && id) {
    test_equal(i1, i3);
    test_deleted(i3, id);
    test_compat(seg, i3);
    test_corrupt(root, segd);
  }
  quarry_index_close(i1);
  quarry_index_close(i3);
  quarry_index_close(id);
  test_vectors(root);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  run(cmd);
  return qx_test_result();
}
