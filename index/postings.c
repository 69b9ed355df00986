/*
 * postings.c: encoding and decoding of block postings (see qx_postings.h and
 * docs/FORMAT.md). Blocks of 128 passage-id gaps and tf-1 values, each
 * bit-packed at the width of its largest value (binary packing, Lemire &
 * Boytsov, "Decoding billions of integers per second through vectorization",
 * 2015; the packers live in bitpack_*.c, one per instruction set).
 * Every offset and count read from disk is checked before use.
 */
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "qx_postings.h"

unsigned qx_bits_needed(uint32_t max) { return max ? 32u - (unsigned)__builtin_clz(max) : 0u; }

size_t qx_bitpack_size(uint32_t n, unsigned bits) { return (size_t)(((uint64_t)n * bits + 7) / 8); }

/* ---- block corners (postings 4) --------------------------------------------
 * A block's bound must hold for any k1, b and avgdl given at query time, so
 * it cannot be a score (PISA and Tantivy store the block's best score under
 * their fixed parameters). One corner (max tf, min norm) is loose: on the
 * 10^6-passage benchmark corpus, for a frequent word nearly every block keeps
 * a bound above the top-10 threshold while a handful really hold a better
 * score. The (tf, norm) Pareto front of a block (the postings that no other
 * beats in both tf and length: 5 to 10 points for a frequent word) cut into
 * 3 runs, each replaced by its corner (the run's max tf at its min norm),
 * gave about the exact block maxima's count at every (k1, b) tried
 * (search/README.md). The split is the one whose bounds multiply to the least
 * over a few reference (k1, b): no single parameter setting is favoured. */
#define REF_N 4
static const double ref_k1[REF_N] = {0.8, 1.6, 0.8, 1.6}, ref_b[REF_N] = {0.3, 0.3, 0.8, 0.8};
#define FRONT_MAX 16 /* longer fronts are first merged into this many runs */

void qx_block_corners(uint32_t tf[QX_SKIP_CORNERS], uint8_t norm[QX_SKIP_CORNERS], const uint32_t *tfs,
                      const uint32_t *dls, uint32_t n, double avgdl) {
  /* the front: by norm ascending, each point's tf above every shorter one's */
  uint32_t best[256] = {0}, ft[256];
  uint8_t fn[256];
  for (uint32_t j = 0; j < n; j++) {
    uint8_t nb = qx_norm_encode(dls[j]);
    best[nb] = QX_MAX(best[nb], tfs[j]);
  }
  uint32_t m = 0, top = 0;
  for (uint32_t v = 0; v < 256; v++)
    if (best[v] > top) {
      top = best[v];
      ft[m] = top;
      fn[m++] = (uint8_t)v;
    }
  if (m > FRONT_MAX) { /* runs of consecutive points, each its corner: still dominating */
    uint32_t per = (m + FRONT_MAX - 1) / FRONT_MAX, k = 0;
    for (uint32_t s = 0; s < m; s += per) {
      uint32_t e = QX_MIN(m, s + per) - 1;
      ft[k] = ft[e];
      fn[k++] = fn[s];
    }
    m = k;
  }
  if (m <= QX_SKIP_CORNERS) { /* the front itself (padded with its last point): exact */
    for (uint32_t i = 0; i < QX_SKIP_CORNERS; i++) {
      tf[i] = ft[QX_MIN(i, m - 1)];
      norm[i] = fn[QX_MIN(i, m - 1)];
    }
    return;
  }
  /* S[r][s][e]: the saturation e's tf reaches at s's norm under reference r */
  double S[REF_N][FRONT_MAX][FRONT_MAX];
  if (!(avgdl > 0)) avgdl = 1;
  for (uint32_t r = 0; r < REF_N; r++)
    for (uint32_t s = 0; s < m; s++) {
      double K = ref_k1[r] * (1.0 - ref_b[r] + ref_b[r] * (double)qx_norm_table[fn[s]] / avgdl);
      for (uint32_t e = s; e < m; e++) S[r][s][e] = ft[e] / (ft[e] + K);
    }
  /* runs [0, a), [a, c), [c, m); a == c or c == m: fewer runs */
  double bestv = HUGE_VAL;
  uint32_t ba = m, bc = m;
  for (uint32_t a = 1; a <= m; a++)
    for (uint32_t c = a; c <= m; c++) {
      double v = 1;
      for (uint32_t r = 0; r < REF_N; r++) {
        double u = S[r][0][a - 1];
        if (c > a) u = QX_MAX(u, S[r][a][c - 1]);
        if (m > c) u = QX_MAX(u, S[r][c][m - 1]);
        v *= u;
      }
      if (v < bestv) {
        bestv = v;
        ba = a;
        bc = c;
      }
    }
  uint32_t cut[QX_SKIP_CORNERS + 1] = {0, ba, bc, m}, k = 0;
  for (uint32_t g = 0; g < QX_SKIP_CORNERS; g++)
    if (cut[g + 1] > cut[g]) {
      tf[k] = ft[cut[g + 1] - 1];
      norm[k++] = fn[cut[g]];
    }
  for (; k < QX_SKIP_CORNERS; k++) { /* fewer runs: repeat the last corner */
    tf[k] = tf[k - 1];
    norm[k] = norm[k - 1];
  }
}

