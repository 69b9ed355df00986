/*
 * reader.c: opening an index. The files are mmapped read-only; opening
 * costs a MANIFEST parse, a size and header check per file and a checksum of
 * the files up to QX_VERIFY_AT_OPEN_MAX bytes (the small tables); bigger
 * files are checksummed by quarry_index_verify(). Every offset read from the
 * files is bounds-checked by the accessors here and in postings.c, so a
 * damaged index yields QUARRY_ECORRUPT naming the file, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_index.h"
#include "qx_postings.h"
#include "qx_vectors.h"

typedef struct file_slot {
  const char *name, *magic;
  size_t map_off; /* offsetof the qx_map in quarry_index */
  int optional;   /* may be absent from the MANIFEST (written by later versions) */
} file_slot;

static const file_slot slots[] = {
    {"lexicon", QX_MAGIC_LEXICON, offsetof(qx_seg, lex), 0},
    {"postings", QX_MAGIC_POSTINGS, offsetof(qx_seg, post), 0},
    {"positions", QX_MAGIC_POSITIONS, offsetof(qx_seg, posi), 0},
    {"norms", QX_MAGIC_NORMS, offsetof(qx_seg, norms), 0},
    {"passages", QX_MAGIC_PASSAGES, offsetof(qx_seg, psg), 0},
    {"docs", QX_MAGIC_DOCS, offsetof(qx_seg, docs), 0},
    {"store.zst", QX_MAGIC_STORE, offsetof(qx_seg, store), 0},
    {"surface", QX_MAGIC_SURFACE, offsetof(qx_seg, surf), 0},
    {"lexicon.idx", QX_MAGIC_LEXIDX, offsetof(qx_seg, lxi), 1},
};

static qx_map *slot_map(qx_seg *ix, size_t i) { return (qx_map *)((char *)ix + slots[i].map_off); }

int qx_check_header(const qx_map *m, const char *magic, const char *path) {
  if (m->len < QX_HEADER_SIZE) return qx_err(QUARRY_ECORRUPT, "%s: truncated (no header)", path);
  if (memcmp(m->data, magic, 8)) return qx_err(QUARRY_ECORRUPT, "%s: bad magic", path);
  uint32_t major = qx_le32(m->data + 8), want = QX_FORMAT_MAJOR;
  if (!memcmp(magic, QX_MAGIC_POSTINGS, 8)) {
    if (major >= 1 && major <= 3) return 0; /* read too: 32- and 16-byte skip entries, see qx_pcursor_open */
    want = QX_POSTINGS_MAJOR;
  }
  if (!memcmp(magic, QX_MAGIC_PASSAGES, 8) || !memcmp(magic, QX_MAGIC_DOCS, 8)) {
    if (major == 1) return 0; /* read too: 32- and 72-byte records, see qx_seg_passage / qx_seg_doc */
    want = QX_TABLES_MAJOR;
  }
  if (!memcmp(magic, QX_MAGIC_SURFACE, 8)) {
    if (major == 1) return 0; /* read too: 16-byte entries, see qx_seg_surface_get */
    want = QX_SURFACE_MAJOR;
  }
  if (!memcmp(magic, QX_MAGIC_LEXICON, 8)) {
    if (major == 1 || major == 2) return 0; /* read too: fixed entries, see index/lexicon.c */
    want = QX_LEXICON_MAJOR;
  }
  if (major != want) return qx_err(QUARRY_EVERSION, "%s: format version %u, this quarry reads %u (rebuild the index)", path, major,
                                     want);
  return 0;
}

static int get_u64(uint64_t *out, const qx_seg *ix, const char *key) {
  const char *v = qx_manifest_get(&ix->man, key);
  char *end;
  if (!v) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: missing '%s'", ix->dir, key);
  *out = strtoull(v, &end, 10);
  if (end == v || *end) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: bad value for '%s'", ix->dir, key);
  return 0;
}

static int get_top_u64(uint64_t *out, const quarry_index *ix, const char *key) {
  const char *v = qx_manifest_get(&ix->man, key);
  char *end;
  if (!v) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: missing '%s'", ix->dir, key);
  *out = strtoull(v, &end, 10);
  if (end == v || *end) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: bad value for '%s'", ix->dir, key);
  return 0;
}

static const qx_manifest_file *manifest_file(const qx_seg *ix, const char *name) {
  for (size_t i = 0; i < ix->man.nfiles; i++)
    if (!strcmp(ix->man.files[i].name, name)) return &ix->man.files[i];
  return NULL;
}

