/*
 * collect.c: the "reading" step of a build (qx_build.h). The calling thread
 * reads the documents in order (files, corpus records or documents stored
 * in other segments), checks them (empty, binary, UTF-8: the notes keep
 * their order) and packs them into chunks of whole store.zst frames; the
 * workers (invert.c) analyse the chunks, and the calling thread commits
 * them in chunk order: it appends their passage, norm and document records
 * with global ids and their compressed frames to store.zst, and records
 * each chunk's first passage id for the merge of the runs (write.c).
 *
 * With one thread the chunks are analysed in the calling thread, one at a
 * time; with N, N worker threads take chunks from a queue and at most 2N
 * chunks are in flight (the reader waits for the oldest to commit).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_build.h"

#define CHUNK_MAX (1u << 20) /* text per chunk without a memory bound */
#define CHUNK_MIN (64u << 10)

/* ---- committing a chunk ---------------------------------------------------------- */

/* The tables are written as they are committed: norms, passages and docs go
 * straight to their files in the segment (counts patched at the end), the
 * documents' strings to docstrs.tmp, appended to docs when reading ends, so
 * no table is held in memory (registered in the MANIFEST by the tables
 * step, write.c). */
static int tables_open(qx_build *b) {
  uint64_t h[2] = {0, 0};
  int rc = qx_out_open(&b->o_norms, b, "norms", QX_MAGIC_NORMS, QX_FORMAT_MAJOR);
  if (!rc) rc = qx_out_write(&b->o_norms, h, 8);
  if (!rc) rc = qx_out_open(&b->o_psg, b, "passages", QX_MAGIC_PASSAGES, QX_TABLES_MAJOR);
  if (!rc) rc = qx_out_write(&b->o_psg, h, 16);
  if (!rc) rc = qx_out_open(&b->o_docs, b, "docs", QX_MAGIC_DOCS, QX_TABLES_MAJOR);
  if (!rc) rc = qx_out_write(&b->o_docs, h, 16);
  if (!rc && !(b->docstrs_path = qx_path_join(b->tmpdir, "docstrs.tmp"))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && !(b->docstrs = fopen(b->docstrs_path, "wbe"))) rc = qx_err_errno(QUARRY_EIO, "%s", b->docstrs_path);
  return rc;
}

