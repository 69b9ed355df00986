/*
 * update.c: incremental updates and merges of a segmented index (format
 * 2.0, docs/FORMAT.md "Updates", "Merge policy", "Commit protocol"), in the
 * manner of Lucene's segments: a segment is never modified; an update
 *   1. plans: walks the PATHs and compares each file with the live document
 *      of the same path (size + mtime, then the xxHash64 of the content), so
 *      that unchanged files are not read beyond that hash;
 *   2. builds the new and changed files into a new segment with the usual
 *      pipeline (index/build.c), copying the vectors of unchanged passages
 *      (index/update_vec.c), and marks the old versions and the vanished
 *      files deleted in their segments' deletion bitmaps (sNNNNNN.del);
 *   3. applies the merge policy: a segment with more than half of its
 *      passages deleted is rewritten without them; while there are more
 *      than QX_MAX_SEGMENTS segments, the two adjacent ones with the fewest
 *      live passages are merged. A rewrite re-reads the live documents from
 *      the segments' store.zst, keeps their metadata and copies their
 *      vectors: it never re-embeds;
 *   4. commits: kept segments are hard-linked into DIR.tmp-XXXXXX, the new
 *      bitmaps and the top MANIFEST (generation + 1) written, everything
 *      fsynced, and the tree swapped with DIR like a full build.
 * Readers see the old or the new index, whole. The writer lock is held
 * throughout. `quarry index --merge` rewrites every segment into one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_embed.h"
#include "qx_update.h"
#include "qx_vectors.h"

#define QX_MAX_SEGMENTS 8    /* merge policy: at most this many segments after an update */
#define QX_REWRITE_DELETED 50 /* merge policy: rewrite a segment with more than this % of passages deleted */

static void note(const quarry_build_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const quarry_build_opts *o, const char *fmt, ...) {
  if (!o->note) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  o->note(o->ctx, msg);
}

/* ---- stored documents (merges) ---------------------------------------------- */

int qx_stored_doc_read(qx_stored_doc *out, qx_seg *sg, uint32_t doc) {
  memset(out, 0, sizeof *out);
  qx_doc_info d;
  int rc = qx_seg_doc(&d, sg, doc);
  if (rc) return rc;
  out->path = qx_strndup(d.path, d.path_len);
  int same = d.id_len == d.path_len && !memcmp(d.id, d.path, d.path_len);
  out->id = same ? NULL : qx_strndup(d.id, d.id_len);
  out->title = qx_strndup(d.title, d.title_len);
  out->title_len = d.title_len;
  out->mtime_ns = d.mtime_ns;
  if (!out->path || !out->title || (!same && !out->id)) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_store_read(&out->text, &out->len, sg->st, doc, 0, UINT64_MAX);
  if (!rc && (out->len != d.size || qx_xxh64(out->text, out->len) != d.xxh64))
    rc = qx_err(QUARRY_ECORRUPT, "%s/store.zst: document %u does not match its size and hash in docs", sg->dir, doc);
  if (rc) qx_stored_doc_free(out);
  return rc;
}

void qx_stored_doc_free(qx_stored_doc *d) {
  free(d->path);
  free(d->id);
  free(d->title);
  free(d->text);
  memset(d, 0, sizeof *d);
}

/* ---- settings ------------------------------------------------------------------- */

static int setting_error(const char *dir, const char *what) {
  return qx_err(QUARRY_EINVAL, "%s: %s; run with --rebuild to rebuild the index with the new settings", dir, what);
}

/* The update's settings must be the index's (else its passages and vectors
 * would not be comparable). A NULL model means "the index's model". */
