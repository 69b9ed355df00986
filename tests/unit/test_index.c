/* test_index.c: norms (Lucene SmallFloat), bit packing, block postings and
 * their cursor (including damaged blocks), the passage cutter, the MANIFEST,
 * the merges' tournament tree, and a small build + open + damage round trip. */
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

#include "index_fixture.h"
#include "qx_index.h"
#include "qx_postings.h"
#include "qx_test.h"
#include "qx_tourn.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)rng;
}

static void test_norms(void) {
  for (uint32_t i = 0; i < 24; i++) CHECK_EQ_INT(qx_norm_decode(qx_norm_encode(i)), i);
  /* values worked out by hand from Lucene's SmallFloat.intToByte4 / byte4ToInt */
  CHECK_EQ_INT(qx_norm_encode(24), 24);
  CHECK_EQ_INT(qx_norm_encode(100), 57);
  CHECK_EQ_INT(qx_norm_decode(57), 96);
  CHECK_EQ_INT(qx_norm_decode(255), 2013265944u);
  /* the table (postings 3 skip entries) is the formula, and a decoded
   * length encodes back to its byte */
  for (uint32_t n = 0; n < 256; n++) {
    CHECK_EQ_INT(qx_norm_table[n], qx_norm_decode_formula((uint8_t)n));
    CHECK_EQ_INT(qx_norm_encode(qx_norm_table[n]), n);
  }
  uint32_t prev = 0;
  for (uint32_t i = 0; i < 100000; i += 7) {
    uint32_t d = qx_norm_decode(qx_norm_encode(i));
    CHECK(d <= i && (double)d >= (double)i * 0.875 - 1);
    CHECK(d >= prev);
    prev = d;
  }
}

static void test_bitpack(void) {
  uint32_t in[QX_BLOCK], out[QX_BLOCK];
  uint8_t buf[QX_BLOCK * 4 + 8];
  for (unsigned bits = 0; bits <= 32; bits++) {
    for (uint32_t n = 1; n <= QX_BLOCK; n += 37) {
      for (uint32_t i = 0; i < n; i++) in[i] = bits == 32 ? rnd() : bits ? rnd() & ((1u << bits) - 1) : 0;
      memset(buf, 0, sizeof buf);
      qx_bitpack(buf, in, n, bits);
      qx_bitunpack(out, buf, n, bits);
      CHECK(!memcmp(in, out, n * sizeof *in));
      CHECK_EQ_INT(qx_bitpack_size(n, bits), (n * bits + 7) / 8);
    }
  }
  CHECK_EQ_INT(qx_bits_needed(0), 0);
  CHECK_EQ_INT(qx_bits_needed(1), 1);
  CHECK_EQ_INT(qx_bits_needed(255), 8);
  CHECK_EQ_INT(qx_bits_needed(UINT32_MAX), 32);
}

/* A fake index holding one term's postings and positions. */
typedef struct fake {
  qx_seg ix;
  qx_term_info t;
  qx_buf post, pos;
  uint32_t *docs, *tfs;
  uint32_t n;
} fake;

static void fake_make(fake *f, uint32_t n, uint32_t npass) {
  memset(f, 0, sizeof *f);
  f->n = n;
  f->docs = calloc(n, 4);
  f->tfs = calloc(n, 4);
  uint32_t *dls = calloc(n, 4);
  uint64_t *rel = calloc(n, 8);
  uint32_t d = rnd() % 3;
  for (uint32_t i = 0; i < n; i++) {
    f->docs[i] = d;
    d += 1 + (rnd() % 5 == 0 ? rnd() % 1000 : rnd() % 3);
    f->tfs[i] = 1 + (rnd() % 4 == 0 ? rnd() % 50 : 0);
    dls[i] = 10 + rnd() % 300;
    rel[i] = f->pos.len;
    uint32_t p = 0;
    for (uint32_t k = 0; k < f->tfs[i]; k++) {
      uint32_t gap = k ? 1 + rnd() % 7 : rnd() % 20;
      qx_buf_put_varint(&f->pos, gap);
      p += gap;
    }
  }
  CHECK(d - 1 < npass);
  CHECK_EQ_INT(qx_postings_encode(&f->post, f->docs, f->tfs, dls, rel, n, 100.0), 0);
  f->ix.post.data = f->post.data;
  f->ix.post.len = f->post.len;
  f->ix.post_major = QX_POSTINGS_MAJOR;
  f->ix.posi.data = f->pos.data;
  f->ix.posi.len = f->pos.len;
  f->ix.npassages = npass;
  uint32_t max_tf = 0, min_dl = UINT32_MAX;
  for (uint32_t i = 0; i < n; i++) {
    max_tf = QX_MAX(max_tf, f->tfs[i]);
    min_dl = QX_MIN(min_dl, dls[i]);
  }
  f->t = (qx_term_info){.id = 7, .df = n, .post_off = 0, .post_len = f->post.len, .pos_off = 0,
                        .pos_len = f->pos.len, .nblocks = (n + QX_BLOCK - 1) / QX_BLOCK, .max_tf = max_tf,
                        .min_dl = min_dl};
  free(dls);
  free(rel);
}

static void fake_free(fake *f) {
  qx_buf_free(&f->post);
  qx_buf_free(&f->pos);
  free(f->docs);
  free(f->tfs);
}

/* A tf too big for a skip entry's corner (>= 2^24): the entry holds the
 * escape and the cursor bounds the block by the term's max_tf. */
