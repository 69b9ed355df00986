/*
 * qx_postings.h: block postings, the unit the query evaluators walk.
 *
 * One term's postings (docs/FORMAT.md, "postings"): a skip table with one
 * 24-byte entry per block of 128 passages (last passage id, byte offsets of
 * the block and of its positions, three (tf, norm) corners that dominate
 * every posting of the block; 16-byte entries with one corner in files of
 * major version 3, 32-byte in 1 and 2, all still read),
 * then the blocks: passage-id gaps and tf-1 bit-packed at the smallest width
 * that fits (scalar "binary packing" in the manner of Lemire & Boytsov's
 * BP128; the last block is shorter; a list of one block has no table, the
 * cursor makes its entry from the lexicon). The corners give a block-max
 * BM25 upper bound for any k1, b (Ding & Suel's block-max WAND): a BM25 term
 * score grows with tf and falls with the length, so the best corner bounds
 * every posting it dominates.
 * Positions live in another file and are decoded only when asked for.
 *
 * Cursor protocol (DAAT): after qx_pcursor_open the cursor sits on the first
 * posting; next/advance move it forward; c->doc == QX_DOC_END when done.
 * Every function that reads disk bytes returns 0 or QUARRY_ECORRUPT.
 */
#ifndef QX_POSTINGS_H
#define QX_POSTINGS_H

#include <stdint.h>

#include "qx_common.h"
#include "qx_index.h"

/* ---- bit packing ----------------------------------------------------------- */
/* Layout: value i occupies bits [i*bits, (i+1)*bits) of a little-endian bit
 * stream, LSB first; qx_bitpack_size(n, bits) bytes. */
unsigned qx_bits_needed(uint32_t max);
size_t qx_bitpack_size(uint32_t n, unsigned bits);
void qx_bitpack(uint8_t *out, const uint32_t *vals, uint32_t n, unsigned bits);
/* Unpack n values; reads exactly qx_bitpack_size(n, bits) bytes of `in`.
 * One implementation per instruction set (index/bitpack_*.c), all giving
 * identical output; qx_bitunpack is the one chosen at start-up. */
typedef void (*qx_unpack_fn)(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits);
void qx_bitunpack_scalar(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits);
void qx_bitunpack_avx2(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits);
void qx_bitunpack_avx512(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits);
extern qx_unpack_fn qx_bitunpack;
/* Name of the chosen variant ("scalar", "avx2", "avx512"); QUARRY_SIMD=scalar|avx2
 * in the environment caps it (for side-by-side measurements). */
const char *qx_simd_level(void);
/* Does this CPU run variant `name`? */
int qx_simd_supported(const char *name);

/* ---- writing one term ---------------------------------------------------- */
/* Encode a term's postings: docs ascending, tfs >= 1, dls = decoded lengths
 * (for the block corners), pos_rel[i] = byte offset of posting i's positions
 * relative to the term's positions start; avgdl = the segment's mean length
 * (it only steers which corners are kept: any choice is an upper bound).
 * Appends to out. Returns 0 or an error. */
int qx_postings_encode(qx_buf *out, const uint32_t *docs, const uint32_t *tfs, const uint32_t *dls,
                       const uint64_t *pos_rel, uint32_t n, double avgdl);
/* The corners of one block of n postings (tfs, dls as above) for a skip
 * entry: tf[i] ascending, norm[i] ascending (norm bytes), every posting
 * (tf, qx_norm_encode(dl)) has tf <= tf[i] and norm >= norm[i] for some i;
 * tf[2] is the block's max tf, norm[0] its min norm. Of the (tf, norm)
 * Pareto front of the block, split into at most 3 runs (a run's corner is
 * its max tf with its min norm), the split kept is the one with the lowest
 * product of bounds over a few reference (k1, b) at this avgdl. */
void qx_block_corners(uint32_t tf[QX_SKIP_CORNERS], uint8_t norm[QX_SKIP_CORNERS], const uint32_t *tfs,
                      const uint32_t *dls, uint32_t n, double avgdl);

/* ---- cursor ---------------------------------------------------------------- */
typedef struct qx_pcursor {
  const uint8_t *base; /* this term's bytes in `postings` */
  uint64_t len;
  uint64_t table_len; /* bytes of the skip table at base (0 for a single block) */
  int single;         /* single-block list without a table: its entry comes from the lexicon */
  uint32_t esize;     /* bytes per skip entry: QX_SKIP_ENTRY_SIZE, _V3 (postings 3) or _V2 (1 and 2) */
  uint32_t last1;     /* single: the block's last passage id (known once decoded) */
  const uint8_t *pbase; /* this term's bytes in `positions` */
  uint64_t plen;
  uint32_t df, nblocks, npassages;
  uint32_t term;
  uint32_t max_tf, min_dl; /* term-level bound inputs from the lexicon entry */
  uint8_t min_norm;        /* qx_norm_encode(min_dl) */
  uint32_t block;   /* current block */
  uint32_t decoded; /* block held in docs/tfs, UINT32_MAX if none */
  uint32_t n, i;    /* postings in the decoded block, index of the current one */
  uint32_t doc;     /* current passage id or QX_DOC_END */
  uint32_t pos_i;   /* positions cache: index in block ... */
  uint64_t pos_at;  /* ... and byte offset of its positions */
  uint32_t docs[QX_BLOCK], tfs[QX_BLOCK];
} qx_pcursor;