static int check_settings(const quarry_index *ix, const char *dir, const quarry_build_opts *o) {
  const qx_manifest *m = &ix->man;
  const char *fmt = qx_manifest_get(m, "input.format");
  if (fmt && strcmp(fmt, "files")) {
    char what[128];
    snprintf(what, sizeof what, "the index was built from --format %s input, updates are for --format files", fmt);
    return setting_error(dir, what);
  }
  const char *lang = o->lang ? o->lang : "fr", *ilang = qx_manifest_get(m, "analyzer.lang");
  char what[512];
  if (!ilang || strcmp(lang, ilang)) {
    snprintf(what, sizeof what, "the index was built with --lang %s, not %s", ilang ? ilang : "?", lang);
    return setting_error(dir, what);
  }
  if (ix->passage_tokens != o->passage_tokens || ix->passage_overlap != o->passage_overlap) {
    snprintf(what, sizeof what, "the index was built with --passage-tokens %u --passage-overlap %u, not %u and %u",
             ix->passage_tokens, ix->passage_overlap, o->passage_tokens, o->passage_overlap);
    return setting_error(dir, what);
  }
  const char *model = qx_manifest_get(m, "vectors.model");
  if (o->vectors && !model) return setting_error(dir, "the index has no vectors (built with --no-vectors): add --no-vectors");
  if (!o->vectors && model) {
    snprintf(what, sizeof what, "the index has vectors (model %s): drop --no-vectors", model);
    return setting_error(dir, what);
  }
  if (o->vectors && o->model && strcmp(o->model, model)) {
    qx_model *qm = NULL;
    int rc = qx_model_load(&qm, o->model);
    if (rc) return rc;
    const char *sum = qx_manifest_get(m, "vectors.checksum");
    int same = sum && qx_model_checksum(qm) == strtoull(sum, NULL, 16);
    qx_model_free(qm);
    if (!same) {
      snprintf(what, sizeof what, "the index was built with model %s, not %s", model, o->model);
      return setting_error(dir, what);
    }
  }
  return 0;
}

/* ---- the plan --------------------------------------------------------------------- */

typedef struct live_doc {
  const char *path;
  uint32_t path_len, seg, doc;
  int seen;
} live_doc;

static int cmp_live(const void *a, const void *b) {
  const live_doc *x = a, *y = b;
  int c = memcmp(x->path, y->path, QX_MIN(x->path_len, y->path_len));
  return c ? c : (x->path_len > y->path_len) - (x->path_len < y->path_len);
}

/* An output segment: an old one kept as it is (its bitmap maybe grown), or
 * one built from old segments [first, last] and/or the update's files. */
typedef struct out_seg {
  int build;      /* 0: keep old segment `first` */
  int64_t first, last; /* old segments taken (first > last: none) */
  int files;      /* the update's new and changed files */
  uint64_t live;  /* live passages (merge policy) */
  uint32_t id;
} out_seg;

typedef struct plan {
  quarry_index *ix;
  uint32_t nseg; /* of ix (kept after ix is closed) */
  const char *dir;
  const quarry_build_opts *opts;
  uint64_t **del;  /* per old segment: its bitmap after the update (NULL: nothing deleted) */
  uint64_t *ndel;  /* deleted passages per old segment after the update */
  uint64_t *ldocs; /* live documents per old segment after the update */
  qx_walk_file *files;
  size_t nfiles;
  qx_src_item *add; /* new and changed files */
  size_t nadd;
  uint32_t *changed_old; /* per add: 1 + index in live[] of its old version, or 0 */
  live_doc *live;
  size_t nlive;
  out_seg *out;
  size_t nout;
  uint64_t added, changed, deleted, unchanged, merged;
  qx_vec_reuse *reuse;
} plan;

static void plan_free(plan *p) {
  if (p->del)
    for (uint32_t i = 0; i < p->nseg; i++) free(p->del[i]);
  free(p->del);
  free(p->ndel);
  free(p->ldocs);
  qx_walk_free(p->files, p->nfiles);
  free(p->add);
  free(p->changed_old);
  free(p->live);
  free(p->out);
  qx_vec_reuse_free(p->reuse);
}

/* Mark document `doc` of old segment s deleted (all its passages). */
static int delete_doc(plan *p, uint32_t s, uint32_t doc) {
  qx_seg *sg = p->ix->seg[s];
  qx_doc_info d;
  int rc = qx_seg_doc(&d, sg, doc);
  if (rc) return rc;
  if (!p->del[s]) {
    size_t nw = (size_t)((sg->npassages + 63) / 64);
    if (!(p->del[s] = qx_calloc(nw ? nw : 1, 8))) return qx_err(QUARRY_ENOMEM, "out of memory");
    if (sg->del) memcpy(p->del[s], sg->del, nw * 8);
  }
  if (qx_bit_get(p->del[s], d.first_passage)) return 0;
  for (uint32_t k = 0; k < d.npassages; k++) qx_bit_set(p->del[s], d.first_passage + k);
  p->ndel[s] += d.npassages;
  p->ldocs[s]--;
  return 0;
}

