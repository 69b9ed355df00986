/*
 * surface_build.c: the surface file of a build with stemming (docs/FORMAT.md,
 * "surface"): every folded form seen, sorted, with the id of its term.
 *
 * A worker's dictionaries hold one run's vocabulary only (invert.c empties
 * them when it spills the run), so the forms travel with the runs: a
 * spilled run writes its forms to run-W-N.surf sorted by (term, form), the
 * last run of a worker serves them from its dictionaries in the same order.
 * Term ids are known only when the merge of the postings (write.c) reaches
 * a term: it calls qx_surf_join_term with the term and its final id, which
 * takes that term's forms from every run (a merge join: both streams are in
 * the byte order of the terms) and appends (form, id) to surface.pairs. The
 * surface file wants the forms in byte order: qx_build_write_surface sorts
 * the pairs in batches of at most half of --memory, writes each sorted batch
 * to a file and merges the batches, dropping repeated forms (a form has one
 * term, whichever run saw it). This is the external merge sort of Knuth,
 * TAOCP vol. 3, 5.4; memory stays within the bound however many forms the
 * corpus has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qx_build.h"
#include "qx_tourn.h"

/* ---- a run's forms, by (term, form) ------------------------------------------ */

static int cmp_surf_tf(const void *a, const void *b, void *ctx) {
  const qx_inv *w = ctx;
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b, lx, ly;
  const char *tx = qx_inv_term(w, w->surf_term[x], &lx), *ty = qx_inv_term(w, w->surf_term[y], &ly);
  int c = qx_bytes_cmp(tx, lx, ty, ly);
  if (c) return c;
  return qx_bytes_cmp(w->surf_strs.data + w->surf_off[x], w->surf_len[x], w->surf_strs.data + w->surf_off[y],
                      w->surf_len[y]);
}

static int surf_order(const qx_inv *w, uint32_t **out) {
  uint32_t *o = qx_malloc((w->nsurf ? w->nsurf : 1) * sizeof *o);
  if (!o) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < w->nsurf; i++) o[i] = (uint32_t)i;
  qsort_r(o, w->nsurf, sizeof *o, cmp_surf_tf, (void *)w);
  *out = o;
  return 0;
}

