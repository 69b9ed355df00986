/*
 * qx_fcode.h: front coding of sorted strings in blocks, shared by the
 * lexicon (lexicon 3, index/lexicon.c) and the surface forms (surface 2,
 * index/surface.c); docs/FORMAT.md has the layouts. A block's first string
 * is kept whole in its head; every other one is `lens` (the bytes it shares
 * with the string before it, and the bytes that follow: one byte
 * `prefix << 4 | suffix` when prefix < 15 and suffix < 16, else 0xF0, u8
 * prefix, u8 suffix) and the suffix. Strings are at most QX_TERM_MAX bytes.
 */
#ifndef QX_FCODE_H
#define QX_FCODE_H

#include "qx_index.h"

/* A LEB128 varint at p (p < end or not): the byte after it, or NULL when it
 * runs past end or over 10 bytes. By value, so that callers keep p in a
 * register (the one-byte case is the common one). */
static inline const uint8_t *qx_fc_varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  if (p < end && *p < 0x80) {
    *v = *p;
    return p + 1;
  }
  uint64_t x = 0;
  for (int shift = 0; shift < 70 && p < end; shift += 7) {
    uint8_t c = *p++;
    x |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *v = x;
      return p;
    }
  }
  return NULL;
}

/* Decode `lens` at p for a string after one of prev_len bytes: the suffix
 * (checked to fit in [p, end) and in QX_TERM_MAX), or NULL if damaged. */
static inline const uint8_t *qx_fc_lens(const uint8_t *p, const uint8_t *end, uint32_t prev_len, uint32_t *pre,
                                        uint32_t *suf) {
  if (p >= end) return NULL;
  uint32_t l = *p++;
  if (l < 0xF0) {
    *pre = l >> 4;
    *suf = l & 15;
  } else if (l == 0xF0 && end - p >= 2) {
    *pre = p[0];
    *suf = p[1];
    p += 2;
  } else
    return NULL;
  if (*pre > prev_len || *suf > QX_TERM_MAX - *pre || *suf > (size_t)(end - p)) return NULL;
  return p;
}

/* Append s (len <= QX_TERM_MAX) coded against prev: lens, then the suffix. */
static inline int qx_fc_put(qx_buf *b, const char *prev, uint32_t prev_len, const char *s, uint32_t len) {
  uint32_t pre = 0;
  while (pre < len && pre < prev_len && s[pre] == prev[pre]) pre++;
  uint32_t suf = len - pre;
  uint8_t e[3] = {0xF0, (uint8_t)pre, (uint8_t)suf};
  int rc = pre < 15 && suf < 16 ? qx_buf_putc(b, (uint8_t)(pre << 4 | suf)) : qx_buf_append(b, e, 3);
  return rc ? rc : qx_buf_append(b, s + pre, suf);
}

static inline int qx_fc_cmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, QX_MIN(al, bl));
  return c ? c : (al > bl) - (al < bl);
}

/* Open the front-coded file mapped at p (len bytes), which must hold n
 * strings in blocks whose heads are hsize bytes: its footer checked against
 * n and the file's size. 0, or -1 when it does not match. */
static inline int qx_fc_open(qx_fc_file *out, const uint8_t *p, size_t len, uint64_t n, size_t hsize) {
  if (len < QX_HEADER_SIZE + QX_LEX3_FOOTER) return -1;
  const uint8_t *f = p + len - QX_LEX3_FOOTER;
  uint64_t per = qx_le64(f + 8), nb = qx_le64(f + 16), ho = qx_le64(f + 24), kl = qx_le64(f + 32);
  if (qx_le64(f) != n || per == 0 || per > QX_LEX3_BLOCK_TERMS_MAX || nb != n / per + (n % per != 0) ||
      ho < QX_HEADER_SIZE || !qx_fits(len - QX_LEX3_FOOTER, ho, nb + 1, hsize, kl))
    return -1;
  *out = (qx_fc_file){p + ho, p + ho + (nb + 1) * hsize, nb, kl, ho, (uint32_t)per};
  return 0;
}

