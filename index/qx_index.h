/*
 * qx_index.h: internal interface of the inverted index (index/): on-disk
 * constants shared by the writer and the reader, the reader's accessors used
 * by search/, and the build step list that other stages (vectors) hook into.
 * docs/FORMAT.md describes every byte; keep the two in step.
 */
#ifndef QX_INDEX_H
#define QX_INDEX_H

#include <stdint.h>
#include <stdio.h>

#include "qx_common.h"
#include "qx_text.h"
#include "quarry.h"

/* ---- format constants ---------------------------------------------------- */
#define QX_FORMAT_MAJOR 1
#define QX_FORMAT_MINOR 0
#define QX_HEADER_SIZE 16 /* magic[8] + u32 major + u32 minor */
#define QX_BLOCK 128      /* postings per block */
#define QX_DOC_END UINT32_MAX
#define QX_TITLE_MAX 120 /* bytes kept of a document title */

#define QX_MAGIC_LEXICON "QXLEXI01"
#define QX_MAGIC_POSTINGS "QXPOST01"
#define QX_MAGIC_POSITIONS "QXPOSI01"
#define QX_MAGIC_NORMS "QXNORM01"
#define QX_MAGIC_PASSAGES "QXPSGS01"
#define QX_MAGIC_DOCS "QXDOCS01"
#define QX_MAGIC_STORE "QXSTOR01"
#define QX_MAGIC_SURFACE "QXSURF01"

#define QX_LEX_ENTRY_SIZE 72
#define QX_SKIP_ENTRY_SIZE 32
#define QX_PASSAGE_REC_SIZE 32
#define QX_DOC_REC_SIZE 72
#define QX_SURF_ENTRY_SIZE 16

/* Files verified in full (xxHash64) when an index is opened; bigger files are
 * verified by quarry_index_verify() (`quarry info --verify`) and protected by
 * bounds checks on every offset read from them. */
#define QX_VERIFY_AT_OPEN_MAX (1u << 20)

/* ---- norms: Lucene's SmallFloat.intToByte4 / byte4ToInt ---------------- */
uint8_t qx_norm_encode(uint32_t len);
uint32_t qx_norm_decode(uint8_t norm);

/* ---- MANIFEST ------------------------------------------------------------ */
typedef struct qx_manifest_file {
  char *name;
  uint64_t size;
  uint64_t xxh64;
} qx_manifest_file;

typedef struct qx_manifest {
  char **keys, **vals; /* ordered key/value pairs (keys unique) */
  size_t nkv, cap_kv;
  qx_manifest_file *files;
  size_t nfiles, cap_files;
} qx_manifest;