static int plan_init(plan *p) {
  quarry_index *ix = p->ix;
  uint32_t n = p->nseg = ix->nseg;
  p->del = qx_calloc(n, sizeof *p->del);
  p->ndel = qx_calloc(n, sizeof *p->ndel);
  p->ldocs = qx_calloc(n, sizeof *p->ldocs);
  p->live = qx_calloc(ix->live_docs ? ix->live_docs : 1, sizeof *p->live);
  if (!p->del || !p->ndel || !p->ldocs || !p->live) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (uint32_t s = 0; s < n; s++) {
    qx_seg *sg = ix->seg[s];
    p->ndel[s] = sg->del_passages;
    p->ldocs[s] = sg->ndocs - sg->del_docs;
    for (uint32_t d = 0; d < sg->ndocs; d++) {
      qx_doc_info di;
      int rc = qx_seg_doc(&di, sg, d);
      if (rc) return rc;
      if (di.npassages && qx_seg_deleted(sg, di.first_passage)) continue;
      if (p->nlive >= ix->live_docs) return qx_err(QUARRY_ECORRUPT, "%s: more live documents than the MANIFEST says", p->dir);
      p->live[p->nlive++] = (live_doc){di.path, di.path_len, s, d, 0};
    }
  }
  qsort(p->live, p->nlive, sizeof *p->live, cmp_live);
  return 0;
}

/* Is the file's content the document's? Same size, then same xxHash64. */
static int same_content(int *same, const qx_walk_file *f, const qx_doc_info *d) {
  *same = 0;
  if (f->size != d->size) return 0;
  char *text = NULL;
  size_t len = 0;
  if (qx_file_read(&text, &len, f->path) != 0) return 0; /* unreadable now: re-index (and skip it there) */
  *same = len == d->size && qx_xxh64(text, len) == d->xxh64;
  free(text);
  return 0;
}

static void walk_note(void *ctx, const char *msg) {
  const quarry_build_opts *o = ctx;
  if (o->note) o->note(o->ctx, msg);
}

/* Compare the walked files with the live documents. */
static int plan_files(plan *p, const char *const *paths, size_t npaths) {
  int rc = qx_walk(&p->files, &p->nfiles, paths, npaths, p->dir, walk_note, (void *)p->opts);
  if (rc) return rc;
  p->add = qx_calloc(p->nfiles ? p->nfiles : 1, sizeof *p->add);
  p->changed_old = qx_calloc(p->nfiles ? p->nfiles : 1, sizeof *p->changed_old);
  if (!p->add || !p->changed_old) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < p->nfiles; i++) {
    const qx_walk_file *f = &p->files[i];
    live_doc key = {f->path, (uint32_t)strlen(f->path), 0, 0, 0};
    live_doc *hit = bsearch(&key, p->live, p->nlive, sizeof *p->live, cmp_live);
    if (hit) {
      hit->seen = 1;
      qx_doc_info d;
      if ((rc = qx_seg_doc(&d, p->ix->seg[hit->seg], hit->doc))) return rc;
      int same = f->size == d.size && f->mtime_ns == d.mtime_ns;
      if (!same && (rc = same_content(&same, f, &d))) return rc;
      if (same) {
        p->unchanged++;
        continue;
      }
      if ((rc = delete_doc(p, hit->seg, hit->doc))) return rc;
      p->changed++;
      p->changed_old[p->nadd] = (uint32_t)(hit - p->live) + 1;
    } else {
      p->added++;
    }
    p->add[p->nadd++].file = f;
  }
  for (size_t i = 0; i < p->nlive; i++) {
    if (p->live[i].seen) continue;
    if ((rc = delete_doc(p, p->live[i].seg, p->live[i].doc))) return rc;
    p->deleted++;
  }
  return 0;
}

