/*
 * qx_corpus.h: readers of test-collection document files, each record being
 * (external document id, title, text). The indexer turns a record into one
 * document whose id is the external id (what --trec output and eval print);
 * the eval topic readers reuse the same readers for query files.
 *
 * Formats:
 *   beir   corpus.jsonl / queries.jsonl: one JSON object per line with "_id",
 *          "title" (optional), "text" (BEIR, Thakur et al. 2021)
 *   trec   SGML files: <DOC> <DOCNO>id</DOCNO> ... </DOC>, the title from
 *          <TITLE>/<HEAD>/<HEADLINE>, the text from every <TEXT> section (or
 *          the whole body without tags when there is none)
 *   smart  SMART records: ".I id" then fields ".T" title, ".W" text (also
 *          ".A" authors, ".B" source, ".X" links, ignored): Cranfield
 *          cran.all.1400, CISI.ALL, cran.qry, CISI.QRY
 *   files  plain files: id = the path as given (directories walked in
 *          sorted order), no title, text = the file's bytes
 * A path may be a file or (for every format) a directory, read recursively
 * in sorted order; hidden entries are skipped.
 */
#ifndef QX_CORPUS_H
#define QX_CORPUS_H

#include <stddef.h>

typedef enum qx_corpus_format {
  QX_CORPUS_BEIR,
  QX_CORPUS_TREC,
  QX_CORPUS_SMART,
  QX_CORPUS_FILES
} qx_corpus_format;

/* One record. Pointers belong to the reader and stay valid until the next
 * qx_corpus_next / qx_corpus_free. Strings are NUL-terminated. */
typedef struct qx_corpus_rec {
  const char *id;
  const char *title; /* "" when the format has none */
  size_t title_len;
  const char *text;
  size_t text_len;
  const char *path; /* file the record came from */
} qx_corpus_rec;

typedef struct qx_corpus qx_corpus;

/* Parse "beir", "trec", "smart", "files". */
int qx_corpus_format_parse(qx_corpus_format *out, const char *name);
const char *qx_corpus_format_name(qx_corpus_format f);

/* Open one or more paths (files or directories) for reading in order. */
int qx_corpus_open(qx_corpus **out, qx_corpus_format fmt, const char *const *paths, size_t npaths);
/* Next record: returns 1 with *rec filled, 0 at the end, or a negative
 * QUARRY_E* (message names the file and line/offset). */
int qx_corpus_next(qx_corpus *c, qx_corpus_rec *rec);
void qx_corpus_free(qx_corpus *c);

/* ---- internal: one parser per format (corpus_<fmt>.c) ----------------------
 * Each parses a whole file already in memory (NUL-terminated, owned by the
 * reader) and yields records from *pos, updating it. */
typedef struct qx_corpus_buf {
  char *id, *title, *text;
  size_t id_cap, title_cap, text_cap;
  size_t title_len, text_len;
} qx_corpus_buf;

int qx_corpus_set(char **dst, size_t *cap, size_t *len_out, const char *s, size_t n);
int qx_corpus_beir_next(qx_corpus_buf *b, const char *path, const char *data, size_t len, size_t *pos);
int qx_corpus_trec_next(qx_corpus_buf *b, const char *path, const char *data, size_t len, size_t *pos);
int qx_corpus_smart_next(qx_corpus_buf *b, const char *path, const char *data, size_t len, size_t *pos);

#endif /* QX_CORPUS_H */
