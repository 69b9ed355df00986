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
#define QX_FORMAT_MAJOR 1 /* a segment (and a whole index before 2.0) */
#define QX_FORMAT_MINOR 0
#define QX_TOP_FORMAT_MAJOR 2 /* a segmented index directory (top MANIFEST) */
#define QX_TOP_FORMAT_MINOR 0
/* The postings file: 2 = single-block lists without a skip table, unaligned
 * lists; 3 = 16-byte skip entries (1 and 2 still read: 32-byte entries);
 * 4 = 24-byte skip entries with three (tf, norm) corners per block (3 still
 * read). */
#define QX_POSTINGS_MAJOR 4
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
#define QX_MAGIC_LEXIDX "QXLXIX01"

/* The lexicon: 3 = blocks of QX_LEX3_BLOCK_TERMS front-coded terms with
 * varint fields and a table of block heads (index/lexicon.c); 2 = 32-byte
 * entries (40-bit offsets, lengths from the next entry) and a sentinel
 * entry; 1 = 72-byte entries. 1 and 2 are still read. */
#define QX_LEXICON_MAJOR 3
#define QX_LEX3_BLOCK_TERMS 32    /* terms per block (the writer's choice; the file says) */
#define QX_LEX3_BLOCK_TERMS_MAX 64 /* the most a reader accepts */
#define QX_LEX3_BLOCK_MAX 8192     /* bytes of a block a reader accepts (64 terms fit) */
#define QX_LEX3_HEAD_SIZE 20       /* u40 block_off, u40 post_off, u40 pos_off, u32 key_off, u8 key_len */
#define QX_LEX3_FOOTER 40          /* u64 nterms, block_terms, nblocks, heads_off, keys_len */
#define QX_LEX_ENTRY_SIZE 32
#define QX_LEX_ENTRY_SIZE_V1 72
#define QX_LEX_OFF_MAX ((1ull << 40) - 1) /* postings and positions files up to 1 TiB */
#define QX_SKIP_ENTRY_SIZE 24    /* postings 4 */
#define QX_SKIP_ENTRY_SIZE_V3 16 /* postings 3 */
#define QX_SKIP_ENTRY_SIZE_V2 32 /* postings 1 and 2 */
#define QX_SKIP_CORNERS 3        /* (tf, norm) corners per postings-4 skip entry */
#define QX_SKIP_TF_ESCAPE 0xFFFFFFu /* a block (corner) tf >= this: the entry says "the term's max_tf" */
/* passages and docs: records in memory while building (the layouts of
 * major version 1) and on disk (major version 2: 24 and 56 bytes; 1 still read) */
#define QX_PASSAGE_REC_SIZE 32
#define QX_DOC_REC_SIZE 72
#define QX_TABLES_MAJOR 2
#define QX_PASSAGE_DISK_SIZE 24
#define QX_DOC_DISK_SIZE 56
#define QX_SURF_ENTRY_SIZE 16 /* surface 1 */
/* The surface file: 2 = the lexicon's front-coded blocks (index/surface.c),
 * each form followed by its term id; 1 = 16-byte entries, still read. */
#define QX_SURFACE_MAJOR 2
#define QX_SURF2_BLOCK_FORMS 32
#define QX_SURF2_HEAD_SIZE 10 /* u40 block_off, u32 key_off, u8 key_len */
#define QX_LEXIDX_ENTRY_SIZE 8 /* lexicon.idx: u32 str_off, u32 str_len */
#define QX_LEXIDX_HEAD 48      /* header + nterms + every + nsamples + strings_len */
/* lexicon.idx samples every QX_LEXIDX_EVERY-th term: a lookup binary-searches
 * the samples, then at most this many lexicon entries (32 B each: about one
 * page of entries and one of strings), instead of the whole lexicon. */
#define QX_LEXIDX_EVERY 64

/* Files verified in full (xxHash64) when an index is opened; bigger files are
 * verified by quarry_index_verify() (`quarry info --verify`) and protected by
 * bounds checks on every offset read from them. */
#define QX_VERIFY_AT_OPEN_MAX (1u << 20)

