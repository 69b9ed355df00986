/*
 * postings.c: encoding and decoding of block postings (see qx_postings.h and
 * docs/FORMAT.md). Blocks of 128 passage-id gaps and tf-1 values, each
 * bit-packed at the width of its largest value (binary packing, Lemire &
 * Boytsov, "Decoding billions of integers per second through vectorization",
 * 2015; the packers live in bitpack_*.c, one per instruction set).
 * Every offset and count read from disk is checked before use.
 */
#include "qx_postings.h"

unsigned qx_bits_needed(uint32_t max) { return max ? 32u - (unsigned)__builtin_clz(max) : 0u; }

size_t qx_bitpack_size(uint32_t n, unsigned bits) { return (size_t)(((uint64_t)n * bits + 7) / 8); }

/* The skip entry of one block (docs/FORMAT.md, postings 3): u32 last id,
 * u32 offset of the block in the list, u32 offset of its positions in the
 * term's, u8 smallest norm byte, u24 largest tf (QX_SKIP_TF_ESCAPE: at
 * least that; the reader then takes the term's max_tf, a looser bound). */
static int put_entry(uint8_t *e, uint32_t last, uint64_t data_off, uint64_t pos_off, uint32_t min_dl,
                     uint32_t max_tf) {
  if (data_off > UINT32_MAX || pos_off > UINT32_MAX)
    return qx_err(QUARRY_EINVAL, "a term's postings or positions over 4 GiB (the postings format's limit)");
  /* min_dl is a decoded norm: encoding it back gives its byte (a smaller
   * length for any other value, still a valid bound) */
  uint32_t v[4] = {last, (uint32_t)data_off, (uint32_t)pos_off,
                   (uint32_t)qx_norm_encode(min_dl) | QX_MIN(max_tf, QX_SKIP_TF_ESCAPE) << 8};
  memcpy(e, v, sizeof v);
  return 0;
}

int qx_postings_encode(qx_buf *out, const uint32_t *docs, const uint32_t *tfs, const uint32_t *dls,
                       const uint64_t *pos_rel, uint32_t n) {
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
    uint32_t gmax = 0, tmax = 0, min_dl = UINT32_MAX;
    for (uint32_t j = 0; j < cnt; j++) {
      gaps[j] = docs[lo + j] - prev;
      prev = docs[lo + j];
      tfm1[j] = tfs[lo + j] - 1;
      gmax = QX_MAX(gmax, gaps[j]);
      tmax = QX_MAX(tmax, tfs[lo + j]);
      min_dl = QX_MIN(min_dl, dls[lo + j]);
    }
    unsigned bg = qx_bits_needed(gmax), bt = qx_bits_needed(tmax - 1);
    if (tsize && (rc = put_entry(out->data + table + (size_t)b * QX_SKIP_ENTRY_SIZE, docs[lo + cnt - 1],
                                 out->len - table, pos_rel[lo], min_dl, tmax)))
      return rc;
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
  if (c->esize == QX_SKIP_ENTRY_SIZE) {
    *off = qx_le32(e + 4);
    *pos = qx_le32(e + 8);
    *n = 0;
  } else {
    *off = qx_le64(e + 16);
    *pos = qx_le64(e + 24);
    *n = qx_le32(e + 12);
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
  for (uint32_t j = 0; j < n; j++) {
    uint64_t d = prev + c->docs[j];
    if ((c->docs[j] == 0 && (b > 0 || j > 0)) || d >= c->npassages) return corrupt(c, "bad passage id");
    c->docs[j] = (uint32_t)d;
    prev = d;
    if (c->tfs[j] >= max_tf) { /* tf-1 >= max_tf means tf > max_tf */
      return corrupt(c, "tf above the block maximum");
    }
    c->tfs[j] += 1;
  }
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
  c->esize = ix->post_major >= 3 ? QX_SKIP_ENTRY_SIZE : QX_SKIP_ENTRY_SIZE_V2;
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
