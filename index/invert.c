/*
 * invert.c: the build's workers (qx_build.h). A worker analyses a chunk of
 * documents (text/), cuts passages (passage.c), records their tables with
 * chunk-local ids, adds their postings to its current run and compresses
 * the chunk's store.zst frames. A run lives in memory as one varint stream
 * per term (passage gap, tf, positions), the layout the old single-threaded
 * builder had; when it (with its dictionaries) outgrows its share of
 * --memory it is written to a file, terms in byte order with their
 * strings, and the worker starts a new one with empty dictionaries. write.c
 * merges every run into the final postings.
 *
 * This is the scheme of Lucene's and Tantivy's indexers (per-thread
 * in-memory segments flushed at a RAM budget, merged afterwards), with
 * the runs as plain sorted files rather than segments, so the final merge
 * writes one segment and search speed does not depend on how it was built.
 */
#include <stdlib.h>
#include <unistd.h>

#include "qx_build.h"

/* ---- dictionaries: open addressing (FNV-1a) -----------------------------------
 * A slot holds the string's first 8 bytes, its length and the top 24 bits
 * of its hash, and id+1 (0: empty): a word of up to 8 bytes (most tokens)
 * is matched from the slot alone, a longer one also compares the rest of
 * the string in the dictionary's buffer (offs[id] gives where). Probing
 * starts at those 24 bits modulo the capacity, so growing the table reads
 * the slots only. */

static uint32_t hash32(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return (uint32_t)(h ^ (h >> 32));
}

static inline uint64_t head8(const char *s, size_t n) {
  uint64_t v = 0;
  memcpy(&v, s, n < 8 ? n : 8);
  return v;
}

static inline uint32_t lenhash(uint32_t h, size_t n) { return (h & 0xFFFFFF00u) | (uint32_t)n; }

static inline size_t home(uint32_t lh, size_t cap) { return (lh >> 8) & (cap - 1); }

static int dict_rehash(qx_dict *d) {
  size_t ncap = d->cap ? d->cap * 2 : 1024;
  qx_dslot *slots = qx_calloc(ncap, sizeof *slots);
  if (!slots) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < d->cap; i++) {
    qx_dslot v = d->slots[i];
    if (!v.id1) continue;
    size_t j = home(v.lenhash, ncap);
    while (slots[j].id1) j = (j + 1) & (ncap - 1);
    slots[j] = v;
  }
  free(d->slots);
  d->slots = slots;
  d->cap = ncap;
  return 0;
}

/* Find s (n <= 255 bytes); *slot gets the slot to fill if absent, *h its
 * hash. Returns id+1 or 0. */
static uint32_t dict_find(const qx_dict *d, const qx_buf *strs, const uint64_t *offs, const char *s, size_t n,
                          size_t *slot, uint32_t *h) {
  *h = hash32(s, n);
  uint64_t hd = head8(s, n);
  uint32_t lh = lenhash(*h, n);
  size_t j = home(lh, d->cap);
  for (;;) {
    const qx_dslot *v = &d->slots[j];
    if (!v->id1 || (v->lenhash == lh && v->head == hd &&
                     (n <= 8 || !memcmp(strs->data + offs[v->id1 - 1] + 8, s + 8, n - 8)))) {
      *slot = j;
      return v->id1;
    }
    j = (j + 1) & (d->cap - 1);
  }
}

static int intern_str(qx_buf *strs, uint64_t *off, const char *s, size_t n) {
  *off = strs->len;
  if (strs->len + n + 1 > UINT32_MAX) return qx_err(QUARRY_EINVAL, "too many distinct terms (4 GB of strings)");
  int rc = qx_buf_append(strs, s, n);
  return rc ? rc : qx_buf_putc(strs, 0);
}

