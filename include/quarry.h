/*
 * quarry.h: the public interface of libquarry.
 *
 * quarry is a local search engine: an inverted BM25 index and a vector index
 * of passage embeddings built side by side, searched separately or fused.
 * Conventions (after libgit2 / zstd):
 *   - every function that can fail returns 0 (QUARRY_OK) or a negative
 *     QUARRY_E* code; outputs come first among the parameters;
 *   - quarry_error_last() gives a one-line message with context (file,
 *     offset, expected vs found) for the last failure in this thread;
 *   - every object has one owner and a matching _free / _close.
 */
#ifndef QUARRY_H
#define QUARRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUARRY_VERSION_STRING "0.1.0"

/*! Status codes: 0 is success, every error is negative. */
typedef enum quarry_status {
  QUARRY_OK = 0,
  QUARRY_EIO = -1,       /* read/write/open failed (errno in the message) */
  QUARRY_ENOMEM = -2,    /* allocation failed */
  QUARRY_EINVAL = -3,    /* bad argument, bad query, bad option */
  QUARRY_ECORRUPT = -4,  /* a file failed its checksum or a bounds check */
  QUARRY_ENOTFOUND = -5, /* no such index, file or model */
  QUARRY_EVERSION = -6,  /* index written by an incompatible format version */
  QUARRY_EMODEL = -7,    /* model file missing, malformed or mismatched */
  QUARRY_ELOCKED = -8,   /* another writer holds the index lock */
  QUARRY_EUNSUPPORTED = -9 /* feature not available in this build / index */
} quarry_status;

/*! quarry_error_last() :
 *  @return : the message of the last error raised in this thread ("" if none).
 *  The pointer stays valid until the next failing call in the same thread. */
const char *quarry_error_last(void);

/*! quarry_status_name() : @return : a short constant name for a status code. */
const char *quarry_status_name(int status);


/*! quarry_free() : release a buffer returned by libquarry (snippets). */
void quarry_free(void *p);

/* ======================================================================== */
/*  Building an index                                                        */
/* ======================================================================== */

/*! Progress of a build, reported to quarry_build_opts.progress. */
typedef struct quarry_build_progress {
  const char *phase;    /* "reading", "writing", ... */
  uint64_t done, total; /* files (reading) or steps (writing) */
  uint64_t bytes_done, bytes_total;
} quarry_build_progress;

#define QUARRY_BUILD_OPTS_VERSION 1
typedef struct quarry_build_opts {
  unsigned version;         /* QUARRY_BUILD_OPTS_VERSION */
  const char *lang;         /* analyzer language: "fr" (default), "en", "none" */
  uint32_t passage_tokens;  /* analysed tokens per passage (default 200, >= 8) */
  uint32_t passage_overlap; /* tokens shared by consecutive passages (default 50, <= tokens/2) */
  /* Optional callbacks (may be NULL), called from the building thread:
   * note: one-line remarks (skipped binary or empty file, repaired UTF-8);
   * progress: called after each file and each writing step. */
  void (*note)(void *ctx, const char *msg);
  void (*progress)(void *ctx, const quarry_build_progress *p);
  void *ctx;
  /* Input format: "files" (default: plain text files and folders), or a
   * test collection whose records carry their own ids: "beir"
   * (corpus.jsonl), "trec" (SGML <DOC>), "smart" (.I/.T/.W). */
  const char *format;
  /* Vector index (docs/FORMAT.md, vectors.*): every passage is embedded with
   * `model` (NULL: multilingual-e5-small) and stored in vectors.f32 and a
   * FAISS index vectors.faiss of kind `vector_index`: "auto" (NULL: flat up
   * to 200,000 passages, hnsw above), "flat" (exact inner product), "hnsw"
   * (graph, hnsw_m links per node) or "ivfpq" (inverted lists + product
   * quantisation, for very large collections). vectors = 0 builds a
   * BM25-only index (the library default; the CLI embeds by default). */
  int vectors;
  const char *model;
  const char *vector_index;
  int hnsw_m; /* default 32 */
  /* Indexing threads (0: one per online CPU) and the memory the postings
   * being built may hold, in MiB (0: no bound). Past its share of the
   * bound a thread writes its postings to a sorted temporary file; the
   * files are merged at the end. The index is the same whatever the
   * threads and the bound (docs/ARCHITECTURE.md, "Indexing"). */
  unsigned threads;
  uint64_t memory_mb;
} quarry_build_opts;
#define QUARRY_BUILD_OPTS_INIT {QUARRY_BUILD_OPTS_VERSION, "fr", 200, 50, NULL, NULL, NULL, NULL, 0, NULL, NULL, 32, 0, 0}

