/*
 * model_int.h: the inside of a qx_model, shared by the generic driver
 * (model.c: name resolution, prefixes, windows, batching, pooling) and the
 * loaders of each file layout (model_hf.c, model_e5s1.c). Internal to embed/.
 */
#ifndef QX_MODEL_INT_H
#define QX_MODEL_INT_H

#include "qx_e5s1.h"
#include "qx_embed.h"
#include "qx_encoder.h"
#include "qx_safetensors.h"
#include "qx_tokenizer.h"

struct qx_model {
  char *name;
  qx_encoder enc;
  qx_tokenizer *tok;
  qx_enc_scratch scratch;
  int max_tokens;                     /* one window, specials included */
  char *prefix[2];                    /* by qx_embed_kind; "" for none */
  uint64_t checksum;                  /* computed on first request (reads every weight) */
  char *tokenizer_path;               /* HF: tokenizer.json, part of the checksum */
  uint64_t windowed;                  /* texts longer than one window (windowed or truncated) */
  qx_long_mode long_mode;             /* what to do with them (default QX_LONG_WINDOWS) */
  float **owned;                      /* f32 tensors to free */
  size_t n_owned, cap_owned;
  qx_e5s1 *e5;                        /* E5S1 file, kept mapped (weights used in place) */
  qx_safetensors *st;                 /* model.safetensors, kept mapped (f32 used in place) */
};

/* Take ownership of a heap tensor (freed by qx_model_free). */
int qx_model_own(qx_model *m, float *p);

/* Loaders: fill m (allocated, zeroed, name set) from `path`. */
int qx_model_load_hf(qx_model *m, const char *dir);
int qx_model_load_e5s1(qx_model *m, const char *file);

#endif