static int term_intern(qx_inv *w, uint32_t *out, const char *s, size_t n) {
  if (n > QX_STORED_TERM_MAX) n = QX_STORED_TERM_MAX;
  int rc;
  if ((w->nterms + 1) * 2 > w->terms_dict.cap && (rc = dict_rehash(&w->terms_dict)))
    return rc;
  size_t slot;
  uint32_t h;
  uint32_t id = dict_find(&w->terms_dict, &w->term_strs, w->term_off, s, n, &slot, &h);
  if (id) {
    *out = id - 1;
    return 0;
  }
  void **const arrs[] = {(void **)&w->term_off, (void **)&w->term_len, (void **)&w->terms};
  const size_t elems[] = {sizeof *w->term_off, sizeof *w->term_len, sizeof *w->terms};
  if ((rc = qx_grow_parallel(&w->cap_terms, w->nterms + 1, 3, arrs, elems))) return rc;
  if ((rc = intern_str(&w->term_strs, &w->term_off[w->nterms], s, n))) return rc;
  w->term_len[w->nterms] = (uint32_t)n;
  memset(&w->terms[w->nterms], 0, sizeof w->terms[0]);
  w->terms_dict.slots[slot] = (qx_dslot){head8(s, n), (uint32_t)++w->nterms, lenhash(h, n)};
  *out = (uint32_t)w->nterms - 1;
  return 0;
}

/* The term id of a token. The folded surface form determines the term (the
 * stem is a function of it), so the surface dictionary is looked up first
 * and the term dictionary only for a new surface form. */
static int token_term(qx_inv *w, uint32_t *out, const char *folded, size_t fl, const char *term, size_t tl) {
  /* without stemming the form is the term: no surface table (the lexicon
   * serves prefix queries), one dictionary lookup */
  if (fl == 0 || qx_build_surface_is_lexicon(w->b)) return term_intern(w, out, term, tl);
  if (fl > QX_STORED_TERM_MAX) fl = QX_STORED_TERM_MAX;
  int rc;
  if ((w->nsurf + 1) * 2 > w->surf_dict.cap && (rc = dict_rehash(&w->surf_dict)))
    return rc;
  size_t slot;
  uint32_t h;
  uint32_t id = dict_find(&w->surf_dict, &w->surf_strs, w->surf_off, folded, fl, &slot, &h);
  if (id) {
    *out = w->surf_term[id - 1];
    return 0;
  }
  if ((rc = term_intern(w, out, term, tl))) return rc;
  void **const arrs[] = {(void **)&w->surf_off, (void **)&w->surf_len, (void **)&w->surf_term};
  const size_t elems[] = {sizeof *w->surf_off, sizeof *w->surf_len, sizeof *w->surf_term};
  if ((rc = qx_grow_parallel(&w->cap_surf, w->nsurf + 1, 3, arrs, elems))) return rc;
  if ((rc = intern_str(&w->surf_strs, &w->surf_off[w->nsurf], folded, fl))) return rc;
  w->surf_len[w->nsurf] = (uint32_t)fl;
  w->surf_term[w->nsurf] = *out;
  w->surf_dict.slots[slot] = (qx_dslot){head8(folded, fl), (uint32_t)++w->nsurf, lenhash(h, fl)};
  return 0;
}

int qx_inv_cmp_terms(const qx_inv *a, uint32_t x, const qx_inv *bw, uint32_t y) {
  uint32_t lx, ly;
  const char *sx = qx_inv_term(a, x, &lx), *sy = qx_inv_term(bw, y, &ly);
  return qx_bytes_cmp(sx, lx, sy, ly);
}

/* LEB128 varint append with a fast path (postings are written per token). */
static inline int put_varint(qx_buf *o, uint64_t v) {
  if (o->cap - o->len < 10) {
    int rc = qx_buf_reserve(o, 10);
    if (rc) return rc;
  }
  uint8_t *p = o->data + o->len;
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  o->len = (size_t)(p - o->data);
  return 0;
}

/* ---- a passage's postings -------------------------------------------------- */

/* Sort keys term << 32 | position: insertion sort for short runs, else
 * quicksort (a passage has a few hundred tokens at most; qsort's indirect
 * comparisons cost more than the sort itself). */