/* A 5-byte little-endian integer (reads exactly its 5 bytes). */
static inline uint64_t qx_le40(const uint8_t *p) { return qx_le32(p) | (uint64_t)p[4] << 32; }
static inline void qx_put40(uint8_t *p, uint64_t v) {
  uint32_t lo = (uint32_t)v;
  memcpy(p, &lo, 4);
  p[4] = (uint8_t)(v >> 32);
}
/* n records of `rec` bytes after a header of `head` bytes, plus `extra`, fit in len bytes? */
static inline int qx_fits(uint64_t len, uint64_t head, uint64_t n, uint64_t rec, uint64_t extra) {
  if (len < head) return 0;
  len -= head;
  if (rec && n > len / rec) return 0;
  len -= n * rec;
  return extra <= len;
}

/* ---- norms: Lucene's SmallFloat.intToByte4 / byte4ToInt ---------------- */
uint8_t qx_norm_encode(uint32_t len);
uint32_t qx_norm_decode(uint8_t norm);
extern const uint32_t qx_norm_table[256]; /* qx_norm_decode of every byte */
uint32_t qx_norm_decode_formula(uint8_t norm); /* the same, computed (tests) */

/* ---- MANIFEST ------------------------------------------------------------ */
typedef struct qx_manifest_file {
  char *name;
  uint64_t size;
  uint64_t xxh64;
} qx_manifest_file;

typedef struct qx_manifest {
  int major, minor;    /* from the first line (0.0 in a new manifest: written as QX_FORMAT_*) */
  char **keys, **vals; /* ordered key/value pairs (keys unique) */
  size_t nkv, cap_kv;
  qx_manifest_file *files;
  size_t nfiles, cap_files;
  char **segs; /* values of the `segment` lines (2.0), in order */
  size_t nsegs, cap_segs;
} qx_manifest;