static int check_tables(qx_seg *ix, int sfd) {
  const char *d = ix->dir;
  uint64_t terms, passages, docs, tokens, nsurf;
  int rc = get_u64(&terms, ix, "terms");
  if (!rc) rc = get_u64(&passages, ix, "passages");
  if (!rc) rc = get_u64(&docs, ix, "docs");
  if (!rc) rc = get_u64(&tokens, ix, "total_tokens");
  if (!rc) rc = get_u64(&nsurf, ix, "surface_forms");
  if (rc) return rc;
  if (passages >= UINT32_MAX || docs >= UINT32_MAX || terms >= UINT32_MAX || nsurf >= UINT32_MAX)
    return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: counts out of range", d);
  ix->npassages = passages; /* the lexicon's checks read these */
  ix->total_tokens = tokens;
  if ((rc = qx_lex_open(ix, sfd, terms))) return rc;
  const uint8_t *p;
  if (ix->surf_lexicon) { /* the forms are the terms */
    if (nsurf != terms) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: surface_forms differs from terms", d);
  } else if ((ix->surf_major = qx_le32(ix->surf.data + 8)) == 2) {
    ix->nsurface = nsurf;
    if ((rc = qx_surf2_open(ix, sfd, nsurf))) return rc;
  } else {
    p = ix->surf.data;
    if (ix->surf.len < 32 || qx_le64(p + 16) != nsurf ||
        !qx_fits(ix->surf.len, 32, nsurf, QX_SURF_ENTRY_SIZE, qx_le64(p + 24)))
      return qx_err(QUARRY_ECORRUPT, "%s/surface: size or count does not match the MANIFEST", d);
    ix->surf_entries = p + 32;
    ix->surf_strings = p + 32 + nsurf * QX_SURF_ENTRY_SIZE;
    ix->surf_strings_len = qx_le64(p + 24);
  }
  if (ix->norms.len < 24 || qx_le64(ix->norms.data + 16) != passages || !qx_fits(ix->norms.len, 24, passages, 1, 0))
    return qx_err(QUARRY_ECORRUPT, "%s/norms: size or count does not match the MANIFEST", d);
  ix->psg_rsize = qx_le32(ix->psg.data + 8) == 1 ? QX_PASSAGE_REC_SIZE : QX_PASSAGE_DISK_SIZE;
  ix->doc_rsize = qx_le32(ix->docs.data + 8) == 1 ? QX_DOC_REC_SIZE : QX_DOC_DISK_SIZE;
  if (ix->psg.len < 32 || qx_le64(ix->psg.data + 16) != passages ||
      !qx_fits(ix->psg.len, 32, passages, ix->psg_rsize, 0))
    return qx_err(QUARRY_ECORRUPT, "%s/passages: size or count does not match the MANIFEST", d);
  p = ix->docs.data;
  if (ix->docs.len < 32 || qx_le64(p + 16) != docs || !qx_fits(ix->docs.len, 32, docs, ix->doc_rsize, qx_le64(p + 24)))
    return qx_err(QUARRY_ECORRUPT, "%s/docs: size or count does not match the MANIFEST", d);
  ix->docs_strings = p + 32 + docs * ix->doc_rsize;
  ix->docs_strings_len = qx_le64(p + 24);
  rc = qx_store_open(&ix->st, ix->store.data, ix->store.len, "store.zst");
  if (rc) return qx_err_wrap(rc, "%s", d);
  int sfd_store = openat(sfd, "store.zst", O_RDONLY | O_CLOEXEC);
  if (sfd_store < 0) return qx_err_errno(QUARRY_EIO, "%s/store.zst", d);
  qx_store_read_by_fd(ix->st, sfd_store);
  if (qx_store_count(ix->st) != docs) return qx_err(QUARRY_ECORRUPT, "%s/store.zst: document count mismatch", d);
  ix->nterms = terms;
  ix->npassages = passages;
  ix->ndocs = docs;
  ix->nsurface = nsurf;
  ix->total_tokens = tokens;
  ix->avgdl = passages ? (double)tokens / (double)passages : 0.0;
  return 0;
}

/* ---- one segment ----------------------------------------------------------------- */

static void seg_close(qx_seg *sg) {
  if (!sg) return;
  qx_vectors_close(sg->vec);
  for (size_t i = 0; i < QX_ARRAY_LEN(slots); i++) qx_map_close(slot_map(sg, i));
  qx_map_close(&sg->del_map);
  if (sg->lex_fd >= 0) close(sg->lex_fd);
  if (sg->surf_fd >= 0) close(sg->surf_fd);
  qx_store_free(sg->st);
  qx_manifest_free(&sg->man);
  free(sg->dir);
  free(sg->name);
  free(sg);
}

/* Open the 1.0 index directory `name` inside the folder dfd (name "." for a
 * 1.0 index: the folder itself); `dir` is the folder's path for messages.
 * Every file is opened relative to the folder's fd (see index_open_once). */