static void sort_u64(uint64_t *a, size_t n) {
  while (n > 16) {
    uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
    uint64_t piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    size_t i = 0, j = n - 1;
    for (;;) {
      while (a[i] < piv) i++;
      while (a[j] > piv) j--;
      if (i >= j) break;
      uint64_t t = a[i];
      a[i++] = a[j];
      a[j--] = t;
    }
    sort_u64(a, j + 1); /* the smaller side could go first; passages are short */
    a += j + 1;
    n -= j + 1;
  }
  for (size_t i = 1; i < n; i++) {
    uint64_t v = a[i];
    size_t j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
}

static int on_passage(void *ctx, const qx_ptok *toks, uint32_t n, uint64_t start, uint64_t end) {
  qx_inv *w = ctx;
  qx_chunk *ck = w->ck;
  if (w->run.npassages >= UINT32_MAX - 1 || ck->npassages >= UINT32_MAX - 1)
    return qx_err(QUARRY_EINVAL, "too many passages (more than 2^32)");
  uint32_t pid = w->run.npassages++;
  ck->npassages++;
  /* line number of `start`: count newlines since the last passage start */
  for (uint64_t i = w->line_off; i < start; i++)
    if (w->text[i] == '\n') w->line++;
  w->line_off = start;
  uint32_t rec32[2] = {w->ndocs, n}, line = w->line, zero = 0;
  int rc = qx_buf_append(&ck->passages, rec32, 8);
  if (!rc) rc = qx_buf_put_u64(&ck->passages, start);
  if (!rc) rc = qx_buf_put_u64(&ck->passages, end);
  if (!rc) rc = qx_buf_put_u32(&ck->passages, line);
  if (!rc) rc = qx_buf_put_u32(&ck->passages, zero);
  if (!rc) rc = qx_buf_putc(&ck->norms, qx_norm_encode(n));
  if (rc) return rc;
  ck->tokens += n;
  w->doc_passages++;
  /* postings: group this passage's tokens by term */
  uint64_t *s = w->scratch;
  for (uint32_t i = 0; i < n; i++) s[i] = (uint64_t)toks[i].term << 32 | (toks[i].pos - toks[0].pos);
  sort_u64(s, n);
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i, term = (uint32_t)(s[i] >> 32);
    while (j < n && (uint32_t)(s[j] >> 32) == term) j++;
    qx_bterm *t = &w->terms[term];
    size_t cap0 = t->post.cap;
    rc = put_varint(&t->post, t->df ? pid - t->last_pid : pid);
    if (!rc) rc = put_varint(&t->post, j - i);
    for (uint32_t k = i; !rc && k < j; k++)
      rc = put_varint(&t->post, k > i ? (uint32_t)s[k] - (uint32_t)s[k - 1] : (uint32_t)s[k]);
    if (rc) return rc;
    w->run_bytes += t->post.cap - cap0;
    t->df++;
    t->cf += j - i;
    t->last_pid = pid;
    ck->postings++;
    i = j;
  }
  return 0;
}

static int on_token(void *ctx, const qx_token *tok) {
  qx_inv *w = ctx;
  uint8_t gap = tok->start >= w->prev_end ? qx_gap_boundary(w->text + w->prev_end, tok->start - w->prev_end) : 0;
  if (gap > w->pend_boundary) w->pend_boundary = gap;
  if (w->lead_start == UINT64_MAX) w->lead_start = tok->start;
  w->prev_end = tok->end;
  if (tok->is_stop) return 0;
  qx_ptok p = {0, tok->pos, w->lead_start, tok->end, w->pend_boundary};
  int rc = token_term(w, &p.term, tok->folded, tok->folded_len, tok->term, tok->term_len);
  if (!rc) rc = qx_cutter_push(&w->cut, &p);
  w->lead_start = UINT64_MAX;
  w->pend_boundary = 0;
  return rc;
}

/* ---- documents --------------------------------------------------------------- */

/* First non-empty line, trimmed, at most QX_TITLE_MAX bytes cut on a UTF-8
 * character boundary; else the file name. */
