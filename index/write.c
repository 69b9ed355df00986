/*
 * write.c: the binary files of an index, from the build state (docs/FORMAT.md
 * has the byte layouts): lexicon, postings and positions merged from the
 * workers' runs (terms in byte order, ids = rank; the lexicon's blocks are
 * encoded by index/lexicon.c), then norms, passages, docs and surface.
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

static int out_open_v(qx_out *o, qx_build *b, const char *name, const char *magic, uint32_t major) {
  memset(o, 0, sizeof *o);
  o->name = name;
  o->path = qx_path_join(b->tmpdir, name);
  if (!o->path) return qx_err(QUARRY_ENOMEM, "out of memory");
  o->f = fopen(o->path, "wbe");
  if (!o->f) return qx_err_errno(QUARRY_EIO, "%s", o->path);
  uint8_t hdr[QX_HEADER_SIZE];
  memcpy(hdr, magic, 8);
  uint32_t v[2] = {major, QX_FORMAT_MINOR};
  memcpy(hdr + 8, v, 8);
  return out_write(o, hdr, sizeof hdr);
}

static int out_open(qx_out *o, qx_build *b, const char *name, const char *magic) {
  return out_open_v(o, b, name, magic, QX_FORMAT_MAJOR);
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

/* ---- lexicon, postings, positions: the merge of the runs ---------------------- */

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

/* One run's postings of the current term, decoded: global ids, tfs, and
 * where each posting's position varints are in the run's record. */
typedef struct run_part {
  const uint8_t *p, *end; /* the varint stream */
  const qx_run *run;
  size_t chunk;      /* index in run->chunk_no of the current posting's chunk */
  uint32_t left;     /* postings not read yet */
  uint32_t lpid;     /* run-local id of the current posting */
  uint32_t gpid, tf; /* the current posting */
  const uint8_t *pos;
  size_t plen;
} run_part;

static int part_next(const qx_build *b, run_part *q, int first) {
  uint64_t v, tf;
  if (qx_varint_get(&q->p, q->end, &v) || qx_varint_get(&q->p, q->end, &tf) || tf == 0 || tf > UINT32_MAX)
    return qx_err(QUARRY_EIO, "internal: postings run");
  q->lpid = first ? (uint32_t)v : q->lpid + (uint32_t)v;
  const qx_run *r = q->run;
  while (q->chunk < r->nchunks && q->lpid >= r->lbase[q->chunk] + r->cnt[q->chunk]) q->chunk++;
  if (q->chunk >= r->nchunks || q->lpid < r->lbase[q->chunk]) return qx_err(QUARRY_EIO, "internal: postings run");
  q->gpid = (uint32_t)(b->chunk_pbase[r->chunk_no[q->chunk]] + (q->lpid - r->lbase[q->chunk]));
  q->tf = (uint32_t)tf;
  q->pos = q->p;
  for (uint64_t k = 0; k < tf; k++)
    if (qx_varint_get(&q->p, q->end, &v)) return qx_err(QUARRY_EIO, "internal: postings run");
  q->plen = (size_t)(q->p - q->pos);
  q->left--;
  return 0;
}

/* Merge the runs' postings of one term (each in passage order) by passage id
 * into arrays + a positions buffer. */
