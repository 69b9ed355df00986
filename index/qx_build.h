/*
 * qx_build.h: the state of one index build, shared by build.c (collect,
 * manifest, commit) and write.c (the binary files). Private to index/.
 */
#ifndef QX_BUILD_H
#define QX_BUILD_H

#include "qx_corpus.h"
#include "qx_index.h"
#include "qx_update.h"

#define QX_STORED_TERM_MAX 255 /* bytes kept of a term or surface form */

typedef struct qx_dict {
  uint64_t *slots; /* hash32 << 32 | id+1, 0 = empty; power-of-two capacity */
  size_t cap;
} qx_dict;

typedef struct qx_bterm {
  qx_buf post; /* varints: passage gap, tf, positions (first absolute, then deltas) */
  uint32_t df, last_pid;
  uint64_t cf;
} qx_bterm;

struct qx_build {
  const quarry_build_opts *opts;
  qx_lang lang;
  char *tmpdir;
  qx_manifest man;
  qx_analyzer *an;
  qx_corpus_format format;
  const char *const *paths;
  size_t npaths;
  const qx_src_item *items; /* format "files": the documents to index (files or stored documents) */
  size_t nitems;
  const qx_vec_reuse *reuse; /* vectors of existing segments, by passage text (may be NULL) */
  uint64_t vec_reused, vec_embedded;
  int allow_empty;
  /* dictionary of analysed terms (build-order ids) */
  qx_dict terms_dict;
  qx_buf term_strs;
  uint64_t *term_off;
  uint32_t *term_len;
  qx_bterm *terms;
  size_t nterms, cap_terms;
  /* folded surface forms -> build-order term id */
  qx_dict surf_dict;
  qx_buf surf_strs;
  uint64_t *surf_off;
  uint32_t *surf_len, *surf_term;
  size_t nsurf, cap_surf;
  /* passages, norms, documents */
  qx_buf passages, norms, docs, doc_strs;
  uint64_t last_path_off, last_path_len;
  uint64_t npassages, npostings, total_tokens;
  uint32_t ndocs, doc_passages;
  qx_store_writer *store;
  qx_cutter cut;
  void *scratch;
  uint32_t *new_id; /* build id -> final (sorted) id, set by write_postings */
  /* the document being analysed */
  const char *text;
  uint64_t prev_end, lead_start, line_off;
  uint32_t line;
  uint8_t pend_boundary;
  /* store.zst read back by later steps (qx_build_passage_text) */
  qx_map store_map;
  qx_store *store_rd;
  /* stats */
  uint64_t skipped, bytes_in, bytes_out, bytes_done, bytes_total;
};

void qx_build_note(qx_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qx_build_write_postings(qx_build *b);
int qx_build_write_tables(qx_build *b);

#endif