typedef struct quarry_build_stats {
  uint64_t docs, passages, terms, postings, tokens; /* of the segments written */
  uint64_t files_skipped;
  uint64_t bytes_in;  /* bytes of text read */
  uint64_t bytes_out; /* bytes of the segments written */
  double seconds;
  /* documents added, changed (re-indexed), deleted and unchanged (an update;
   * a full build counts every document as added) */
  uint64_t added, changed, deleted, unchanged;
  uint64_t segments;        /* segments of the index after the commit */
  uint64_t segments_merged; /* old segments rewritten by the merge policy or a merge */
  uint64_t live_docs;       /* documents of the index after the commit */
  uint64_t vectors_embedded, vectors_reused; /* passages embedded / vectors copied from existing segments */
  int committed;  /* 0: nothing changed, the index was left as it was */
  int full_build; /* 1: a full build (no index yet, --rebuild, or a format other than files) */
} quarry_build_stats;

/*! quarry_index_build() :
 *  Index the files and folders in paths[0..npaths) into directory `dir`.
 *  The index is written to a temporary directory beside `dir` and swapped
 *  into place at the end: an interrupted or failed build leaves the previous
 *  index (if any) untouched. `dir`, if it exists, must be a quarry index or
 *  an empty directory. @stats (may be NULL) receives counts and timing.
 *  @return : 0, or QUARRY_ENOTFOUND (a path does not exist), QUARRY_EINVAL
 *  (bad option, nothing to index), QUARRY_EIO, QUARRY_ENOMEM. */
int quarry_index_build(quarry_build_stats *stats, const char *dir, const char *const *paths, size_t npaths,
                       const quarry_build_opts *opts);

/*! quarry_index_update() :
 *  Make the index in `dir` hold exactly the files under paths[0..npaths)
 *  without rebuilding it (docs/FORMAT.md, "Updates"): new files are added
 *  and changed ones (size or mtime differ, and the content's xxHash64)
 *  re-indexed into a new segment, vanished ones deleted (deletion bitmaps);
 *  unchanged passages keep their vectors (no re-embedding). Then the merge
 *  policy runs. Falls back to a full build when `dir` holds no index or
 *  opts->format is not "files" (a note says so). Nothing changed: no commit
 *  (stats->committed = 0). The settings (language, passage sizes, model or
 *  no vectors) must be the index's: else QUARRY_EINVAL naming the setting.
 *  Commits like quarry_index_build (crash-safe), holding DIR.lock.
 *  @return : as quarry_index_build, and QUARRY_ELOCKED (another writer). */
int quarry_index_update(quarry_build_stats *stats, const char *dir, const char *const *paths, size_t npaths,
                        const quarry_build_opts *opts);

/*! quarry_index_merge() :
 *  Rewrite every segment of the index in `dir` into one, dropping deleted
 *  documents; the live documents' text comes from the index (store.zst),
 *  their metadata is kept, their vectors are copied (never re-embedded).
 *  opts: only note/progress/ctx and vector_index/hnsw_m are used.
 *  @return : as quarry_index_update. */
int quarry_index_merge(quarry_build_stats *stats, const char *dir, const quarry_build_opts *opts);

/* ======================================================================== */
/*  Opening an index                                                         */
/* ======================================================================== */

typedef struct quarry_index quarry_index;

/*! quarry_index_open() :
 *  Map the index in `dir`. Checks the MANIFEST checksum, every file's size
 *  and header, and the xxHash64 of files up to 1 MiB; larger files are
 *  checked by quarry_index_verify() and by bounds checks when read.
 *  @return : 0, QUARRY_ENOTFOUND (no index there), QUARRY_ECORRUPT,
 *  QUARRY_EVERSION, QUARRY_EIO. */
int quarry_index_open(quarry_index **out, const char *dir);
void quarry_index_close(quarry_index *ix);

/*! quarry_index_verify() : checksum every file and decode every posting
 *  list. @return : 0 or QUARRY_ECORRUPT (the message names the file). */
int quarry_index_verify(quarry_index *ix);

/*! What an index holds. An index is one or more segments (docs/FORMAT.md,
 *  format 2.0); document and passage ids are global: segment i's ids follow
 *  segment i-1's, deleted ids included. docs and passages count live
 *  (not deleted) ones; doc_ids / passage_ids bound the ids (deleted
 *  included). BM25 statistics (total_tokens, avgdl) include deleted
 *  passages until a merge drops them, as Lucene's do. */
