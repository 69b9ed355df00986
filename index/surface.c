/*
 * surface.c: the surface forms of a segment (folded, unstemmed words ->
 * the term each was indexed as), written and read in version 2: the front
 * coding of the lexicon (qx_fcode.h) in blocks of QX_SURF2_BLOCK_FORMS
 * forms, each followed by its term id as a varint, and a table of block
 * heads (file offset, first form) binary-searched through the mapping; a
 * block is read with pread. About 8 bytes per form instead of 16 plus the
 * string (version 1, still read by index/lexicon.c). Prefix queries take
 * the range of forms starting with the prefix (qx_surf2_lower of the prefix
 * and of the first string after every one starting with it) and read it in
 * order with an iterator. Every offset, length and id read is checked, as
 * in the lexicon.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "qx_fcode.h"

/* ---- writer ------------------------------------------------------------------ */

void qx_surfw_init(qx_surfw *w, qx_write_fn write, void *ctx, uint64_t at) {
  qx_fcw_init(&w->fc, write, ctx, at, QX_SURF2_BLOCK_FORMS, "surface");
}

int qx_surfw_add(qx_surfw *w, const char *s, uint32_t len, uint32_t term) {
  if (len > QX_TERM_MAX) return qx_err(QUARRY_EINVAL, "internal: surface form over %d bytes", QX_TERM_MAX);
  int rc = qx_fcw_key(&w->fc, NULL, 0, s, len);
  if (!rc) rc = qx_buf_put_varint(&w->fc.blk, term);
  qx_fcw_next(&w->fc, s, len);
  return rc;
}

int qx_surfw_finish(qx_surfw *w) { return qx_fcw_finish(&w->fc, NULL, 0); }

void qx_surfw_free(qx_surfw *w) { qx_fcw_free(&w->fc); }

/* ---- reader ------------------------------------------------------------------ */

static int surf2_bad(const qx_seg *ix, uint64_t b) {
  return qx_err(QUARRY_ECORRUPT, "%s/surface: block %" PRIu64 " damaged", ix->dir, b);
}

int qx_surf2_open(qx_seg *ix, int sfd, uint64_t nforms) {
  if (qx_fc_open(&ix->surf2, ix->surf.data, ix->surf.len, nforms, QX_SURF2_HEAD_SIZE))
    return qx_err(QUARRY_ECORRUPT, "%s/surface: size or count does not match the MANIFEST", ix->dir);
  ix->surf_fd = openat(sfd, "surface", O_RDONLY | O_CLOEXEC);
  return ix->surf_fd < 0 ? qx_err_errno(QUARRY_EIO, "%s/surface", ix->dir) : 0;
}

static int surf2_key(const char **key, uint32_t *klen, const qx_seg *ix, uint64_t b) {
  const uint8_t *h = ix->surf2.heads + b * QX_SURF2_HEAD_SIZE;
  uint64_t off = qx_le32(h + 5);
  *klen = h[9];
  if (*klen > QX_TERM_MAX || off > ix->surf2.keys_len || *klen > ix->surf2.keys_len - off) return surf2_bad(ix, b);
  *key = (const char *)ix->surf2.keys + off;
  return 0;
}

/* Read block b into k (its post/pos fields unused), on its first form. */
static int surf2_load(qx_lex3_blk *k, const qx_seg *ix, uint64_t b) {
  const uint8_t *h = ix->surf2.heads + b * QX_SURF2_HEAD_SIZE;
  uint64_t off = qx_le40(h), end = qx_le40(h + QX_SURF2_HEAD_SIZE);
  const char *key = "";
  int rc = surf2_key(&key, &k->klen, ix, b);
  if (rc) return rc;
  if (off < QX_HEADER_SIZE || end < off || end > ix->surf2.data_end || end - off > sizeof k->data)
    return surf2_bad(ix, b);
  memcpy(k->key, key, k->klen);
  k->b = b;
  k->i = 0;
  k->n = (uint32_t)QX_MIN((uint64_t)ix->surf2.per_block, ix->nsurface - b * ix->surf2.per_block);
  k->at = 0;
  k->len = (size_t)(end - off);
  if (qx_pread_full(ix->surf_fd, k->data, k->len, off)) return qx_err_errno(QUARRY_EIO, "%s/surface: read", ix->dir);
  return 0;
}