static void doc_title(const char *text, size_t len, const char *path, const char **t, size_t *tl) {
  size_t i = 0;
  while (i < len) {
    size_t e = i;
    while (e < len && text[e] != '\n') e++;
    size_t a = i, z = e;
    while (a < z && (unsigned char)text[a] <= ' ') a++;
    while (z > a && (unsigned char)text[z - 1] <= ' ') z--;
    if (z > a) {
      if (z - a > QX_TITLE_MAX) {
        z = a + QX_TITLE_MAX;
        while (z > a && ((unsigned char)text[z] & 0xC0) == 0x80) z--;
      }
      *t = text + a;
      *tl = z - a;
      return;
    }
    i = e + 1;
  }
  const char *slash = strrchr(path, '/');
  *t = slash ? slash + 1 : path;
  *tl = strlen(*t);
}

/* The document's record (chunk-local ids and string offsets). */
static int add_doc(qx_inv *w, const qx_cdoc *cd, const char *text, uint32_t first) {
  qx_chunk *ck = w->ck;
  const char *path = (const char *)ck->meta.data + cd->path;
  const char *id = cd->id == SIZE_MAX ? NULL : (const char *)ck->meta.data + cd->id;
  const char *title = cd->title == SIZE_MAX ? NULL : (const char *)ck->meta.data + cd->title;
  size_t tl = cd->title_len;
  if (!title) doc_title(text, cd->len, path, &title, &tl);
  if (tl > QX_TITLE_MAX) {
    tl = QX_TITLE_MAX;
    while (tl > 0 && ((unsigned char)title[tl] & 0xC0) == 0x80) tl--;
  }
  size_t pl = strlen(path), il = id ? strlen(id) : pl;
  uint64_t poff = ck->strs.len, toff, ioff;
  int rc = 0;
  if (w->last_path_len == pl && !memcmp(ck->strs.data + w->last_path_off, path, pl))
    poff = w->last_path_off; /* records of one corpus file share their path */
  else
    rc = qx_buf_append(&ck->strs, path, pl);
  w->last_path_off = poff;
  w->last_path_len = pl;
  ioff = poff;
  toff = ck->strs.len;
  if (!rc) rc = qx_buf_append(&ck->strs, title, tl);
  if (!rc && id) {
    ioff = ck->strs.len;
    rc = qx_buf_append(&ck->strs, id, il);
  }
  uint64_t rec[6] = {poff, toff, ioff, cd->len, (uint64_t)cd->mtime_ns, qx_xxh64(text, cd->len)};
  uint32_t rec32[6] = {(uint32_t)pl, (uint32_t)tl, (uint32_t)il, first, w->doc_passages, 0};
  if (!rc) rc = qx_buf_append(&ck->recs, rec, sizeof rec);
  if (!rc) rc = qx_buf_append(&ck->recs, rec32, sizeof rec32);
  if (!rc) w->ndocs++;
  return rc;
}

/* Analyse one document, cut it into passages, record it. */
static int index_doc(qx_inv *w, const qx_cdoc *cd) {
  const char *text = (const char *)w->ck->text.data + cd->text_off;
  w->text = text;
  w->line = 1;
  w->line_off = 0;
  w->prev_end = 0;
  w->lead_start = UINT64_MAX;
  w->pend_boundary = 2;
  w->doc_passages = 0;
  uint32_t first = w->ck->npassages;
  qx_cutter_begin(&w->cut, text, cd->len);
  int rc = qx_analyze(w->an, text, cd->len, QX_ANALYZE_KEEP_STOP, on_token, w);
  if (!rc) rc = qx_cutter_end(&w->cut);
  if (!rc) rc = add_doc(w, cd, text, first);
  if (rc) { /* name the file, and within a BEIR/TREC file the document */
    const char *m = (const char *)w->ck->meta.data;
    if (cd->id != SIZE_MAX) rc = qx_err_wrap(rc, "%s: document %s", m + cd->path, m + cd->id);
    else rc = qx_err_wrap(rc, "%s", m + cd->path);
  }
  w->text = NULL;
  return rc;
}