typedef struct quarry_index_info {
  int format_major, format_minor;
  const char *lang; /* "fr", "en", "none" */
  uint64_t docs, passages, terms, total_tokens; /* terms: summed over segments */
  double avgdl; /* total_tokens / passage_ids */
  uint32_t passage_tokens, passage_overlap;
  uint64_t bytes; /* sum of the file sizes */
  uint32_t segments;
  uint64_t doc_ids, passage_ids; /* ids run over [0, doc_ids) and [0, passage_ids) */
} quarry_index_info;
int quarry_index_stat(quarry_index_info *out, const quarry_index *ix);

/*! Segment i of the index (0-based, in id order; a 1.0 index is one
 *  segment named "."). @return : 0, or QUARRY_ENOTFOUND past the end. */
typedef struct quarry_segment_info {
  const char *name;                 /* "s000001" (valid until close) */
  uint32_t first_doc, first_passage; /* global id of its first document / passage */
  uint64_t docs, passages;           /* deleted included */
  uint64_t deleted_docs, deleted_passages;
  uint64_t bytes;                    /* its files and deletion bitmap */
} quarry_segment_info;
int quarry_index_segment(quarry_segment_info *out, const quarry_index *ix, size_t i);

/*! 1 if document `doc` is deleted (or out of range), 0 if it is live.
 *  Searches never return deleted documents; quarry_index_doc/_text on a
 *  deleted id still answer until a merge drops it. */
int quarry_index_doc_deleted(const quarry_index *ix, uint32_t doc);

/*! MANIFEST entries, in file order: key/value i (0-based).
 *  @return : 0, or QUARRY_ENOTFOUND past the end. */
int quarry_index_manifest_entry(const char **key, const char **val, const quarry_index *ix, size_t i);
/*! Data file i of the index: name (relative to the index directory, e.g.
 *  "s000001/postings") and size. @return : 0 or QUARRY_ENOTFOUND. */
int quarry_index_file(const char **name, uint64_t *size, const quarry_index *ix, size_t i);
/*! A MANIFEST value by key (e.g. "vectors.model"), or NULL. */
const char *quarry_index_manifest_get(const quarry_index *ix, const char *key);

/*! Passage `pid` (0 <= pid < passage_ids, a global id): its document, exact token count,
 *  byte range [start, end) in the document and the 1-based line of start. */
typedef struct quarry_passage_info {
  uint32_t doc, ntokens, line;
  uint64_t start, end;
} quarry_passage_info;
int quarry_index_passage(quarry_passage_info *out, const quarry_index *ix, uint32_t pid);

/*! Document `doc`: strings point into the mapped index (NOT NUL-terminated,
 *  valid until quarry_index_close). id is the external id (the path for
 *  plain files). */
typedef struct quarry_doc_info {
  const char *path, *id, *title;
  size_t path_len, id_len, title_len;
  uint64_t size; /* bytes of stored text */
  int64_t mtime_ns;
  uint32_t first_passage, npassages;
} quarry_doc_info;
int quarry_index_doc(quarry_doc_info *out, const quarry_index *ix, uint32_t doc);

/*! Bytes [start, end) of document `doc`'s stored text (end is clipped to the
 *  document; UINT64_MAX for "to the end"), from store.zst: the source file is
 *  not needed. *out is NUL-terminated, followed by QUARRY_TEXT_PAD more zero
 *  bytes (so that code reading whole vectors past a string's end, such as
 *  PCRE2's JIT in `quarry grep --index`, can take it without a copy), and
 *  freed with quarry_free(). Thread-safe. */
#define QUARRY_TEXT_PAD 64
int quarry_index_text(char **out, size_t *out_len, quarry_index *ix, uint32_t doc, uint64_t start, uint64_t end);

/* ======================================================================== */
/*  Searching                                                                */
/* ======================================================================== */

#define QUARRY_SEARCH_OPTS_VERSION 2 /* 2 added `literal`; version 1 structs are still accepted */
/*! Retrieval modes. AUTO is HYBRID when the index has vectors, else BM25. */
typedef enum quarry_mode { QUARRY_MODE_AUTO = 0, QUARRY_MODE_BM25, QUARRY_MODE_VECTOR, QUARRY_MODE_HYBRID } quarry_mode;
/*! Hybrid fusion: a convex sum alpha * vector + (1 - alpha) * bm25 of min-max
 *  normalised scores (the default, alpha 0.6: docs/QUALITY.md), or reciprocal
 *  rank fusion (Cormack et al. 2009). */
