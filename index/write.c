/*
 * write.c: the binary files of an index, from the in-memory build state
 * (docs/FORMAT.md has the byte layouts): lexicon, postings and positions
 * (terms in byte order, ids = rank) and the lexicon's sparse index
 * lexicon.idx, then norms, passages, docs and surface.
 * Every file starts with a 16-byte header (magic, major, minor version);
 * sections are 8-byte aligned; all integers are little-endian. Files are
 * streamed, fsynced, then registered with their xxHash64 in the MANIFEST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qx_build.h"
#include "qx_postings.h"

typedef struct qx_out {
  FILE *f;
  char *path;
  const char *name;
  uint64_t at;
} qx_out;

static int out_write(qx_out *o, const void *p, size_t n) {
  if (n && fwrite(p, 1, n, o->f) != n) return qx_err_errno(QUARRY_EIO, "%s: write", o->path);
  o->at += n;
  return 0;
}

static int out_pad(qx_out *o) {
  static const uint8_t zeros[8];
  return out_write(o, zeros, (8 - o->at % 8) % 8);
}

static int out_open(qx_out *o, qx_build *b, const char *name, const char *magic) {
  memset(o, 0, sizeof *o);
  o->name = name;
  o->path = qx_path_join(b->tmpdir, name);
  if (!o->path) return qx_err(QUARRY_ENOMEM, "out of memory");
  o->f = fopen(o->path, "wbe");
  if (!o->f) return qx_err_errno(QUARRY_EIO, "%s", o->path);
  uint8_t hdr[QX_HEADER_SIZE];
  memcpy(hdr, magic, 8);
  uint32_t v[2] = {QX_FORMAT_MAJOR, QX_FORMAT_MINOR};
  memcpy(hdr + 8, v, 8);
  return out_write(o, hdr, sizeof hdr);
}

static int out_close(qx_out *o, qx_build *b, int rc) {
  if (o->f) {
    if (!rc && fflush(o->f) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: write", o->path);
    if (!rc && fsync(fileno(o->f)) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: fsync", o->path);
    if (fclose(o->f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: close", o->path);
  }
  if (!rc) rc = qx_build_add_file(b, o->name);
  free(o->path);
  memset(o, 0, sizeof *o);
  return rc;
}

/* ---- lexicon, postings, positions -------------------------------------------- */

static int cmp_term(const void *a, const void *b, void *ctx) {
  const qx_build *sort_b = ctx;
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  const uint8_t *s = sort_b->term_strs.data;
  uint32_t lx = sort_b->term_len[x], ly = sort_b->term_len[y];
  int c = memcmp(s + sort_b->term_off[x], s + sort_b->term_off[y], QX_MIN(lx, ly));
  return c ? c : (lx > ly) - (lx < ly);
}
static int cmp_surf(const void *a, const void *b, void *ctx) {
  const qx_build *sort_b = ctx;
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  const uint8_t *s = sort_b->surf_strs.data;
  uint32_t lx = sort_b->surf_len[x], ly = sort_b->surf_len[y];
  int c = memcmp(s + sort_b->surf_off[x], s + sort_b->surf_off[y], QX_MIN(lx, ly));
  return c ? c : (lx > ly) - (lx < ly);
}

typedef struct term_arrays {
  uint32_t *docs, *tfs, *dls;
  uint64_t *pos_rel;
  size_t cap;
} term_arrays;

static int arrays_grow(term_arrays *a, size_t n) {
  if (n <= a->cap) return 0;
  size_t c = QX_MAX(n, a->cap * 2);
  uint32_t *d = realloc(a->docs, c * 4), *t = d ? realloc(a->tfs, c * 4) : NULL;
  if (d) a->docs = d;
  if (t) a->tfs = t;
  uint32_t *l = t ? realloc(a->dls, c * 4) : NULL;
  if (l) a->dls = l;
  uint64_t *p = l ? realloc(a->pos_rel, c * 8) : NULL;
  if (p) a->pos_rel = p;
  if (!p) return qx_err(QUARRY_ENOMEM, "out of memory");
  a->cap = c;
  return 0;
}

