/*
 * qx_build.h: the state of one index build, shared by build.c (reading,
 * chunks, threads, commit, manifest), invert.c (the workers: analysis and
 * inversion of chunks, sorted runs) and write.c (the binary files, merging
 * the runs). Private to index/.
 *
 * The documents are read in order and cut into chunks (about 1 MiB of text,
 * whole store.zst blocks). Each chunk is analysed by one worker into that
 * worker's current run (term -> postings, run-local passage ids); a worker
 * whose run (postings and dictionaries) outgrows its share of --memory
 * writes it to a file sorted by term, with the term strings (a "spilled"
 * run), and starts a new one with empty dictionaries. The chunks' tables
 * and store frames are committed in chunk order, which fixes the global
 * ids, straight to their files. At the end every run is merged term by
 * term into the final postings (and, with stemming, the surface forms). The output
 * does not depend on the number of threads or on the memory bound.
 */
#ifndef QX_BUILD_H
#define QX_BUILD_H

#include <pthread.h>
#include <stdio.h>

#include "qx_corpus.h"
#include "qx_index.h"
#include "qx_update.h"

#define QX_STORED_TERM_MAX 255 /* bytes kept of a term or surface form */
#define QX_THREADS_MAX 64

typedef struct qx_dslot {
  uint64_t head;    /* the string's first 8 bytes, zero-padded */
  uint32_t id1;     /* id + 1, 0 = empty */
  uint32_t lenhash; /* length (low 8 bits) | the hash's top 24 bits */
} qx_dslot;

typedef struct qx_dict {
  qx_dslot *slots; /* power-of-two capacity, at most half full */
  size_t cap;
} qx_dict;

/* A term of a worker: its postings in the current run. */
typedef struct qx_bterm {
  qx_buf post; /* varints: passage gap, tf, positions (first absolute, then deltas) */
  uint32_t df, last_pid;
  uint64_t cf;
} qx_bterm;

/* A chunk of consecutive documents, with their texts back to back (so a
 * store frame is one slice of `text`). */
typedef struct qx_cdoc {
  size_t path, id, title; /* offsets into meta (NUL-terminated); id/title SIZE_MAX: none */
  size_t title_len;
  size_t text_off, len; /* in text */
  int64_t mtime_ns;
} qx_cdoc;

typedef struct qx_chunk {
  uint64_t no;
  qx_buf text, meta;
  qx_cdoc *docs;
  size_t ndocs, cap_docs;
  uint32_t *frame_docs; /* documents per store frame, in order */
  size_t nframes, cap_frames;
  /* output of the worker */
  qx_buf passages, norms, recs, strs; /* chunk-local doc ids, passage ids, string offsets */
  qx_buf store;                       /* the compressed frames back to back */
  uint64_t *frame_len;
  uint32_t npassages;
  uint64_t tokens, postings;
  int rc, done;
  char err[512];
  struct qx_chunk *next; /* queue */
} qx_chunk;

/* A run: postings of some chunks of one worker, by term; chunk c's
 * passages are run-local ids [lbase[c], lbase[c] + n[c]). */
typedef struct qx_run {
  int worker;
  uint64_t *chunk_no;
  uint32_t *lbase, *cnt;
  size_t nchunks, cap;
  uint32_t npassages;
  char *path;      /* spilled: the file; NULL: in memory (the worker's terms) */
  char *surf_path; /* spilled: its surface forms (surface_build.c); NULL without stemming */
} qx_run;

/* One worker: the current run (its dictionaries and postings, emptied when
 * the run is spilled), the analysis state of the document being read. */
typedef struct qx_inv {
  struct qx_build *b;
  int id;
  qx_analyzer *an;
  qx_cutter cut;
  void *scratch;
  void *zctx; /* ZSTD_CCtx */
  /* dictionary of the run's analysed terms (run-order ids) */
  qx_dict terms_dict;
  qx_buf term_strs;
  uint64_t *term_off;
  uint32_t *term_len;
  qx_bterm *terms;
  size_t nterms, cap_terms;
  /* folded surface forms -> run term id */
  qx_dict surf_dict;
  qx_buf surf_strs;
  uint64_t *surf_off;
  uint32_t *surf_len, *surf_term;
  size_t nsurf, cap_surf;
  /* the current run */
  qx_run run;
  uint64_t run_bytes; /* bytes held by the run's postings (the dictionaries: run_mem) */
  /* the chunk and document being analysed */
  qx_chunk *ck;
  uint32_t ndocs, doc_passages;
  uint64_t last_path_off, last_path_len;
  const char *text;
  uint64_t prev_end, lead_start, line_off;
  uint32_t line;
  uint8_t pend_boundary;
  pthread_t thread;
} qx_inv;

/* An output file of the segment (write.c): streamed, fsynced at close, then
 * registered in the MANIFEST with its xxHash64. */
typedef struct qx_out {
  FILE *f;
  char *path;
  const char *name;
  uint64_t at;
} qx_out;
int qx_out_open(qx_out *o, qx_build *b, const char *name, const char *magic, uint32_t major); /* + header */
int qx_out_write(qx_out *o, const void *p, size_t n);
int qx_out_pad(qx_out *o); /* to 8 bytes */
int qx_out_patch(qx_out *o, uint64_t off, const void *p, size_t n); /* overwrite bytes written before */
int qx_out_copy_file(qx_out *o, const char *path);                  /* append a file's bytes */
int qx_out_close(qx_out *o, qx_build *b, int rc);
int qx_out_end(qx_out *o, int rc); /* close without registering (nothing to do if not open) */

