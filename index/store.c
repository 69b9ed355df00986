/*
 * store.c: store.zst, the original text of every document, zstd-compressed
 * (RFC 8878), so that snippets, `quarry search` and passage text for
 * embeddings never need the source files.
 *
 * Small documents are packed into blocks of about QX_STORE_BLOCK bytes, one
 * zstd frame per block (compressing 1 KB documents one by one loses a third
 * of the ratio); a document bigger than a block gets a frame of its own.
 * Layout (docs/FORMAT.md): header | frames | pad to 8 | frame table
 * (nframes+1 u64) | document table (ndocs x 24 bytes) | footer (4 u64). The
 * tables are at the end so the writer streams. A read decompresses one frame
 * only up to the end of the requested range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "qx_index.h"

#define STORE_LEVEL 3
#define DOC_REC 24 /* u32 frame, u32 reserved, u64 offset in the frame's content, u64 length */
#define DOCS_FLUSH (1u << 20)

struct qx_store_writer {
  FILE *f;
  char *path;
  ZSTD_CCtx *cctx;
  uint64_t *frames; /* file offsets of the frames written */
  size_t nframes, cap_frames;
  qx_buf docs;  /* document table, DOC_REC bytes per document (the last MiB) */
  FILE *docs_f; /* the rest of the table, flushed to PATH.docs so memory stays flat */
  char *docs_path;
  qx_buf block; /* small documents waiting for their frame */
  uint64_t ndocs, at;
  void *cbuf;
  size_t ccap;
};

static int wr(qx_store_writer *w, const void *p, size_t n) {
  if (n && fwrite(p, 1, n, w->f) != n) return qx_err_errno(QUARRY_EIO, "%s: write", w->path);
  w->at += n;
  return 0;
}

int qx_store_writer_open(qx_store_writer **out, const char *path) {
  *out = NULL;
  qx_store_writer *w = qx_calloc(1, sizeof *w);
  if (!w) return qx_err(QUARRY_ENOMEM, "out of memory");
  w->path = qx_strdup(path);
  w->f = fopen(path, "wbe");
  w->cctx = ZSTD_createCCtx();
  if (!w->path || !w->f || !w->cctx) {
    int rc = w->f ? qx_err(QUARRY_ENOMEM, "out of memory") : qx_err_errno(QUARRY_EIO, "%s", path);
    qx_store_writer_free(w);
    return rc;
  }
  uint8_t hdr[QX_HEADER_SIZE] = {0};
  memcpy(hdr, QX_MAGIC_STORE, 8);
  uint32_t v[2] = {QX_FORMAT_MAJOR, QX_FORMAT_MINOR};
  memcpy(hdr + 8, v, 8);
  int rc = wr(w, hdr, sizeof hdr);
  if (rc) {
    qx_store_writer_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

/* Compress [p, p+len) as the next frame. */
static int put_frame(qx_store_writer *w, const void *p, size_t len) {
  void *fr = w->frames;
  int rc = qx_grow(&fr, &w->cap_frames, w->nframes + 1, sizeof(uint64_t));
  w->frames = fr;
  if (rc) return rc;
  size_t bound = ZSTD_compressBound(len);
  if (bound > w->ccap) {
    void *nb = realloc(w->cbuf, bound);
    if (!nb) return qx_err(QUARRY_ENOMEM, "out of memory (%zu bytes)", bound);
    w->cbuf = nb;
    w->ccap = bound;
  }
  size_t c = ZSTD_compressCCtx(w->cctx, w->cbuf, w->ccap, p, len, STORE_LEVEL);
  if (ZSTD_isError(c)) return qx_err(QUARRY_EIO, "zstd: %s", ZSTD_getErrorName(c));
  w->frames[w->nframes++] = w->at;
  return wr(w, w->cbuf, c);
}

static int flush_block(qx_store_writer *w) {
  if (w->block.len == 0) return 0;
  int rc = put_frame(w, w->block.data, w->block.len);
  w->block.len = 0;
  return rc;
}

static int add_rec(qx_store_writer *w, uint64_t frame, uint64_t off, uint64_t len) {
  if (frame > UINT32_MAX) return qx_err(QUARRY_EINVAL, "store: too many frames");
  uint32_t f32[2] = {(uint32_t)frame, 0};
  int rc = qx_buf_append(&w->docs, f32, 8);
  if (!rc) rc = qx_buf_put_u64(&w->docs, off);
  if (!rc) rc = qx_buf_put_u64(&w->docs, len);
  if (!rc) w->ndocs++;
  if (!rc && w->docs.len >= DOCS_FLUSH) {
    if (!w->docs_f && (!(w->docs_path = qx_malloc(strlen(w->path) + 6)) ||
                       !(w->docs_f = fopen(strcat(strcpy(w->docs_path, w->path), ".docs"), "w+be"))))
      return w->docs_path ? qx_err_errno(QUARRY_EIO, "%s", w->docs_path) : qx_err(QUARRY_ENOMEM, "out of memory");
    if (fwrite(w->docs.data, 1, w->docs.len, w->docs_f) != w->docs.len)
      return qx_err_errno(QUARRY_EIO, "%s: write", w->docs_path);
    w->docs.len = 0;
  }
  return rc;
}

/* The document table: what went to PATH.docs, then the buffer. */
static int write_docs_table(qx_store_writer *w) {
  int rc = 0;
  if (w->docs_f) {
    if (fflush(w->docs_f) != 0 || fseek(w->docs_f, 0, SEEK_SET) != 0) return qx_err_errno(QUARRY_EIO, "%s", w->docs_path);
    char buf[1 << 16];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, w->docs_f)) > 0) rc = wr(w, buf, n);
    if (!rc && ferror(w->docs_f)) rc = qx_err_errno(QUARRY_EIO, "%s: read", w->docs_path);
  }
  return rc ? rc : wr(w, w->docs.data, w->docs.len);
}