static int tables_close(qx_build *b) {
  uint64_t h[2] = {b->npassages, 0};
  int rc = qx_out_patch(&b->o_norms, QX_HEADER_SIZE, h, 8);
  if (!rc) rc = qx_out_pad(&b->o_norms);
  rc = qx_out_end(&b->o_norms, rc);
  if (!rc) rc = qx_out_patch(&b->o_psg, QX_HEADER_SIZE, h, 16);
  if (!rc) rc = qx_out_pad(&b->o_psg);
  rc = qx_out_end(&b->o_psg, rc);
  if (fclose(b->docstrs) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: write", b->docstrs_path);
  b->docstrs = NULL;
  if (!rc && b->docstrs_len > QX_LEX_OFF_MAX) rc = qx_err(QUARRY_EINVAL, "document paths, titles and ids over 1 TiB");
  if (!rc) rc = qx_out_copy_file(&b->o_docs, b->docstrs_path);
  h[0] = b->ndocs;
  h[1] = b->docstrs_len;
  if (!rc) rc = qx_out_patch(&b->o_docs, QX_HEADER_SIZE, h, 16);
  if (!rc) rc = qx_out_pad(&b->o_docs);
  rc = qx_out_end(&b->o_docs, rc);
  unlink(b->docstrs_path);
  return rc;
}

/* passages 2: the worker's 32-byte records (u32 doc, u32 ntokens, u64
 * start, u64 end, u32 line, u32 0) as 24 bytes: u32 doc, u32 ntokens, u64
 * start, u32 end - start, u32 line. */
static int commit_passages(qx_build *b, const qx_chunk *ck, uint32_t doc_base) {
  qx_buf *o = &b->scratch;
  o->len = 0;
  int rc = qx_buf_reserve(o, ck->passages.len / QX_PASSAGE_REC_SIZE * QX_PASSAGE_DISK_SIZE);
  for (size_t at = 0; !rc && at < ck->passages.len; at += QX_PASSAGE_REC_SIZE) {
    const uint8_t *r = ck->passages.data + at;
    uint64_t start = qx_le64(r + 8), len = qx_le64(r + 16) - start;
    if (len > UINT32_MAX) return qx_err(QUARRY_EINVAL, "a passage over 4 GiB of text");
    uint32_t v[3] = {qx_le32(r) + doc_base, (uint32_t)len, qx_le32(r + 24)};
    uint8_t *e = o->data + o->len;
    memcpy(e, v, 4);
    memcpy(e + 4, r + 4, 12);
    memcpy(e + 16, v + 1, 8);
    o->len += QX_PASSAGE_DISK_SIZE;
  }
  return rc ? rc : qx_out_write(&b->o_psg, o->data, o->len);
}

/* docs 2: the worker's 72-byte records (add_doc: u64 path_off, title_off,
 * id_off, size, mtime, xxh64; u32 path_len, title_len, id_len,
 * first_passage, npassages, 0; offsets into the chunk's strings) as 56
 * bytes with offsets into the segment's strings (docs/FORMAT.md). Records
 * of one corpus file share their path, across chunks too: the chunk's copy
 * of the path the last chunk ended with (its first string) is dropped. */
static int commit_docs(qx_build *b, const qx_chunk *ck, uint32_t pid_base) {
  uint64_t str_base = b->docstrs_len, skip = 0;
  if (ck->recs.len) {
    uint32_t pl = qx_le32(ck->recs.data + 48);
    if (b->last_path.len == pl && qx_le64(ck->recs.data) == 0 && ck->strs.len >= pl &&
        !memcmp(ck->strs.data, b->last_path.data, pl))
      skip = pl;
  }
  qx_buf *o = &b->scratch;
  o->len = 0;
  int rc = qx_buf_reserve(o, ck->recs.len / QX_DOC_REC_SIZE * QX_DOC_DISK_SIZE);
  for (size_t at = 0; !rc && at < ck->recs.len; at += QX_DOC_REC_SIZE) {
    const uint8_t *r = ck->recs.data + at;
    uint32_t pl = qx_le32(r + 48), tl = qx_le32(r + 52), first = qx_le32(r + 60) + pid_base;
    if (pl > UINT16_MAX || tl > UINT8_MAX) return qx_err(QUARRY_EINVAL, "a document path over 64 KiB");
    uint64_t off[3];
    for (int k = 0; k < 3; k++) { /* path, title, id */
      uint64_t v = qx_le64(r + 8 * k);
      off[k] = v < skip ? b->last_path_off + v : v - skip + str_base;
    }
    uint8_t *e = o->data + o->len;
    memset(e, 0, QX_DOC_DISK_SIZE);
    memcpy(e, r + 24, 24);     /* size, mtime, xxh64 */
    memcpy(e + 24, &first, 4); /* first_passage, npassages */
    memcpy(e + 28, r + 64, 4);
    memcpy(e + 32, r + 56, 4); /* id_len */
    qx_put40(e + 36, off[0]);
    uint16_t pl16 = (uint16_t)pl;
    memcpy(e + 41, &pl16, 2);
    qx_put40(e + 43, off[1]);
    e[48] = (uint8_t)tl;
    qx_put40(e + 49, off[2]);
    o->len += QX_DOC_DISK_SIZE;
    if (at + QX_DOC_REC_SIZE == ck->recs.len) { /* the last path, for the next chunk */
      uint64_t v = qx_le64(r);
      b->last_path_off = off[0];
      if (v >= skip) {
        b->last_path.len = 0;
        rc = qx_buf_append(&b->last_path, ck->strs.data + v, pl);
      }
    }
  }
  if (!rc) rc = qx_out_write(&b->o_docs, o->data, o->len);
  size_t n = ck->strs.len - skip;
  if (!rc && n && fwrite(ck->strs.data + skip, 1, n, b->docstrs) != n)
    rc = qx_err_errno(QUARRY_EIO, "%s: write", b->docstrs_path);
  b->docstrs_len += n;
  return rc;
}

static int commit(qx_build *b, qx_chunk *ck) {
  if (ck->rc) return qx_err(ck->rc, "%s", ck->err);
  if (b->npassages + ck->npassages >= UINT32_MAX - 1) return qx_err(QUARRY_EINVAL, "too many passages (more than 2^32)");
  if ((uint64_t)b->ndocs + ck->ndocs >= UINT32_MAX - 1) return qx_err(QUARRY_EINVAL, "too many documents (more than 2^32)");
  void *p = b->chunk_pbase;
  int rc = qx_grow(&p, &b->cap_chunks, ck->no + 1, sizeof *b->chunk_pbase);
  b->chunk_pbase = p;
  if (rc) return rc;
  b->chunk_pbase[ck->no] = b->npassages;
  rc = commit_passages(b, ck, b->ndocs);
  if (!rc) rc = qx_out_write(&b->o_norms, ck->norms.data, ck->norms.len);
  if (!rc) rc = commit_docs(b, ck, (uint32_t)b->npassages);
  /* store frames */
  size_t d = 0, coff = 0;
  uint64_t *lens = rc ? NULL : qx_malloc((ck->ndocs ? ck->ndocs : 1) * sizeof *lens);
  if (!rc && !lens) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t f = 0; !rc && f < ck->nframes; f++) {
    uint32_t nd = ck->frame_docs[f];
    for (uint32_t k = 0; k < nd; k++) lens[k] = ck->docs[d + k].len;
    rc = qx_store_writer_add_frame(b->store, ck->store.data + coff, ck->frame_len[f], lens, nd);
    coff += ck->frame_len[f];
    d += nd;
  }
  free(lens);
  b->ndocs += (uint32_t)ck->ndocs;
  b->npassages += ck->npassages;
  b->total_tokens += ck->tokens;
  b->npostings += ck->postings;
  return rc;
}