/* The merge policy (top of this file). all: merge everything into one. */
static int plan_segments(plan *p, int all) {
  quarry_index *ix = p->ix;
  uint32_t n = ix->nseg;
  p->out = qx_calloc((size_t)n + 1, sizeof *p->out);
  if (!p->out) return qx_err(QUARRY_ENOMEM, "out of memory");
  if (all) {
    p->out[p->nout++] = (out_seg){1, 0, (int64_t)n - 1, 0, 0, 0};
    p->merged = n;
    return 0;
  }
  for (uint32_t s = 0; s < n; s++) {
    qx_seg *sg = ix->seg[s];
    if (p->ldocs[s] == 0) continue; /* everything deleted: dropped */
    int rewrite = p->ndel[s] * 100 > sg->npassages * QX_REWRITE_DELETED;
    p->out[p->nout++] = (out_seg){rewrite, s, s, 0, sg->npassages - p->ndel[s], 0};
  }
  int has_new = p->nadd > 0;
  while (p->nout + (size_t)has_new > QX_MAX_SEGMENTS && p->nout >= 2) {
    size_t best = 0;
    for (size_t j = 1; j + 1 < p->nout; j++)
      if (p->out[j].live + p->out[j + 1].live < p->out[best].live + p->out[best + 1].live) best = j;
    p->out[best].build = 1;
    p->out[best].last = p->out[best + 1].last;
    p->out[best].live += p->out[best + 1].live;
    memmove(&p->out[best + 1], &p->out[best + 2], (p->nout - best - 2) * sizeof *p->out);
    p->nout--;
  }
  for (size_t j = 0; j < p->nout; j++)
    if (p->out[j].build) p->merged += (uint64_t)(p->out[j].last - p->out[j].first + 1);
  if (has_new) p->out[p->nout++] = (out_seg){1, 1, 0, 1, 0, 0};
  /* kept segments first (their ids), then the built ones (new ids, in order) */
  out_seg *sorted = qx_calloc(p->nout ? p->nout : 1, sizeof *sorted);
  if (!sorted) return qx_err(QUARRY_ENOMEM, "out of memory");
  size_t k = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t j = 0; j < p->nout; j++)
      if (p->out[j].build == pass) sorted[k++] = p->out[j];
  free(p->out);
  p->out = sorted;
  return 0;
}

/* "sNNNNNN" -> NNNNNN; a 1.0 index (".") is segment 1. */
static uint32_t seg_id(const qx_seg *sg) {
  return sg->name[0] == 's' ? (uint32_t)strtoul(sg->name + 1, NULL, 10) : 1;
}

/* ---- the new tree -------------------------------------------------------------- */

static int copy_file(const char *src, const char *dst) {
  char *text = NULL;
  size_t len = 0;
  int rc = qx_file_read(&text, &len, src);
  if (!rc) rc = qx_file_write(dst, text, len);
  free(text);
  return rc;
}

/* Hard-link (or copy) the files of a kept segment into tmp/name. */
static int link_segment(const char *tmp, const qx_seg *sg, const char *name) {
  char *dst_dir = qx_path_join(tmp, name);
  if (!dst_dir) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = mkdir(dst_dir, 0755) == 0 ? 0 : qx_err_errno(QUARRY_EIO, "cannot create %s", dst_dir);
  for (size_t i = 0; !rc && i <= sg->man.nfiles; i++) {
    const char *f = i < sg->man.nfiles ? sg->man.files[i].name : "MANIFEST";
    char *src = qx_path_join(sg->dir, f), *dst = qx_path_join(dst_dir, f);
    if (!src || !dst) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    else if (link(src, dst) != 0) rc = copy_file(src, dst);
    free(src);
    free(dst);
  }
  if (!rc) rc = qx_fsync_dir(dst_dir);
  free(dst_dir);
  return rc;
}

typedef struct sized_hash {
  uint64_t size, h;
} sized_hash;

static int cmp_sized_hash(const void *a, const void *b) {
  const sized_hash *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? -1 : 1;
  return (x->h > y->h) - (x->h < y->h);
}

/* Candidates for vector reuse: the documents a build copies, the old
 * versions of changed files, and documents with a new file's content. */