typedef enum quarry_fusion { QUARRY_FUSION_RRF = 0, QUARRY_FUSION_CONVEX } quarry_fusion;
typedef struct quarry_search_opts {
  unsigned version; /* QUARRY_SEARCH_OPTS_VERSION */
  uint32_t k;       /* hits wanted (default 10) */
  double k1, b;     /* BM25 parameters (default 0.9, 0.4), free per query */
  int per_doc;      /* 1: best passage per document only (for document-level runs) */
  quarry_mode mode; /* default AUTO */
  quarry_fusion fusion;
  double rrf_k;      /* RRF constant (default 60) */
  double alpha;      /* convex fusion weight of the vector leg (default 0.6) */
  uint32_t depth;    /* candidates per leg in hybrid (0: max(k, 100)) */
  const char *model; /* query encoder (NULL: the model the index was built with) */
  int ef_search;     /* HNSW search breadth (0: max(64, 2 * depth)) */
  int literal;       /* 1: the query is natural-language text, not docs/QUERY.md syntax: the
                        operator characters " + - : * ~ ( ) are read as spaces by BM25 (every
                        word an optional term) and the vector leg embeds the text verbatim */
} quarry_search_opts;
#define QUARRY_SEARCH_OPTS_INIT {QUARRY_SEARCH_OPTS_VERSION, 10, 0.9, 0.4, 0, QUARRY_MODE_AUTO, QUARRY_FUSION_CONVEX, 60.0, 0.6, 0, NULL, 0, 0}

typedef struct quarry_hit {
  uint32_t passage, doc;
  const char *path, *title; /* NUL-terminated, owned by the results */
  const char *id;           /* external document id (the path for plain files) */
  uint64_t start, end;      /* byte range of the passage in its document */
  uint32_t line;            /* 1-based line number of byte `start` */
  double score;             /* BM25 (docs/QUERY.md), cosine (vector mode) or the fused score */
  /* Per-leg detail (--explain): 1-based rank in each leg's candidate list
   * (0: not retrieved by that leg), the leg's raw score (BM25; cosine
   * computed exactly for every fused candidate), and in hybrid the fused score. */
  uint32_t bm25_rank, vec_rank;
  double bm25_score, vec_score;
} quarry_hit;

typedef struct quarry_results quarry_results;

/*! quarry_search() :
 *  Run a query (syntax: docs/QUERY.md) and keep the top k passages, best
 *  first, ties broken by passage id. An empty result is not an error; see
 *  quarry_results_note() for why it may be empty (only stopwords...).
 *  @return : 0, QUARRY_EINVAL (empty or malformed query), QUARRY_ECORRUPT. */
int quarry_search(quarry_results **out, quarry_index *ix, const char *query, const quarry_search_opts *opts);
/*! 1 if the index holds passage vectors (built without --no-vectors). */
int quarry_index_has_vectors(const quarry_index *ix);
/*! The mode a search with these options runs in (AUTO resolved). */
quarry_mode quarry_search_mode(const quarry_index *ix, const quarry_search_opts *opts);
size_t quarry_results_count(const quarry_results *r);
const quarry_hit *quarry_results_hit(const quarry_results *r, size_t i);
/*! Why the result may be empty or partial ("every query term is a stopword"), or NULL. */
const char *quarry_results_note(const quarry_results *r);
void quarry_results_free(quarry_results *r);

/*! Where the time of one quarry_search() call went, in microseconds of
 *  monotonic wall-clock time measured inside the call:
 *  analyse  : parsing and analysing the query text, and in vector and hybrid
 *             mode embedding it (query encoder);
 *  retrieve : the rest: BM25 evaluation, the vector index search, the hits'
 *             paths, titles and lines;
 *  fuse     : vector and hybrid mode: union of the legs, exact cosine of each
 *             candidate, fusion and ordering (0 in BM25 mode);
 *  total_us = analyse_us + retrieve_us + fuse_us. */
typedef struct quarry_search_times {
  double analyse_us, retrieve_us, fuse_us, total_us;
} quarry_search_times;
void quarry_results_times(quarry_search_times *out, const quarry_results *r);

#define QUARRY_SNIPPET_OPTS_VERSION 1
typedef struct quarry_snippet_opts {
  unsigned version;  /* QUARRY_SNIPPET_OPTS_VERSION */
  size_t max_bytes;  /* approximate length of the window (default 240) */
  const char *hl_open, *hl_close; /* put around matched words ("" for none) */
} quarry_snippet_opts;
#define QUARRY_SNIPPET_OPTS_INIT {QUARRY_SNIPPET_OPTS_VERSION, 240, "", ""}

/*! quarry_snippet() :
 *  One line of text from hit i around the densest cluster of matched query
 *  terms, whitespace collapsed, invalid UTF-8 replaced, matched words wrapped
 *  in hl_open/hl_close. *out is freed with quarry_free(). */
int quarry_snippet(char **out, quarry_index *ix, const quarry_results *r, size_t i,
                   const quarry_snippet_opts *opts);

#ifdef __cplusplus
}
#endif
#endif /* QUARRY_H */