int qx_manifest_set(qx_manifest *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *qx_manifest_get(const qx_manifest *m, const char *key);
int qx_manifest_add_file(qx_manifest *m, const char *name, uint64_t size, uint64_t xxh64);
/* Serialise (with the trailing checksum line) into out. */
int qx_manifest_format(qx_buf *out, const qx_manifest *m);
/* Parse and check the trailing checksum. `path` is for messages. */
int qx_manifest_parse(qx_manifest *m, const char *text, size_t len, const char *path);
void qx_manifest_free(qx_manifest *m);

/* ---- the zstd document store (store.zst) -------------------------------- */
typedef struct qx_store_writer qx_store_writer;
int qx_store_writer_open(qx_store_writer **out, const char *path);
int qx_store_writer_add(qx_store_writer *w, const char *text, size_t len);
int qx_store_writer_close(qx_store_writer *w); /* writes the table, fsyncs */
void qx_store_writer_free(qx_store_writer *w);

typedef struct qx_store qx_store;
/* Borrow a mapping (the caller keeps it alive). */
int qx_store_open(qx_store **out, const uint8_t *data, size_t len, const char *path);
uint64_t qx_store_count(const qx_store *s);
/* Decompress bytes [start, end) of document `doc` (end clipped to the
 * document) into a new heap buffer (NUL-terminated). Streams, so the cost is
 * proportional to `end`, not to the document size. */
int qx_store_read(char **out, size_t *out_len, qx_store *s, uint32_t doc, uint64_t start, uint64_t end);
void qx_store_free(qx_store *s);

/* ---- reader ---------------------------------------------------------------- */
typedef struct qx_term_info {
  uint32_t id;
  const char *str; /* not NUL-terminated */
  uint32_t len;
  uint32_t df;
  uint64_t cf;
  uint64_t post_off, post_len, pos_off, pos_len;
  uint32_t nblocks, max_tf, min_dl;
} qx_term_info;

typedef struct qx_passage_info {
  uint32_t doc, ntokens, line;
  uint64_t start, end;
} qx_passage_info;

typedef struct qx_doc_info {
  const char *path, *title, *id; /* not NUL-terminated; id: external id (the path for plain files) */
  uint32_t path_len, title_len, id_len;
  uint64_t size, xxh64;
  int64_t mtime_ns;
  uint32_t first_passage, npassages;
} qx_doc_info;

struct quarry_index {
  char *dir;
  qx_manifest man;
  qx_map lex, post, posi, norms, psg, docs, store, surf;
  uint64_t nterms, npassages, ndocs, nsurface, total_tokens;
  double avgdl;
  qx_lang lang;
  uint32_t passage_tokens, passage_overlap;
  const uint8_t *lex_entries, *lex_strings;
  uint64_t lex_strings_len;
  const uint8_t *surf_entries, *surf_strings;
  uint64_t surf_strings_len;
  const uint8_t *docs_strings;
  uint64_t docs_strings_len;
  qx_store *st;
  struct qx_vectors *vec; /* NULL when the index has no vectors (index/vectors.c) */
};

/* Term by id (0 <= id < nterms), bounds-checked. */
int qx_index_term(qx_term_info *out, const quarry_index *ix, uint32_t id);
/* Find a term by its analysed string: 1 found, 0 absent, <0 error. */
int qx_index_find_term(qx_term_info *out, const quarry_index *ix, const char *s, size_t len);
/* Surface (folded, unstemmed) forms: index range [*lo, *hi) of entries that
 * start with prefix, and the term id of entry i. */
int qx_index_surface_range(uint64_t *lo, uint64_t *hi, const quarry_index *ix, const char *prefix, size_t len);
int qx_index_surface_get(const char **form, uint32_t *form_len, uint32_t *term, const quarry_index *ix,
                         uint64_t i);
int qx_index_passage(qx_passage_info *out, const quarry_index *ix, uint32_t pid);
int qx_index_doc(qx_doc_info *out, const quarry_index *ix, uint32_t doc);
static inline uint8_t qx_index_norm(const quarry_index *ix, uint32_t pid) {
  return ix->norms.data[QX_HEADER_SIZE + 8 + pid]; /* size checked at open */
}
/* Original text of passage pid (heap, NUL-terminated). */
int qx_index_passage_text(char **out, size_t *out_len, quarry_index *ix, uint32_t pid);
/* Check a file header (magic + major version) in a mapping. */
int qx_check_header(const qx_map *m, const char *magic, const char *path);

/* ---- build ----------------------------------------------------------------- */
/* The build runs a list of steps over one qx_build (index/build.c). A step
 * that adds a file writes it into b->tmpdir and registers it with
 * qx_build_add_file(); extra MANIFEST keys go through qx_manifest_set(&b->man).
 * The vector step of issue 4 slots in after "tables" (see build.c). */
typedef struct qx_build qx_build;
int qx_build_add_file(qx_build *b, const char *name);
const char *qx_build_tmpdir(const qx_build *b);
qx_manifest *qx_build_manifest(qx_build *b);
/* For steps after "tables": the build's options, the number of passages,
 * and the text of passage pid (heap, NUL-terminated, free()), read back
 * from the store.zst just written. */
const quarry_build_opts *qx_build_opts(const qx_build *b);
uint64_t qx_build_passage_count(const qx_build *b);
int qx_build_passage_text(char **out, size_t *out_len, qx_build *b, uint32_t pid);

/* File walk: expand paths into a sorted list of regular files. */
typedef struct qx_walk_file {
  char *path;
  uint64_t size;
  int64_t mtime_ns;
} qx_walk_file;
typedef void (*qx_note_fn)(void *ctx, const char *msg);
int qx_walk(qx_walk_file **out, size_t *count, const char *const *paths, size_t npaths, const char *skip_dir,
            qx_note_fn note, void *note_ctx);
void qx_walk_free(qx_walk_file *files, size_t count);

/* Passage cutter (index/passage.c): fed analysed tokens of one document,
 * emits passages through a callback. */
typedef struct qx_ptok {
  uint32_t term;     /* term id in the build's dictionary */
  uint32_t pos;      /* analyser position */
  uint64_t start, end;
  uint8_t boundary;  /* 2: starts a paragraph/line, 1: starts a sentence, 0 */
} qx_ptok;
typedef int (*qx_passage_fn)(void *ctx, const qx_ptok *toks, uint32_t n, uint64_t start, uint64_t end);
typedef struct qx_cutter {
  uint32_t size, overlap;
  qx_ptok *buf;
  uint32_t n;       /* tokens buffered */
  uint32_t emitted; /* of which already part of an emitted passage (the overlap) */
  uint32_t npassages;
  const char *text;
  size_t text_len;
  qx_passage_fn fn;
  void *ctx;
} qx_cutter;
/* Most tokens a passage can hold (the last one of a document). */
static inline uint32_t qx_cutter_max(uint32_t size) { return size + size / 4; }
int qx_cutter_init(qx_cutter *c, uint32_t size, uint32_t overlap, qx_passage_fn fn, void *ctx);
void qx_cutter_begin(qx_cutter *c, const char *text, size_t len);
int qx_cutter_push(qx_cutter *c, const qx_ptok *t);
int qx_cutter_end(qx_cutter *c); /* flushes; emits an empty passage for a token-less doc */
void qx_cutter_free(qx_cutter *c);
/* Boundary class of the gap text before a token. */
uint8_t qx_gap_boundary(const char *gap, size_t len);

#endif /* QX_INDEX_H */