static void test_postings_big_tf(void) {
  enum { N = 300 };
  uint32_t docs[N], tfs[N], dls[N];
  uint64_t rel[N] = {0};
  for (uint32_t i = 0; i < N; i++) {
    docs[i] = 3 * i + 1;
    tfs[i] = i == 140 ? (1u << 25) + 3 : 1 + i % 5;
    dls[i] = 100 + i;
  }
  fake f;
  memset(&f, 0, sizeof f);
  CHECK_EQ_INT(qx_postings_encode(&f.post, docs, tfs, dls, rel, N, 100.0), 0);
  f.ix.post.data = f.post.data;
  f.ix.post.len = f.post.len;
  f.ix.post_major = QX_POSTINGS_MAJOR;
  f.ix.npassages = 3 * N + 1;
  f.t = (qx_term_info){.id = 1, .df = N, .post_len = f.post.len, .nblocks = 3, .max_tf = (1u << 25) + 3, .min_dl = 100};
  qx_pcursor c;
  CHECK_EQ_INT(qx_pcursor_open(&c, &f.ix, &f.t), 0);
  for (uint32_t i = 0; i < N; i++) {
    CHECK_EQ_INT(c.doc, docs[i]);
    CHECK_EQ_INT(qx_pcursor_freq(&c), tfs[i]);
    uint32_t last, mtf, mdl;
    qx_pcursor_block_info(&c, i / QX_BLOCK, &last, &mtf, &mdl);
    CHECK_EQ_INT(mtf, i / QX_BLOCK == 1 ? (1u << 25) + 3 : 5);
    CHECK(mdl <= dls[i / QX_BLOCK * QX_BLOCK] && last >= c.doc);
    CHECK_EQ_INT(qx_pcursor_next(&c), 0);
  }
  CHECK(c.doc == QX_DOC_END);
  qx_buf_free(&f.post);
}

/* Every posting of a block dominated by one of its corners (tf at most the
 * corner's, norm at least its); corners ascending in tf and norm; the last
 * corner's tf is the block's max tf, the first's norm its min norm. */
static void check_corners(const uint32_t *tf, const uint8_t *nb, const uint32_t *tfs, const uint32_t *dls,
                          uint32_t n) {
  uint32_t mt = 0;
  uint8_t mn = 255;
  for (uint32_t j = 0; j < n; j++) {
    uint8_t pn = qx_norm_encode(dls[j]);
    int dom = 0;
    for (int i = 0; i < QX_SKIP_CORNERS; i++) dom |= tfs[j] <= tf[i] && pn >= nb[i];
    CHECK(dom);
    mt = QX_MAX(mt, tfs[j]);
    mn = QX_MIN(mn, pn);
  }
  for (int i = 1; i < QX_SKIP_CORNERS; i++) CHECK(tf[i] >= tf[i - 1] && nb[i] >= nb[i - 1]);
  CHECK_EQ_INT(tf[QX_SKIP_CORNERS - 1], mt);
  CHECK_EQ_INT(nb[0], mn);
}

/* The corners of blocks whose (tf, norm) front has 1, 2, 3 (kept exactly),
 * 4 to 16 (split into 3 runs) and more than 16 points (merged first), and
 * of random blocks. */
static void test_block_corners(void) {
  uint32_t tfs[QX_BLOCK], dls[QX_BLOCK], tf[QX_SKIP_CORNERS];
  uint8_t nb[QX_SKIP_CORNERS];
  /* one point: every posting has the same length; the best tf wins */
  for (uint32_t j = 0; j < QX_BLOCK; j++) {
    tfs[j] = 1 + j % 7;
    dls[j] = 50;
  }
  qx_block_corners(tf, nb, tfs, dls, QX_BLOCK, 60.0);
  check_corners(tf, nb, tfs, dls, QX_BLOCK);
  for (int i = 0; i < QX_SKIP_CORNERS; i++) CHECK(tf[i] == 7 && nb[i] == qx_norm_encode(50));
  /* two and three points: the front itself */
  for (uint32_t m = 2; m <= 3; m++) {
    for (uint32_t j = 0; j < 40; j++) {
      tfs[j] = j % m + 1; /* the tf grows with the length: every (tf, length) is on the front */
      dls[j] = 10 + 100 * (j % m);
    }
    qx_block_corners(tf, nb, tfs, dls, 40, 60.0);
    check_corners(tf, nb, tfs, dls, 40);
    for (uint32_t i = 0; i < QX_SKIP_CORNERS; i++) {
      uint32_t p = QX_MIN(i, m - 1);
      CHECK(tf[i] == p + 1 && nb[i] == qx_norm_encode(10 + 100 * p));
    }
  }
  /* a long front (128 points: more than 16, merged into runs first), with
   * a huge tf (above the entry's u24) at its long end */
  for (uint32_t j = 0; j < QX_BLOCK; j++) {
    tfs[j] = j == QX_BLOCK - 1 ? 3000000000u : 1 + 2 * j;
    dls[j] = 4 + 40 * j;
  }
  qx_block_corners(tf, nb, tfs, dls, QX_BLOCK, 72.0);
  check_corners(tf, nb, tfs, dls, QX_BLOCK);
  CHECK(tf[0] < tf[1] && tf[1] < tf[2]); /* three real runs */
  /* random blocks: lengths and tfs of every shape */
  for (int r = 0; r < 2000; r++) {
    uint32_t n = 1 + rnd() % QX_BLOCK;
    for (uint32_t j = 0; j < n; j++) {
      tfs[j] = 1 + (rnd() % 3 == 0 ? rnd() % (r % 2 ? 40 : 4) : 0);
      dls[j] = r % 5 == 0 ? 30 : 1 + rnd() % (r % 3 ? 400 : 5000);
      if (r % 4 == 0) tfs[j] += dls[j] / 50; /* tf growing with the length: long fronts */
    }
    qx_block_corners(tf, nb, tfs, dls, n, 1.0 + rnd() % 200);
    check_corners(tf, nb, tfs, dls, n);
  }
}

