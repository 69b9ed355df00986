/*
 * qx_update.h: the writing side of segmented indexes (docs/FORMAT.md,
 * "Format 2.0", "Commit protocol", "Merge policy"): the writer lock, the
 * build of one segment into a directory (index/build.c), the tree commit
 * shared by full builds, updates and merges, and the vector reuse table
 * that keeps updates and merges from re-embedding unchanged passages
 * (index/update_vec.c). Private to index/.
 */
#ifndef QX_UPDATE_H
#define QX_UPDATE_H

#include "qx_index.h"

/* ---- writer lock (index/lock.c) -------------------------------------------- */
/* Take DIR.lock (flock, exclusive, non-blocking): QUARRY_ELOCKED with the
 * holder's pid in the message when another writer has it. */
int qx_lock_acquire(int *out_fd, const char *dir);
void qx_lock_release(int fd);

/* ---- vector reuse (index/update_vec.c) -------------------------------------- */
/* A table from passage text (xxh64 + length) to a vector row of an existing
 * segment, filled from the candidate documents of a segment build. */
typedef struct qx_vec_reuse qx_vec_reuse;
struct qx_seg;
/* An empty table for the model named in man (vectors.model/checksum/dim). */
int qx_vec_reuse_new(qx_vec_reuse **out, const qx_manifest *man);
/* Hash the passages of document doc of segment sg (its text from store.zst). */
int qx_vec_reuse_add_doc(qx_vec_reuse *r, struct qx_seg *sg, uint32_t doc);
void qx_vec_reuse_free(qx_vec_reuse *r);
/* The row for this passage text (dim floats), or NULL. */
const float *qx_vec_reuse_find(const qx_vec_reuse *r, const char *text, size_t len);
/* Model of the rows (name, checksum, dim), from the segments' MANIFEST. */
const char *qx_vec_reuse_model(const qx_vec_reuse *r, uint64_t *checksum, int *dim);

/* ---- one segment build (index/build.c) -------------------------------------- */
/* A document of a segment build: a file (walked), or a document stored in
 * an existing segment (merges; its path, id, title, mtime are kept). */
typedef struct qx_src_item {
  const qx_walk_file *file;
  struct qx_seg *seg;
  uint32_t doc;
} qx_src_item;

/* A stored document read back (index/update.c): every field heap-owned. */
typedef struct qx_stored_doc {
  char *path, *id, *title; /* id NULL when it is the path (plain files) */
  size_t title_len;
  char *text;
  size_t len;
  int64_t mtime_ns;
} qx_stored_doc;
int qx_stored_doc_read(qx_stored_doc *out, struct qx_seg *seg, uint32_t doc);
void qx_stored_doc_free(qx_stored_doc *d);

typedef struct qx_segment_spec {
  const char *dir; /* the segment directory to create and fill */
  /* input: items[nitems] (format "files"), or paths[npaths] read as opts->format */
  const qx_src_item *items;
  size_t nitems;
  const char *const *paths;
  size_t npaths;
  int allow_empty;          /* an update may find nothing indexable: not an error */
  const qx_vec_reuse *reuse; /* optional: vectors to copy instead of embedding */
} qx_segment_spec;

typedef struct qx_segment_out {
  uint64_t docs, passages, terms, postings, tokens;
  uint64_t skipped, bytes_in, bytes_out;
  uint64_t vec_reused, vec_embedded;
} qx_segment_out;

/* Build one segment (a 1.0 index directory) with the build pipeline. The
 * MANIFEST of the segment is written last. */
int qx_segment_build(qx_segment_out *out, const qx_segment_spec *spec, const quarry_build_opts *opts);

/* The same from PATHs read as opts->format (files: walked, skip_dir skipped).
 * Also what tests use to assemble multi-segment indexes. */
int qx_segment_build_paths(qx_segment_out *out, const char *segdir, const char *skip_dir,
                           const char *const *paths, size_t npaths, const quarry_build_opts *opts);

/* ---- directories and the commit (index/build.c) ------------------------------ */
/* mkdtemp DIR.tmp-XXXXXX beside dir (heap path in *out). */
int qx_tree_mktemp(char **out, const char *dir);
/* Remove an index tree: its files, its segment directories' files, the
 * directories (two levels, never further). */
void qx_tree_remove(const char *dir);
/* fsync a directory. */
int qx_fsync_dir(const char *path);
/* fsync tmp, swap it into dir (renameat2 RENAME_EXCHANGE, or two renames),
 * remove the previous tree, fsync the parent. exists: dir exists now. */
int qx_tree_commit(const char *tmp, const char *dir, int exists);

/* Check the options shared by builds, updates and merges. */
int qx_build_check_opts(const char *dir, const quarry_build_opts *opts);
/* A full build of paths into dir (format 2.0, one segment), the lock held. */
int qx_full_build_locked(quarry_build_stats *stats, const char *dir, const char *const *paths, size_t npaths,
                         const quarry_build_opts *opts);

/* ---- updates and merges (index/update.c) ---------------------------------- */
/* Bits of a segment's deletion bitmap. */
static inline void qx_bit_set(uint64_t *w, uint64_t i) { w[i >> 6] |= 1ull << (i & 63); }
static inline int qx_bit_get(const uint64_t *w, uint64_t i) { return w && (w[i >> 6] >> (i & 63) & 1); }

#endif