/* ---- workers ------------------------------------------------------------------- */

static void *worker_main(void *arg) {
  qx_inv *w = arg;
  qx_build *b = w->b;
  pthread_mutex_lock(&b->mu);
  for (;;) {
    while (!b->qhead && !b->stop) pthread_cond_wait(&b->cv_work, &b->mu);
    if (b->stop) break; /* the queue is empty unless the build failed */
    qx_chunk *ck = b->qhead;
    b->qhead = ck->next;
    if (!b->qhead) b->qtail = NULL;
    pthread_mutex_unlock(&b->mu);
    qx_inv_chunk(w, ck);
    pthread_mutex_lock(&b->mu);
    ck->done = 1;
    pthread_cond_broadcast(&b->cv_done);
  }
  pthread_mutex_unlock(&b->mu);
  return NULL;
}

/* Commit the finished chunks in order; with all, wait for every chunk, else
 * only while too many are in flight. */
static int drain(qx_build *b, int all) {
  int rc = 0;
  pthread_mutex_lock(&b->mu);
  while (!rc && b->next_commit < b->nchunks) {
    qx_chunk *ck = b->inflight[b->next_commit % b->max_inflight];
    if (!ck->done) {
      if (!all && b->nchunks - b->next_commit < b->max_inflight) break;
      pthread_cond_wait(&b->cv_done, &b->mu);
      continue;
    }
    pthread_mutex_unlock(&b->mu);
    rc = commit(b, ck);
    pthread_mutex_lock(&b->mu);
    b->inflight[b->next_commit % b->max_inflight] = NULL;
    b->next_commit++;
    qx_chunk_free(ck);
  }
  pthread_mutex_unlock(&b->mu);
  return rc;
}

static int dispatch(qx_build *b, qx_chunk *ck) {
  ck->no = b->nchunks;
  if (b->nthreads == 1) {
    b->nchunks++;
    qx_inv_chunk(&b->inv[0], ck);
    int rc = commit(b, ck);
    qx_chunk_free(ck);
    return rc;
  }
  pthread_mutex_lock(&b->mu);
  b->inflight[ck->no % b->max_inflight] = ck;
  b->nchunks++;
  if (b->qtail) b->qtail->next = ck;
  else b->qhead = ck;
  b->qtail = ck;
  pthread_cond_signal(&b->cv_work);
  pthread_mutex_unlock(&b->mu);
  return drain(b, 0);
}

/* ---- packing documents into chunks ------------------------------------------------- */