/* The skip entry of one block (docs/FORMAT.md, postings 4): u32 last id,
 * u32 offset of the block in the list, u32 offset of its positions in the
 * term's, then three corners, each u8 norm byte | u24 tf (QX_SKIP_TF_ESCAPE:
 * at least that; the reader then takes the term's max_tf, a looser bound). */
static int put_entry(uint8_t *e, uint32_t last, uint64_t data_off, uint64_t pos_off, const uint32_t *tf,
                     const uint8_t *norm) {
  if (data_off > UINT32_MAX || pos_off > UINT32_MAX)
    return qx_err(QUARRY_EINVAL, "a term's postings or positions over 4 GiB (the postings format's limit)");
  uint32_t v[3 + QX_SKIP_CORNERS] = {last, (uint32_t)data_off, (uint32_t)pos_off};
  for (int i = 0; i < QX_SKIP_CORNERS; i++) v[3 + i] = (uint32_t)norm[i] | QX_MIN(tf[i], QX_SKIP_TF_ESCAPE) << 8;
  memcpy(e, v, sizeof v);
  return 0;
}

int qx_postings_encode(qx_buf *out, const uint32_t *docs, const uint32_t *tfs, const uint32_t *dls,
                       const uint64_t *pos_rel, uint32_t n, double avgdl) {
  uint32_t nblocks = (n + QX_BLOCK - 1) / QX_BLOCK;
  /* A single-block list has no skip table: everything in its entry is in the
   * lexicon (df, max_tf, min_dl) or found by decoding the block. */
  size_t table = out->len, tsize = nblocks > 1 ? (size_t)nblocks * QX_SKIP_ENTRY_SIZE : 0;
  if (tsize) {
    int rc = qx_buf_reserve(out, tsize);
    if (rc) return rc;
    memset(out->data + table, 0, tsize);
    out->len += tsize;
  }
  int rc;
  uint32_t gaps[QX_BLOCK], tfm1[QX_BLOCK];
  uint32_t prev = 0;
  for (uint32_t b = 0; b < nblocks; b++) {
    uint32_t lo = b * QX_BLOCK, cnt = QX_MIN(QX_BLOCK, n - lo);
    uint32_t gmax = 0, tmax = 0;
    for (uint32_t j = 0; j < cnt; j++) {
      gaps[j] = docs[lo + j] - prev;
      prev = docs[lo + j];
      tfm1[j] = tfs[lo + j] - 1;
      gmax = QX_MAX(gmax, gaps[j]);
      tmax = QX_MAX(tmax, tfs[lo + j]);
    }
    unsigned bg = qx_bits_needed(gmax), bt = qx_bits_needed(tmax - 1);
    if (tsize) {
      uint32_t ctf[QX_SKIP_CORNERS];
      uint8_t cnorm[QX_SKIP_CORNERS];
      qx_block_corners(ctf, cnorm, tfs + lo, dls + lo, cnt, avgdl);
      if ((rc = put_entry(out->data + table + (size_t)b * QX_SKIP_ENTRY_SIZE, docs[lo + cnt - 1],
                          out->len - table, pos_rel[lo], ctf, cnorm)))
        return rc;
    }
    size_t sg = qx_bitpack_size(cnt, bg), st = qx_bitpack_size(cnt, bt);
    if ((rc = qx_buf_reserve(out, 2 + sg + st))) return rc;
    uint8_t *p = out->data + out->len;
    p[0] = (uint8_t)bg;
    p[1] = (uint8_t)bt;
    memset(p + 2, 0, sg + st);
    qx_bitpack(p + 2, gaps, cnt, bg);
    qx_bitpack(p + 2 + sg, tfm1, cnt, bt);
    out->len += 2 + sg + st;
  }
  return 0;
}