/* A list written as postings 3 (16-byte entries: one corner, max tf and min
 * norm) still reads: same postings, the entry's one corner repeated. */
static void test_postings_v3(void) {
  fake f;
  fake_make(&f, 1000, 100000000);
  uint32_t nb = f.t.nblocks, shift = nb * (QX_SKIP_ENTRY_SIZE - QX_SKIP_ENTRY_SIZE_V3);
  qx_buf v3 = {0};
  CHECK_EQ_INT(qx_buf_reserve(&v3, f.post.len), 0);
  for (uint32_t b = 0; b < nb; b++) { /* last, data_off (the table is smaller), pos_off, min norm | max tf */
    const uint8_t *e = f.post.data + (size_t)b * QX_SKIP_ENTRY_SIZE;
    uint32_t v[4] = {qx_le32(e), qx_le32(e + 4) - shift, qx_le32(e + 8), e[12] | (qx_le32(e + 20) & ~0xffu)};
    memcpy(v3.data + v3.len, v, sizeof v);
    v3.len += sizeof v;
  }
  size_t data = (size_t)nb * QX_SKIP_ENTRY_SIZE;
  memcpy(v3.data + v3.len, f.post.data + data, f.post.len - data);
  v3.len += f.post.len - data;
  qx_seg ix = f.ix;
  ix.post.data = v3.data;
  ix.post.len = v3.len;
  ix.post_major = 3;
  qx_term_info t = f.t;
  t.post_len = v3.len;
  qx_pcursor c, c4;
  CHECK_EQ_INT(qx_pcursor_open(&c, &ix, &t), 0);
  CHECK_EQ_INT(qx_pcursor_open(&c4, &f.ix, &f.t), 0);
  CHECK_EQ_INT(c.esize, QX_SKIP_ENTRY_SIZE_V3);
  for (uint32_t i = 0; i < f.n; i++) {
    CHECK_EQ_INT(c.doc, f.docs[i]);
    CHECK_EQ_INT(qx_pcursor_freq(&c), f.tfs[i]);
    if (i % QX_BLOCK == 0) {
      qx_block_bound b3, b4;
      qx_pcursor_block_bound(&c, i / QX_BLOCK, &b3);
      qx_pcursor_block_bound(&c4, i / QX_BLOCK, &b4);
      for (int k = 0; k < QX_SKIP_CORNERS; k++) CHECK(b3.tf[k] == b4.tf[2] && b3.norm[k] == b4.norm[0]);
    }
    CHECK_EQ_INT(qx_pcursor_next(&c), 0);
  }
  CHECK(c.doc == QX_DOC_END);
  qx_buf_free(&v3);
  fake_free(&f);
}

static void test_postings(void) {
  uint32_t sizes[] = {1, 2, 127, 128, 129, 1000, 5000};
  for (size_t s = 0; s < QX_ARRAY_LEN(sizes); s++) {
    fake f;
    fake_make(&f, sizes[s], 100000000);
    qx_pcursor c;
    CHECK_EQ_INT(qx_pcursor_open(&c, &f.ix, &f.t), 0);
    /* next over everything, with positions (strictly increasing) */
    uint32_t pos[64];
    for (uint32_t i = 0; i < f.n; i++) {
      CHECK_EQ_INT(c.doc, f.docs[i]);
      CHECK_EQ_INT(qx_pcursor_freq(&c), f.tfs[i]);
      if (i % 3 == 0) {
        CHECK_EQ_INT(qx_pcursor_positions(&c, pos, 64), 0);
        for (uint32_t k = 1; k < QX_MIN(f.tfs[i], 64); k++) CHECK(pos[k] > pos[k - 1]);
      }
      uint32_t last, mtf, mdl;
      CHECK_EQ_INT(qx_pcursor_block_max(&c, &last, &mtf, &mdl), 0);
      CHECK(last >= c.doc && mtf >= qx_pcursor_freq(&c));
      CHECK_EQ_INT(qx_pcursor_next(&c), 0);
    }
    CHECK(c.doc == QX_DOC_END);
    /* advance to random targets, compared with a linear search */
    CHECK_EQ_INT(qx_pcursor_open(&c, &f.ix, &f.t), 0);
    uint32_t target = 0, j = 0;
    for (int r = 0; r < 200 && c.doc != QX_DOC_END; r++) {
      target += rnd() % 400;
      CHECK_EQ_INT(qx_pcursor_advance(&c, target), 0);
      while (j < f.n && f.docs[j] < target) j++;
      CHECK_EQ_INT(c.doc, j < f.n ? f.docs[j] : QX_DOC_END);
      if (j < f.n) CHECK_EQ_INT(qx_pcursor_freq(&c), f.tfs[j]);
    }
    /* damaged bytes: never a crash, never an id out of range */
    for (int trial = 0; trial < 300; trial++) {
      size_t at = rnd() % f.post.len;
      uint8_t save = f.post.data[at];
      f.post.data[at] ^= (uint8_t)(1u << (rnd() % 8));
      int rc = qx_pcursor_open(&c, &f.ix, &f.t);
      uint32_t steps = 0;
      while (!rc && c.doc != QX_DOC_END && steps++ < f.n + 10) {
        CHECK(c.doc < f.ix.npassages);
        if (steps % 5 == 0) rc = qx_pcursor_positions(&c, pos, 64);
        if (!rc) rc = steps % 7 == 0 ? qx_pcursor_advance(&c, c.doc + 100) : qx_pcursor_next(&c);
      }
      CHECK(rc == 0 || rc == QUARRY_ECORRUPT);
      f.post.data[at] = save;
    }
    fake_free(&f);
  }
  /* a passage id >= the passage count is caught */
  fake f;
  fake_make(&f, 300, 100000000);
  f.ix.npassages = f.docs[200];
  qx_pcursor c;
  int rc = qx_pcursor_open(&c, &f.ix, &f.t);
  while (!rc && c.doc != QX_DOC_END) rc = qx_pcursor_next(&c);
  CHECK_EQ_INT(rc, QUARRY_ECORRUPT);
  fake_free(&f);
}