static int seg_open(qx_seg **out, int dfd, const char *dir, const char *name) {
  *out = NULL;
  int top = !strcmp(name, ".");
  int sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = errno;
  qx_seg *ix = qx_calloc(1, sizeof *ix);
  if (ix) ix->lex_fd = ix->surf_fd = -1;
  if (!ix || !(ix->name = qx_strdup(name)) || !(ix->dir = top ? qx_strdup(dir) : qx_path_join(dir, name))) {
    if (sfd >= 0) close(sfd);
    seg_close(ix);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  if (sfd < 0) {
    errno = err;
    int rc = qx_err_errno(err == ENOENT ? QUARRY_ECORRUPT : QUARRY_EIO, "%s: segment folder", ix->dir);
    seg_close(ix);
    return rc;
  }
  const char *d = ix->dir;
  char *mpath = qx_path_join(d, "MANIFEST"), *text = NULL;
  size_t len = 0;
  int rc = mpath ? qx_file_readat(&text, &len, sfd, "MANIFEST", mpath) : qx_err(QUARRY_ENOMEM, "out of memory");
  if (rc == QUARRY_ENOTFOUND)
    rc = top ? qx_err(QUARRY_ENOTFOUND, "%s is not a quarry index (no MANIFEST)", d)
             : qx_err(QUARRY_ECORRUPT, "%s: segment MANIFEST missing", mpath);
  if (!rc) rc = qx_manifest_parse(&ix->man, text, len, mpath);
  if (!rc && ix->man.major != QX_FORMAT_MAJOR)
    rc = qx_err(QUARRY_ECORRUPT, "%s: a segment must be a %d.x index, found %d.%d", mpath, QX_FORMAT_MAJOR,
                ix->man.major, ix->man.minor);
  if (!rc && ix->man.nsegs) rc = qx_err(QUARRY_ECORRUPT, "%s: `segment` line in a 1.x MANIFEST", mpath);
  free(text);
  free(mpath);
  if (!rc) {
    const char *sv = qx_manifest_get(&ix->man, "surface");
    ix->surf_lexicon = sv && !strcmp(sv, "lexicon");
    if (ix->surf_lexicon && manifest_file(ix, "surface"))
      rc = qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: `surface lexicon` and a surface file", d);
  }
  for (size_t i = 0; !rc && i < QX_ARRAY_LEN(slots); i++) {
    const qx_manifest_file *mf = manifest_file(ix, slots[i].name);
    char *path = qx_path_join(d, slots[i].name);
    if (!path) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    else if (!mf && slots[i].optional) ; /* an index written before this file existed */
    else if (!mf && ix->surf_lexicon && slots[i].map_off == offsetof(qx_seg, surf)) ; /* forms = terms */
    else if (!mf) rc = qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: no entry for %s", d, slots[i].name);
    else if ((rc = qx_map_openat(slot_map(ix, i), sfd, slots[i].name, path)) != 0) {
      if (rc == QUARRY_ENOTFOUND) rc = qx_err(QUARRY_ECORRUPT, "%s: missing", path);
    } else if (slot_map(ix, i)->len != mf->size)
      rc = qx_err(QUARRY_ECORRUPT, "%s: %zu bytes, MANIFEST says %" PRIu64 " (truncated or damaged)", path,
                  slot_map(ix, i)->len, mf->size);
    else if (mf->size <= QX_VERIFY_AT_OPEN_MAX && qx_xxh64(slot_map(ix, i)->data, mf->size) != mf->xxh64)
      rc = qx_err(QUARRY_ECORRUPT, "%s: checksum mismatch (damaged file)", path);
    else
      rc = qx_check_header(slot_map(ix, i), slots[i].magic, path);
    free(path);
  }
  if (!rc) ix->post_major = qx_le32(ix->post.data + 8);
  if (!rc) {
    const char *lang = qx_manifest_get(&ix->man, "analyzer.lang");
    if (!lang || qx_lang_parse(&ix->lang, lang)) rc = qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: bad analyzer.lang", d);
  }
  uint64_t pt = 0, po = 0;
  if (!rc) rc = get_u64(&pt, ix, "passage.tokens");
  if (!rc) rc = get_u64(&po, ix, "passage.overlap");
  ix->passage_tokens = (uint32_t)pt;
  ix->passage_overlap = (uint32_t)po;
  if (!rc) rc = check_tables(ix, sfd);
  if (!rc) rc = qx_vectors_open(&ix->vec, ix, sfd);
  close(sfd);
  if (rc) {
    seg_close(ix);
    return rc;
  }
  *out = ix;
  return 0;
}

/* Map and check sNNNNNN.del against its MANIFEST line; a document must be
 * deleted whole (all its passages or none). */
static int seg_open_del(qx_seg *sg, int dfd, const char *dir, const qx_topseg *ts) {
  if (!ts->del_size) return 0;
  char name[QX_SEG_NAME_MAX + 8];
  snprintf(name, sizeof name, "%s.del", sg->name);
  char *path = qx_path_join(dir, name);
  if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = qx_map_openat(&sg->del_map, dfd, name, path);
  if (rc == QUARRY_ENOTFOUND) rc = qx_err(QUARRY_ECORRUPT, "%s: missing", path);
  if (!rc) rc = qx_del_check(&sg->del_map, ts, path);
  if (!rc) {
    sg->del = (const uint64_t *)(sg->del_map.data + QX_DEL_HEADER); /* 8-aligned in a page-aligned map */
    sg->del_passages = ts->deleted;
  }
  for (uint32_t d = 0; !rc && d < sg->ndocs; d++) {
    qx_doc_info di;
    rc = qx_seg_doc(&di, sg, d);
    if (rc || !di.npassages) continue;
    int first = qx_seg_deleted(sg, di.first_passage);
    for (uint32_t p = 1; p < di.npassages && !rc; p++)
      if (qx_seg_deleted(sg, di.first_passage + p) != first)
        rc = qx_err(QUARRY_ECORRUPT, "%s: document %u only partly deleted", path, d);
    sg->del_docs += (uint64_t)first;
  }
  free(path);
  return rc;
}

/* ---- the whole index --------------------------------------------------------- */

static int index_open_once(quarry_index **out, const char *dir, int *swapped);

int quarry_index_open(quarry_index **out, const char *dir) {
  /* A build that swaps a new index into `dir` deletes the old folder right
   * after; an open that started on the old folder may then find its files
   * gone. It is retried on the new folder (a few times: builds are slow). */
  int swapped = 0, rc = 0;
  for (int attempt = 0; attempt < 8; attempt++) {
    rc = index_open_once(out, dir, &swapped);
    if (rc == 0 || !swapped) break;
  }
  return rc;
}

static int add_file(quarry_index *ix, const char *seg, const char *name, uint64_t size) {
  void *p = ix->files;
  size_t cap = ix->nfiles; /* grown one by one: an index has a few dozen files */
  int rc = qx_grow(&p, &cap, ix->nfiles + 1, sizeof *ix->files);
  ix->files = p;
  if (rc) return rc;
  char *n = strcmp(seg, ".") ? qx_path_join(seg, name) : qx_strdup(name);
  if (!n) return qx_err(QUARRY_ENOMEM, "out of memory");
  ix->files[ix->nfiles++] = (qx_ixfile){n, size};
  return 0;
}

static int settings_agree(const quarry_index *ix, const qx_seg *sg) {
  const char *keys[] = {"vectors.checksum", "vectors.dim", "analyzer.lang", "passage.tokens", "passage.overlap"};
  for (size_t i = 0; i < QX_ARRAY_LEN(keys); i++) {
    const char *a = qx_manifest_get(&ix->man, keys[i]), *b = qx_manifest_get(&sg->man, keys[i]);
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
      return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: %s differs from the index's (%s)", sg->dir, keys[i],
                    a ? a : "none");
  }
  return 0;
}