static int plan_reuse(plan *p) {
  quarry_index *ix = p->ix;
  if (!p->opts->vectors || !ix->vec) return 0;
  int rc = qx_vec_reuse_new(&p->reuse, &ix->man);
  for (size_t j = 0; !rc && j < p->nout; j++) {
    const out_seg *o = &p->out[j];
    if (!o->build) continue;
    for (int64_t s = o->first; !rc && s <= o->last; s++)
      for (uint32_t d = 0; !rc && d < ix->seg[s]->ndocs; d++) {
        qx_doc_info di;
        rc = qx_seg_doc(&di, ix->seg[s], d);
        if (!rc && !(di.npassages && qx_bit_get(p->del[s] ? p->del[s] : ix->seg[s]->del, di.first_passage)))
          rc = qx_vec_reuse_add_doc(p->reuse, ix->seg[s], d);
      }
  }
  if (rc || !p->nadd) return rc;
  for (size_t i = 0; !rc && i < p->nadd; i++)
    if (p->changed_old[i]) {
      const live_doc *l = &p->live[p->changed_old[i] - 1];
      rc = qx_vec_reuse_add_doc(p->reuse, ix->seg[l->seg], l->doc);
    }
  /* same content as a file being added (copies, renames): (size, xxh64) of
   * each added file, sorted, looked up for every old document */
  sized_hash *sh = qx_calloc(p->nadd, sizeof *sh);
  size_t nsh = 0;
  if (!sh) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < p->nadd; i++) {
    char *text = NULL;
    size_t len = 0;
    if (p->changed_old[i] || qx_file_read(&text, &len, p->add[i].file->path) != 0) continue;
    sh[nsh++] = (sized_hash){len, qx_xxh64(text, len)};
    free(text);
  }
  qsort(sh, nsh, sizeof *sh, cmp_sized_hash);
  for (uint32_t s = 0; !rc && nsh && s < ix->nseg; s++)
    for (uint32_t d = 0; !rc && d < ix->seg[s]->ndocs; d++) {
      qx_doc_info di;
      rc = qx_seg_doc(&di, ix->seg[s], d);
      sized_hash key = {di.size, di.xxh64};
      if (!rc && bsearch(&key, sh, nsh, sizeof *sh, cmp_sized_hash)) rc = qx_vec_reuse_add_doc(p->reuse, ix->seg[s], d);
    }
  free(sh);
  return rc;
}

/* Documents of an output segment built from old segments (live ones, in order). */
static int stored_items(qx_src_item **items, size_t *n, const plan *p, const out_seg *o) {
  size_t cap = 0;
  *items = NULL;
  *n = 0;
  for (int64_t s = o->first; s <= o->last; s++) cap += p->ix->seg[s]->ndocs;
  if (o->files) cap += p->nadd;
  if (!(*items = qx_calloc(cap ? cap : 1, sizeof **items))) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (int64_t s = o->first; s <= o->last; s++) {
    qx_seg *sg = p->ix->seg[s];
    const uint64_t *del = p->del[s] ? p->del[s] : sg->del;
    for (uint32_t d = 0; d < sg->ndocs; d++) {
      qx_doc_info di;
      int rc = qx_seg_doc(&di, sg, d);
      if (rc) return rc;
      if (di.npassages && qx_bit_get(del, di.first_passage)) continue;
      (*items)[(*n)++] = (qx_src_item){NULL, sg, d};
    }
  }
  if (o->files)
    for (size_t i = 0; i < p->nadd; i++) (*items)[(*n)++] = p->add[i];
  return 0;
}