/* ---- passage cutter ---- */
typedef struct cut_log {
  uint32_t n, first_pos[64], ntok[64];
  uint64_t start[64], end[64];
} cut_log;

static int on_cut(void *ctx, const qx_ptok *t, uint32_t n, uint64_t start, uint64_t end) {
  cut_log *l = ctx;
  if (l->n < 64) {
    l->first_pos[l->n] = n ? t[0].pos : UINT32_MAX;
    l->ntok[l->n] = n;
    l->start[l->n] = start;
    l->end[l->n] = end;
  }
  l->n++;
  return 0;
}

static void test_cutter(void) {
  /* 1000 tokens "w " (2 bytes each), a sentence boundary every 37 tokens */
  static char text[2000];
  for (int i = 0; i < 1000; i++) memcpy(text + 2 * i, "w ", 2);
  qx_cutter c;
  cut_log l = {0};
  CHECK_EQ_INT(qx_cutter_init(&c, 100, 20, on_cut, &l), 0);
  qx_cutter_begin(&c, text, sizeof text);
  for (uint32_t i = 0; i < 1000; i++) {
    qx_ptok t = {i % 5, i, 2 * i, 2 * i + 1, (uint8_t)(i % 37 == 0 ? 1 : 0)};
    CHECK_EQ_INT(qx_cutter_push(&c, &t), 0);
  }
  CHECK_EQ_INT(qx_cutter_end(&c), 0);
  CHECK(l.n >= 10 && l.n <= 14);
  uint32_t covered = 0;
  for (uint32_t i = 0; i < l.n && i < 64; i++) {
    CHECK(l.ntok[i] <= 125 && l.ntok[i] >= 1);
    if (i) {
      CHECK(l.first_pos[i] > l.first_pos[i - 1]);
      uint32_t prev_end = l.first_pos[i - 1] + l.ntok[i - 1];
      CHECK(l.first_pos[i] <= prev_end);         /* no gap */
      CHECK(prev_end - l.first_pos[i] <= 20);    /* overlap at most 20 */
      CHECK(l.start[i] > l.start[i - 1]);
      if (i + 1 < l.n) CHECK(l.first_pos[i] % 37 == 0 || prev_end - l.first_pos[i] == 20);
    }
    CHECK(l.end[i] <= sizeof text && l.end[i] > l.start[i]);
    covered = l.first_pos[i] + l.ntok[i];
  }
  CHECK_EQ_INT(covered, 1000);
  /* a document without tokens gets one empty passage */
  memset(&l, 0, sizeof l);
  qx_cutter_begin(&c, "  ...  ", 7);
  CHECK_EQ_INT(qx_cutter_end(&c), 0);
  CHECK_EQ_INT(l.n, 1);
  CHECK_EQ_INT(l.ntok[0], 0);
  /* a short document is one passage */
  memset(&l, 0, sizeof l);
  qx_cutter_begin(&c, text, 200);
  for (uint32_t i = 0; i < 100; i++) {
    qx_ptok t = {0, i, 2 * i, 2 * i + 1, 0};
    qx_cutter_push(&c, &t);
  }
  qx_cutter_end(&c);
  CHECK_EQ_INT(l.n, 1);
  CHECK_EQ_INT(l.ntok[0], 100);
  qx_cutter_free(&c);
  qx_cutter dummy;
  CHECK_EQ_INT(qx_cutter_init(&dummy, 100, 51, on_cut, &l), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_cutter_init(&dummy, 4, 0, on_cut, &l), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_gap_boundary(" \n ", 3), 2);
  CHECK_EQ_INT(qx_gap_boundary(". ", 2), 1);
  CHECK_EQ_INT(qx_gap_boundary(", ", 2), 0);
}

static void test_manifest(void) {
  qx_manifest m = {0}, p;
  CHECK_EQ_INT(qx_manifest_set(&m, "docs", "%d", 5), 0);
  CHECK_EQ_INT(qx_manifest_set(&m, "vectors.model", "multilingual-e5-small\nq4"), 0);
  CHECK_EQ_INT(qx_manifest_set(&m, "docs", "%d", 6), 0);
  CHECK_EQ_INT(qx_manifest_add_file(&m, "postings", 1234, 0xdeadbeefull), 0);
  qx_buf b = {0};
  CHECK_EQ_INT(qx_manifest_format(&b, &m), 0);
  CHECK_EQ_INT(qx_manifest_parse(&p, (const char *)b.data, b.len, "M"), 0);
  CHECK_EQ_STR(qx_manifest_get(&p, "docs"), "6");
  CHECK_EQ_STR(qx_manifest_get(&p, "vectors.model"), "multilingual-e5-small q4");
  CHECK_EQ_INT(p.nfiles, 1);
  CHECK(p.files[0].size == 1234 && p.files[0].xxh64 == 0xdeadbeefull);
  qx_manifest_free(&p);
  for (size_t i = 0; i < b.len; i++) { /* any flipped byte is caught */
    b.data[i] ^= 4;
    int rc = qx_manifest_parse(&p, (const char *)b.data, b.len, "M");
    CHECK(rc == QUARRY_ECORRUPT || rc == QUARRY_EVERSION);
    if (!rc) qx_manifest_free(&p);
    b.data[i] ^= 4;
  }
  CHECK_EQ_INT(qx_manifest_parse(&p, (const char *)b.data, b.len / 2, "M"), QUARRY_ECORRUPT);
  qx_buf_free(&b);
  /* a newer major version is refused */
  qx_buf v = {0};
  qx_buf_printf(&v, "quarry-index 9.0\ndocs 1\n");
  qx_buf_printf(&v, "checksum %016llx\n", (unsigned long long)qx_xxh64(v.data, v.len));
  CHECK_EQ_INT(qx_manifest_parse(&p, (const char *)v.data, v.len, "M"), QUARRY_EVERSION);
  qx_buf_free(&v);
  qx_manifest_free(&m);
}