/* Segments open: bases, global statistics, settings, file list. */
static int index_finish(quarry_index *ix, const qx_topseg *ts) {
  ix->pbase = qx_calloc(ix->nseg + 1, sizeof *ix->pbase);
  ix->dbase = qx_calloc(ix->nseg + 1, sizeof *ix->dbase);
  if (!ix->pbase || !ix->dbase) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = 0;
  for (uint32_t i = 0; !rc && i < ix->nseg; i++) {
    qx_seg *sg = ix->seg[i];
    if (ts && (ts[i].docs != sg->ndocs || ts[i].passages != sg->npassages))
      rc = qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: segment %s: counts disagree with the segment's MANIFEST", ix->dir,
                  sg->name);
    if (!rc && ts) rc = settings_agree(ix, sg);
    if (!rc && (sg->vec != NULL) != (ix->seg[0]->vec != NULL))
      rc = qx_err(QUARRY_ECORRUPT, "%s: vectors in some segments only", sg->dir);
    ix->pbase[i + 1] = ix->pbase[i] + sg->npassages;
    ix->dbase[i + 1] = ix->dbase[i] + sg->ndocs;
    ix->total_tokens += sg->total_tokens;
    ix->nterms += sg->nterms;
    ix->live_passages += sg->npassages - sg->del_passages;
    ix->live_docs += sg->ndocs - sg->del_docs;
    for (size_t f = 0; !rc && f < sg->man.nfiles; f++)
      rc = add_file(ix, sg->name, sg->man.files[f].name, sg->man.files[f].size);
    if (!rc && ts && ts[i].del_size) {
      char name[QX_SEG_NAME_MAX + 8];
      snprintf(name, sizeof name, "%s.del", sg->name);
      rc = add_file(ix, ".", name, ts[i].del_size);
    }
  }
  if (rc) return rc;
  ix->npassages = ix->pbase[ix->nseg];
  ix->ndocs = ix->dbase[ix->nseg];
  if (ix->npassages >= UINT32_MAX || ix->ndocs >= UINT32_MAX)
    return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: more than 2^32 passages in all", ix->dir);
  ix->avgdl = ix->npassages ? (double)ix->total_tokens / (double)ix->npassages : 0.0;
  qx_seg *s0 = ix->seg[0];
  ix->lang = s0->lang;
  ix->passage_tokens = s0->passage_tokens;
  ix->passage_overlap = s0->passage_overlap;
  ix->vec = s0->vec;
  if (ts) {
    uint64_t docs = 0, psg = 0;
    rc = get_top_u64(&docs, ix, "docs");
    if (!rc) rc = get_top_u64(&psg, ix, "passages");
    if (!rc && (docs != ix->live_docs || psg != ix->live_passages))
      rc = qx_err(QUARRY_ECORRUPT,
                  "%s/MANIFEST: docs %" PRIu64 " / passages %" PRIu64 ", the segments hold %" PRIu64 " / %" PRIu64,
                  ix->dir, docs, psg, ix->live_docs, ix->live_passages);
  }
  return rc;
}