static qx_chunk *chunk_new(void) { return qx_calloc(1, sizeof(qx_chunk)); }

static int end_frame(qx_build *b) {
  qx_chunk *ck = b->fill;
  if (!b->fill_block_docs) return 0;
  void *p = ck->frame_docs;
  int rc = qx_grow(&p, &ck->cap_frames, ck->nframes + 1, sizeof *ck->frame_docs);
  ck->frame_docs = p;
  if (rc) return rc;
  ck->frame_docs[ck->nframes++] = b->fill_block_docs;
  b->fill_block = 0;
  b->fill_block_docs = 0;
  return 0;
}

/* After a frame ends: hand the chunk over when it is big enough. */
static int maybe_dispatch(qx_build *b, int force) {
  qx_chunk *ck = b->fill;
  if (!ck || b->fill_block_docs || (!force && ck->text.len < b->chunk_target) || !ck->ndocs) return 0;
  b->fill = NULL;
  return dispatch(b, ck);
}

static int put_str(qx_buf *m, size_t *off, const char *s, size_t n) {
  *off = m->len;
  int rc = qx_buf_append(m, s, n);
  return rc ? rc : qx_buf_putc(m, 0);
}

/* One document (text not empty, checked): into the chunk, frames cut as
 * qx_store_writer_add cuts them. */
static int add_src_(qx_build *b, const char *path, const char *id, const char *title, size_t title_len,
                    const char *text, size_t len, int64_t mtime_ns) {
  if (!qx_utf8_valid(text, len)) {
    if (id) qx_build_note(b, "%s: document %s: invalid UTF-8 (read as U+FFFD)", path, id);
    else qx_build_note(b, "%s: invalid UTF-8 (read as U+FFFD)", path);
  }
  int big = len >= QX_STORE_BLOCK / 2, rc = 0;
  if (big || b->fill_block + len > QX_STORE_BLOCK) {
    rc = end_frame(b);
    if (!rc) rc = maybe_dispatch(b, 0);
  }
  if (!rc && !b->fill && !(b->fill = chunk_new())) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (rc) return rc;
  qx_chunk *ck = b->fill;
  void *p = ck->docs;
  if ((rc = qx_grow(&p, &ck->cap_docs, ck->ndocs + 1, sizeof *ck->docs))) return rc;
  ck->docs = p;
  qx_cdoc *d = &ck->docs[ck->ndocs];
  d->id = d->title = SIZE_MAX;
  d->title_len = title_len;
  d->text_off = ck->text.len;
  d->len = len;
  d->mtime_ns = mtime_ns;
  rc = put_str(&ck->meta, &d->path, path, strlen(path));
  if (!rc && id) rc = put_str(&ck->meta, &d->id, id, strlen(id));
  if (!rc && title) rc = put_str(&ck->meta, &d->title, title, title_len);
  if (!rc) rc = qx_buf_append(&ck->text, text, len);
  if (rc) return rc;
  ck->ndocs++;
  b->fill_block += len;
  b->fill_block_docs++;
  if (big) rc = end_frame(b);
  return rc;
}

/* Errors name the file, and within a BEIR/TREC file the document. */
static int add_src(qx_build *b, const char *path, const char *id, const char *title, size_t title_len,
                   const char *text, size_t len, int64_t mtime_ns) {
  int rc = add_src_(b, path, id, title, title_len, text, len, mtime_ns);
  if (rc && id) rc = qx_err_wrap(rc, "%s: document %s", path, id);
  else if (rc) rc = qx_err_wrap(rc, "%s", path);
  return rc;
}

/* ---- reading ------------------------------------------------------------------ */

static int index_file(qx_build *b, const qx_walk_file *f) {
  char *text = NULL;
  size_t len = 0;
  int rc = qx_file_read(&text, &len, f->path);
  if (rc) {
    qx_build_note(b, "%s: skipped (%s)", f->path, quarry_error_last());
    b->skipped++;
    return 0;
  }
  b->bytes_in += len;
  if (len == 0 || strspn(text, " \t\r\n\f\v") == len) {
    qx_build_note(b, "%s: skipped (empty file)", f->path);
    b->skipped++;
  } else if (qx_text_is_binary(text, len)) {
    qx_build_note(b, "%s: skipped (binary file)", f->path);
    b->skipped++;
  } else {
    rc = add_src(b, f->path, NULL, NULL, 0, text, len, f->mtime_ns);
  }
  free(text);
  return rc;
}