/* Stored text comes NUL-terminated and then zero-padded (QUARRY_TEXT_PAD):
 * quarry grep --index hands it to PCRE2's JIT, which reads whole vectors
 * past the end (found by valgrind in the segments test). */
static int zero_padded(const char *t, size_t len) {
  for (size_t i = 0; i <= QUARRY_TEXT_PAD; i++)
    if (t[len + i] != 0) return 0;
  return 1;
}

static void test_store(void) {
  const char *path = "/tmp/quarry-test-store.zst";
  qx_store_writer *w;
  CHECK_EQ_INT(qx_store_writer_open(&w, path), 0);
  enum { N = 300 };
  static char big[100000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 23);
  char doc[64];
  for (int i = 0; i < N; i++) {
    if (i % 100 == 50) CHECK_EQ_INT(qx_store_writer_add(w, big, sizeof big), 0);
    else {
      int n = snprintf(doc, sizeof doc, "document number %d", i);
      CHECK_EQ_INT(qx_store_writer_add(w, doc, (size_t)n), 0);
    }
  }
  CHECK_EQ_INT(qx_store_writer_add(w, "", 0), 0); /* an empty one */
  CHECK_EQ_INT(qx_store_writer_close(w), 0);
  qx_store_writer_free(w);
  qx_map m;
  CHECK_EQ_INT(qx_map_open(&m, path), 0);
  qx_store *s;
  CHECK_EQ_INT(qx_store_open(&s, m.data, m.len, "store"), 0);
  CHECK_EQ_INT(qx_store_count(s), N + 1);
  char *t;
  size_t len;
  for (int i = 0; i < N; i++) {
    CHECK_EQ_INT(qx_store_read(&t, &len, s, (uint32_t)i, 0, UINT64_MAX), 0);
    CHECK(zero_padded(t, len));
    if (i % 100 == 50) CHECK(len == sizeof big && !memcmp(t, big, len));
    else {
      int n = snprintf(doc, sizeof doc, "document number %d", i);
      CHECK(len == (size_t)n && !memcmp(t, doc, len));
    }
    free(t);
  }
  CHECK_EQ_INT(qx_store_read(&t, &len, s, 7, 9, 15), 0);
  CHECK(len == 6 && !memcmp(t, "number", 6) && zero_padded(t, len));
  free(t);
  CHECK_EQ_INT(qx_store_read(&t, &len, s, 150, 99990, 200000), 0);
  CHECK(len == 10 && !memcmp(t, big + 99990, 10) && zero_padded(t, len));
  free(t);
  CHECK_EQ_INT(qx_store_read(&t, &len, s, N, 0, 10), 0);
  CHECK_EQ_INT(len, 0);
  CHECK(zero_padded(t, len));
  free(t);
  CHECK_EQ_INT(qx_store_read(&t, &len, s, N + 1, 0, 10), QUARRY_ECORRUPT);
  qx_store_free(s);
  /* frames read with pread: the same texts */
  CHECK_EQ_INT(qx_store_open(&s, m.data, m.len, "store"), 0);
  int fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  qx_store_read_by_fd(s, fd);
  for (int i = 0; i < N; i += 7) {
    char *u;
    size_t ulen;
    CHECK_EQ_INT(qx_store_read(&t, &len, s, (uint32_t)i, 3, 40000), 0);
    CHECK(zero_padded(t, len));
    qx_store *sm;
    CHECK_EQ_INT(qx_store_open(&sm, m.data, m.len, "store"), 0);
    CHECK_EQ_INT(qx_store_read(&u, &ulen, sm, (uint32_t)i, 3, 40000), 0);
    CHECK(len == ulen && !memcmp(t, u, len));
    qx_store_free(sm);
    free(u);
    free(t);
  }
  qx_store_free(s); /* closes fd */
  /* a file shorter than its mapping (truncated under a reader): frames past
   * its end are an error, not a crash or a read past the end */
  const char *half = "/tmp/quarry-test-store-half.zst";
  CHECK_EQ_INT(qx_file_write(half, m.data, QX_HEADER_SIZE + 16), 0); /* no whole frame */
  CHECK_EQ_INT(qx_store_open(&s, m.data, m.len, "store"), 0);
  fd = open(half, O_RDONLY);
  CHECK(fd >= 0);
  qx_store_read_by_fd(s, fd);
  for (uint32_t d = 0; d < N; d += 11) {
    t = NULL;
    CHECK_EQ_INT(qx_store_read(&t, &len, s, d, 0, UINT64_MAX), QUARRY_ECORRUPT);
    CHECK(t == NULL);
  }
  qx_store_free(s);
  unlink(half);
  /* damaged copies: errors, never a crash */
  uint8_t *copy = malloc(m.len);
  for (int trial = 0; trial < 400; trial++) {
    memcpy(copy, m.data, m.len);
    size_t at = trial < 200 ? rnd() % m.len : m.len - 1 - rnd() % 200; /* half in the tables */
    copy[at] ^= (uint8_t)(1u << (rnd() % 8));
    if (qx_store_open(&s, copy, m.len, "store")) continue;
    for (uint32_t d = 0; d < qx_store_count(s); d += 13) {
      if (qx_store_read(&t, &len, s, d, 0, UINT64_MAX) == 0) free(t);
    }
    qx_store_free(s);
  }
  CHECK_EQ_INT(qx_store_open(&s, m.data, m.len / 2, "store"), QUARRY_ECORRUPT);
  free(copy);
  qx_map_close(&m);
  unlink(path);
}