static int index_open_once(quarry_index **out, const char *dir, int *swapped) {
  *out = NULL;
  *swapped = 0;
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return qx_err(QUARRY_ENOTFOUND, "no index at %s (build one with 'quarry index -o %s PATH...')", dir, dir);
  /* Every file is opened relative to one fd of the folder: if a build swaps
   * a new index into `dir` meanwhile (renameat2 RENAME_EXCHANGE), this open
   * still sees the old folder's MANIFEST and files together, never a mix.
   * Segments are opened relative to it too. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return qx_err_errno(errno == ENOENT ? QUARRY_ENOTFOUND : QUARRY_EIO, "%s", dir);
  quarry_index *ix = qx_calloc(1, sizeof *ix);
  if (!ix || !(ix->dir = qx_strdup(dir))) {
    free(ix);
    close(dfd);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  char *mpath = qx_path_join(dir, "MANIFEST"), *text = NULL;
  size_t len = 0;
  qx_toplevel top = {0};
  int rc = mpath ? qx_file_readat(&text, &len, dfd, "MANIFEST", mpath) : qx_err(QUARRY_ENOMEM, "out of memory");
  if (rc == QUARRY_ENOTFOUND) rc = qx_err(QUARRY_ENOTFOUND, "%s is not a quarry index (no MANIFEST)", dir);
  if (!rc) rc = qx_manifest_parse(&ix->man, text, len, mpath);
  if (!rc && ix->man.major == QX_TOP_FORMAT_MAJOR) {
    qx_manifest_free(&ix->man);
    rc = qx_toplevel_parse(&top, text, len, mpath);
    if (!rc) {
      ix->man = top.man; /* moved */
      memset(&top.man, 0, sizeof top.man);
    }
  }
  free(text);
  free(mpath);
  if (!rc) {
    ix->format_major = ix->man.major;
    ix->format_minor = ix->man.minor;
    size_t n = top.nsegs ? top.nsegs : 1;
    ix->seg = qx_calloc(n, sizeof *ix->seg);
    if (!ix->seg) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
      char name[QX_SEG_NAME_MAX];
      rc = seg_open(&ix->seg[i], dfd, dir, top.nsegs ? qx_seg_name(name, top.segs[i].id) : ".");
      if (!rc) ix->nseg = (uint32_t)i + 1;
      if (!rc && top.nsegs) rc = seg_open_del(ix->seg[i], dfd, dir, &top.segs[i]);
    }
  }
  if (!rc) rc = index_finish(ix, top.nsegs ? top.segs : NULL);
  qx_toplevel_free(&top);
  if (rc) { /* did the folder change under us (swapped by a build)? */
    struct stat now, was;
    *swapped = fstat(dfd, &was) == 0 && (stat(dir, &now) != 0 || now.st_ino != was.st_ino || now.st_dev != was.st_dev);
  }
  close(dfd);
  if (rc) {
    quarry_index_close(ix);
    return rc;
  }
  *out = ix;
  return 0;
}

void quarry_index_close(quarry_index *ix) {
  if (!ix) return;
  if (ix->search_pool_free) ix->search_pool_free(ix->search_pool);
  for (uint32_t i = 0; ix->seg && i < ix->nseg; i++) seg_close(ix->seg[i]);
  for (size_t i = 0; i < ix->nfiles; i++) free(ix->files[i].name);
  free(ix->files);
  free(ix->seg);
  free(ix->pbase);
  free(ix->dbase);
  qx_manifest_free(&ix->man);
  free(ix->dir);
  free(ix);
}