int qx_store_writer_add(qx_store_writer *w, const char *text, size_t len) {
  int rc;
  if (len >= QX_STORE_BLOCK / 2) { /* big: a frame of its own */
    if ((rc = flush_block(w))) return rc;
    if ((rc = add_rec(w, w->nframes, 0, len))) return rc;
    return put_frame(w, text, len);
  }
  if (w->block.len + len > QX_STORE_BLOCK && (rc = flush_block(w))) return rc;
  if ((rc = add_rec(w, w->nframes, w->block.len, len))) return rc;
  return qx_buf_append(&w->block, text, len);
}

/* Frames compressed elsewhere (the build's workers, qx_store_compress), in
 * the order qx_store_writer_add would have made them. */
int qx_store_writer_add_frame(qx_store_writer *w, const void *comp, size_t clen, const uint64_t *lens, size_t n) {
  int rc = flush_block(w);
  void *fr = w->frames;
  if (!rc) rc = qx_grow(&fr, &w->cap_frames, w->nframes + 1, sizeof(uint64_t));
  w->frames = fr;
  uint64_t off = 0;
  for (size_t i = 0; !rc && i < n; off += lens[i++]) rc = add_rec(w, w->nframes, off, lens[i]);
  if (rc) return rc;
  w->frames[w->nframes++] = w->at;
  return wr(w, comp, clen);
}

int qx_store_compress(qx_buf *out, void *zctx, const void *p, size_t len) {
  size_t bound = ZSTD_compressBound(len);
  int rc = qx_buf_reserve(out, bound);
  if (rc) return rc;
  size_t c = ZSTD_compressCCtx(zctx, out->data + out->len, bound, p, len, STORE_LEVEL);
  if (ZSTD_isError(c)) return qx_err(QUARRY_EIO, "zstd: %s", ZSTD_getErrorName(c));
  out->len += c;
  return 0;
}

void *qx_store_cctx_new(void) { return ZSTD_createCCtx(); }
void qx_store_cctx_free(void *z) { ZSTD_freeCCtx(z); }