/* ---- cursor ---------------------------------------------------------------- */

static int corrupt(const qx_pcursor *c, const char *what) {
  return qx_err(QUARRY_ECORRUPT, "postings: term %u block %u: %s", c->term, c->block, what);
}

/* Block b's last passage id (the single block's once decoded). */
static inline uint32_t block_last(const qx_pcursor *c, uint32_t b) {
  return c->single ? c->last1 : qx_le32(c->base + (size_t)b * c->esize);
}

/* Where block b's data and positions start (relative to the term's list and
 * positions), and the postings it holds by its entry (0: not recorded). */
static void block_offsets(const qx_pcursor *c, uint32_t b, uint64_t *off, uint64_t *pos, uint32_t *n) {
  if (c->single) {
    *off = *pos = 0;
    *n = 0;
    return;
  }
  const uint8_t *e = c->base + (size_t)b * c->esize;
  if (c->esize != QX_SKIP_ENTRY_SIZE_V2) { /* postings 3 and 4 */
    *off = qx_le32(e + 4);
    *pos = qx_le32(e + 8);
    *n = 0;
  } else {
    *off = qx_le64(e + 16);
    *pos = qx_le64(e + 24);
    *n = qx_le32(e + 12);
  }
}

/* Bit 0: a zero gap, bit 1: a tf-1 >= max_tf (tf above the block's max).
 * Branch-free over a constant count, so that the compiler vectorises the
 * full blocks (the hot path of every query); tail_* for the last block. */
static uint32_t block_check(const uint32_t *gap, const uint32_t *tfm1, uint32_t max_tf) {
  uint32_t zero = 0, over = 0;
  for (uint32_t j = 0; j < QX_BLOCK; j++) {
    zero |= gap[j] == 0;
    over |= tfm1[j] >= max_tf;
  }
  return zero | over << 1;
}
static uint32_t tail_check(const uint32_t *gap, const uint32_t *tfm1, uint32_t n, uint32_t max_tf) {
  uint32_t zero = 0, over = 0;
  for (uint32_t j = 0; j < n; j++) {
    zero |= gap[j] == 0;
    over |= tfm1[j] >= max_tf;
  }
  return zero | over << 1;
}
/* The gaps' total in 64 bits: no wrap-around can hide an id past the end. */
static uint64_t block_sum(const uint32_t *gap) {
  uint64_t t = 0;
  for (uint32_t j = 0; j < QX_BLOCK; j++) t += gap[j];
  return t;
}
static uint64_t tail_sum(const uint32_t *gap, uint32_t n) {
  uint64_t t = 0;
  for (uint32_t j = 0; j < n; j++) t += gap[j];
  return t;
}

/* In place: v[j] = base + v[0] + ... + v[j], in 32 bits (wrapping as the
 * scalar sum would: the caller has ruled a wrap out or checks the total).
 * SSE2 (every x86-64) sums 4 at a time: two shifted adds, then the carry. */
static void prefix_sum(uint32_t *v, uint32_t n, uint32_t base) {
  uint32_t j = 0;
#if defined(__SSE2__)
  __m128i carry = _mm_set1_epi32((int)base);
  for (; j + 4 <= n; j += 4) {
    __m128i x = _mm_loadu_si128((const __m128i *)(v + j));
    x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
    x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
    x = _mm_add_epi32(x, carry);
    _mm_storeu_si128((__m128i *)(v + j), x);
    carry = _mm_shuffle_epi32(x, 0xFF);
  }
  if (j) base = v[j - 1];
#endif
  for (; j < n; j++) {
    base += v[j];
    v[j] = base;
  }
}