int qx_seg_passage(qx_passage_info *out, const qx_seg *ix, uint32_t pid) {
  if (pid >= ix->npassages) return qx_err(QUARRY_EINVAL, "passage %u out of range", pid);
  const uint8_t *r = ix->psg.data + 32 + (size_t)pid * ix->psg_rsize;
  out->doc = qx_le32(r);
  out->ntokens = qx_le32(r + 4);
  out->start = qx_le64(r + 8);
  if (ix->psg_rsize == QX_PASSAGE_DISK_SIZE) { /* u32 length, u32 line */
    out->end = out->start + qx_le32(r + 16);
    out->line = qx_le32(r + 20);
  } else {
    out->end = qx_le64(r + 16);
    out->line = qx_le32(r + 24);
  }
  if (out->doc >= ix->ndocs || out->start > out->end)
    return qx_err(QUARRY_ECORRUPT, "%s/passages: record %u out of range", ix->dir, pid);
  return 0;
}

int qx_seg_doc(qx_doc_info *out, const qx_seg *ix, uint32_t doc) {
  if (doc >= ix->ndocs) return qx_err(QUARRY_EINVAL, "document %u out of range", doc);
  const uint8_t *r = ix->docs.data + 32 + (size_t)doc * ix->doc_rsize;
  uint64_t poff, toff, ioff;
  if (ix->doc_rsize == QX_DOC_DISK_SIZE) {
    out->size = qx_le64(r);
    out->mtime_ns = (int64_t)qx_le64(r + 8);
    out->xxh64 = qx_le64(r + 16);
    out->first_passage = qx_le32(r + 24);
    out->npassages = qx_le32(r + 28);
    out->id_len = qx_le32(r + 32);
    poff = qx_le40(r + 36);
    out->path_len = qx_le16(r + 41);
    toff = qx_le40(r + 43);
    out->title_len = r[48];
    ioff = qx_le40(r + 49);
  } else {
    poff = qx_le64(r), toff = qx_le64(r + 8), ioff = qx_le64(r + 16);
    out->size = qx_le64(r + 24);
    out->mtime_ns = (int64_t)qx_le64(r + 32);
    out->xxh64 = qx_le64(r + 40);
    out->path_len = qx_le32(r + 48);
    out->title_len = qx_le32(r + 52);
    out->id_len = qx_le32(r + 56);
    out->first_passage = qx_le32(r + 60);
    out->npassages = qx_le32(r + 64);
  }
  uint64_t sl = ix->docs_strings_len;
  if (poff > sl || out->path_len > sl - poff || toff > sl || out->title_len > sl - toff || ioff > sl ||
      out->id_len > sl - ioff || out->first_passage > ix->npassages ||
      out->npassages > ix->npassages - out->first_passage)
    return qx_err(QUARRY_ECORRUPT, "%s/docs: record %u out of range", ix->dir, doc);
  out->path = (const char *)ix->docs_strings + poff;
  out->title = (const char *)ix->docs_strings + toff;
  out->id = (const char *)ix->docs_strings + ioff;
  return 0;
}

/* ---- whole-index accessors (global ids) ------------------------------------------ */

static uint32_t seg_of(const uint64_t *base, uint32_t nseg, uint64_t id) {
  uint32_t lo = 0, hi = nseg; /* last segment whose base <= id */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (base[mid] <= id) lo = mid;
    else hi = mid;
  }
  return lo;
}

uint32_t qx_index_seg_of_passage(const quarry_index *ix, uint32_t pid) { return seg_of(ix->pbase, ix->nseg, pid); }
uint32_t qx_index_seg_of_doc(const quarry_index *ix, uint32_t doc) { return seg_of(ix->dbase, ix->nseg, doc); }

int qx_index_passage(qx_passage_info *out, const quarry_index *ix, uint32_t pid) {
  if (pid >= ix->npassages) return qx_err(QUARRY_EINVAL, "passage %u out of range", pid);
  uint32_t s = qx_index_seg_of_passage(ix, pid);
  int rc = qx_seg_passage(out, ix->seg[s], (uint32_t)(pid - ix->pbase[s]));
  if (!rc) out->doc += (uint32_t)ix->dbase[s];
  return rc;
}

int qx_index_doc(qx_doc_info *out, const quarry_index *ix, uint32_t doc) {
  if (doc >= ix->ndocs) return qx_err(QUARRY_EINVAL, "document %u out of range", doc);
  uint32_t s = qx_index_seg_of_doc(ix, doc);
  int rc = qx_seg_doc(out, ix->seg[s], (uint32_t)(doc - ix->dbase[s]));
  if (!rc) out->first_passage += (uint32_t)ix->pbase[s];
  return rc;
}

int qx_index_deleted(const quarry_index *ix, uint32_t pid) {
  if (pid >= ix->npassages) return 1;
  uint32_t s = qx_index_seg_of_passage(ix, pid);
  return qx_seg_deleted(ix->seg[s], (uint32_t)(pid - ix->pbase[s]));
}

