/*
 * store.c: store.zst, the original text of every document, one zstd frame
 * per document (RFC 8878), so that snippets, `quarry search` and passage text
 * for embeddings never need the source files. Layout (docs/FORMAT.md):
 * header | frames | pad to 8 | offset table (ndocs+1 u64) | u64 table offset,
 * u64 ndocs. The table is at the end so the writer streams documents out.
 * Reads decompress a frame only up to the requested end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "qx_index.h"

#define STORE_LEVEL 3

struct qx_store_writer {
  FILE *f;
  char *path;
  ZSTD_CCtx *cctx;
  uint64_t *offs;
  size_t n, cap;
  uint64_t at;
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

int qx_store_writer_add(qx_store_writer *w, const char *text, size_t len) {
  void *o = w->offs;
  int rc = qx_grow(&o, &w->cap, w->n + 1, sizeof(uint64_t));
  w->offs = o;
  if (rc) return rc;
  size_t bound = ZSTD_compressBound(len);
  if (bound > w->ccap) {
    void *nb = realloc(w->cbuf, bound);
    if (!nb) return qx_err(QUARRY_ENOMEM, "out of memory (%zu bytes)", bound);
    w->cbuf = nb;
    w->ccap = bound;
  }
  size_t c = ZSTD_compressCCtx(w->cctx, w->cbuf, w->ccap, text, len, STORE_LEVEL);
  if (ZSTD_isError(c)) return qx_err(QUARRY_EIO, "zstd: %s", ZSTD_getErrorName(c));
  w->offs[w->n++] = w->at;
  return wr(w, w->cbuf, c);
}

int qx_store_writer_close(qx_store_writer *w) {
  static const uint8_t zeros[8];
  uint64_t fend = w->at, n = w->n;
  int rc = wr(w, zeros, (8 - w->at % 8) % 8);
  uint64_t table = w->at;
  for (size_t i = 0; !rc && i < w->n; i++) rc = wr(w, &w->offs[i], 8);
  if (!rc) rc = wr(w, &fend, 8); /* offs[n] = end of the last frame */
  if (!rc) rc = wr(w, &table, 8);
  if (!rc) rc = wr(w, &n, 8);
  if (!rc && fflush(w->f) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: write", w->path);
  if (!rc && fsync(fileno(w->f)) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: fsync", w->path);
  if (fclose(w->f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: close", w->path);
  w->f = NULL;
  return rc;
}

void qx_store_writer_free(qx_store_writer *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  ZSTD_freeCCtx(w->cctx);
  free(w->offs);
  free(w->cbuf);
  free(w->path);
  free(w);
}

/* ---- reader ---------------------------------------------------------------- */

struct qx_store {
  const uint8_t *data;
  size_t len;
  const uint8_t *table;
  uint64_t table_off, n;
  const char *path;
};

int qx_store_open(qx_store **out, const uint8_t *data, size_t len, const char *path) {
  *out = NULL;
  if (len < QX_HEADER_SIZE + 24) return qx_err(QUARRY_ECORRUPT, "%s: truncated", path);
  uint64_t table = qx_le64(data + len - 16), n = qx_le64(data + len - 8);
  if (table < QX_HEADER_SIZE || table % 8 || table > len - 16 || n != (len - 16 - table) / 8 - 1 ||
      (len - 16 - table) % 8)
    return qx_err(QUARRY_ECORRUPT, "%s: bad offset table", path);
  qx_store *s = qx_calloc(1, sizeof *s);
  if (!s) return qx_err(QUARRY_ENOMEM, "out of memory");
  s->data = data;
  s->len = len;
  s->table = data + table;
  s->table_off = table;
  s->n = n;
  s->path = path;
  *out = s;
  return 0;
}

uint64_t qx_store_count(const qx_store *s) { return s->n; }

int qx_store_read(char **out, size_t *out_len, qx_store *s, uint32_t doc, uint64_t start, uint64_t end) {
  *out = NULL;
  *out_len = 0;
  if (doc >= s->n) return qx_err(QUARRY_ECORRUPT, "%s: document %u out of range", s->path, doc);
  uint64_t a = qx_le64(s->table + 8 * (size_t)doc), b = qx_le64(s->table + 8 * ((size_t)doc + 1));
  if (a < QX_HEADER_SIZE || a > b || b > s->table_off)
    return qx_err(QUARRY_ECORRUPT, "%s: document %u: frame out of range", s->path, doc);
  unsigned long long cs = ZSTD_getFrameContentSize(s->data + a, (size_t)(b - a));
  if (cs == ZSTD_CONTENTSIZE_ERROR || cs == ZSTD_CONTENTSIZE_UNKNOWN)
    return qx_err(QUARRY_ECORRUPT, "%s: document %u: bad frame header", s->path, doc);
  if (end > cs) end = cs;
  if (start > end) start = end;
  size_t want = (size_t)(end - start);
  char *res = malloc(want + 1);
  /* a context per read: reads may run in several threads at once */
  ZSTD_DCtx *dctx = res ? ZSTD_createDCtx() : NULL;
  if (!dctx) {
    free(res);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  size_t got = 0;
  uint64_t produced = 0;
  ZSTD_inBuffer in = {s->data + a, (size_t)(b - a), 0};
  char chunk[1 << 16];
  size_t r = 1;
  while (produced < end) {
    ZSTD_outBuffer ob = {chunk, sizeof chunk, 0};
    r = ZSTD_decompressStream(dctx, &ob, &in);
    if (ZSTD_isError(r)) {
      free(res);
      ZSTD_freeDCtx(dctx);
      return qx_err(QUARRY_ECORRUPT, "%s: document %u: %s", s->path, doc, ZSTD_getErrorName(r));
    }
    uint64_t lo = produced, hi = produced + ob.pos;
    uint64_t cl = QX_MAX(lo, start), ch = QX_MIN(hi, end);
    if (ch > cl) {
      memcpy(res + got, chunk + (cl - lo), (size_t)(ch - cl));
      got += (size_t)(ch - cl);
    }
    produced = hi;
    if (r == 0) break; /* frame done */
    if (ob.pos == 0 && in.pos == in.size) {
      free(res);
      ZSTD_freeDCtx(dctx);
      return qx_err(QUARRY_ECORRUPT, "%s: document %u: truncated frame", s->path, doc);
    }
  }
  ZSTD_freeDCtx(dctx);
  res[got] = '\0';
  *out = res;
  *out_len = got;
  return 0;
}

void qx_store_free(qx_store *s) {
  if (!s) return;
  free(s);
}