/* Write the tree of the plan into tmp and assemble its top MANIFEST. */
static int write_tree(plan *p, const char *tmp, quarry_build_stats *st, const quarry_build_opts *bo) {
  quarry_index *ix = p->ix;
  uint32_t next = 0;
  for (uint32_t s = 0; s < ix->nseg; s++) next = QX_MAX(next, seg_id(ix->seg[s]));
  uint32_t *ids = qx_calloc(p->nout ? p->nout : 1, sizeof *ids);
  const uint64_t **dels = qx_calloc(p->nout ? p->nout : 1, sizeof *dels);
  int rc = ids && dels ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  size_t nseg = 0;
  for (size_t j = 0; !rc && j < p->nout; j++) {
    out_seg *o = &p->out[j];
    char name[QX_SEG_NAME_MAX];
    if (!o->build) {
      qx_seg *sg = ix->seg[o->first];
      o->id = seg_id(sg);
      rc = link_segment(tmp, sg, qx_seg_name(name, o->id));
      dels[nseg] = p->del[o->first] ? p->del[o->first] : sg->del;
      ids[nseg++] = o->id;
      st->live_docs += p->ldocs[o->first];
      continue;
    }
    o->id = ++next;
    qx_src_item *items = NULL;
    size_t nitems = 0;
    rc = stored_items(&items, &nitems, p, o);
    char *segdir = rc ? NULL : qx_path_join(tmp, qx_seg_name(name, o->id));
    if (!rc && !segdir) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    qx_segment_spec spec = {.dir = segdir, .items = items, .nitems = nitems, .allow_empty = 1, .reuse = p->reuse};
    qx_segment_out so;
    if (!rc) rc = qx_segment_build(&so, &spec, bo);
    if (!rc && so.docs == 0) {
      qx_tree_remove(segdir); /* nothing indexable (skipped files): no segment */
      next--;
    } else if (!rc) {
      dels[nseg] = NULL;
      ids[nseg++] = o->id;
      st->live_docs += so.docs;
      st->docs += so.docs;
      st->passages += so.passages;
      st->terms += so.terms;
      st->postings += so.postings;
      st->tokens += so.tokens;
      st->bytes_out += so.bytes_out;
      st->vectors_embedded += so.vec_embedded;
      st->vectors_reused += so.vec_reused;
    }
    if (!rc) {
      st->files_skipped += so.skipped;
      st->bytes_in += so.bytes_in;
    }
    free(segdir);
    free(items);
  }
  if (!rc && nseg == 0) rc = qx_err(QUARRY_EINVAL, "%s: nothing to index (no indexable file under the PATHs: the index would be empty)", p->dir);
  uint64_t gen = 0;
  const char *g = qx_manifest_get(&ix->man, "generation");
  if (g) gen = strtoull(g, NULL, 10);
  if (!rc) rc = qx_toplevel_assemble(tmp, ids, dels, nseg, gen + 1);
  st->segments = nseg;
  free(ids);
  free(dels);
  return rc;
}

/* ---- entry points ---------------------------------------------------------------- */

/* Open the index to update; *none = 1 when dir holds no index yet. */
static int open_existing(quarry_index **ix, int *none, const char *dir) {
  *none = 0;
  char *man = qx_path_join(dir, "MANIFEST");
  if (!man) return qx_err(QUARRY_ENOMEM, "out of memory");
  struct stat st;
  int absent = stat(man, &st) != 0 && errno == ENOENT;
  free(man);
  if (absent) {
    *none = 1;
    return 0;
  }
  int rc = quarry_index_open(ix, dir);
  if (rc) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", quarry_error_last());
    rc = qx_err(rc, "%s (run with --rebuild to replace the index)", msg);
  }
  return rc;
}

/* Run a plan: build, commit (or nothing to do). */
static int run_plan(plan *p, quarry_build_stats *st, const quarry_build_opts *bo) {
  char *tmp = NULL;
  int rc = plan_reuse(p);
  if (!rc) rc = qx_tree_mktemp(&tmp, p->dir);
  if (!rc) rc = write_tree(p, tmp, st, bo);
  quarry_index_close(p->ix); /* its files are linked into tmp or about to be replaced */
  p->ix = NULL;
  if (!rc) rc = qx_tree_commit(tmp, p->dir, 1);
  if (rc && tmp) qx_tree_remove(tmp);
  free(tmp);
  if (!rc) st->committed = 1;
  return rc;
}