/* ---- runs ------------------------------------------------------------------- */

static int run_add_chunk(qx_run *r, uint64_t no, uint32_t lbase, uint32_t n) {
  void **const arrs[] = {(void **)&r->chunk_no, (void **)&r->lbase, (void **)&r->cnt};
  const size_t elems[] = {sizeof *r->chunk_no, sizeof *r->lbase, sizeof *r->cnt};
  int rc = qx_grow_parallel(&r->cap, r->nchunks + 1, 3, arrs, elems);
  if (rc) return rc;
  r->chunk_no[r->nchunks] = no;
  r->lbase[r->nchunks] = lbase;
  r->cnt[r->nchunks++] = n;
  return 0;
}

static int cmp_tid(const void *a, const void *b, void *ctx) {
  const qx_inv *w = ctx;
  return qx_inv_cmp_terms(w, *(const uint32_t *)a, w, *(const uint32_t *)b);
}

/* The ids of the terms with postings in the current run, in byte order. */
static int run_order(qx_inv *w, uint32_t **out, size_t *n) {
  uint32_t *o = qx_malloc((w->nterms ? w->nterms : 1) * sizeof *o);
  if (!o) return qx_err(QUARRY_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < w->nterms; i++)
    if (w->terms[i].df) o[k++] = (uint32_t)i;
  qsort_r(o, k, sizeof *o, cmp_tid, w);
  *out = o;
  *n = k;
  return 0;
}

static int push_run(qx_build *b, qx_run *r) {
  int lock = b->nthreads > 1, rc = 0;
  if (lock) pthread_mutex_lock(&b->mu);
  void *p = b->runs;
  rc = qx_grow(&p, &b->cap_runs, b->nruns + 1, sizeof *b->runs);
  b->runs = p;
  if (!rc) {
    b->runs[b->nruns++] = *r;
    memset(r, 0, sizeof *r);
  }
  if (lock) pthread_mutex_unlock(&b->mu);
  return rc;
}

/* Bytes the worker's current run holds: postings, dictionaries, strings. */
static uint64_t run_mem(const qx_inv *w) {
  return w->run_bytes + (w->terms_dict.cap + w->surf_dict.cap) * sizeof(qx_dslot) + w->term_strs.cap +
         w->surf_strs.cap + w->cap_terms * (sizeof *w->terms + sizeof *w->term_off + sizeof *w->term_len) +
         w->cap_surf * (sizeof *w->surf_off + sizeof *w->surf_len + sizeof *w->surf_term);
}

/* Forget every term and surface form: after a spill the next run starts
 * with empty dictionaries, so a worker holds one run's vocabulary at most. */
static void dict_reset(qx_inv *w) {
  for (size_t i = 0; i < w->nterms; i++) qx_buf_free(&w->terms[i].post);
  free(w->terms);
  free(w->term_off);
  free(w->term_len);
  free(w->terms_dict.slots);
  qx_buf_free(&w->term_strs);
  free(w->surf_off);
  free(w->surf_len);
  free(w->surf_term);
  free(w->surf_dict.slots);
  qx_buf_free(&w->surf_strs);
  w->terms = NULL;
  w->term_off = NULL;
  w->term_len = NULL;
  w->surf_off = NULL;
  w->surf_len = w->surf_term = NULL;
  w->terms_dict = w->surf_dict = (qx_dict){0};
  w->nterms = w->cap_terms = w->nsurf = w->cap_surf = 0;
  w->run_bytes = 0;
}

/* Write the current run to DIR/run-W-N (records: u32 term length, u32 df,
 * u64 cf, u64 bytes, the term, the varint stream; terms in byte order) and
 * its surface forms to run-W-N.surf (qx_surf_spill), then start a new run
 * with empty dictionaries. */