int qx_index_df(uint64_t *df, const quarry_index *ix, const char *s, size_t len) {
  *df = 0;
  for (uint32_t i = 0; i < ix->nseg; i++) {
    qx_term_info t;
    int found = qx_seg_find_term(&t, ix->seg[i], s, len);
    if (found < 0) return found;
    if (found) *df += t.df;
  }
  return 0;
}

int qx_index_passage_text(char **out, size_t *out_len, quarry_index *ix, uint32_t pid) {
  *out = NULL;
  if (pid >= ix->npassages) return qx_err(QUARRY_EINVAL, "passage %u out of range", pid);
  uint32_t s = qx_index_seg_of_passage(ix, pid);
  const qx_seg *sg = ix->seg[s];
  qx_passage_info p = {0};
  int rc = qx_seg_passage(&p, sg, (uint32_t)(pid - ix->pbase[s]));
  if (rc) return rc;
  rc = qx_store_read(out, out_len, sg->st, p.doc, p.start, p.end);
  return rc ? qx_err_wrap(rc, "%s", sg->dir) : 0;
}

/* ---- verify, stat ------------------------------------------------------------------ */

static int seg_verify(const qx_seg *ix) {
  for (size_t i = 0; i < ix->man.nfiles; i++) {
    const qx_manifest_file *mf = &ix->man.files[i];
    char *path = qx_path_join(ix->dir, mf->name);
    if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
    qx_map m;
    int rc = qx_map_open(&m, path);
    if (!rc && (m.len != mf->size || qx_xxh64(m.data, m.len) != mf->xxh64))
      rc = qx_err(QUARRY_ECORRUPT, "%s: checksum mismatch (damaged file)", path);
    qx_map_close(&m);
    free(path);
    if (rc) return rc;
  }
  /* decode every posting list and its positions */
  uint32_t *pos = qx_malloc(1024 * sizeof *pos);
  qx_pcursor *c = qx_malloc(sizeof *c);
  int rc = pos && c ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  qx_lex_iter *it = qx_malloc(sizeof *it);
  if (!rc && !it) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) qx_lex_iter_init(it, ix, 0);
  for (uint64_t t = 0; !rc && t < ix->nterms; t++) {
    qx_term_info ti = {0};
    rc = qx_lex_iter_next(it, &ti);
    rc = rc == 1 ? qx_pcursor_open(c, ix, &ti) : rc ? rc : qx_err(QUARRY_ECORRUPT, "lexicon: term %" PRIu64 " missing", t);
    uint64_t n = 0;
    while (!rc && c->doc != QX_DOC_END) {
      rc = qx_pcursor_positions(c, pos, 1024);
      n++;
      if (!rc) rc = qx_pcursor_next(c);
    }
    if (!rc && n != ti.df) rc = qx_err(QUARRY_ECORRUPT, "postings: term %" PRIu64 ": count mismatch", t);
  }
  for (uint64_t p = 0; !rc && p < ix->npassages; p++) {
    qx_passage_info pi = {0};
    rc = qx_seg_passage(&pi, ix, (uint32_t)p);
  }
  for (uint64_t d = 0; !rc && d < ix->ndocs; d++) {
    qx_doc_info di = {0};
    rc = qx_seg_doc(&di, ix, (uint32_t)d);
  }
  free(pos);
  free(c);
  free(it);
  return rc ? qx_err_wrap(rc, "%s", ix->dir) : 0;
}

/* The top MANIFEST and the deletion files as they are on disk now. */
static int top_verify(const quarry_index *ix) {
  char *mpath = qx_path_join(ix->dir, "MANIFEST"), *text = NULL;
  size_t len = 0;
  qx_toplevel t = {0};
  int rc = mpath ? qx_file_read(&text, &len, mpath) : qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_toplevel_parse(&t, text, len, mpath);
  if (!rc && t.nsegs != ix->nseg) rc = qx_err(QUARRY_ECORRUPT, "%s: segment list changed since open", mpath);
  for (size_t i = 0; !rc && i < t.nsegs; i++) {
    if (!t.segs[i].del_size) continue;
    char name[QX_SEG_NAME_MAX], dname[QX_SEG_NAME_MAX + 8];
    snprintf(dname, sizeof dname, "%s.del", qx_seg_name(name, t.segs[i].id));
    char *path = qx_path_join(ix->dir, dname);
    qx_map m = {0};
    rc = path ? qx_map_open(&m, path) : qx_err(QUARRY_ENOMEM, "out of memory");
    if (rc == QUARRY_ENOTFOUND) rc = qx_err(QUARRY_ECORRUPT, "%s: missing", path);
    if (!rc) rc = qx_del_check(&m, &t.segs[i], path);
    qx_map_close(&m);
    free(path);
  }
  qx_toplevel_free(&t);
  free(text);
  free(mpath);
  return rc;
}

