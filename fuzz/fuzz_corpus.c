/*
 * fuzz_corpus.c: the test-collection document readers (index/corpus_*.c):
 * BEIR JSON lines, TREC SGML, SMART records.
 *
 * Input: byte 0 picks the format (0 beir, 1 trec, 2 smart); the rest is the
 * file's content, given exactly as the reader gets it from qx_corpus_next
 * (a mapping of the file: NOT NUL-terminated, so a parser that runs to a NUL
 * is an ASan report). Every record is consumed; checked: the position
 * advances at each record and stays inside the input, ids/titles/texts are
 * NUL-terminated with the lengths reported, errors carry a message. The same
 * bytes are then read through qx_corpus_open/qx_corpus_next (memfd file),
 * which must return the same number of records.
 */
#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_corpus.h"

typedef int (*next_fn)(qx_corpus_buf *, const char *, const char *, size_t, size_t *);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t sel = fz_take_byte(&data, &size);
  static const next_fn fns[3] = {qx_corpus_beir_next, qx_corpus_trec_next, qx_corpus_smart_next};
  static const qx_corpus_format fmts[3] = {QX_CORPUS_BEIR, QX_CORPUS_TREC, QX_CORPUS_SMART};
  int f = sel % 3;
  char *text = malloc(size ? size : 1); /* exact size, no NUL after it */
  if (!text) abort();
  if (size) memcpy(text, data, size);

  qx_corpus_buf b;
  memset(&b, 0, sizeof b);
  size_t pos = 0, nrec = 0;
  int rc;
  while ((rc = fns[f](&b, "fuzz-input", text, size, &pos)) == 1) {
    FZ_CHECK(pos <= size);
    FZ_CHECK(b.id && b.title && b.text);
    FZ_CHECK(strlen(b.title) <= b.title_len && b.title[b.title_len] == 0);
    FZ_CHECK(b.text[b.text_len] == 0);
    nrec++;
    FZ_CHECK(nrec <= size + 1);
  }
  if (rc < 0) FZ_CHECK(quarry_error_last()[0] != 0);
  free(b.id);
  free(b.title);
  free(b.text);

  char path[64];
  int fd = fz_memfile((const uint8_t *)text, size, path);
  if (fd >= 0) {
    const char *paths[1] = {path};
    qx_corpus *c = NULL;
    if (qx_corpus_open(&c, fmts[f], paths, 1) == 0) {
      qx_corpus_rec rec;
      size_t n2 = 0;
      int rc2;
      while ((rc2 = qx_corpus_next(c, &rec)) == 1) n2++;
      FZ_CHECK(n2 == nrec && (rc2 < 0) == (rc < 0));
      qx_corpus_free(c);
    }
    close(fd);
  }
  free(text);
  return 0;
}