static void test_build_open(void) {
  const char *texts[] = {"Le chat dort sur le canapé.\nLe chien aboie.", "Les chats et les chiens.\n",
                         "", "Une phrase. Deux phrases ! Trois ?\n\nQuatre."};
  fixture f;
  CHECK_EQ_INT(fixture_make(&f, texts, 4, "fr", 200, 50), 0);
  quarry_index *ix = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  quarry_index_info in;
  CHECK_EQ_INT(quarry_index_stat(&in, ix), 0);
  CHECK_EQ_INT(in.docs, 3); /* the empty file is skipped */
  CHECK_EQ_INT(in.passages, 3);
  CHECK_EQ_STR(in.lang, "fr");
  CHECK_EQ_INT(quarry_index_verify(ix), 0);
  qx_doc_info d;
  CHECK_EQ_INT(qx_index_doc(&d, ix, 0), 0);
  CHECK(d.title_len == strlen("Le chat dort sur le canapé.") && !memcmp(d.title, "Le chat dort", 12));
  qx_term_info t;
  CHECK_EQ_INT(qx_seg_find_term(&t, ix->seg[0], "chat", 4), 1);
  CHECK_EQ_INT(t.df, 2);
  CHECK_EQ_INT(qx_seg_find_term(&t, ix->seg[0], "zzz", 3), 0);
  uint64_t lo, hi;
  CHECK_EQ_INT(qx_seg_surface_range(&lo, &hi, ix->seg[0], "chat", 4), 0);
  CHECK_EQ_INT(hi - lo, 2); /* chat, chats */
  char *txt;
  size_t len;
  CHECK_EQ_INT(qx_index_passage_text(&txt, &len, ix, 2), 0);
  CHECK(len > 10 && !memcmp(txt, "Une phrase.", 11));
  free(txt);
  quarry_index_close(ix);
  /* damage: a flipped byte in a small file is caught at open */
  char path[200];
  snprintf(path, sizeof path, "%s/s000001/lexicon", f.idx); /* a full build writes one segment (format 2.0) */
  FILE *fp = fopen(path, "r+b");
  fseek(fp, 40, SEEK_SET);
  int ch = fgetc(fp);
  fseek(fp, 40, SEEK_SET);
  fputc(ch ^ 1, fp);
  fclose(fp);
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), QUARRY_ECORRUPT);
  CHECK(strstr(quarry_error_last(), "lexicon") != NULL);
  /* rebuilding over it replaces it */
  const char *paths[] = {f.in};
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  CHECK_EQ_INT(quarry_index_build(NULL, f.idx, paths, 1, &o), 0);
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  quarry_index_close(ix);
  CHECK_EQ_INT(quarry_index_open(&ix, f.in), QUARRY_ENOTFOUND);
  CHECK_EQ_INT(quarry_index_open(&ix, "/nonexistent/quarry"), QUARRY_ENOTFOUND);
  fixture_free(&f);
}

/* Every term of segment sg: found by id, by string and by the iterator
 * (from 0 and from every id that starts or ends a block), strings just
 * after or before a term are absent, and the prefix ranges of a lexicon
 * without a surface file hold exactly the terms with the prefix. */
