/*
 * write.c: the binary files of an index, from the build state (docs/FORMAT.md
 * has the byte layouts): lexicon, postings and positions merged from the
 * workers' runs (terms in byte order, ids = rank; the lexicon's blocks are
 * encoded by index/lexicon.c; the runs and a term's postings picked through
 * tournament trees, qx_tourn.h, so R runs cost log R per step, not R), then
 * norms, passages, docs and surface.
 * Every file starts with a 16-byte header (magic, major, minor version);
 * sections are 8-byte aligned; all integers are little-endian. Files are
 * streamed, fsynced, then registered with their xxHash64 in the MANIFEST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "qx_build.h"
#include "qx_postings.h"
#include "qx_tourn.h"

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

int qx_out_end(qx_out *o, int rc) {
  if (o->f) {
    if (!rc && fflush(o->f) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: write", o->path);
    if (!rc && fsync(fileno(o->f)) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: fsync", o->path);
    if (fclose(o->f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: close", o->path);
  }
  free(o->path);
  memset(o, 0, sizeof *o);
  return rc;
}

static int out_close(qx_out *o, qx_build *b, int rc) {
  const char *name = o->name;
  rc = qx_out_end(o, rc);
  return rc ? rc : qx_build_add_file(b, name);
}

/* For the other writers of a build (surface.c, collect.c). */
int qx_out_open(qx_out *o, qx_build *b, const char *name, const char *magic, uint32_t major) {
  return out_open_v(o, b, name, magic, major);
}
int qx_out_write(qx_out *o, const void *p, size_t n) { return out_write(o, p, n); }
int qx_out_pad(qx_out *o) { return out_pad(o); }
int qx_out_close(qx_out *o, qx_build *b, int rc) { return out_close(o, b, rc); }

int qx_out_patch(qx_out *o, uint64_t off, const void *p, size_t n) {
  if (fflush(o->f) != 0 || pwrite(fileno(o->f), p, n, (off_t)off) != (ssize_t)n)
    return qx_err_errno(QUARRY_EIO, "%s: write", o->path);
  return 0;
}

