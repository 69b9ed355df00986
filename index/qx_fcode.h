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

/* The end of a front-coded file after its last block (rc: the error so far,
 * passed through): zeros to 8 bytes, the block heads, the keys, zeros to 8
 * bytes, then the footer {n, strings per block, blocks, offset of the heads,
 * bytes of keys}. *at is the offset reached by the blocks. */
static inline int qx_fc_tail(int rc, qx_write_fn write, void *ctx, uint64_t *at, uint64_t n, uint64_t per_block,
                             const qx_buf *heads, const qx_buf *keys) {
  static const uint8_t zeros[8];
  size_t pad = (8 - *at % 8) % 8;
  if (!rc) rc = write(ctx, zeros, pad);
  *at += pad;
  uint64_t foot[5] = {n, per_block, (n + per_block - 1) / per_block, *at, keys->len};
  pad = (8 - (heads->len + keys->len) % 8) % 8;
  if (!rc) rc = write(ctx, heads->data, heads->len);
  if (!rc) rc = write(ctx, keys->data, keys->len);
  if (!rc) rc = write(ctx, zeros, pad);
  if (!rc) rc = write(ctx, foot, sizeof foot);
  return rc;
}

#endif /* QX_FCODE_H */