int quarry_index_update(quarry_build_stats *stats, const char *dir, const char *const *paths, size_t npaths,
                        const quarry_build_opts *opts) {
  double t0 = qx_now();
  quarry_build_opts defaults = QUARRY_BUILD_OPTS_INIT;
  if (!opts) opts = &defaults;
  quarry_build_stats local;
  quarry_build_stats *st = stats ? stats : &local;
  memset(st, 0, sizeof *st);
  int rc = qx_build_check_opts(dir, opts);
  if (rc) return rc;
  if (npaths == 0) return qx_err(QUARRY_EINVAL, "no input paths given");
  int lock = -1;
  if ((rc = qx_lock_acquire(&lock, dir))) return rc;
  quarry_index *ix = NULL;
  int none = 0;
  int files = !opts->format || !strcmp(opts->format, "files");
  if (!files) {
    char *man = qx_path_join(dir, "MANIFEST");
    if (man && access(man, F_OK) == 0)
      note(opts, "--format %s: rebuilding %s (updates are for --format files)", opts->format, dir);
    free(man);
    rc = qx_full_build_locked(st, dir, paths, npaths, opts);
    qx_lock_release(lock);
    return rc;
  }
  rc = open_existing(&ix, &none, dir);
  if (!rc && none) {
    rc = qx_full_build_locked(st, dir, paths, npaths, opts);
    qx_lock_release(lock);
    return rc;
  }
  if (!rc) rc = check_settings(ix, dir, opts);
  plan p = {.ix = ix, .dir = dir, .opts = opts};
  if (!rc) rc = plan_init(&p);
  if (!rc) rc = plan_files(&p, paths, npaths);
  st->added = p.added;
  st->changed = p.changed;
  st->deleted = p.deleted;
  st->unchanged = p.unchanged;
  if (!rc && !p.added && !p.changed && !p.deleted) { /* nothing to do: no commit */
    st->segments = ix->nseg;
    st->live_docs = ix->live_docs;
  } else if (!rc) {
    rc = plan_segments(&p, 0);
    st->segments_merged = p.merged;
    if (!rc) rc = run_plan(&p, st, opts);
  }
  st->seconds = qx_now() - t0;
  quarry_index_close(p.ix);
  plan_free(&p);
  qx_lock_release(lock);
  return rc;
}

int quarry_index_merge(quarry_build_stats *stats, const char *dir, const quarry_build_opts *opts) {
  double t0 = qx_now();
  quarry_build_opts defaults = QUARRY_BUILD_OPTS_INIT;
  if (!opts) opts = &defaults;
  quarry_build_stats local;
  quarry_build_stats *st = stats ? stats : &local;
  memset(st, 0, sizeof *st);
  int rc = qx_build_check_opts(dir, opts);
  if (rc) return rc;
  int lock = -1;
  if ((rc = qx_lock_acquire(&lock, dir))) return rc;
  quarry_index *ix = NULL;
  int none = 0;
  rc = open_existing(&ix, &none, dir);
  if (!rc && none) rc = qx_err(QUARRY_ENOTFOUND, "no index at %s (build one with 'quarry index -x %s PATH...')", dir, dir);
  /* the segments' own settings, whatever the options say */
  quarry_build_opts bo = *opts;
  if (!rc) {
    bo.lang = qx_manifest_get(&ix->man, "analyzer.lang");
    bo.passage_tokens = ix->passage_tokens;
    bo.passage_overlap = ix->passage_overlap;
    bo.format = "files";
    bo.vectors = ix->vec != NULL;
    bo.model = NULL;
  }
  plan p = {.ix = ix, .dir = dir, .opts = &bo};
  if (!rc) rc = plan_init(&p);
  uint64_t deleted = 0;
  for (uint32_t s = 0; !rc && s < ix->nseg; s++) deleted += ix->seg[s]->del_passages;
  if (!rc && ix->nseg == 1 && deleted == 0 && ix->format_major >= QX_TOP_FORMAT_MAJOR) {
    st->segments = 1; /* nothing to merge: no commit */
    st->live_docs = ix->live_docs;
    st->unchanged = ix->live_docs;
  } else if (!rc) {
    rc = plan_segments(&p, 1);
    st->segments_merged = p.merged;
    st->unchanged = p.nlive;
    if (!rc) rc = run_plan(&p, st, &bo);
  }
  st->seconds = qx_now() - t0;
  quarry_index_close(p.ix);
  plan_free(&p);
  qx_lock_release(lock);
  return rc;
}