static void check_lexicon(qx_seg *sg) {
  qx_term_info t, u, v;
  qx_lex_iter *it = malloc(sizeof *it), *it2 = malloc(sizeof *it2);
  qx_lex_iter_init(it, sg, 0);
  for (uint32_t id = 0; id < sg->nterms; id++) {
    CHECK_EQ_INT(qx_seg_term(&t, sg, id), 0);
    CHECK_EQ_INT(qx_lex_iter_next(it, &v), 1);
    CHECK(v.id == id && v.len == t.len && !memcmp(v.str, t.str, t.len) && v.df == t.df && v.cf == t.cf &&
          v.post_off == t.post_off && v.post_len == t.post_len && v.pos_off == t.pos_off && v.pos_len == t.pos_len &&
          v.max_tf == t.max_tf && v.min_dl == t.min_dl && v.nblocks == t.nblocks);
    CHECK(t.df >= 1 && t.cf >= t.df && t.max_tf >= 1 && t.max_tf <= t.cf);
    CHECK_EQ_INT(qx_seg_find_term(&u, sg, t.str, t.len), 1);
    CHECK(u.id == id && u.df == t.df && u.post_off == t.post_off && u.len == t.len && !memcmp(u.str, t.str, t.len));
    char buf[QX_TERM_MAX + 1];
    memcpy(buf, t.str, t.len);
    buf[t.len] = 0; /* sorts right after the term, before the next one */
    CHECK_EQ_INT(qx_seg_find_term(&u, sg, buf, t.len + 1), 0);
    if (t.len > 1) { /* absent, or a term of its own ("chat", "chats") */
      int r = qx_seg_find_term(&u, sg, t.str, t.len - 1);
      CHECK(r == 0 || (r == 1 && u.id < id && u.len == t.len - 1 && !memcmp(u.str, t.str, u.len)));
    }
    if (id % 31 == 0 || id % 32 == 0) { /* an iterator starting here */
      qx_lex_iter_init(it2, sg, id);
      CHECK_EQ_INT(qx_lex_iter_next(it2, &u), 1);
      CHECK(u.id == id && u.len == t.len && !memcmp(u.str, t.str, t.len) && u.post_off == t.post_off);
    }
  }
  CHECK_EQ_INT(qx_lex_iter_next(it, &v), 0);
  CHECK_EQ_INT(qx_seg_find_term(&u, sg, "", 0), 0);
  CHECK_EQ_INT(qx_seg_find_term(&u, sg, "\x01", 1), 0);
  CHECK_EQ_INT(qx_seg_find_term(&u, sg, "\xff\xff", 2), 0);
  CHECK_EQ_INT(qx_seg_term(&u, sg, (uint32_t)sg->nterms), QUARRY_EINVAL);
  if (sg->surf_lexicon) { /* no surface file: the forms are the lexicon's terms */
    CHECK(sg->nsurface == sg->nterms && !sg->surf.len);
    const char *prefixes[] = {"", "a", "wb", "t", "th", "zz", "\xff", "\x01"};
    for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++) {
      const char *pf = prefixes[k];
      size_t pl = strlen(pf);
      uint64_t want = 0, first = UINT64_MAX, lo, hi;
      for (uint32_t id = 0; id < sg->nterms; id++) {
        const char *form;
        uint32_t fl, term;
        char fbuf[QX_TERM_MAX];
        CHECK_EQ_INT(qx_seg_term(&t, sg, id), 0);
        CHECK_EQ_INT(qx_seg_surface_get(&form, &fl, &term, fbuf, sg, id), 0);
        CHECK(term == id && fl == t.len && !memcmp(form, t.str, fl));
        if (t.len >= pl && !memcmp(t.str, pf, pl)) {
          want++;
          if (first == UINT64_MAX) first = id;
        }
      }
      CHECK_EQ_INT(qx_seg_surface_range(&lo, &hi, sg, pf, pl), 0);
      CHECK_EQ_INT(hi - lo, want);
      if (want) CHECK_EQ_INT(lo, first);
    }
  }
  free(it);
  free(it2);
}

/* Every surface form of sg (a surface file of any version): by index, by
 * the iterator from 0 and from block edges, in order, mapping to a term;
 * prefix ranges hold exactly the forms with the prefix. */
static void check_surface(qx_seg *sg) {
  qx_lex_iter *it = malloc(sizeof *it), *it2 = malloc(sizeof *it2);
  char prev[QX_TERM_MAX], fbuf[QX_TERM_MAX], ibuf[QX_TERM_MAX], jbuf[QX_TERM_MAX];
  uint32_t prev_len = 0;
  CHECK(!sg->surf_lexicon && sg->nsurface > 0);
  qx_surf_iter_init(it, sg, 0);
  for (uint64_t i = 0; i < sg->nsurface; i++) {
    const char *f, *g;
    uint32_t fl, gl, t, u;
    CHECK_EQ_INT(qx_seg_surface_get(&f, &fl, &t, fbuf, sg, i), 0);
    CHECK_EQ_INT(qx_surf_iter_next(it, &g, &gl, &u, ibuf), 1);
    CHECK(fl == gl && !memcmp(f, g, fl) && t == u && t < sg->nterms);
    if (i) CHECK(memcmp(prev, f, QX_MIN(prev_len, fl)) < 0 || (!memcmp(prev, f, QX_MIN(prev_len, fl)) && prev_len < fl));
    memcpy(prev, f, fl);
    prev_len = fl;
    if (i % 32 == 0 || i % 32 == 31) {
      qx_surf_iter_init(it2, sg, i);
      CHECK_EQ_INT(qx_surf_iter_next(it2, &g, &gl, &u, jbuf), 1);
      CHECK(fl == gl && !memcmp(f, g, fl) && t == u);
    }
  }
  const char *g;
  uint32_t gl, u;
  CHECK_EQ_INT(qx_surf_iter_next(it, &g, &gl, &u, ibuf), 0);
  const char *prefixes[] = {"", "a", "w", "wa", "wb", "t", "th", "zz", "\xff", "\x01", "walking"};
  for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++) {
    const char *pf = prefixes[k];
    size_t pl = strlen(pf);
    uint64_t want = 0, first = UINT64_MAX, lo, hi;
    for (uint64_t i = 0; i < sg->nsurface; i++) {
      const char *f;
      uint32_t fl, t;
      CHECK_EQ_INT(qx_seg_surface_get(&f, &fl, &t, fbuf, sg, i), 0);
      if (fl >= pl && !memcmp(f, pf, pl)) {
        want++;
        if (first == UINT64_MAX) first = i;
      }
    }
    CHECK_EQ_INT(qx_seg_surface_range(&lo, &hi, sg, pf, pl), 0);
    CHECK_EQ_INT(hi - lo, want);
    if (want) CHECK_EQ_INT(lo, first);
  }
  free(it);
  free(it2);
}

/* surface 2: several blocks of forms (English stems: walk <- walking, walks). */
static void test_surface(void) {
  enum { NW = 64 * 3 + 9 };
  char *text = malloc(NW * 40 + 1), *at = text;
  for (int i = 0; i < NW; i++)
    at += sprintf(at, "w%c%cing w%c%cs ", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i % 26, 'a' + i / 26 % 26);
  const char *texts[] = {text};
  fixture f;
  CHECK_EQ_INT(fixture_make(&f, texts, 1, "en", 1000, 0), 0);
  free(text);
  quarry_index *ix = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  qx_seg *sg = ix->seg[0];
  CHECK_EQ_INT(sg->surf_major, QX_SURFACE_MAJOR);
  CHECK(sg->nsurface > 3 * QX_SURF2_BLOCK_FORMS && sg->nsurface % QX_SURF2_BLOCK_FORMS != 0);
  check_surface(sg);
  check_lexicon(sg);
  CHECK_EQ_INT(quarry_index_verify(ix), 0);
  quarry_index_close(ix);
  fixture_free(&f);
}