/* A document stored in an existing segment (merges): its text from the
 * segment's store.zst, its path, id, title and mtime kept. */
static int index_stored(qx_build *b, const qx_src_item *it) {
  qx_stored_doc sd;
  int rc = qx_stored_doc_read(&sd, it->seg, it->doc);
  if (rc) return rc;
  b->bytes_in += sd.len;
  b->bytes_done += sd.len;
  rc = add_src(b, sd.path, sd.id, sd.title, sd.title_len, sd.text, sd.len, sd.mtime_ns);
  qx_stored_doc_free(&sd);
  return rc;
}

/* Test-collection records (BEIR, TREC, SMART; index/qx_corpus.h): the
 * document text is the title, a blank line, then the body, as Anserini
 * indexes BEIR "title + text in one field". */
static int collect_corpus(qx_build *b) {
  qx_corpus *c = NULL;
  int rc = qx_corpus_open(&c, b->format, b->paths, b->npaths);
  qx_buf text = {0};
  uint64_t n = 0;
  while (!rc) {
    qx_corpus_rec r;
    int got = qx_corpus_next(c, &r);
    if (got <= 0) {
      rc = got;
      break;
    }
    text.len = 0;
    if (r.title_len) rc = qx_buf_append(&text, r.title, r.title_len);
    if (!rc && r.title_len && r.text_len) rc = qx_buf_append(&text, "\n\n", 2);
    if (!rc) rc = qx_buf_append(&text, r.text, r.text_len);
    if (!rc) rc = qx_buf_putc(&text, 0); /* NUL-terminated; take text.data only after this */
    if (rc) break;
    size_t len = text.len - 1;
    b->bytes_in += len;
    if (len == 0 || strspn((const char *)text.data, " \t\r\n\f\v") == len) {
      qx_build_note(b, "%s: document %s skipped (empty)", r.path, r.id);
      b->skipped++;
    } else {
      rc = add_src(b, r.path, r.id, r.title, r.title_len, (const char *)text.data, len, 0);
    }
    if (++n % 1000 == 0) qx_build_progress(b, "reading", n, 0);
  }
  qx_buf_free(&text);
  qx_corpus_free(c);
  return rc;
}

static int read_all(qx_build *b) {
  if (b->format != QX_CORPUS_FILES) return collect_corpus(b);
  int rc = 0;
  for (size_t i = 0; !rc && i < b->nitems; i++) {
    const qx_src_item *it = &b->items[i];
    if (it->file) {
      rc = index_file(b, it->file);
      b->bytes_done += it->file->size;
    } else {
      rc = index_stored(b, it);
    }
    qx_build_progress(b, "reading", i + 1, b->nitems);
  }
  return rc;
}

/* ---- the step ------------------------------------------------------------------ */

static unsigned default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > QX_THREADS_MAX ? QX_THREADS_MAX : (unsigned)n;
}

/* Bytes to read, when known before reading (0: unknown). */
static uint64_t input_bytes(const qx_build *b) {
  uint64_t n = 0;
  if (b->format != QX_CORPUS_FILES) {
    for (size_t i = 0; i < b->npaths; i++) {
      struct stat st;
      if (stat(b->paths[i], &st) != 0 || !S_ISREG(st.st_mode)) return 0;
      n += (uint64_t)st.st_size;
    }
    return n;
  }
  for (size_t i = 0; i < b->nitems; i++) {
    if (!b->items[i].file) return 0; /* stored documents (a merge) */
    n += b->items[i].file->size;
  }
  return n;
}

