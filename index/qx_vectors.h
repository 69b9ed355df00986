/*
 * qx_vectors.h: the vector side of an index (docs/FORMAT.md, "vectors").
 *   vectors.f32    header + one L2-normalised float32 row per passage
 *                  (row i = passage i), mapped by readers: exact re-scoring
 *                  of fused candidates, and updates without re-embedding;
 *   vectors.faiss  a FAISS index over the same rows (ids = passage ids),
 *                  written and read through FAISS's C API.
 * Private to libquarry.
 */
#ifndef QX_VECTORS_H
#define QX_VECTORS_H

#include "qx_index.h"

#define QX_MAGIC_VECTORS "QXVECT01"
#define QX_VECTORS_HEADER 32 /* magic[8] u32 major u32 minor u32 dim u32 0 u64 count */

/* Build step: embed every passage and write both files (no-op when the
 * build options ask for no vectors). */
int qx_build_vectors(qx_build *b);

/* How passages are turned into encoder input (segment MANIFEST key
 * `vectors.input`; docs/FORMAT.md): a passage other than its document's
 * first is preceded by the document's title and a blank line, and a passage
 * longer than the model's window is embedded from its first window
 * (QX_LONG_FIRST). Segments without the key (built before it) embedded the
 * passage text alone, long ones averaged over windows; their rows are not
 * reused for segments built now. */
#define QX_VEC_INPUT "title,first-window"
/* The encoder input of a passage into *out (heap, NUL-terminated, free()):
 * the passage text, preceded by "title\n\n" when !first and tl > 0. */
int qx_vec_passage_input(char **out, size_t *out_len, const char *title, size_t tl, const char *text, size_t len,
                         int first);

typedef struct qx_vectors qx_vectors;
/* Open the vector side of a segment if its MANIFEST lists one (*out = NULL
 * otherwise): maps vectors.f32 (relative to the segment's folder fd dirfd)
 * and checks its header and size against the MANIFEST. The FAISS index and
 * the query model are loaded at first use. */
int qx_vectors_open(qx_vectors **out, qx_seg *sg, int dirfd);
void qx_vectors_close(qx_vectors *v);

/* Row of passage pid (dim floats), or NULL when out of range. */
const float *qx_vectors_row(const qx_vectors *v, uint32_t pid);
int qx_vectors_dim(const qx_vectors *v);

/* Embed a query with the index's model (or `model` when given, which must
 * be the same model: checked by checksum) into q[dim]. Thread-safe. */
int qx_vectors_embed_query(qx_vectors *v, const char *model, const char *text, size_t len, float *q);
/* k nearest passages by inner product: ids[k], scores[k] (fewer when the
 * index is smaller; *n receives the count). Thread-safe. */
int qx_vectors_search(qx_vectors *v, const float *q, uint32_t k, int ef_search, uint32_t *ids, float *scores,
                      uint32_t *n);

#endif