int quarry_index_verify(quarry_index *ix) {
  int rc = ix->format_major == QX_TOP_FORMAT_MAJOR ? top_verify(ix) : 0;
  for (uint32_t i = 0; !rc && i < ix->nseg; i++) rc = seg_verify(ix->seg[i]);
  return rc;
}

int quarry_index_stat(quarry_index_info *out, const quarry_index *ix) {
  memset(out, 0, sizeof *out);
  out->format_major = ix->format_major;
  out->format_minor = ix->format_minor;
  out->lang = qx_lang_name(ix->lang);
  out->docs = ix->live_docs;
  out->passages = ix->live_passages;
  out->terms = ix->nterms;
  out->total_tokens = ix->total_tokens;
  out->avgdl = ix->avgdl;
  out->passage_tokens = ix->passage_tokens;
  out->passage_overlap = ix->passage_overlap;
  for (size_t i = 0; i < ix->nfiles; i++) out->bytes += ix->files[i].size;
  out->segments = ix->nseg;
  out->doc_ids = ix->ndocs;
  out->passage_ids = ix->npassages;
  return 0;
}

int quarry_index_segment(quarry_segment_info *out, const quarry_index *ix, size_t i) {
  if (i >= ix->nseg) return QUARRY_ENOTFOUND;
  const qx_seg *sg = ix->seg[i];
  memset(out, 0, sizeof *out);
  out->name = sg->name;
  out->first_doc = (uint32_t)ix->dbase[i];
  out->first_passage = (uint32_t)ix->pbase[i];
  out->docs = sg->ndocs;
  out->passages = sg->npassages;
  out->deleted_docs = sg->del_docs;
  out->deleted_passages = sg->del_passages;
  for (size_t f = 0; f < sg->man.nfiles; f++) out->bytes += sg->man.files[f].size;
  out->bytes += sg->del_map.len;
  return 0;
}

int quarry_index_manifest_entry(const char **key, const char **val, const quarry_index *ix, size_t i) {
  if (i >= ix->man.nkv) return QUARRY_ENOTFOUND;
  *key = ix->man.keys[i];
  *val = ix->man.vals[i];
  return 0;
}

int quarry_index_file(const char **name, uint64_t *size, const quarry_index *ix, size_t i) {
  if (i >= ix->nfiles) return QUARRY_ENOTFOUND;
  *name = ix->files[i].name;
  *size = ix->files[i].size;
  return 0;
}

void quarry_free(void *p) { free(p); }

/* ---- public accessors ------------------------------------------------------------ */

const char *quarry_index_manifest_get(const quarry_index *ix, const char *key) {
  const char *v = qx_manifest_get(&ix->man, key);
  if (!v && ix->nseg) v = qx_manifest_get(&ix->seg[0]->man, key); /* 2.0: per-segment keys (vectors.index...) */
  return v;
}

int quarry_index_passage(quarry_passage_info *out, const quarry_index *ix, uint32_t pid) {
  qx_passage_info p = {0};
  int rc = qx_index_passage(&p, ix, pid);
  if (rc) return rc;
  *out = (quarry_passage_info){p.doc, p.ntokens, p.line, p.start, p.end};
  return 0;
}

int quarry_index_doc(quarry_doc_info *out, const quarry_index *ix, uint32_t doc) {
  qx_doc_info d = {0};
  int rc = qx_index_doc(&d, ix, doc);
  if (rc) return rc;
  *out = (quarry_doc_info){d.path, d.id, d.title, d.path_len, d.id_len, d.title_len,
                           d.size, d.mtime_ns, d.first_passage, d.npassages};
  return 0;
}

int quarry_index_doc_deleted(const quarry_index *ix, uint32_t doc) {
  if (doc >= ix->ndocs) return 1;
  uint32_t s = qx_index_seg_of_doc(ix, doc);
  qx_doc_info d;
  if (qx_seg_doc(&d, ix->seg[s], (uint32_t)(doc - ix->dbase[s]))) return 1;
  return d.npassages && qx_seg_deleted(ix->seg[s], d.first_passage);
}

int quarry_index_text(char **out, size_t *out_len, quarry_index *ix, uint32_t doc, uint64_t start, uint64_t end) {
  *out = NULL;
  if (doc >= ix->ndocs) return qx_err(QUARRY_EINVAL, "document %u out of range", doc);
  uint32_t s = qx_index_seg_of_doc(ix, doc);
  int rc = qx_store_read(out, out_len, ix->seg[s]->st, (uint32_t)(doc - ix->dbase[s]), start, end);
  return rc ? qx_err_wrap(rc, "%s", ix->seg[s]->dir) : 0;
}

int quarry_index_has_vectors(const quarry_index *ix) { return ix && ix->vec != NULL; }