int qx_manifest_set(qx_manifest *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *qx_manifest_get(const qx_manifest *m, const char *key);
int qx_manifest_add_file(qx_manifest *m, const char *name, uint64_t size, uint64_t xxh64);
/* Serialise (with the trailing checksum line) into out. */
int qx_manifest_format(qx_buf *out, const qx_manifest *m);
int qx_manifest_add_segment_line(qx_manifest *m, const char *value);
/* Parse and check the trailing checksum (major 1 or 2). `path` is for messages. */
int qx_manifest_parse(qx_manifest *m, const char *text, size_t len, const char *path);
void qx_manifest_free(qx_manifest *m);

/* ---- format 2.0: top MANIFEST and deletion files (index/toplevel.c) -------- */
#define QX_MAGIC_DEL "QXDELE01"
#define QX_DEL_HEADER 32 /* magic[8] u32 major u32 minor u64 passages u64 deleted */
#define QX_SEG_NAME_MAX 16

typedef struct qx_topseg {
  uint32_t id; /* NNNNNN of sNNNNNN */
  uint64_t docs, passages, deleted; /* the segment's counts; deleted passages */
  uint64_t del_size, del_xxh64;     /* of sNNNNNN.del, 0 0 when there is none */
} qx_topseg;

/* The top-level MANIFEST of a 2.0 index: settings (key/value pairs, in the
 * order of docs/FORMAT.md) and the segment list. */
typedef struct qx_toplevel {
  qx_manifest man; /* keys and values; its `segment` lines are kept in segs */
  qx_topseg *segs;
  size_t nsegs, cap_segs;
} qx_toplevel;

/* "s000001" for id 1 (buf of QX_SEG_NAME_MAX bytes). */
const char *qx_seg_name(char *buf, uint32_t id);
/* Parse DIR/MANIFEST text of format 2.0 (checksum, segment lines, order). */
int qx_toplevel_parse(qx_toplevel *t, const char *text, size_t len, const char *path);
/* Start a top MANIFEST from a segment's MANIFEST: created_by, created_at,
 * updated_at, generation, input.format, analyzer.*, passage.*, vectors.*
 * copied in the documented order. */
int qx_toplevel_init(qx_toplevel *t, const qx_manifest *seg, uint64_t generation);
int qx_toplevel_add(qx_toplevel *t, const qx_topseg *s);
/* Set `docs` and `passages` (live counts; live_docs from the caller, who
 * knows which documents the deletion bitmaps remove), then serialise. */
int qx_toplevel_format(qx_buf *out, qx_toplevel *t, uint64_t live_docs);
/* Write DIR/MANIFEST (through dirfd, fsynced); path for messages. */
int qx_toplevel_write(int dirfd, const char *dir, qx_toplevel *t, uint64_t live_docs);
void qx_toplevel_free(qx_toplevel *t);

/* Write a deletion file `name` in dirfd: words[ceil(passages / 64)],
 * bit p % 64 of word p / 64 = passage p deleted (bits past `passages` must
 * be 0). *size, *xxh64 and *deleted (popcount) are what the top MANIFEST
 * line records. fsynced. */
int qx_del_write(uint64_t *size, uint64_t *xxh64, uint64_t *deleted, int dirfd, const char *name,
                 const char *path, const uint64_t *words, uint64_t passages);
/* Check a mapped deletion file against its MANIFEST line: size, checksum,
 * header, passage count, popcount, no bit past the end. */
int qx_del_check(const qx_map *m, const qx_topseg *s, const char *path);

/* Assemble a 2.0 index in `dir` from segments already built there
 * (dir/sNNNNNN, 1.0 directories) with optional deletion bitmaps (del[i]
 * NULL: nothing deleted in segment i): writes the .del files and the top
 * MANIFEST. Used by tests now and by the update commit. */
int qx_toplevel_assemble(const char *dir, const uint32_t *ids, const uint64_t *const *del, size_t nsegs,
                         uint64_t generation);

/* ---- the zstd document store (store.zst) -------------------------------- */
typedef struct qx_store_writer qx_store_writer;
int qx_store_writer_open(qx_store_writer **out, const char *path);
int qx_store_writer_add(qx_store_writer *w, const char *text, size_t len);
int qx_store_writer_close(qx_store_writer *w); /* writes the table, fsyncs */
/* Documents smaller than QX_STORE_BLOCK / 2 are packed in order into frames
 * of at most QX_STORE_BLOCK bytes; a bigger one gets a frame of its own.
 * Builds with workers pack the same way, compress each frame with
 * qx_store_compress and append it with qx_store_writer_add_frame (n
 * documents of lengths lens[], back to back in the frame). */
#define QX_STORE_BLOCK (32u << 10)
int qx_store_writer_add_frame(qx_store_writer *w, const void *comp, size_t clen, const uint64_t *lens, size_t n);
int qx_store_compress(qx_buf *out, void *zctx, const void *p, size_t len); /* appends one zstd frame */
void *qx_store_cctx_new(void);
void qx_store_cctx_free(void *zctx);
void qx_store_writer_free(qx_store_writer *w);

typedef struct qx_store qx_store;
/* Borrow a mapping (the caller keeps it alive). */
int qx_store_open(qx_store **out, const uint8_t *data, size_t len, const char *path);
/* Read the frames with pread from fd (owned from now on, closed by
 * qx_store_free) instead of the mapping, which then serves only the tables:
 * a search's resident memory holds the frames it decompresses, not every
 * page of store.zst it ever touched. */
void qx_store_read_by_fd(qx_store *s, int fd);
uint64_t qx_store_count(const qx_store *s);
/* Decompress bytes [start, end) of document `doc` (end clipped to the
 * document) into a new heap buffer: NUL-terminated, then QUARRY_TEXT_PAD
 * more zero bytes (quarry_index_text). Streams, so the cost is proportional
 * to `end`, not to the document size. */
int qx_store_read(char **out, size_t *out_len, qx_store *s, uint32_t doc, uint64_t start, uint64_t end);
void qx_store_free(qx_store *s);

/* ---- reader ---------------------------------------------------------------- */
typedef struct qx_term_info {
  uint32_t id;
  /* not NUL-terminated: into the lexicon's mapping (lexicon 1 and 2) or
   * into sbuf below (lexicon 3 stores terms front-coded), so valid while
   * this struct is: copy it to keep it longer */
  const char *str;
  uint32_t len;
  uint32_t df;
  uint64_t cf;
  uint64_t post_off, post_len, pos_off, pos_len;
  uint32_t nblocks, max_tf, min_dl;
  char sbuf[QX_TERM_MAX];
} qx_term_info;

/* Lexicon 3: one block being read (index/lexicon.c). */
/* A front-coded file (lexicon 3, surface 2; index/qx_fcode.h) as opened:
 * its block heads and their keys (mapped) and its footer's figures. */
typedef struct qx_fc_file {
  const uint8_t *heads, *keys;
  uint64_t nblocks, keys_len, data_end; /* data_end: the end of the blocks */
  uint32_t per_block;
} qx_fc_file;

typedef struct qx_lex3_blk {
  uint64_t b;                 /* block number */
  uint32_t i, n;              /* terms decoded, terms in the block */
  size_t at, len;             /* read position, bytes in data */
  uint64_t post_off, pos_off; /* the next term's lists */
  uint64_t post_end, pos_end; /* the next block's (from its head) */
  uint32_t klen;
  char key[QX_TERM_MAX];      /* the last term decoded */
  uint8_t data[QX_LEX3_BLOCK_MAX];
} qx_lex3_blk;

/* Terms in id order from a starting id (verify, dumps, prefix ranges of an
 * index without a surface file): lexicon 3 reads each block once. */
typedef struct qx_lex_iter {
  const struct qx_seg *sg;
  uint64_t id; /* of the next term */
  int loaded;  /* lexicon 3: blk holds the block of `id` */
  qx_lex3_blk blk;
} qx_lex_iter;

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

/* One segment (docs/FORMAT.md, "Format 2.0"): a 1.0 index directory,
 * opened by today's reader. Ids inside a segment are local (0-based). */
typedef struct qx_seg {
  char *dir;  /* "DIR/sNNNNNN" (or DIR for a 1.0 index): for messages */
  char *name; /* "sNNNNNN", or "." for a 1.0 index */
  qx_manifest man;
  qx_map lex, post, posi, norms, psg, docs, store, surf;
  uint32_t post_major; /* the postings file's major version: 1 (every list has a skip table), 2, 3, 4 */
  uint64_t nterms, npassages, ndocs, nsurface, total_tokens;
  double avgdl;
  qx_lang lang;
  uint32_t passage_tokens, passage_overlap;
  uint32_t lex_major; /* the lexicon's major version: 1, 2, 3 */
  const uint8_t *lex_entries, *lex_strings; /* lexicon 1 and 2 */
  uint64_t lex_strings_len;
  uint32_t lex_esize; /* bytes per lexicon entry: QX_LEX_ENTRY_SIZE, or _V1 (lexicon 1) */
  qx_fc_file lex3; /* lexicon 3 (blocks read with pread) */
  uint32_t psg_rsize, doc_rsize; /* bytes per passages / docs record: _DISK_SIZE, or _REC_SIZE (version 1) */
  int surf_lexicon;   /* no surface file: the forms are the terms (MANIFEST `surface lexicon`) */
  /* lexicon.idx (sparse index over the lexicon); lxi.len == 0 in an index
   * written before it existed: lookups then search the whole lexicon */
  qx_map lxi;
  const uint8_t *lxi_entries, *lxi_strings;
  uint64_t lxi_n, lxi_strings_len;
  uint32_t lxi_every;
  /* the lexicon opened for pread (-1 without lexicon.idx): a lookup reads
   * its <= QX_LEXIDX_EVERY entries and their strings instead of touching the
   * mapping, whose pages the kernel maps 64 KiB or more at a time (mapped
   * pages count in the process's RSS, the page cache does not) */
  int lex_fd;
  uint32_t surf_major; /* the surface file's major version: 1, 2 (0: none) */
  const uint8_t *surf_entries, *surf_strings; /* surface 1 */
  uint64_t surf_strings_len;
  qx_fc_file surf2; /* surface 2 (blocks read with pread) */
  int surf_fd;
  const uint8_t *docs_strings;
  uint64_t docs_strings_len;
  qx_store *st;
  struct qx_vectors *vec; /* NULL when the index has no vectors (index/vectors.c) */
  /* deletions (sNNNNNN.del): bit p of del[p / 64] = local passage p deleted;
   * NULL when nothing is deleted */
  qx_map del_map;
  const uint64_t *del;
  uint64_t del_passages, del_docs;
} qx_seg;

/* A file of an opened index: name relative to the index directory. */
typedef struct qx_ixfile {
  char *name;
  uint64_t size;
} qx_ixfile;

/* An opened index: one or more segments, global ids = base + local id,
 * BM25 statistics summed over the segments INCLUDING deleted passages (as
 * Lucene until a merge), so a score does not depend on how the index is cut. */
struct quarry_index {
  char *dir;
  qx_manifest man; /* the top MANIFEST (2.0), or the index's own (1.0) */
  int format_major, format_minor;
  qx_seg **seg;
  uint32_t nseg;
  uint64_t *pbase, *dbase; /* nseg + 1 prefix sums of passages / documents (incl. deleted) */
  uint64_t npassages, ndocs, total_tokens; /* over every id, deleted included */
  uint64_t live_passages, live_docs;
  uint64_t nterms; /* summed over segments (a term in two segments counts twice) */
  double avgdl;    /* total_tokens / npassages */
  qx_lang lang;
  uint32_t passage_tokens, passage_overlap;
  qx_ixfile *files;
  size_t nfiles;
  /* search/'s pool of per-thread searchers (search/scratch.c), freed at close */
  void *search_pool;
  void (*search_pool_free)(void *pool);
  struct qx_vectors *vec; /* segment 0's vectors (query model), NULL without vectors; not owned */
};

/* ---- per-segment accessors (local ids) ---------------------------------- */
/* At open (index/lexicon.c): check the lexicon (every version) and
 * lexicon.idx against the MANIFEST's term count; needs sg->npassages and
 * sg->total_tokens. */
int qx_lex_open(qx_seg *sg, int sfd, uint64_t terms);
/* Term by id (0 <= id < nterms), bounds-checked. */
int qx_seg_term(qx_term_info *out, const qx_seg *sg, uint32_t id);
/* Find a term by its analysed string: 1 found, 0 absent, <0 error. */
int qx_seg_find_term(qx_term_info *out, const qx_seg *sg, const char *s, size_t len);
/* Terms from id `first` on: qx_lex_iter_next gives 1 and the next term, 0
 * after the last, < 0 on error. */
void qx_lex_iter_init(qx_lex_iter *it, const qx_seg *sg, uint64_t first);
int qx_lex_iter_next(qx_lex_iter *it, qx_term_info *out);
/* Term `id` through the iterator's block: reading ids that fall in the same
 * block (as the terms of a prefix's forms mostly do) costs no new read. */
int qx_lex_iter_get(qx_lex_iter *it, qx_term_info *out, uint64_t id);
/* Surface (folded, unstemmed) forms: index range [*lo, *hi) of entries that
 * start with prefix, and the term id of entry i. Without a surface file the
 * forms are the terms (form i = term i), whose string may be decoded into
 * buf (QX_TERM_MAX bytes). */
int qx_seg_surface_range(uint64_t *lo, uint64_t *hi, const qx_seg *sg, const char *prefix, size_t len);
int qx_seg_surface_get(const char **form, uint32_t *form_len, uint32_t *term, char *buf, const qx_seg *sg,
                       uint64_t i);
int qx_seg_passage(qx_passage_info *out, const qx_seg *sg, uint32_t pid);
int qx_seg_doc(qx_doc_info *out, const qx_seg *sg, uint32_t doc);
static inline uint8_t qx_seg_norm(const qx_seg *sg, uint32_t pid) {
  return sg->norms.data[QX_HEADER_SIZE + 8 + pid]; /* size checked at open */
}
static inline int qx_seg_deleted(const qx_seg *sg, uint32_t pid) {
  return sg->del && (sg->del[pid >> 6] >> (pid & 63) & 1);
}

/* ---- front-coded block writer (index/qx_fcode.h) ------------------------ */
/* Under the lexicon 3 and surface 2 writers: strings in byte order, cut
 * into blocks of per_block, streamed through `write` as the blocks fill
 * (the heads and keys, a few percent of the file, stay in memory until the
 * end). `at` is the file offset reached (after the header at the start). */
typedef int (*qx_write_fn)(void *ctx, const void *p, size_t n);
typedef struct qx_fcw {
  qx_write_fn write;
  void *ctx;
  const char *what; /* the file, for errors */
  uint64_t at, n;   /* file offset reached; strings added */
  uint32_t per_block;
  qx_buf blk, heads, keys;
  char prev[QX_TERM_MAX];
  uint32_t prev_len;
} qx_fcw;

/* ---- lexicon 3 writer (index/lexicon.c) ---------------------------------- */
/* `at` is the file offset of the first byte written (after the header).
 * Terms come in byte order with their lists back to back: post_off must be
 * the previous term's post_off + post_len, likewise pos_off. */
typedef struct qx_lexw {
  qx_fcw fc;
  uint64_t post_end, pos_end;
} qx_lexw;
void qx_lexw_init(qx_lexw *w, qx_write_fn write, void *ctx, uint64_t at);
int qx_lexw_add(qx_lexw *w, const char *s, uint32_t len, uint32_t df, uint64_t cf, uint32_t max_tf, uint32_t min_dl,
                uint64_t post_off, uint64_t post_len, uint64_t pos_off, uint64_t pos_len);
int qx_lexw_finish(qx_lexw *w); /* the last block, the heads, the keys, the footer */
void qx_lexw_free(qx_lexw *w);

/* ---- surface 2 (index/surface.c) ------------------------------------------ */
typedef struct qx_surfw {
  qx_fcw fc;
} qx_surfw;
/* Forms in byte order, each once, with their term ids; streamed as qx_lexw. */
void qx_surfw_init(qx_surfw *w, qx_write_fn write, void *ctx, uint64_t at);
int qx_surfw_add(qx_surfw *w, const char *s, uint32_t len, uint32_t term);
int qx_surfw_finish(qx_surfw *w);
void qx_surfw_free(qx_surfw *w);
/* At open: the footer against the MANIFEST's count (needs sg->nterms). */
int qx_surf2_open(qx_seg *sg, int sfd, uint64_t nforms);
/* Form i (decoded into buf, QX_TERM_MAX bytes) and its term. */
int qx_surf2_get(const char **form, uint32_t *form_len, uint32_t *term, char *buf, const qx_seg *sg, uint64_t i);
/* *first_ge = index of the first form >= s (nsurface: none). */
int qx_surf2_lower(uint64_t *first_ge, const qx_seg *sg, const char *s, size_t len);
/* Forms in order from index `first` (any surface version, or the lexicon's
 * terms without a surface file): 1 and the next form, 0 after the last. */
void qx_surf_iter_init(qx_lex_iter *it, const qx_seg *sg, uint64_t first);
int qx_surf_iter_next(qx_lex_iter *it, const char **form, uint32_t *form_len, uint32_t *term, char *buf);

/* ---- whole-index accessors (global ids) --------------------------------- */
/* Segment holding global passage pid (pid < npassages), and its local id. */
uint32_t qx_index_seg_of_passage(const quarry_index *ix, uint32_t pid);
uint32_t qx_index_seg_of_doc(const quarry_index *ix, uint32_t doc);
/* Passage / document by global id; doc and first_passage are global. */
int qx_index_passage(qx_passage_info *out, const quarry_index *ix, uint32_t pid);
int qx_index_doc(qx_doc_info *out, const quarry_index *ix, uint32_t doc);
/* Is global passage pid deleted? (out of range: 1) */
int qx_index_deleted(const quarry_index *ix, uint32_t pid);
/* df of an analysed term summed over the segments (0: absent). */
int qx_index_df(uint64_t *df, const quarry_index *ix, const char *s, size_t len);
/* Original text of global passage pid (heap, NUL-terminated). */
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
/* The encoder input of passage pid (qx_vec_passage_input: the title first
 * unless it is its document's first passage). */
int qx_build_passage_input(char **out, size_t *out_len, qx_build *b, uint32_t pid);

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