/* Open on term `t` of segment sg and position on its first posting. */
int qx_pcursor_open(qx_pcursor *c, const qx_seg *sg, const qx_term_info *t);
int qx_pcursor_next(qx_pcursor *c);
/* Move to the first posting with doc >= target (no move if already there). */
int qx_pcursor_advance(qx_pcursor *c, uint32_t target);
static inline uint32_t qx_pcursor_doc(const qx_pcursor *c) { return c->doc; }
static inline uint32_t qx_pcursor_freq(const qx_pcursor *c) { return c->tfs[c->i]; }
/* Current block's skip data: last passage id, max tf, min decoded length. */
int qx_pcursor_block_max(const qx_pcursor *c, uint32_t *last, uint32_t *max_tf, uint32_t *min_dl);
/* A skip entry's tf (u24 above a norm byte; the escape stands for the term's max_tf). */
static inline uint32_t qx_skip_tf(const qx_pcursor *c, uint32_t w) {
  uint32_t t = w >> 8;
  return t == QX_SKIP_TF_ESCAPE ? c->max_tf : t;
}
/* Skip data of block b < c->nblocks (for block-max bounds kept apart from
 * the cursor's position): last id, max tf, min decoded length. */
static inline void qx_pcursor_block_info(const qx_pcursor *c, uint32_t b, uint32_t *last, uint32_t *max_tf,
                                         uint32_t *min_dl) {
  if (c->single) {
    *last = c->last1;
    *max_tf = c->max_tf;
    *min_dl = c->min_dl;
    return;
  }
  const uint8_t *e = c->base + (size_t)b * c->esize;
  *last = qx_le32(e);
  if (c->esize == QX_SKIP_ENTRY_SIZE) { /* corners: norm of the first, tf of the last */
    *max_tf = qx_skip_tf(c, qx_le32(e + 20));
    *min_dl = qx_norm_table[e[12]];
  } else if (c->esize == QX_SKIP_ENTRY_SIZE_V3) { /* u8 min norm, u24 max tf */
    uint32_t w = qx_le32(e + 12);
    *max_tf = qx_skip_tf(c, w);
    *min_dl = qx_norm_table[w & 0xff];
  } else {
    *max_tf = qx_le32(e + 4);
    *min_dl = qx_le32(e + 8);
  }
}
/* A block's bound inputs: every posting of the block has tf <= tf[i] and
 * norm >= norm[i] for some corner i (tf and norm ascending with i; older
 * formats and single-block lists repeat their one corner (max tf, min norm)). */
typedef struct qx_block_bound {
  uint32_t tf[QX_SKIP_CORNERS];
  uint8_t norm[QX_SKIP_CORNERS];
} qx_block_bound;
static inline void qx_pcursor_block_bound(const qx_pcursor *c, uint32_t b, qx_block_bound *out) {
  if (!c->single && c->esize == QX_SKIP_ENTRY_SIZE) {
    const uint8_t *e = c->base + (size_t)b * c->esize + 12;
    for (int i = 0; i < QX_SKIP_CORNERS; i++) {
      uint32_t w = qx_le32(e + 4 * i);
      out->tf[i] = qx_skip_tf(c, w);
      out->norm[i] = (uint8_t)w;
    }
    return;
  }
  uint32_t last, mt, mdl;
  qx_pcursor_block_info(c, b, &last, &mt, &mdl);
  uint8_t nb = c->min_norm; /* a single block: the lexicon's */
  if (!c->single) /* postings 3: the entry's byte; 1 and 2: a decoded length, encoded (never longer) */
    nb = c->esize == QX_SKIP_ENTRY_SIZE_V3 ? c->base[(size_t)b * c->esize + 12] : qx_norm_encode(mdl);
  for (int i = 0; i < QX_SKIP_CORNERS; i++) {
    out->tf[i] = mt;
    out->norm[i] = nb;
  }
}
/* Move to the first block whose last id >= target without decoding it (for
 * block-max pruning); c->doc is then undefined until advance() is called. */
int qx_pcursor_skip_block(qx_pcursor *c, uint32_t target);
/* Positions of the current posting (freq of them, ascending) into out[cap]. */
int qx_pcursor_positions(qx_pcursor *c, uint32_t *out, uint32_t cap);

#endif /* QX_POSTINGS_H */