/* Decode one build term's varint stream into arrays + a positions buffer. */
static int decode_term(const qx_build *b, const qx_bterm *t, term_arrays *a, qx_buf *pos, uint32_t *max_tf,
                       uint32_t *min_dl) {
  int rc = arrays_grow(a, t->df);
  if (rc) return rc;
  const uint8_t *p = t->post.data, *end = p + t->post.len;
  uint64_t pid = 0, v;
  *max_tf = 0;
  *min_dl = UINT32_MAX;
  for (uint32_t i = 0; i < t->df; i++) {
    if (qx_varint_get(&p, end, &v)) return qx_err(QUARRY_EIO, "internal: postings buffer");
    pid = i ? pid + v : v;
    uint64_t tf;
    if (qx_varint_get(&p, end, &tf)) return qx_err(QUARRY_EIO, "internal: postings buffer");
    a->docs[i] = (uint32_t)pid;
    a->tfs[i] = (uint32_t)tf;
    a->dls[i] = qx_norm_decode(b->norms.data[pid]);
    a->pos_rel[i] = pos->len;
    const uint8_t *ps = p;
    for (uint64_t k = 0; k < tf; k++)
      if (qx_varint_get(&p, end, &v)) return qx_err(QUARRY_EIO, "internal: postings buffer");
    if ((rc = qx_buf_append(pos, ps, (size_t)(p - ps)))) return rc;
    *max_tf = QX_MAX(*max_tf, (uint32_t)tf);
    *min_dl = QX_MIN(*min_dl, a->dls[i]);
  }
  return 0;
}

/* lexicon.idx: the string of every QX_LEXIDX_EVERY-th term of the lexicon
 * just written (lex: its entries, strs: its strings), so that a lookup
 * touches a few pages of the lexicon instead of binary-searching all of it
 * (a 10^6-passage lexicon is 80 MB; searching it whole made most of it
 * resident). */
static int write_lexidx(qx_build *b, const qx_buf *lex, const qx_buf *strs, uint64_t n) {
  uint64_t every = QX_LEXIDX_EVERY, ns = (n + every - 1) / every;
  qx_buf ent = {0}, str = {0};
  int rc = 0;
  for (uint64_t i = 0; !rc && i < ns; i++) {
    const uint8_t *e = lex->data + i * every * QX_LEX_ENTRY_SIZE;
    uint64_t off = qx_le64(e);
    uint32_t e32[2] = {(uint32_t)str.len, qx_le32(e + 8)};
    if (str.len + e32[1] > UINT32_MAX) rc = qx_err(QUARRY_EINVAL, "lexicon.idx: term strings over 4 GiB");
    if (!rc) rc = qx_buf_append(&ent, e32, sizeof e32);
    if (!rc) rc = qx_buf_append(&str, strs->data + off, e32[1]);
  }
  qx_out o;
  if (!rc) rc = out_open(&o, b, "lexicon.idx", QX_MAGIC_LEXIDX);
  if (!rc) {
    uint64_t h[4] = {n, every, ns, str.len};
    rc = out_write(&o, h, sizeof h);
    if (!rc) rc = out_write(&o, ent.data, ent.len);
    if (!rc) rc = out_write(&o, str.data, str.len);
    if (!rc) rc = out_pad(&o);
    rc = out_close(&o, b, rc);
  }
  qx_buf_free(&ent);
  qx_buf_free(&str);
  return rc;
}