/* ---- the writer (qx_fcw, qx_index.h) ---- */

static inline void qx_fcw_init(qx_fcw *w, qx_write_fn write, void *ctx, uint64_t at, uint32_t per_block,
                               const char *what) {
  memset(w, 0, sizeof *w);
  w->write = write;
  w->ctx = ctx;
  w->at = at;
  w->per_block = per_block;
  w->what = what;
}

/* Write out the block filled so far. */
static inline int qx_fcw_flush(qx_fcw *w) {
  int rc = w->write(w->ctx, w->blk.data, w->blk.len);
  w->at += w->blk.len;
  w->blk.len = 0;
  return rc;
}

/* A block head: the block's offset (5 bytes), the caller's xl bytes of
 * `extra`, the key's offset in the keys (u32) and its length (u8); the key,
 * the block's first string, is kept whole. */
static inline int qx_fcw_head(qx_fcw *w, const uint8_t *extra, size_t xl, const char *key, uint32_t klen) {
  if (w->at > QX_LEX_OFF_MAX) return qx_err(QUARRY_EINVAL, "%s over 1 TiB", w->what);
  if (w->keys.len + klen > UINT32_MAX) return qx_err(QUARRY_EINVAL, "%s: block keys over 4 GiB", w->what);
  uint8_t h[5 + 16 + 5];
  uint32_t ko = (uint32_t)w->keys.len;
  qx_put40(h, w->at);
  if (xl) memcpy(h + 5, extra, xl); /* xl <= 16; extra may be NULL when xl is 0 */
  memcpy(h + 5 + xl, &ko, 4);
  h[9 + xl] = (uint8_t)klen;
  int rc = qx_buf_append(&w->heads, h, 10 + xl);
  return rc ? rc : qx_buf_append(&w->keys, key, klen);
}

/* String s (len <= QX_TERM_MAX) begins: the first of a block starts a new
 * block and a head (with `extra`, as qx_fcw_head), any other is front-coded
 * in the block. The caller then appends its fields to w->blk and calls
 * qx_fcw_next. */
static inline int qx_fcw_key(qx_fcw *w, const uint8_t *extra, size_t xl, const char *s, uint32_t len) {
  if (w->n % w->per_block) return qx_fc_put(&w->blk, w->prev, w->prev_len, s, len);
  int rc = qx_fcw_flush(w);
  return rc ? rc : qx_fcw_head(w, extra, xl, s, len);
}

static inline void qx_fcw_next(qx_fcw *w, const char *s, uint32_t len) {
  memcpy(w->prev, s, len);
  w->prev_len = len;
  w->n++;
}

/* The end of the file: the last block, a sentinel head (the empty key with
 * `extra`: the ends of everything), zeros to 8 bytes, the block heads, the
 * keys, zeros to 8 bytes, then the footer {n, strings per block, blocks,
 * offset of the heads, bytes of keys}. */
static inline int qx_fcw_finish(qx_fcw *w, const uint8_t *extra, size_t xl) {
  static const uint8_t zeros[8];
  int rc = qx_fcw_flush(w);
  if (!rc) rc = qx_fcw_head(w, extra, xl, "", 0);
  size_t pad = (8 - w->at % 8) % 8;
  if (!rc) rc = w->write(w->ctx, zeros, pad);
  w->at += pad;
  uint64_t foot[5] = {w->n, w->per_block, (w->n + w->per_block - 1) / w->per_block, w->at, w->keys.len};
  pad = (8 - (w->heads.len + w->keys.len) % 8) % 8;
  if (!rc) rc = w->write(w->ctx, w->heads.data, w->heads.len);
  if (!rc) rc = w->write(w->ctx, w->keys.data, w->keys.len);
  if (!rc) rc = w->write(w->ctx, zeros, pad);
  if (!rc) rc = w->write(w->ctx, foot, sizeof foot);
  return rc;
}

static inline void qx_fcw_free(qx_fcw *w) {
  qx_buf_free(&w->blk);
  qx_buf_free(&w->heads);
  qx_buf_free(&w->keys);
}

#endif /* QX_FCODE_H */