/* Records: u8 term length, u8 form length, the term, the form. */
int qx_surf_spill(qx_inv *w, const char *path) {
  uint32_t *o = NULL;
  int rc = surf_order(w, &o);
  FILE *f = rc ? NULL : fopen(path, "wbe");
  if (!rc && !f) rc = qx_err_errno(QUARRY_EIO, "%s", path);
  for (size_t i = 0; !rc && i < w->nsurf; i++) {
    uint32_t s = o[i], tl;
    const char *t = qx_inv_term(w, w->surf_term[s], &tl);
    uint8_t h[2] = {(uint8_t)tl, (uint8_t)w->surf_len[s]};
    if (fwrite(h, 2, 1, f) != 1 || fwrite(t, 1, tl, f) != tl ||
        fwrite(w->surf_strs.data + w->surf_off[s], 1, h[1], f) != h[1])
      rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  }
  if (f && fclose(f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  free(o);
  return rc;
}

/* ---- the join with the final term ids ------------------------------------------ */

typedef struct surf_src {
  FILE *f;
  const char *path;
  const qx_inv *w; /* in memory: the worker's last run */
  uint32_t *order;
  size_t i;
  uint8_t tl, fl;
  char term[256], form[256];
  int has;
} surf_src;

struct qx_surf_join {
  qx_build *b;
  surf_src *src;
  size_t nsrc;
  qx_tourn t; /* the sources by current term */
  FILE *out;
  char *out_path;
  qx_buf forms;    /* the current term's forms, u8 length + bytes each */
  uint32_t *goff;  /* where each starts in forms */
  size_t ng, cap_g;
};

static int src_next(surf_src *s) {
  s->has = 0;
  if (s->w) {
    if (s->i >= s->w->nsurf) return 0;
    uint32_t k = s->order[s->i++], tl;
    const char *t = qx_inv_term(s->w, s->w->surf_term[k], &tl);
    s->tl = (uint8_t)tl;
    s->fl = (uint8_t)s->w->surf_len[k];
    memcpy(s->term, t, tl);
    memcpy(s->form, s->w->surf_strs.data + s->w->surf_off[k], s->fl);
    s->has = 1;
    return 0;
  }
  uint8_t h[2];
  if (fread(h, 2, 1, s->f) != 1) return ferror(s->f) ? qx_err_errno(QUARRY_EIO, "%s: read", s->path) : 0;
  if ((h[0] && fread(s->term, 1, h[0], s->f) != h[0]) || (h[1] && fread(s->form, 1, h[1], s->f) != h[1]))
    return qx_err(QUARRY_EIO, "%s: truncated run", s->path);
  s->tl = h[0];
  s->fl = h[1];
  s->has = 1;
  return 0;
}

/* Sources by current term, the exhausted ones last. */
static int src_less(const void *ctx, uint32_t x, uint32_t y) {
  const surf_src *a = (const surf_src *)ctx + x, *c = (const surf_src *)ctx + y;
  int d = a->has && c->has ? qx_bytes_cmp(a->term, a->tl, c->term, c->tl) : c->has - a->has;
  return d ? d < 0 : x < y;
}

int qx_surf_join_open(qx_surf_join **out, qx_build *b) {
  qx_surf_join *j = qx_calloc(1, sizeof *j);
  *out = j;
  if (!j) return qx_err(QUARRY_ENOMEM, "out of memory");
  j->b = b;
  if (!(j->src = qx_calloc(b->nruns ? b->nruns : 1, sizeof *j->src))) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t r = 0; !rc && r < b->nruns; r++) {
    const qx_run *run = &b->runs[r];
    surf_src *s = &j->src[j->nsrc++];
    if (run->path) {
      if (!run->surf_path) return qx_err(QUARRY_EIO, "internal: a run without its surface forms");
      s->path = run->surf_path;
      if (!(s->f = fopen(s->path, "rbe"))) return qx_err_errno(QUARRY_EIO, "%s", s->path);
    } else {
      s->w = &b->inv[run->worker];
      rc = surf_order(s->w, &s->order);
    }
    if (!rc) rc = src_next(s);
  }
  if (!rc && j->nsrc) rc = qx_tourn_build(&j->t, (uint32_t)j->nsrc, src_less, j->src);
  if (!rc && !(j->out_path = qx_path_join(b->tmpdir, "surface.pairs"))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && !(j->out = fopen(j->out_path, "wbe"))) rc = qx_err_errno(QUARRY_EIO, "%s", j->out_path);
  return rc;
}

static int cmp_form(const void *a, const void *b, void *ctx) {
  const uint8_t *f = ctx, *x = f + *(const uint32_t *)a, *y = f + *(const uint32_t *)b;
  return qx_bytes_cmp(x + 1, x[0], y + 1, y[0]);
}

/* Pairs: u8 form length, u32 term id, the form. The sources' forms up to
 * the term come out of the tournament in (term, source) order. */
int qx_surf_join_term(qx_surf_join *j, const char *term, uint32_t len, uint32_t id) {
  int rc = 0;
  j->forms.len = 0;
  j->ng = 0;
  while (!rc && j->nsrc) {
    uint32_t k = qx_tourn_top(&j->t);
    surf_src *s = &j->src[k];
    int c = s->has ? qx_bytes_cmp(s->term, s->tl, term, len) : 1;
    if (c > 0) break;
    if (c == 0) { /* c < 0: a form of a term without postings (none is expected): dropped */
      void *p = j->goff;
      if ((rc = qx_grow(&p, &j->cap_g, j->ng + 1, sizeof *j->goff))) break;
      j->goff = p;
      j->goff[j->ng++] = (uint32_t)j->forms.len;
      if ((rc = qx_buf_putc(&j->forms, s->fl)) || (rc = qx_buf_append(&j->forms, s->form, s->fl))) break;
    }
    if (!(rc = src_next(s))) qx_tourn_update(&j->t, k, src_less);
  }
  if (rc || !j->ng) return rc;
  qsort_r(j->goff, j->ng, sizeof *j->goff, cmp_form, j->forms.data);
  for (size_t g = 0; g < j->ng; g++) {
    if (g && !cmp_form(&j->goff[g - 1], &j->goff[g], j->forms.data)) continue;
    const uint8_t *f = j->forms.data + j->goff[g];
    if (fwrite(f, 1, 1, j->out) != 1 || fwrite(&id, 4, 1, j->out) != 1 || fwrite(f + 1, 1, f[0], j->out) != f[0])
      return qx_err_errno(QUARRY_EIO, "%s: write", j->out_path);
  }
  return 0;
}

int qx_surf_join_close(qx_surf_join *j, int rc) {
  if (!j) return rc;
  for (size_t k = 0; k < j->nsrc; k++) {
    surf_src *s = &j->src[k];
    if (s->f) fclose(s->f);
    if (s->path) unlink(s->path);
    free(s->order);
  }
  if (j->out && fclose(j->out) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: write", j->out_path);
  if (!rc) {
    free(j->b->surf_pairs);
    j->b->surf_pairs = j->out_path;
    j->out_path = NULL;
  } else if (j->out_path)
    unlink(j->out_path);
  free(j->out_path);
  free(j->src);
  qx_tourn_free(&j->t);
  free(j->goff);
  qx_buf_free(&j->forms);
  free(j);
  return rc;
}

/* ---- sorting the pairs by form: batches, then their merge ------------------------ */

typedef struct pair_rd {
  FILE *f;
  char *path;
  uint8_t fl;
  uint32_t id;
  char form[256];
  int has;
} pair_rd;

static int pair_next(pair_rd *p) {
  uint8_t fl;
  p->has = 0;
  if (fread(&fl, 1, 1, p->f) != 1) return ferror(p->f) ? qx_err_errno(QUARRY_EIO, "%s: read", p->path) : 0;
  if (fread(&p->id, 4, 1, p->f) != 1 || (fl && fread(p->form, 1, fl, p->f) != fl))
    return qx_err(QUARRY_EIO, "%s: truncated", p->path);
  p->fl = fl;
  p->has = 1;
  return 0;
}

/* By form, then by term id: the first of equal forms is kept. */
static int cmp_pair(const void *a, const void *b, void *ctx) {
  const uint8_t *d = ctx, *x = d + *(const uint64_t *)a, *y = d + *(const uint64_t *)b;
  int c = qx_bytes_cmp(x + 5, x[0], y + 5, y[0]);
  if (c) return c;
  uint32_t ix, iy;
  memcpy(&ix, x + 1, 4);
  memcpy(&iy, y + 1, 4);
  return (ix > iy) - (ix < iy);
}

/* Read up to `budget` bytes of pairs, sort them, write them to `path`. */
static int sort_batch(FILE *in, const char *in_path, uint64_t budget, const char *path, int *more) {
  qx_buf d = {0};
  uint64_t *at = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  *more = 0;
  for (;;) {
    uint8_t h[5];
    if (fread(h, 5, 1, in) != 1) {
      if (ferror(in)) rc = qx_err_errno(QUARRY_EIO, "%s: read", in_path);
      break;
    }
    void *p = at;
    if ((rc = qx_grow(&p, &cap, n + 1, sizeof *at))) break;
    at = p;
    at[n++] = d.len;
    if ((rc = qx_buf_append(&d, h, 5)) || (rc = qx_buf_reserve(&d, h[0]))) break;
    if (h[0] && fread(d.data + d.len, 1, h[0], in) != h[0]) {
      rc = qx_err(QUARRY_EIO, "%s: truncated", in_path);
      break;
    }
    d.len += h[0];
    if (d.len + cap * sizeof *at >= budget) {
      *more = 1;
      break;
    }
  }
  if (!rc) qsort_r(at, n, sizeof *at, cmp_pair, d.data);
  FILE *f = rc ? NULL : fopen(path, "wbe");
  if (!rc && !f) rc = qx_err_errno(QUARRY_EIO, "%s", path);
  for (size_t i = 0; !rc && i < n; i++) {
    const uint8_t *r = d.data + at[i];
    if (fwrite(r, 1, 5 + (size_t)r[0], f) != 5 + (size_t)r[0]) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  }
  if (f && fclose(f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  qx_buf_free(&d);
  free(at);
  return rc;
}

static int surfw_out(void *ctx, const void *p, size_t n) { return qx_out_write(ctx, p, n); }

/* Batches by current (form, term id), the exhausted ones last. */
static int pair_less(const void *ctx, uint32_t x, uint32_t y) {
  const pair_rd *a = (const pair_rd *)ctx + x, *c = (const pair_rd *)ctx + y;
  int d = a->has && c->has ? qx_bytes_cmp(a->form, a->fl, c->form, c->fl) : c->has - a->has;
  if (!d && a->has && c->has) d = (a->id > c->id) - (a->id < c->id);
  return d ? d < 0 : x < y;
}

/* Merge the sorted batches (a tournament, qx_tourn.h) into the surface file
 * (surface 2, written by qx_surfw in index/surface.c): each form once, with
 * the smallest term id among the runs that saw it. */
static int merge_batches(qx_build *b, pair_rd *rd, size_t nb) {
  qx_out o = {0};
  qx_surfw sw;
  qx_surfw_init(&sw, surfw_out, &o, QX_HEADER_SIZE);
  qx_tourn t = {0};
  int rc = qx_tourn_build(&t, (uint32_t)nb, pair_less, rd);
  if (!rc) rc = qx_out_open(&o, b, "surface", QX_MAGIC_SURFACE, QX_SURFACE_MAJOR);
  char last[256];
  int last_len = -1;
  uint64_t n = 0;
  while (!rc) {
    uint32_t m = qx_tourn_top(&t);
    if (!rd[m].has) break;
    pair_rd *p = &rd[m];
    if (last_len < 0 || qx_bytes_cmp(p->form, p->fl, last, (size_t)last_len)) {
      rc = qx_surfw_add(&sw, p->form, p->fl, p->id);
      n++;
      memcpy(last, p->form, p->fl);
      last_len = p->fl;
    }
    if (!rc) rc = pair_next(p);
    qx_tourn_update(&t, m, pair_less);
  }
  if (!rc) rc = qx_surfw_finish(&sw);
  if (!rc) b->nsurf = n;
  rc = qx_out_close(&o, b, rc);
  qx_surfw_free(&sw);
  qx_tourn_free(&t);
  return rc;
}

int qx_build_write_surface(qx_build *b) {
  if (!b->surf_pairs) return qx_err(QUARRY_EIO, "internal: no surface pairs");
  uint64_t budget = b->opts->memory_mb ? QX_MAX((uint64_t)1 << 20, (b->opts->memory_mb << 20) / 2) : UINT64_MAX;
  FILE *in = fopen(b->surf_pairs, "rbe");
  int rc = in ? 0 : qx_err_errno(QUARRY_EIO, "%s", b->surf_pairs);
  pair_rd *rd = NULL;
  size_t nb = 0, cap = 0;
  for (int more = 1; !rc && more;) {
    void *p = rd;
    if ((rc = qx_grow(&p, &cap, nb + 1, sizeof *rd))) break;
    rd = p;
    memset(&rd[nb], 0, sizeof *rd);
    char name[32];
    snprintf(name, sizeof name, "surface.sort-%zu", nb);
    if (!(rd[nb].path = qx_path_join(b->tmpdir, name))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    nb++;
    if (!rc) rc = sort_batch(in, b->surf_pairs, budget, rd[nb - 1].path, &more);
  }
  if (in) fclose(in);
  unlink(b->surf_pairs);
  for (size_t k = 0; !rc && k < nb; k++) {
    if (!(rd[k].f = fopen(rd[k].path, "rbe"))) rc = qx_err_errno(QUARRY_EIO, "%s", rd[k].path);
    if (!rc) rc = pair_next(&rd[k]);
  }
  if (!rc) rc = merge_batches(b, rd, nb);
  for (size_t k = 0; k < nb; k++) {
    if (rd[k].f) fclose(rd[k].f);
    if (rd[k].path) unlink(rd[k].path);
    free(rd[k].path);
  }
  free(rd);
  return rc;
}