/* lexicon 3: several blocks and a partial last one, lang none (no surface file). */
static void test_lexicon(void) {
  enum { NW = 64 * 5 + 17 };
  char *text = malloc(NW * 12 + 1), *at = text;
  for (int i = 0; i < NW; i++) at += sprintf(at, "w%c%c%d ", 'a' + i % 26, 'a' + i / 26 % 26, i);
  const char *texts[] = {text};
  fixture f;
  CHECK_EQ_INT(fixture_make(&f, texts, 1, "none", 1000, 0), 0);
  free(text);
  quarry_index *ix = NULL;
  CHECK_EQ_INT(quarry_index_open(&ix, f.idx), 0);
  qx_seg *sg = ix->seg[0];
  CHECK_EQ_INT(sg->lex_major, QX_LEXICON_MAJOR);
  CHECK_EQ_INT(sg->lex3.per_block, QX_LEX3_BLOCK_TERMS);
  CHECK(!sg->lxi.len); /* lexicon 3 needs no lexicon.idx */
  CHECK(sg->nterms >= NW && sg->nterms % QX_LEX3_BLOCK_TERMS != 0);
  check_lexicon(sg);
  CHECK_EQ_INT(quarry_index_verify(ix), 0);
  quarry_index_close(ix);
  fixture_free(&f);
  /* a major version from the future is refused, with what to do */
  uint8_t hdr[QX_HEADER_SIZE] = "QXLEXI01";
  qx_map m = {.data = hdr, .len = sizeof hdr};
  for (uint32_t v = 1; v <= QX_LEXICON_MAJOR + 1; v++) {
    memcpy(hdr + 8, &v, 4);
    int rc = qx_check_header(&m, QX_MAGIC_LEXICON, "lexicon");
    CHECK_EQ_INT(rc, v <= QX_LEXICON_MAJOR ? 0 : QUARRY_EVERSION);
    if (rc) CHECK(strstr(quarry_error_last(), "rebuild the index") != NULL);
  }
}

/* Indexes written by an earlier quarry (tests/data/golden/): lexicon 2 with
 * lexicon.idx, with and without the sparse index, with and without a surface
 * file. */
static void test_lexicon_golden(void) {
  const char *dirs[] = {"tests/data/golden/lexicon2-none", "tests/data/golden/lexicon2-fr"};
  for (size_t d = 0; d < 2; d++) {
    quarry_index *ix = NULL;
    CHECK_EQ_INT(quarry_index_open(&ix, dirs[d]), 0);
    if (!ix) continue;
    qx_seg *sg = ix->seg[0];
    CHECK_EQ_INT(sg->lex_major, 2);
    CHECK(sg->lxi.len > 0 && sg->lxi_every == QX_LEXIDX_EVERY && sg->nterms > 2 * QX_LEXIDX_EVERY);
    CHECK_EQ_INT(sg->surf_lexicon, d == 0);
    qx_map saved = sg->lxi;
    for (int pass = 0; pass < 2; pass++) {
      if (pass) sg->lxi.len = 0; /* an index from before lexicon.idx: the whole lexicon */
      check_lexicon(sg);
    }
    sg->lxi = saved;
    if (d == 1) {
      CHECK_EQ_INT(sg->surf_major, 1);
      check_surface(sg);
    }
    CHECK_EQ_INT(quarry_index_verify(ix), 0);
    quarry_index_close(ix);
  }
}

/* The tournament of the merges (qx_tourn.h) against a linear scan: any
 * number of sources (1, powers of two and not), many equal keys, and
 * updates of any source, not only the winner (held out, put back). */
static uint32_t tourn_keys[300];
static int tourn_less(const void *ctx, uint32_t a, uint32_t b) {
  const uint32_t *k = ctx;
  return k[a] < k[b] || (k[a] == k[b] && a < b);
}

static void test_tourn(void) {
  qx_tourn t = {0};
  CHECK(qx_tourn_build(&t, 0, tourn_less, tourn_keys) != 0);
  for (uint32_t n = 1; n <= 300; n += n < 40 ? 1 : 37) {
    for (uint32_t s = 0; s < n; s++) tourn_keys[s] = rnd() % 16;
    CHECK_EQ_INT(qx_tourn_build(&t, n, tourn_less, tourn_keys), 0);
    int bad = 0;
    for (int step = 0; step < 2000; step++) {
      uint32_t top = 0;
      for (uint32_t s = 1; s < n; s++)
        if (tourn_less(tourn_keys, s, top)) top = s;
      if (qx_tourn_top(&t) != top) bad++;
      /* mostly the winner moves forward, as in a merge; else any source */
      uint32_t s = rnd() % 4 ? top : rnd() % n;
      tourn_keys[s] = rnd() % 8 ? tourn_keys[s] + rnd() % 3 : rnd() % 16;
      qx_tourn_update(&t, s, tourn_less);
    }
    CHECK_EQ_INT(bad, 0);
  }
  qx_tourn_free(&t);
}

int main(void) {
  test_norms();
  test_bitpack();
  test_postings();
  test_postings_big_tf();
  test_block_corners();
  test_postings_v3();
  test_cutter();
  test_manifest();
  test_tourn();
  test_store();
  test_build_open();
  test_lexicon();
  test_lexicon_golden();
  test_surface();
  return qx_test_result();
}