int qx_store_writer_close(qx_store_writer *w) {
  static const uint8_t zeros[8];
  int rc = flush_block(w);
  uint64_t fend = w->at;
  if (!rc) rc = wr(w, zeros, (8 - w->at % 8) % 8);
  uint64_t ftable = w->at, nframes = w->nframes;
  for (size_t i = 0; !rc && i < w->nframes; i++) rc = wr(w, &w->frames[i], 8);
  if (!rc) rc = wr(w, &fend, 8); /* frames[nframes] = end of the last frame */
  uint64_t dtable = w->at;
  if (!rc) rc = write_docs_table(w);
  uint64_t footer[4] = {ftable, nframes, dtable, w->ndocs};
  if (!rc) rc = wr(w, footer, sizeof footer);
  if (!rc && fflush(w->f) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: write", w->path);
  if (!rc && fsync(fileno(w->f)) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: fsync", w->path);
  if (fclose(w->f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: close", w->path);
  w->f = NULL;
  return rc;
}

void qx_store_writer_free(qx_store_writer *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  if (w->docs_f) {
    fclose(w->docs_f);
    unlink(w->docs_path);
  }
  free(w->docs_path);
  ZSTD_freeCCtx(w->cctx);
  free(w->frames);
  qx_buf_free(&w->docs);
  qx_buf_free(&w->block);
  free(w->cbuf);
  free(w->path);
  free(w);
}

/* ---- reader ---------------------------------------------------------------- */

struct qx_store {
  const uint8_t *data;
  size_t len;
  const uint8_t *frames, *docs;
  uint64_t ftable, nframes, n;
  const char *path;
  int fd; /* >= 0: frames are read with pread (qx_store_read_by_fd) */
};

int qx_store_open(qx_store **out, const uint8_t *data, size_t len, const char *path) {
  *out = NULL;
  if (len < QX_HEADER_SIZE + 40) return qx_err(QUARRY_ECORRUPT, "%s: truncated", path);
  const uint8_t *f = data + len - 32;
  uint64_t ftable = qx_le64(f), nframes = qx_le64(f + 8), dtable = qx_le64(f + 16), n = qx_le64(f + 24);
  uint64_t avail = ftable <= len - 32 ? len - 32 - ftable : 0; /* bytes for both tables */
  if (ftable < QX_HEADER_SIZE || ftable % 8 || avail < 8 || nframes > avail / 8 - 1 ||
      dtable != ftable + 8 * (nframes + 1) || n > (len - 32 - dtable) / DOC_REC || dtable + n * DOC_REC != len - 32)
    return qx_err(QUARRY_ECORRUPT, "%s: bad tables", path);
  qx_store *s = qx_calloc(1, sizeof *s);
  if (!s) return qx_err(QUARRY_ENOMEM, "out of memory");
  *s = (qx_store){data, len, data + ftable, data + dtable, ftable, nframes, n, path, -1};
  *out = s;
  return 0;
}

void qx_store_read_by_fd(qx_store *s, int fd) { s->fd = fd; }

uint64_t qx_store_count(const qx_store *s) { return s->n; }

int qx_store_read(char **out, size_t *out_len, qx_store *s, uint32_t doc, uint64_t start, uint64_t end) {
  *out = NULL;
  *out_len = 0;
  if (doc >= s->n) return qx_err(QUARRY_ECORRUPT, "%s: document %u out of range", s->path, doc);
  const uint8_t *r = s->docs + (size_t)doc * DOC_REC;
  uint32_t fr = qx_le32(r);
  uint64_t off = qx_le64(r + 8), dlen = qx_le64(r + 16);
  if (fr >= s->nframes) return qx_err(QUARRY_ECORRUPT, "%s: document %u: frame out of range", s->path, doc);
  uint64_t a = qx_le64(s->frames + 8 * (size_t)fr), b = qx_le64(s->frames + 8 * ((size_t)fr + 1));
  if (a < QX_HEADER_SIZE || a > b || b > s->ftable)
    return qx_err(QUARRY_ECORRUPT, "%s: document %u: frame out of range", s->path, doc);
  const uint8_t *src = s->data + a;
  uint8_t *copy = NULL; /* the frame read with pread */
  if (s->fd >= 0) {
    copy = malloc((size_t)(b - a) + 1);
    if (!copy) return qx_err(QUARRY_ENOMEM, "out of memory");
    if (qx_pread_full(s->fd, copy, (size_t)(b - a), a)) {
      int e = errno;
      free(copy);
      if (!e) return qx_err(QUARRY_ECORRUPT, "%s: document %u: file truncated", s->path, doc);
      errno = e;
      return qx_err_errno(QUARRY_EIO, "%s", s->path);
    }
    src = copy;
  }
  unsigned long long cs = ZSTD_getFrameContentSize(src, (size_t)(b - a));
  if (cs == ZSTD_CONTENTSIZE_ERROR || cs == ZSTD_CONTENTSIZE_UNKNOWN || off > cs || dlen > cs - off) {
    free(copy);
    return qx_err(QUARRY_ECORRUPT, "%s: document %u: bad frame header", s->path, doc);
  }
  if (end > dlen) end = dlen;
  if (start > end) start = end;
  start += off; /* now offsets in the frame's content */
  end += off;
  size_t want = (size_t)(end - start);
  char *res = malloc(want + 1 + QUARRY_TEXT_PAD);
  /* a context per read: reads may run in several threads at once */
  ZSTD_DCtx *dctx = res ? ZSTD_createDCtx() : NULL;
  if (!dctx) {
    free(res);
    free(copy);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  size_t got = 0, r_ = 1;
  uint64_t produced = 0;
  ZSTD_inBuffer in = {src, (size_t)(b - a), 0};
  char chunk[1 << 16];
  int rc = 0;
  while (produced < end) {
    ZSTD_outBuffer ob = {chunk, sizeof chunk, 0};
    r_ = ZSTD_decompressStream(dctx, &ob, &in);
    if (ZSTD_isError(r_)) {
      rc = qx_err(QUARRY_ECORRUPT, "%s: document %u: %s", s->path, doc, ZSTD_getErrorName(r_));
      break;
    }
    uint64_t lo = produced, hi = produced + ob.pos;
    uint64_t cl = QX_MAX(lo, start), ch = QX_MIN(hi, end);
    if (ch > cl) {
      memcpy(res + got, chunk + (cl - lo), (size_t)(ch - cl));
      got += (size_t)(ch - cl);
    }
    produced = hi;
    if (r_ == 0) break; /* frame done */
    if (ob.pos == 0 && in.pos == in.size) {
      rc = qx_err(QUARRY_ECORRUPT, "%s: document %u: truncated frame", s->path, doc);
      break;
    }
  }
  ZSTD_freeDCtx(dctx);
  free(copy);
  if (!rc && got != want) rc = qx_err(QUARRY_ECORRUPT, "%s: document %u: frame shorter than its header says", s->path, doc);
  if (rc) {
    free(res);
    return rc;
  }
  memset(res + got, 0, 1 + QUARRY_TEXT_PAD); /* the NUL and the padding */
  *out = res;
  *out_len = got;
  return 0;
}

void qx_store_free(qx_store *s) {
  if (!s) return;
  if (s->fd >= 0) close(s->fd);
  free(s);
}