/* The next form of block k: its string in k->key, its term in *term. */
static int surf2_next(uint32_t *term, qx_lex3_blk *k, const qx_seg *ix) {
  const uint8_t *p = k->data + k->at, *end = k->data + k->len;
  if (k->i >= k->n) return surf2_bad(ix, k->b);
  if (k->i) {
    uint32_t pre, suf;
    if (!(p = qx_fc_lens(p, end, k->klen, &pre, &suf))) return surf2_bad(ix, k->b);
    memcpy(k->key + pre, p, suf);
    p += suf;
    k->klen = pre + suf;
  }
  uint64_t t;
  if (!(p = qx_fc_varint(p, end, &t)) || t >= ix->nterms) return surf2_bad(ix, k->b);
  *term = (uint32_t)t;
  k->at = (size_t)(p - k->data);
  k->i++;
  if (k->i == k->n && k->at != k->len) return surf2_bad(ix, k->b); /* the block ends with its last form */
  return 0;
}

int qx_surf2_get(const char **form, uint32_t *form_len, uint32_t *term, char *buf, const qx_seg *ix, uint64_t i) {
  qx_lex3_blk *k = qx_malloc(sizeof *k); /* 8 KiB: not on the stack of every caller */
  if (!k) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = surf2_load(k, ix, i / ix->surf2.per_block);
  for (uint64_t j = i % ix->surf2.per_block; !rc && j > 0; j--) rc = surf2_next(term, k, ix);
  if (!rc) rc = surf2_next(term, k, ix);
  if (!rc) {
    memcpy(buf, k->key, k->klen);
    *form = buf;
    *form_len = k->klen;
  }
  free(k);
  return rc;
}

int qx_surf2_lower(uint64_t *first_ge, const qx_seg *ix, const char *s, size_t len) {
  uint64_t lo = 0, hi = ix->surf2.nblocks; /* the first block whose key is > s */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const char *key;
    uint32_t kl;
    int rc = surf2_key(&key, &kl, ix, mid);
    if (rc) return rc;
    if (qx_fc_cmp(key, kl, s, len) <= 0) lo = mid + 1;
    else hi = mid;
  }
  *first_ge = QX_MIN(lo * ix->surf2.per_block, ix->nsurface);
  if (lo == 0) return 0;
  qx_lex3_blk blk, *k = &blk;
  int rc = surf2_load(k, ix, lo - 1);
  while (!rc && k->i < k->n) {
    uint32_t t;
    if ((rc = surf2_next(&t, k, ix))) break;
    if (qx_fc_cmp(k->key, k->klen, s, len) >= 0) {
      *first_ge = (lo - 1) * ix->surf2.per_block + k->i - 1;
      break;
    }
  }
  return rc;
}

void qx_surf_iter_init(qx_lex_iter *it, const qx_seg *sg, uint64_t first) {
  it->sg = sg;
  it->id = first;
  it->loaded = 0;
}

int qx_surf_iter_next(qx_lex_iter *it, const char **form, uint32_t *form_len, uint32_t *term, char *buf) {
  const qx_seg *ix = it->sg;
  if (it->id >= ix->nsurface) return 0;
  int rc = 0;
  if (ix->surf_lexicon || ix->surf_major != 2) {
    rc = qx_seg_surface_get(form, form_len, term, buf, ix, it->id);
  } else {
    qx_lex3_blk *k = &it->blk;
    if (!it->loaded || k->i >= k->n) { /* the block of id, positioned on it */
      rc = surf2_load(k, ix, it->id / ix->surf2.per_block);
      for (uint64_t j = it->id % ix->surf2.per_block; !rc && j > 0; j--) rc = surf2_next(term, k, ix);
      it->loaded = !rc;
    }
    if (!rc) rc = surf2_next(term, k, ix);
    if (!rc) {
      memcpy(buf, k->key, k->klen);
      *form = buf;
      *form_len = k->klen;
    }
  }
  if (rc) return rc;
  it->id++;
  return 1;
}