static int spill(qx_inv *w) {
  qx_build *b = w->b;
  uint32_t *order = NULL;
  size_t n = 0;
  int rc = run_order(w, &order, &n);
  if (rc) return rc;
  char name[64];
  snprintf(name, sizeof name, "run-%d-%llu", w->id, (unsigned long long)(w->run.nchunks ? w->run.chunk_no[0] : 0));
  char *path = qx_path_join(b->tmpdir, name);
  FILE *f = path ? fopen(path, "wbe") : NULL;
  if (!path) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  else if (!f) rc = qx_err_errno(QUARRY_EIO, "%s", path);
  for (size_t i = 0; !rc && i < n; i++) {
    qx_bterm *t = &w->terms[order[i]];
    uint32_t h32[2] = {w->term_len[order[i]], t->df};
    uint64_t h64[2] = {t->cf, t->post.len};
    if (fwrite(h32, 8, 1, f) != 1 || fwrite(h64, 16, 1, f) != 1 ||
        fwrite(w->term_strs.data + w->term_off[order[i]], 1, h32[0], f) != h32[0] ||
        fwrite(t->post.data, 1, t->post.len, f) != t->post.len)
      rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  }
  if (f && fclose(f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  free(order);
  if (!rc) w->run.path = path;
  else free(path);
  if (!rc && !qx_build_surface_is_lexicon(b)) {
    snprintf(name, sizeof name, "run-%d-%llu.surf", w->id,
             (unsigned long long)(w->run.nchunks ? w->run.chunk_no[0] : 0));
    if (!(w->run.surf_path = qx_path_join(b->tmpdir, name))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    if (!rc) rc = qx_surf_spill(w, w->run.surf_path);
  }
  if (!rc) {
    w->run.worker = w->id;
    rc = push_run(b, &w->run);
  }
  if (rc) { /* the build fails; a later spill of this worker must not overwrite (leak) the paths */
    free(w->run.path);
    free(w->run.surf_path);
    w->run.path = w->run.surf_path = NULL;
  }
  dict_reset(w);
  return rc;
}

int qx_inv_finish(qx_inv *w) {
  if (!w->run.nchunks) return 0;
  w->run.worker = w->id;
  return push_run(w->b, &w->run);
}

/* ---- a chunk ------------------------------------------------------------------ */

static int do_chunk(qx_inv *w, qx_chunk *ck) {
  w->ck = ck;
  w->ndocs = 0;
  w->last_path_len = UINT64_MAX;
  uint32_t lbase = w->run.npassages;
  int rc = 0;
  for (size_t i = 0; !rc && i < ck->ndocs; i++) rc = index_doc(w, &ck->docs[i]);
  /* store frames: slices of ck->text, as qx_store_writer_add would cut them */
  if (!rc && !(ck->frame_len = qx_malloc((ck->nframes ? ck->nframes : 1) * sizeof *ck->frame_len)))
    rc = qx_err(QUARRY_ENOMEM, "out of memory");
  size_t d = 0;
  for (size_t f = 0; !rc && f < ck->nframes; f++) {
    size_t start = ck->docs[d].text_off, len = 0;
    for (uint32_t k = 0; k < ck->frame_docs[f]; k++) len += ck->docs[d++].len;
    size_t before = ck->store.len;
    rc = qx_store_compress(&ck->store, w->zctx, ck->text.data + start, len);
    ck->frame_len[f] = ck->store.len - before;
  }
  if (!rc) rc = run_add_chunk(&w->run, ck->no, lbase, ck->npassages);
  if (!rc && run_mem(w) > w->b->run_budget) rc = spill(w);
  w->ck = NULL;
  return rc;
}

void qx_inv_chunk(qx_inv *w, qx_chunk *ck) {
  qx_err_clear();
  ck->rc = do_chunk(w, ck);
  if (ck->rc) snprintf(ck->err, sizeof ck->err, "%s", quarry_error_last());
  /* the text is not needed any more: only the tables wait for the commit */
  qx_buf_free(&ck->text);
}

int qx_inv_init(qx_inv *w, qx_build *b, int id) {
  memset(w, 0, sizeof *w);
  w->b = b;
  w->id = id;
  int rc = qx_cutter_init(&w->cut, b->opts->passage_tokens, b->opts->passage_overlap, on_passage, w);
  if (!rc) rc = qx_analyzer_new(&w->an, b->lang);
  if (!rc && !(w->scratch = qx_malloc(((size_t)qx_cutter_max(b->opts->passage_tokens) + 1) * sizeof(uint64_t))))
    rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && !(w->zctx = qx_store_cctx_new())) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  return rc;
}

void qx_inv_free(qx_inv *w) {
  dict_reset(w);
  free(w->run.chunk_no);
  free(w->run.lbase);
  free(w->run.cnt);
  free(w->run.path);
  free(w->run.surf_path);
  qx_store_cctx_free(w->zctx);
  free(w->scratch);
  qx_cutter_free(&w->cut);
  qx_analyzer_free(w->an);
  memset(w, 0, sizeof *w);
}

void qx_chunk_free(qx_chunk *c) {
  if (!c) return;
  qx_buf_free(&c->text);
  qx_buf_free(&c->meta);
  free(c->docs);
  free(c->frame_docs);
  qx_buf_free(&c->passages);
  qx_buf_free(&c->norms);
  qx_buf_free(&c->recs);
  qx_buf_free(&c->strs);
  qx_buf_free(&c->store);
  free(c->frame_len);
  free(c);
}

/* ---- reading runs (the merge, write.c) ------------------------------------------- */

int qx_run_reader_open(qx_run_reader *r, qx_build *b, const qx_run *run) {
  memset(r, 0, sizeof *r);
  r->run = run;
  r->w = &b->inv[run->worker];
  if (run->path) {
    r->f = fopen(run->path, "rbe");
    if (!r->f) return qx_err_errno(QUARRY_EIO, "%s", run->path);
    return qx_run_reader_next(r);
  }
  int rc = run_order(r->w, &r->order, &r->n);
  return rc ? rc : qx_run_reader_next(r);
}

int qx_run_reader_next(qx_run_reader *r) {
  if (r->has && !r->f) qx_buf_free(&r->w->terms[r->cur.tid].post); /* consumed: keep the peak memory down */
  r->has = 0;
  if (!r->f) {
    if (r->i >= r->n) return 0;
    uint32_t tid = r->order[r->i++], slen;
    const qx_bterm *t = &r->w->terms[tid];
    const char *str = qx_inv_term(r->w, tid, &slen);
    r->cur = (qx_run_rec){tid, t->df, t->cf, t->post.data, t->post.len, str, slen};
    r->has = 1;
    return 0;
  }
  uint32_t h32[2];
  uint64_t h64[2];
  if (fread(h32, 8, 1, r->f) != 1) {
    if (ferror(r->f)) return qx_err_errno(QUARRY_EIO, "%s: read", r->run->path);
    return 0;
  }
  if (fread(h64, 16, 1, r->f) != 1 || h32[0] > QX_STORED_TERM_MAX || h64[1] > SIZE_MAX - h32[0])
    return qx_err(QUARRY_EIO, "%s: truncated run", r->run->path);
  size_t n = h32[0] + (size_t)h64[1];
  r->rec.len = 0;
  int rc = qx_buf_reserve(&r->rec, n);
  if (rc) return rc;
  if (n && fread(r->rec.data, 1, n, r->f) != n) return qx_err(QUARRY_EIO, "%s: truncated run", r->run->path);
  r->rec.len = n;
  r->cur = (qx_run_rec){0, h32[1], h64[0], r->rec.data + h32[0], h64[1], (const char *)r->rec.data, h32[0]};
  r->has = 1;
  return 0;
}

void qx_run_reader_close(qx_run_reader *r) {
  if (r->f) {
    fclose(r->f);
    unlink(r->run->path);
  }
  free(r->order);
  qx_buf_free(&r->rec);
  memset(r, 0, sizeof *r);
}