static int decode_block(qx_pcursor *c) {
  uint32_t b = c->block, last, max_tf, min_dl, n_entry;
  uint64_t off, pos_off;
  qx_pcursor_block_info(c, b, &last, &max_tf, &min_dl);
  block_offsets(c, b, &off, &pos_off, &n_entry);
  uint32_t n = b + 1 < c->nblocks ? QX_BLOCK : c->df - b * QX_BLOCK;
  if (n_entry && n_entry != n) return corrupt(c, "bad block count");
  if (max_tf > c->max_tf) return corrupt(c, "block max tf above the term's");
  if (off < c->table_len || off > c->len || c->len - off < 2)
    return corrupt(c, "block offset out of range");
  const uint8_t *p = c->base + off;
  unsigned bg = p[0], bt = p[1];
  if (bg > 32 || bt > 32) return corrupt(c, "bad bit width");
  size_t sg = qx_bitpack_size(n, bg), st = qx_bitpack_size(n, bt);
  if (c->len - off - 2 < sg + st) return corrupt(c, "block runs past the end");
  qx_bitunpack(c->docs, p + 2, n, bg);
  qx_bitunpack(c->tfs, p + 2 + sg, n, bt);
  uint64_t prev = b ? block_last(c, b - 1) : 0;
  /* The checks first: no zero gap (only the list's first id may be 0), no
   * tf above the block max, and the ids' total below the passage count (the
   * gaps are >= 1, so the last id is the largest); then the prefix sum,
   * which needs no check. */
  uint32_t first = c->docs[0];
  c->docs[0] |= b == 0; /* the list's first id is the one gap that may be 0 */
  uint32_t bad = n == QX_BLOCK ? block_check(c->docs, c->tfs, max_tf) : tail_check(c->docs, c->tfs, n, max_tf);
  c->docs[0] = first;
  /* The gaps are below 2^bg: when even n of the largest stay below the
   * passage count (a frequent word's small gaps), no total can be out of
   * range nor wrap, and the prefix sum's last id is the total; else the
   * total is summed in 64 bits first. */
  uint64_t total = 0;
  int bounded = prev + (uint64_t)n * ((1ull << bg) - 1) < c->npassages;
  if (!bounded) total = prev + (n == QX_BLOCK ? block_sum(c->docs) : tail_sum(c->docs, n));
  if ((bad & 1) || total >= c->npassages) return corrupt(c, "bad passage id");
  if (bad & 2) return corrupt(c, "tf above the block maximum");
  prefix_sum(c->docs, n, (uint32_t)prev);
  if (n == QX_BLOCK) /* a constant count: vectorised at -O2 */
    for (uint32_t j = 0; j < QX_BLOCK; j++) c->tfs[j] += 1;
  else
    for (uint32_t j = 0; j < n; j++) c->tfs[j] += 1;
  prev = bounded ? c->docs[n - 1] : total;
  if (c->single) /* single block: its last id is known now */
    c->last1 = (uint32_t)prev;
  else if (prev != last)
    return corrupt(c, "last passage id does not match the skip entry");
  c->n = n;
  c->decoded = b;
  c->pos_i = 0;
  c->pos_at = pos_off;
  return 0;
}

int qx_pcursor_open(qx_pcursor *c, const qx_seg *ix, const qx_term_info *t) {
  c->term = t->id;
  c->max_tf = t->max_tf;
  c->min_dl = t->min_dl;
  c->min_norm = qx_norm_encode(t->min_dl);
  c->df = t->df;
  c->nblocks = t->nblocks;
  c->npassages = (uint32_t)ix->npassages;
  c->block = 0;
  c->decoded = UINT32_MAX;
  c->n = c->i = 0;
  c->doc = QX_DOC_END;
  if (t->post_off > ix->post.len || t->post_len > ix->post.len - t->post_off || t->pos_off > ix->posi.len ||
      t->pos_len > ix->posi.len - t->pos_off)
    return qx_err(QUARRY_ECORRUPT, "lexicon: term %u: postings out of range", t->id);
  /* Since postings 2 a single-block list has no skip table: its entry is
   * made from the lexicon (df, max_tf, min_dl), data and positions at 0. */
  int table = t->nblocks > 1 || ix->post_major == 1;
  c->esize = ix->post_major >= 4   ? QX_SKIP_ENTRY_SIZE
              : ix->post_major == 3 ? QX_SKIP_ENTRY_SIZE_V3
                                    : QX_SKIP_ENTRY_SIZE_V2;
  c->table_len = table ? (uint64_t)t->nblocks * c->esize : 0;
  if (t->df == 0 || t->nblocks != (t->df + QX_BLOCK - 1) / QX_BLOCK || c->table_len > t->post_len)
    return qx_err(QUARRY_ECORRUPT, "lexicon: term %u: bad block count", t->id);
  c->base = ix->post.data + t->post_off;
  c->single = !table;
  c->last1 = 0;
  c->len = t->post_len;
  c->pbase = ix->posi.data + t->pos_off;
  c->plen = t->pos_len;
  int rc = decode_block(c);
  if (rc) return rc;
  c->doc = c->docs[0];
  return 0;
}