static int merge_term(const qx_build *b, run_part *parts, size_t np, uint32_t df, term_arrays *a, qx_buf *pos,
                      uint32_t *max_tf, uint32_t *min_dl) {
  int rc = arrays_grow(a, df);
  *max_tf = 0;
  *min_dl = UINT32_MAX;
  for (size_t k = 0; !rc && k < np; k++) rc = part_next(b, &parts[k], 1);
  for (uint32_t i = 0; !rc && i < df; i++) {
    size_t m = SIZE_MAX;
    for (size_t k = 0; k < np; k++)
      if (parts[k].tf && (m == SIZE_MAX || parts[k].gpid < parts[m].gpid)) m = k;
    if (m == SIZE_MAX || parts[m].gpid >= b->npassages) return qx_err(QUARRY_EIO, "internal: postings run");
    run_part *q = &parts[m];
    a->docs[i] = q->gpid;
    a->tfs[i] = q->tf;
    a->dls[i] = qx_norm_decode(b->norms.data[q->gpid]);
    a->pos_rel[i] = pos->len;
    rc = qx_buf_append(pos, q->pos, q->plen);
    *max_tf = QX_MAX(*max_tf, q->tf);
    *min_dl = QX_MIN(*min_dl, a->dls[i]);
    if (!rc && i && a->docs[i] <= a->docs[i - 1]) rc = qx_err(QUARRY_EIO, "internal: postings out of order");
    if (!rc) {
      if (q->left) rc = part_next(b, q, 0);
      else q->tf = 0;
    }
  }
  return rc;
}

static int lexw_out(void *ctx, const void *p, size_t n) { return out_write(ctx, p, n); }