int qx_out_copy_file(qx_out *o, const char *path) {
  FILE *f = fopen(path, "rbe");
  if (!f) return qx_err_errno(QUARRY_EIO, "%s", path);
  char *buf = qx_malloc(1u << 20);
  int rc = buf ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  size_t n;
  while (!rc && (n = fread(buf, 1, 1u << 20, f)) > 0) rc = out_write(o, buf, n);
  if (!rc && ferror(f)) rc = qx_err_errno(QUARRY_EIO, "%s: read", path);
  fclose(f);
  free(buf);
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

/* The parts of a term in a tournament (qx_tourn.h) by passage id, the
 * exhausted ones last. */
static int part_less(const void *ctx, uint32_t x, uint32_t y) {
  const run_part *p = ctx;
  uint64_t a = p[x].tf ? p[x].gpid : (uint64_t)1 << 32, c = p[y].tf ? p[y].gpid : (uint64_t)1 << 32;
  return a < c || (a == c && x < y);
}

/* Merge the runs' postings of one term (each in passage order) by passage id
 * into arrays; the positions go straight to their file (pp). The parts race
 * in tournament t: log(parts) per step, and none while the winner stays in
 * the same chunk (a chunk is in one run only, so its passages come before
 * the other parts' current ones). */
static int merge_term(const qx_build *b, run_part *parts, size_t np, qx_tourn *t, uint32_t df, term_arrays *a,
                      qx_out *pp, uint32_t *max_tf, uint32_t *min_dl) {
  uint64_t pos0 = pp->at;
  const uint8_t *norms = b->norms_map.data + QX_HEADER_SIZE + 8; /* the norms file, written by collect.c */
  int rc = arrays_grow(a, df);
  *max_tf = 0;
  *min_dl = UINT32_MAX;
  for (size_t k = 0; !rc && k < np; k++) rc = part_next(b, &parts[k], 1);
  if (!rc) rc = qx_tourn_build(t, (uint32_t)np, part_less, parts);
  for (uint32_t i = 0; !rc && i < df; i++) {
    uint32_t m = qx_tourn_top(t);
    run_part *q = &parts[m];
    if (!q->tf || q->gpid >= b->npassages) return qx_err(QUARRY_EIO, "internal: postings run");
    a->docs[i] = q->gpid;
    a->tfs[i] = q->tf;
    a->dls[i] = qx_norm_decode(norms[q->gpid]);
    a->pos_rel[i] = pp->at - pos0;
    rc = out_write(pp, q->pos, q->plen);
    *max_tf = QX_MAX(*max_tf, q->tf);
    *min_dl = QX_MIN(*min_dl, a->dls[i]);
    if (!rc && i && a->docs[i] <= a->docs[i - 1]) rc = qx_err(QUARRY_EIO, "internal: postings out of order");
    if (!rc) {
      size_t chunk = q->chunk;
      if (q->left) rc = part_next(b, q, 0);
      else q->tf = 0;
      if (!q->tf || q->chunk != chunk) qx_tourn_update(t, m, part_less);
    }
  }
  return rc;
}

static int lexw_out(void *ctx, const void *p, size_t n) { return out_write(ctx, p, n); }

/* Every run file is open during the merge (two with stemming): a small
 * bound on a big corpus makes hundreds, past the usual soft limit of 1024
 * descriptors; raise it towards the hard limit if needed. */
static void fd_room(size_t need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

/* The runs in a tournament by current term, the exhausted ones and those
 * held (taken for the term being merged) last. */
typedef struct run_set {
  const qx_run_reader *rd;
  const uint8_t *held;
} run_set;

static int run_less(const void *ctx, uint32_t x, uint32_t y) {
  const run_set *s = ctx;
  const qx_run_reader *a = &s->rd[x], *c = &s->rd[y];
  int la = a->has && !s->held[x], lc = c->has && !s->held[y];
  int d = la && lc ? qx_bytes_cmp(a->cur.str, a->cur.slen, c->cur.str, c->cur.slen) : lc - la;
  return d ? d < 0 : x < y;
}

int qx_build_write_postings(qx_build *b) {
  size_t nr = b->nruns;
  fd_room(2 * nr + 64);
  qx_run_reader *rd = qx_calloc(nr ? nr : 1, sizeof *rd);
  run_part *parts = qx_calloc(nr ? nr : 1, sizeof *parts);
  uint32_t *cur = qx_calloc(nr ? nr : 1, sizeof *cur);
  uint8_t *held = qx_calloc(nr ? nr : 1, 1);
  int rc = rd && parts && cur && held ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  char *npath = rc ? NULL : qx_path_join(b->tmpdir, "norms");
  if (!rc) rc = npath ? qx_map_open(&b->norms_map, npath) : qx_err(QUARRY_ENOMEM, "out of memory");
  free(npath);
  if (!rc && b->norms_map.len < QX_HEADER_SIZE + 8 + b->npassages) rc = qx_err(QUARRY_EIO, "internal: norms");
  for (size_t r = 0; !rc && r < nr; r++) rc = qx_run_reader_open(&rd[r], b, &b->runs[r]);
  run_set rs = {rd, held};
  qx_tourn runs_t = {0}, parts_t = {0};
  if (!rc && nr) rc = qx_tourn_build(&runs_t, (uint32_t)nr, run_less, &rs);
  qx_surf_join *sj = NULL;
  if (!rc && !qx_build_surface_is_lexicon(b)) rc = qx_surf_join_open(&sj, b);
  qx_out po = {0}, pp = {0}, lo = {0};
  qx_lexw lex;
  qx_lexw_init(&lex, lexw_out, &lo, QX_HEADER_SIZE);
  qx_buf enc = {0};
  term_arrays a = {0};
  if (!rc) rc = out_open_v(&po, b, "postings", QX_MAGIC_POSTINGS, QX_POSTINGS_MAJOR);
  if (!rc) rc = out_open(&pp, b, "positions", QX_MAGIC_POSITIONS);
  if (!rc) rc = out_open_v(&lo, b, "lexicon", QX_MAGIC_LEXICON, QX_LEXICON_MAJOR);
  size_t n = 0;
  while (!rc && nr) {
    /* the smallest term among the runs, and the runs that have it (in run
     * order): each is held out of the tournament until the term is merged */
    uint32_t m = qx_tourn_top(&runs_t), k = m;
    if (!rd[m].has) break;
    size_t nc = 0;
    do {
      cur[nc++] = k;
      held[k] = 1;
      qx_tourn_update(&runs_t, k, run_less);
      k = qx_tourn_top(&runs_t);
    } while (rd[k].has && !held[k] &&
             !qx_bytes_cmp(rd[k].cur.str, rd[k].cur.slen, rd[m].cur.str, rd[m].cur.slen));
    uint64_t df = 0, cf = 0;
    for (size_t j = 0; j < nc; j++) {
      const qx_run_rec *e = &rd[cur[j]].cur;
      parts[j] = (run_part){e->data, e->data + e->len, rd[cur[j]].run, 0, e->df, 0, 0, 0, NULL, 0};
      df += e->df;
      cf += e->cf;
    }
    if (df > UINT32_MAX) rc = qx_err(QUARRY_EINVAL, "a term in more than 2^32 passages");
    uint32_t max_tf = 0, min_dl = 0;
    enc.len = 0;
    uint64_t post_off = po.at, pos_off = pp.at;
    if (!rc) rc = merge_term(b, parts, nc, &parts_t, (uint32_t)df, &a, &pp, &max_tf, &min_dl);
    if (!rc)
      rc = qx_postings_encode(&enc, a.docs, a.tfs, a.dls, a.pos_rel, (uint32_t)df,
                              b->npassages ? (double)b->total_tokens / (double)b->npassages : 1.0);
    if (!rc) rc = out_write(&po, enc.data, enc.len);
    const qx_run_rec *t = &rd[m].cur;
    if (!rc)
      rc = qx_lexw_add(&lex, t->str, t->slen, (uint32_t)df, cf, max_tf, min_dl, post_off, enc.len, pos_off,
                       pp.at - pos_off);
    if (!rc && sj) rc = qx_surf_join_term(sj, t->str, t->slen, (uint32_t)n);
    n++;
    for (size_t j = 0; !rc && j < nc; j++) {
      held[cur[j]] = 0;
      rc = qx_run_reader_next(&rd[cur[j]]);
      qx_tourn_update(&runs_t, cur[j], run_less);
    }
  }
  if (!rc) rc = qx_lexw_finish(&lex);
  if (!rc) rc = out_pad(&po);
  rc = out_close(&po, b, rc);
  rc = out_close(&pp, b, rc);
  rc = out_close(&lo, b, rc);
  if (sj) rc = qx_surf_join_close(sj, rc);
  for (size_t r = 0; rd && r < nr; r++) qx_run_reader_close(&rd[r]);
  b->nterms = n;
  free(rd);
  free(parts);
  free(cur);
  free(held);
  qx_tourn_free(&runs_t);
  qx_tourn_free(&parts_t);
  free(a.docs);
  free(a.tfs);
  free(a.dls);
  free(a.pos_rel);
  qx_lexw_free(&lex);
  qx_buf_free(&enc);
  return rc;
}

/* ---- norms, passages, docs, surface -------------------------------------------- */

/* norms, passages and docs were written while reading (collect.c): here
 * they are registered, in the MANIFEST's order. */
int qx_build_write_tables(qx_build *b) {
  int rc = qx_build_add_file(b, "norms");
  if (!rc) rc = qx_build_add_file(b, "passages");
  if (!rc) rc = qx_build_add_file(b, "docs");
  if (!rc && qx_build_surface_is_lexicon(b)) { /* no stemming: every form is its own term */
    b->nsurf = b->nterms;
    rc = qx_manifest_set(qx_build_manifest(b), "surface", "lexicon");
  } else if (!rc)
    rc = qx_build_write_surface(b);
  return rc;
}