struct qx_build {
  const quarry_build_opts *opts;
  qx_lang lang;
  char *tmpdir;
  qx_manifest man;
  qx_corpus_format format;
  const char *const *paths;
  size_t npaths;
  const qx_src_item *items; /* format "files": the documents to index (files or stored documents) */
  size_t nitems;
  const qx_vec_reuse *reuse; /* vectors of existing segments, by passage text (may be NULL) */
  uint64_t vec_reused, vec_embedded;
  int allow_empty;
  /* workers and runs */
  unsigned nthreads;
  uint64_t run_budget, chunk_target; /* bytes */
  qx_inv *inv;
  qx_run *runs; /* spilled runs, then the workers' last runs */
  size_t nruns, cap_runs;
  uint64_t nspills;
  uint64_t *chunk_pbase; /* first global passage id of each committed chunk */
  size_t cap_chunks;
  /* the chunk being filled by the reader */
  qx_chunk *fill;
  uint64_t fill_block; /* bytes of the store block being packed */
  uint32_t fill_block_docs;
  uint64_t nchunks;
  /* queue (threads > 1) */
  pthread_mutex_t mu;
  pthread_cond_t cv_work, cv_done;
  qx_chunk *qhead, *qtail;
  qx_chunk **inflight; /* by no % max_inflight */
  size_t max_inflight;
  uint64_t next_commit;
  int stop, threads_init;
  /* totals */
  size_t nterms, nsurf;
  char *surf_pairs; /* (form, term id) pairs from the merge (surface_build.c) */
  /* passages, norms, documents (committed): streamed to their files */
  qx_out o_norms, o_psg, o_docs;
  FILE *docstrs; /* the documents' strings, appended to docs at the end */
  char *docstrs_path;
  uint64_t docstrs_len;
  qx_buf scratch, last_path; /* records being converted; the last committed path */
  uint64_t last_path_off;
  qx_map norms_map, psg_map, docs_map; /* the files, mapped once written (merge, vectors) */
  uint64_t npassages, npostings, total_tokens;
  uint32_t ndocs;
  qx_store_writer *store;
  /* store.zst read back by later steps (qx_build_passage_text) */
  qx_map store_map;
  qx_store *store_rd;
  /* stats */
  uint64_t skipped, bytes_in, bytes_out, bytes_done, bytes_total;
};

/* Without stemming (--lang none) every surface form is its own term: the
 * workers keep no surface dictionary and the segment has no surface file
 * (MANIFEST `surface lexicon`; prefix queries read the lexicon). */
static inline int qx_build_surface_is_lexicon(const qx_build *b) { return b->lang == QX_LANG_NONE; }


void qx_build_note(qx_build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qx_build_progress(qx_build *b, const char *phase, uint64_t done, uint64_t total);
int qx_build_collect(qx_build *b); /* collect.c */
void qx_build_collect_free(qx_build *b);
int qx_build_write_postings(qx_build *b);
int qx_build_write_tables(qx_build *b);

/* invert.c */
int qx_inv_init(qx_inv *w, qx_build *b, int id);
void qx_inv_free(qx_inv *w);
/* Analyse chunk ck into w's run and compress its store frames; spills the
 * run when it outgrows b->run_budget. Errors go to ck->rc / ck->err. */
void qx_inv_chunk(qx_inv *w, qx_chunk *ck);
/* Hand the worker's last run (in memory) to b->runs. */
int qx_inv_finish(qx_inv *w);
/* Reading a run in term order (write.c). */
typedef struct qx_run_rec {
  uint32_t tid, df; /* tid: in memory only */
  uint64_t cf;
  const uint8_t *data;
  size_t len;
  const char *str; /* the term */
  uint32_t slen;
} qx_run_rec;
typedef struct qx_run_reader {
  const qx_run *run;
  qx_inv *w;
  FILE *f;
  uint32_t *order; /* in memory: term ids sorted by string */
  size_t i, n;
  qx_buf rec;
  qx_run_rec cur;
  int has;
} qx_run_reader;
int qx_run_reader_open(qx_run_reader *r, qx_build *b, const qx_run *run);
int qx_run_reader_next(qx_run_reader *r); /* fills r->cur, r->has = 0 at the end */
void qx_run_reader_close(qx_run_reader *r);
int qx_inv_cmp_terms(const qx_inv *a, uint32_t x, const qx_inv *bw, uint32_t y);
void qx_chunk_free(qx_chunk *c);

static inline int qx_bytes_cmp(const void *a, size_t la, const void *b, size_t lb) {
  int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : (la > lb) - (la < lb);
}

static inline const char *qx_inv_term(const qx_inv *w, uint32_t id, uint32_t *len) {
  *len = w->term_len[id];
  return (const char *)w->term_strs.data + w->term_off[id];
}

/* surface_build.c: the surface file of a build with stemming. A run's forms go
 * with it, sorted by (term, form); the merge of the postings joins them
 * with the final term ids (qx_surf_join_*) into a pairs file, sorted by
 * form at the end in runs of bounded size (qx_build_write_surface). */
int qx_surf_spill(qx_inv *w, const char *path);
typedef struct qx_surf_join qx_surf_join;
int qx_surf_join_open(qx_surf_join **out, qx_build *b);
int qx_surf_join_term(qx_surf_join *j, const char *term, uint32_t len, uint32_t id);
int qx_surf_join_close(qx_surf_join *j, int rc);
int qx_build_write_surface(qx_build *b);

#endif