int qx_build_write_postings(qx_build *b) {
  size_t n = b->nterms;
  uint32_t *order = qx_malloc(n * sizeof *order);
  b->new_id = qx_malloc(n * sizeof *b->new_id);
  if (!order || !b->new_id) {
    free(order);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
  qsort_r(order, n, sizeof *order, cmp_term, b);
  for (size_t i = 0; i < n; i++) b->new_id[order[i]] = (uint32_t)i;

  qx_out po, pp;
  qx_buf lex = {0}, strs = {0}, enc = {0}, pos = {0};
  term_arrays a = {0};
  int rc = out_open(&po, b, "postings", QX_MAGIC_POSTINGS);
  if (!rc) rc = out_open(&pp, b, "positions", QX_MAGIC_POSITIONS);
  for (size_t r = 0; !rc && r < n; r++) {
    qx_bterm *t = &b->terms[order[r]];
    uint32_t max_tf = 0, min_dl = 0;
    pos.len = enc.len = 0;
    rc = decode_term(b, t, &a, &pos, &max_tf, &min_dl);
    if (!rc) rc = qx_postings_encode(&enc, a.docs, a.tfs, a.dls, a.pos_rel, t->df);
    if (!rc) rc = qx_buf_pad(&enc, 8);
    uint64_t post_off = po.at, pos_off = pp.at;
    if (!rc) rc = out_write(&po, enc.data, enc.len);
    if (!rc) rc = out_write(&pp, pos.data, pos.len);
    uint64_t e64[6] = {strs.len, 0, t->cf, post_off, enc.len, pos_off};
    uint32_t e32[2] = {b->term_len[order[r]], t->df};
    memcpy(&e64[1], e32, 8);
    uint32_t tail[4] = {(t->df + QX_BLOCK - 1) / QX_BLOCK, max_tf, min_dl, 0};
    if (!rc) rc = qx_buf_append(&lex, e64, sizeof e64);
    if (!rc) rc = qx_buf_put_u64(&lex, pos.len);
    if (!rc) rc = qx_buf_append(&lex, tail, sizeof tail);
    if (!rc) rc = qx_buf_append(&strs, b->term_strs.data + b->term_off[order[r]], b->term_len[order[r]]);
    qx_buf_free(&t->post); /* consumed: keep the peak memory down */
  }
  rc = out_close(&po, b, rc);
  rc = out_close(&pp, b, rc);
  qx_out lo;
  if (!rc) rc = out_open(&lo, b, "lexicon", QX_MAGIC_LEXICON);
  if (!rc) {
    uint64_t h[2] = {n, strs.len};
    rc = out_write(&lo, h, sizeof h);
    if (!rc) rc = out_write(&lo, lex.data, lex.len);
    if (!rc) rc = out_write(&lo, strs.data, strs.len);
    if (!rc) rc = out_pad(&lo);
    rc = out_close(&lo, b, rc);
  }
  if (!rc) rc = write_lexidx(b, &lex, &strs, n);
  free(order);
  free(a.docs);
  free(a.tfs);
  free(a.dls);
  free(a.pos_rel);
  qx_buf_free(&lex);
  qx_buf_free(&strs);
  qx_buf_free(&enc);
  qx_buf_free(&pos);
  return rc;
}

/* ---- norms, passages, docs, surface -------------------------------------------- */

static int write_simple(qx_build *b, const char *name, const char *magic, uint64_t h0, uint64_t h1, int two,
                        const qx_buf *body, const qx_buf *extra) {
  qx_out o;
  int rc = out_open(&o, b, name, magic);
  if (!rc) rc = out_write(&o, &h0, 8);
  if (!rc && two) rc = out_write(&o, &h1, 8);
  if (!rc) rc = out_write(&o, body->data, body->len);
  if (!rc && extra) rc = out_write(&o, extra->data, extra->len);
  if (!rc) rc = out_pad(&o);
  return out_close(&o, b, rc);
}

static int write_surface(qx_build *b) {
  size_t n = b->nsurf;
  uint32_t *order = qx_malloc(n * sizeof *order);
  if (!order) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
  qsort_r(order, n, sizeof *order, cmp_surf, b);
  qx_buf ent = {0}, strs = {0};
  int rc = 0;
  for (size_t r = 0; !rc && r < n; r++) {
    uint32_t i = order[r];
    uint32_t e32[2] = {b->surf_len[i], b->new_id[b->surf_term[i]]};
    rc = qx_buf_put_u64(&ent, strs.len);
    if (!rc) rc = qx_buf_append(&ent, e32, 8);
    if (!rc) rc = qx_buf_append(&strs, b->surf_strs.data + b->surf_off[i], b->surf_len[i]);
  }
  if (!rc) rc = write_simple(b, "surface", QX_MAGIC_SURFACE, n, strs.len, 1, &ent, &strs);
  free(order);
  qx_buf_free(&ent);
  qx_buf_free(&strs);
  return rc;
}

int qx_build_write_tables(qx_build *b) {
  int rc = write_simple(b, "norms", QX_MAGIC_NORMS, b->npassages, 0, 0, &b->norms, NULL);
  if (!rc) rc = write_simple(b, "passages", QX_MAGIC_PASSAGES, b->npassages, 0, 1, &b->passages, NULL);
  if (!rc) rc = write_simple(b, "docs", QX_MAGIC_DOCS, b->ndocs, b->doc_strs.len, 1, &b->docs, &b->doc_strs);
  if (!rc) rc = write_surface(b);
  return rc;
}