int qx_build_write_postings(qx_build *b) {
  size_t nr = b->nruns;
  qx_run_reader *rd = qx_calloc(nr ? nr : 1, sizeof *rd);
  run_part *parts = qx_calloc(nr ? nr : 1, sizeof *parts);
  size_t *cur = qx_calloc(nr ? nr : 1, sizeof *cur);
  int rc = rd && parts && cur ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  for (unsigned w = 0; !rc && w < b->nthreads; w++) {
    qx_inv *v = &b->inv[w];
    if (!(v->new_id = qx_malloc((v->nterms ? v->nterms : 1) * sizeof *v->new_id))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  }
  for (size_t r = 0; !rc && r < nr; r++) rc = qx_run_reader_open(&rd[r], b, &b->runs[r]);
  qx_out po = {0}, pp = {0}, lo = {0};
  qx_lexw lex;
  qx_lexw_init(&lex, lexw_out, &lo, QX_HEADER_SIZE);
  qx_buf enc = {0}, pos = {0};
  term_arrays a = {0};
  if (!rc) rc = out_open_v(&po, b, "postings", QX_MAGIC_POSTINGS, QX_POSTINGS_MAJOR);
  if (!rc) rc = out_open(&pp, b, "positions", QX_MAGIC_POSITIONS);
  if (!rc) rc = out_open_v(&lo, b, "lexicon", QX_MAGIC_LEXICON, QX_LEXICON_MAJOR);
  size_t n = 0;
  while (!rc) {
    /* the smallest term among the runs, and the runs that have it */
    size_t m = SIZE_MAX, nc = 0;
    for (size_t r = 0; r < nr; r++) {
      if (!rd[r].has) continue;
      int c = m == SIZE_MAX ? -1 : qx_inv_cmp_terms(rd[r].w, rd[r].cur.tid, rd[m].w, rd[m].cur.tid);
      if (c < 0) {
        m = r;
        nc = 0;
      }
      if (c <= 0) cur[nc++] = r;
    }
    if (m == SIZE_MAX) break;
    uint64_t df = 0, cf = 0;
    for (size_t k = 0; k < nc; k++) {
      const qx_run_rec *e = &rd[cur[k]].cur;
      parts[k] = (run_part){e->data, e->data + e->len, rd[cur[k]].run, 0, e->df, 0, 0, 0, NULL, 0};
      df += e->df;
      cf += e->cf;
      rd[cur[k]].w->new_id[e->tid] = (uint32_t)n;
    }
    if (df > UINT32_MAX) rc = qx_err(QUARRY_EINVAL, "a term in more than 2^32 passages");
    uint32_t max_tf = 0, min_dl = 0;
    pos.len = enc.len = 0;
    if (!rc) rc = merge_term(b, parts, nc, (uint32_t)df, &a, &pos, &max_tf, &min_dl);
    if (!rc)
      rc = qx_postings_encode(&enc, a.docs, a.tfs, a.dls, a.pos_rel, (uint32_t)df,
                              b->npassages ? (double)b->total_tokens / (double)b->npassages : 1.0);
    uint64_t post_off = po.at, pos_off = pp.at;
    if (!rc) rc = out_write(&po, enc.data, enc.len);
    if (!rc) rc = out_write(&pp, pos.data, pos.len);
    const qx_inv *w = rd[m].w;
    uint32_t tid = rd[m].cur.tid;
    if (!rc)
      rc = qx_lexw_add(&lex, (const char *)w->term_strs.data + w->term_off[tid], w->term_len[tid], (uint32_t)df, cf,
                       max_tf, min_dl, post_off, enc.len, pos_off, pos.len);
    n++;
    for (size_t k = 0; !rc && k < nc; k++) rc = qx_run_reader_next(&rd[cur[k]]);
  }
  if (!rc) rc = qx_lexw_finish(&lex);
  if (!rc) rc = out_pad(&po);
  rc = out_close(&po, b, rc);
  rc = out_close(&pp, b, rc);
  rc = out_close(&lo, b, rc);
  for (size_t r = 0; rd && r < nr; r++) qx_run_reader_close(&rd[r]);
  b->nterms = n;
  free(rd);
  free(parts);
  free(cur);
  free(a.docs);
  free(a.tfs);
  free(a.dls);
  free(a.pos_rel);
  qx_lexw_free(&lex);
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

/* A surface form of a worker: (worker, index). */
typedef struct surf_ref {
  const qx_inv *w;
  uint32_t i;
} surf_ref;

static int cmp_surf(const void *a, const void *b) {
  const surf_ref *x = a, *y = b;
  uint32_t lx = x->w->surf_len[x->i], ly = y->w->surf_len[y->i];
  int c = memcmp(x->w->surf_strs.data + x->w->surf_off[x->i], y->w->surf_strs.data + y->w->surf_off[y->i],
                 QX_MIN(lx, ly));
  return c ? c : (lx > ly) - (lx < ly);
}

/* Every worker's forms, sorted, each form once (the same form always maps
 * to the same term, whichever worker saw it). */
static int write_surface(qx_build *b) {
  size_t total = 0;
  for (unsigned w = 0; w < b->nthreads; w++) total += b->inv[w].nsurf;
  surf_ref *refs = qx_malloc((total ? total : 1) * sizeof *refs);
  if (!refs) return qx_err(QUARRY_ENOMEM, "out of memory");
  size_t k = 0;
  for (unsigned w = 0; w < b->nthreads; w++)
    for (size_t i = 0; i < b->inv[w].nsurf; i++) refs[k++] = (surf_ref){&b->inv[w], (uint32_t)i};
  qsort(refs, total, sizeof *refs, cmp_surf);
  qx_out o;
  qx_surfw sw;
  qx_surfw_init(&sw, lexw_out, &o, QX_HEADER_SIZE);
  int rc = out_open_v(&o, b, "surface", QX_MAGIC_SURFACE, QX_SURFACE_MAJOR);
  size_t n = 0;
  for (size_t r = 0; !rc && r < total; r++) {
    if (r && !cmp_surf(&refs[r - 1], &refs[r])) continue;
    const qx_inv *w = refs[r].w;
    uint32_t i = refs[r].i;
    rc = qx_surfw_add(&sw, (const char *)w->surf_strs.data + w->surf_off[i], w->surf_len[i], w->new_id[w->surf_term[i]]);
    n++;
  }
  b->nsurf = n;
  if (!rc) rc = qx_surfw_finish(&sw);
  rc = out_close(&o, b, rc);
  free(refs);
  qx_surfw_free(&sw);
  return rc;
}

/* passages 2: the build's 32-byte records (u32 doc, u32 ntokens, u64 start,
 * u64 end, u32 line, u32 0) as 24 bytes: u32 doc, u32 ntokens, u64 start,
 * u32 end - start, u32 line. */
static int write_passages(qx_build *b) {
  qx_out o;
  int rc = out_open_v(&o, b, "passages", QX_MAGIC_PASSAGES, QX_TABLES_MAJOR);
  uint64_t h[2] = {b->npassages, 0};
  if (!rc) rc = out_write(&o, h, sizeof h);
  for (size_t at = 0; !rc && at < b->passages.len; at += QX_PASSAGE_REC_SIZE) {
    const uint8_t *r = b->passages.data + at;
    uint64_t start = qx_le64(r + 8), len = qx_le64(r + 16) - start;
    if (len > UINT32_MAX) {
      rc = qx_err(QUARRY_EINVAL, "a passage over 4 GiB of text");
      break;
    }
    uint8_t e[QX_PASSAGE_DISK_SIZE];
    uint32_t v[2] = {(uint32_t)len, qx_le32(r + 24)};
    memcpy(e, r, 16);
    memcpy(e + 16, v, 8);
    rc = out_write(&o, e, sizeof e);
  }
  if (!rc) rc = out_pad(&o);
  return out_close(&o, b, rc);
}

/* docs 2: the build's 72-byte records (add_doc: u64 path_off, title_off,
 * id_off, size, mtime, xxh64; u32 path_len, title_len, id_len,
 * first_passage, npassages, 0) as 56 bytes (docs/FORMAT.md). */
static int write_docs(qx_build *b) {
  qx_out o;
  int rc = out_open_v(&o, b, "docs", QX_MAGIC_DOCS, QX_TABLES_MAJOR);
  uint64_t h[2] = {b->ndocs, b->doc_strs.len};
  if (!rc) rc = out_write(&o, h, sizeof h);
  if (!rc && b->doc_strs.len > QX_LEX_OFF_MAX) rc = qx_err(QUARRY_EINVAL, "document paths, titles and ids over 1 TiB");
  for (size_t at = 0; !rc && at < b->docs.len; at += QX_DOC_REC_SIZE) {
    const uint8_t *r = b->docs.data + at;
    uint32_t pl = qx_le32(r + 48), tl = qx_le32(r + 52);
    if (pl > UINT16_MAX || tl > UINT8_MAX) {
      rc = qx_err(QUARRY_EINVAL, "a document path over 64 KiB");
      break;
    }
    uint8_t e[QX_DOC_DISK_SIZE] = {0};
    memcpy(e, r + 24, 24);      /* size, mtime, xxh64 */
    memcpy(e + 24, r + 60, 8);  /* first_passage, npassages */
    memcpy(e + 32, r + 56, 4);  /* id_len */
    qx_put40(e + 36, qx_le64(r));  /* path */
    uint16_t pl16 = (uint16_t)pl;
    memcpy(e + 41, &pl16, 2);
    qx_put40(e + 43, qx_le64(r + 8)); /* title */
    e[48] = (uint8_t)tl;
    qx_put40(e + 49, qx_le64(r + 16)); /* id */
    rc = out_write(&o, e, sizeof e);
  }
  if (!rc) rc = out_write(&o, b->doc_strs.data, b->doc_strs.len);
  if (!rc) rc = out_pad(&o);
  return out_close(&o, b, rc);
}

int qx_build_write_tables(qx_build *b) {
  int rc = write_simple(b, "norms", QX_MAGIC_NORMS, b->npassages, 0, 0, &b->norms, NULL);
  if (!rc) rc = write_passages(b);
  if (!rc) rc = write_docs(b);
  if (!rc && qx_build_surface_is_lexicon(b)) { /* no stemming: every form is its own term */
    b->nsurf = b->nterms;
    rc = qx_manifest_set(qx_build_manifest(b), "surface", "lexicon");
  } else if (!rc)
    rc = write_surface(b);
  return rc;
}