int qx_pcursor_next(qx_pcursor *c) {
  if (c->doc == QX_DOC_END) return 0;
  if (c->decoded == c->block && c->i + 1 < c->n) {
    c->doc = c->docs[++c->i];
    return 0;
  }
  if (c->block + 1 >= c->nblocks) {
    c->doc = QX_DOC_END;
    return 0;
  }
  c->block++;
  int rc = decode_block(c);
  if (rc) return rc;
  c->i = 0;
  c->doc = c->docs[0];
  return 0;
}

int qx_pcursor_skip_block(qx_pcursor *c, uint32_t target) {
  if (c->doc == QX_DOC_END) return 0;
  uint32_t b = c->block;
  while (b < c->nblocks && block_last(c, b) < target) b++;
  if (b >= c->nblocks)
    c->doc = QX_DOC_END;
  else
    c->block = b;
  return 0;
}

int qx_pcursor_advance(qx_pcursor *c, uint32_t target) {
  if (c->doc == QX_DOC_END) return 0;
  if (c->decoded == c->block && c->docs[c->i] >= target) {
    c->doc = c->docs[c->i];
    return 0;
  }
  qx_pcursor_skip_block(c, target);
  if (c->doc == QX_DOC_END) return 0;
  if (c->decoded != c->block) {
    int rc = decode_block(c);
    if (rc) return rc;
    c->i = 0;
  }
  while (c->i < c->n && c->docs[c->i] < target) c->i++;
  if (c->i >= c->n) return corrupt(c, "skip entry inconsistent with block");
  c->doc = c->docs[c->i];
  return 0;
}

int qx_pcursor_block_max(const qx_pcursor *c, uint32_t *last, uint32_t *max_tf, uint32_t *min_dl) {
  if (c->block >= c->nblocks) return qx_err(QUARRY_EINVAL, "cursor past the end");
  qx_pcursor_block_info(c, c->block, last, max_tf, min_dl);
  return 0;
}

int qx_pcursor_positions(qx_pcursor *c, uint32_t *out, uint32_t cap) {
  if (c->doc == QX_DOC_END || c->decoded != c->block) return qx_err(QUARRY_EINVAL, "cursor not on a posting");
  if (c->pos_i > c->i) {
    uint64_t off;
    uint32_t n;
    c->pos_i = 0;
    block_offsets(c, c->block, &off, &c->pos_at, &n);
  }
  if (c->pos_at > c->plen) return corrupt(c, "positions offset out of range");
  const uint8_t *p = c->pbase + c->pos_at, *end = c->pbase + c->plen;
  uint64_t v;
  for (; c->pos_i < c->i; c->pos_i++) /* skip the positions of earlier postings */
    for (uint32_t k = 0; k < c->tfs[c->pos_i]; k++)
      if (qx_varint_get(&p, end, &v)) return corrupt(c, "positions truncated");
  c->pos_at = (uint64_t)(p - c->pbase);
  uint32_t tf = c->tfs[c->i];
  uint64_t pos = 0;
  for (uint32_t k = 0; k < tf; k++) {
    if (qx_varint_get(&p, end, &v)) return corrupt(c, "positions truncated");
    pos = k ? pos + v : v;
    if (pos > UINT32_MAX || (k && v == 0)) return corrupt(c, "bad position");
    if (k < cap) out[k] = (uint32_t)pos;
  }
  return 0;
}