int qx_build_collect(qx_build *b) {
  const quarry_build_opts *o = b->opts;
  unsigned nt = o->threads ? o->threads : default_threads();
  if (nt > QX_THREADS_MAX) nt = QX_THREADS_MAX;
  uint64_t mem = o->memory_mb ? o->memory_mb << 20 : 0;
  uint64_t chunk = mem ? QX_MAX(CHUNK_MIN, QX_MIN(CHUNK_MAX, mem / (8 * nt))) : CHUNK_MAX;
  /* a thread per 4 chunks at most: a small input (an update of a few files)
   * is done before threads pay, and each thread costs address space (its
   * stack, a malloc arena of 64 MiB reserved), which counts under ulimit -v */
  uint64_t in = input_bytes(b);
  if (in && in / (4 * chunk) < nt) nt = (unsigned)QX_MAX(1, in / (4 * chunk));
  b->nthreads = nt;
  b->run_budget = mem ? mem / (2 * nt) : UINT64_MAX;
  b->chunk_target = mem ? QX_MAX(CHUNK_MIN, QX_MIN(CHUNK_MAX, mem / (8 * nt))) : CHUNK_MAX;
  b->max_inflight = 2 * nt;
  if (!(b->inv = qx_calloc(nt, sizeof *b->inv)) || !(b->inflight = qx_calloc(b->max_inflight, sizeof *b->inflight)))
    return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = 0;
  for (unsigned i = 0; !rc && i < nt; i++) rc = qx_inv_init(&b->inv[i], b, (int)i);
  char *path = rc ? NULL : qx_path_join(b->tmpdir, "store.zst");
  if (!rc && !path) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_store_writer_open(&b->store, path);
  free(path);
  if (!rc) rc = tables_open(b);
  if (rc) return rc;
  unsigned started = 0;
  if (nt > 1) {
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv_work, NULL);
    pthread_cond_init(&b->cv_done, NULL);
    b->threads_init = 1;
    pthread_attr_t at;
    int attr = pthread_attr_init(&at) == 0;
    if (attr) pthread_attr_setstacksize(&at, 2u << 20); /* not the 8 MiB default: address space counts */
    for (; started < nt; started++)
      if (pthread_create(&b->inv[started].thread, attr ? &at : NULL, worker_main, &b->inv[started])) break;
    if (attr) pthread_attr_destroy(&at);
    if (!started) rc = qx_err(QUARRY_ENOMEM, "cannot start a worker thread");
  }
  if (!rc) rc = read_all(b);
  if (!rc) rc = end_frame(b);
  if (!rc) rc = maybe_dispatch(b, 1);
  if (!rc && nt > 1) rc = drain(b, 1);
  if (nt > 1) {
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->cv_work);
    pthread_mutex_unlock(&b->mu);
    for (unsigned i = 0; i < started; i++) pthread_join(b->inv[i].thread, NULL);
  }
  for (unsigned i = 0; !rc && i < nt; i++) rc = qx_inv_finish(&b->inv[i]);
  if (!rc && b->ndocs == 0 && !b->allow_empty)
    rc = qx_err(QUARRY_EINVAL, "nothing to index (%llu skipped)", (unsigned long long)b->skipped);
  if (!rc) rc = tables_close(b);
  if (!rc) rc = qx_store_writer_close(b->store);
  qx_store_writer_free(b->store);
  b->store = NULL;
  if (!rc) rc = qx_build_add_file(b, "store.zst");
  return rc;
}

/* Everything collect may leave behind on an error. */
void qx_build_collect_free(qx_build *b) {
  for (size_t i = 0; b->inflight && i < b->max_inflight; i++) qx_chunk_free(b->inflight[i]);
  free(b->inflight);
  qx_chunk_free(b->fill);
  if (b->threads_init) {
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv_work);
    pthread_cond_destroy(&b->cv_done);
  }
  for (unsigned i = 0; b->inv && i < b->nthreads; i++) qx_inv_free(&b->inv[i]);
  free(b->inv);
  for (size_t i = 0; i < b->nruns; i++) {
    free(b->runs[i].chunk_no);
    free(b->runs[i].lbase);
    free(b->runs[i].cnt);
    free(b->runs[i].path);
    free(b->runs[i].surf_path);
  }
  free(b->surf_pairs);
  qx_out_end(&b->o_norms, -1);
  qx_out_end(&b->o_psg, -1);
  qx_out_end(&b->o_docs, -1);
  if (b->docstrs) fclose(b->docstrs);
  free(b->docstrs_path);
  qx_buf_free(&b->scratch);
  qx_buf_free(&b->last_path);
  free(b->runs);
  free(b->chunk_pbase);
}
