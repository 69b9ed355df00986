/*
 * model_hf.c: loads a Hugging Face model folder (BERT / RoBERTa / XLM-R):
 *   config.json          hyper-parameters (model_type, hidden_size, ...)
 *   model.safetensors    weights: f32 used in place in the mapping, f16 / bf16
 *                        converted to f32 copies
 *   tokenizer.json       WordPiece or Unigram (qx_tokenizer_load_hf)
 * and, when present, the sentence-transformers files that change the
 * result: sentence_bert_config.json (max_seq_length: the window size),
 * 1_Pooling/config.json (mean or CLS pooling), config_sentence_transformers.json
 * ("prompts": query / passage prefixes, as E5 models declare them).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"
#include "qx_safetensors.h"

static int json_open(json_t **out, const char *dir, const char *name, int required) {
  *out = NULL;
  char *p = qx_path_join(dir, name);
  if (!p) return QUARRY_ENOMEM;
  json_error_t jerr;
  json_t *j = json_load_file(p, 0, &jerr);
  int rc = 0;
  if (!j) {
    FILE *f = fopen(p, "rb");
    if (f) {
      fclose(f);
      rc = qx_err(QUARRY_EMODEL, "%s: bad JSON at line %d: %s", p, jerr.line, jerr.text);
    } else if (required) {
      rc = qx_err(QUARRY_EMODEL, "%s: missing (a Hugging Face model folder needs %s)", p, name);
    }
  } else if (!json_is_object(j)) {
    rc = qx_err(QUARRY_EMODEL, "%s: not a JSON object", p);
    json_decref(j);
    j = NULL;
  }
  free(p);
  *out = j;
  return rc;
}

static int cfg_int(const json_t *cfg, const char *key, int *out, int def, const char *path) {
  json_t *v = json_object_get(cfg, key);
  if (!v) {
    if (def < 0) return qx_err(QUARRY_EMODEL, "%s: missing \"%s\"", path, key);
    *out = def;
    return 0;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (1 << 28))
    return qx_err(QUARRY_EMODEL, "%s: \"%s\" is not a plausible integer", path, key);
  *out = (int)json_integer_value(v);
  return 0;
}

static int read_config(qx_model *m, const char *dir) {
  json_t *cfg;
  int rc = json_open(&cfg, dir, "config.json", 1);
  if (rc) return rc;
  char *path = qx_path_join(dir, "config.json");
  qx_encoder *e = &m->enc;
  const char *type = json_string_value(json_object_get(cfg, "model_type"));
  const char *act = json_string_value(json_object_get(cfg, "hidden_act"));
  const char *pet = json_string_value(json_object_get(cfg, "position_embedding_type"));
  int pad = 0;
  if (!type || (strcmp(type, "bert") && strcmp(type, "roberta") && strcmp(type, "xlm-roberta"))) {
    rc = qx_err(QUARRY_EMODEL, "%s: model_type \"%s\" not supported (bert, roberta, xlm-roberta)",
                path, type ? type : "(none)");
  } else if (act && strcmp(act, "gelu")) {
    rc = qx_err(QUARRY_EMODEL, "%s: hidden_act \"%s\" not supported (gelu)", path, act);
  } else if (pet && strcmp(pet, "absolute")) {
    rc = qx_err(QUARRY_EMODEL, "%s: position_embedding_type \"%s\" not supported", path, pet);
  } else if (!(rc = cfg_int(cfg, "hidden_size", &e->hidden, -1, path)) &&
             !(rc = cfg_int(cfg, "num_hidden_layers", &e->layers, -1, path)) &&
             !(rc = cfg_int(cfg, "num_attention_heads", &e->heads, -1, path)) &&
             !(rc = cfg_int(cfg, "intermediate_size", &e->ffn, -1, path)) &&
             !(rc = cfg_int(cfg, "vocab_size", &e->vocab, -1, path)) &&
             !(rc = cfg_int(cfg, "max_position_embeddings", &e->max_pos, -1, path)) &&
             !(rc = cfg_int(cfg, "type_vocab_size", &e->type_vocab, 2, path)) &&
             !(rc = cfg_int(cfg, "pad_token_id", &pad, 0, path))) {
    json_t *eps = json_object_get(cfg, "layer_norm_eps");
    e->eps = eps ? (float)json_number_value(eps) : 1e-12f;
    int roberta = strcmp(type, "bert") != 0;
    e->pos_offset = roberta ? pad + 1 : 0; /* RoBERTa family: positions start at padding_idx + 1 */
    e->pad_id = roberta ? pad : -1;
    if (e->type_vocab == 0) e->type_vocab = 1;
    rc = qx_encoder_check(e, path);
  }
  json_decref(cfg);
  free(path);
  return rc;
}

/* sentence-transformers extras: window size, pooling, prompts. */
static int read_st_config(qx_model *m, const char *dir) {
  json_t *j;
  int rc = json_open(&j, dir, "sentence_bert_config.json", 0);
  if (rc) return rc;
  m->max_tokens = m->enc.max_pos - m->enc.pos_offset;
  if (j) {
    json_t *v = json_object_get(j, "max_seq_length");
    if (json_is_integer(v) && json_integer_value(v) >= 3 && json_integer_value(v) < m->max_tokens)
      m->max_tokens = (int)json_integer_value(v);
    json_decref(j);
  }
  if ((rc = json_open(&j, dir, "1_Pooling/config.json", 0))) return rc;
  if (j) {
    int cls = json_is_true(json_object_get(j, "pooling_mode_cls_token"));
    int mean = json_is_true(json_object_get(j, "pooling_mode_mean_tokens"));
    json_decref(j);
    if (cls == mean)
      return qx_err(QUARRY_EMODEL, "%s/1_Pooling/config.json: only mean or CLS pooling is supported",
                    dir);
    m->enc.pool_cls = cls;
  }
  if ((rc = json_open(&j, dir, "config_sentence_transformers.json", 0))) return rc;
  if (j) {
    json_t *pr = json_object_get(j, "prompts");
    const char *q = json_string_value(json_object_get(pr, "query"));
    const char *p = json_string_value(json_object_get(pr, "passage"));
    if (!p) p = json_string_value(json_object_get(pr, "document"));
    if (q && !(m->prefix[QX_EMBED_QUERY] = qx_strdup(q))) rc = QUARRY_ENOMEM;
    if (p && !(m->prefix[QX_EMBED_PASSAGE] = qx_strdup(p))) rc = QUARRY_ENOMEM;
    json_decref(j);
  }
  return rc;
}

/* Tensor `name` as f32: in place in the mapping when stored as aligned F32,
 * else a converted copy owned by the model. */
static int take(qx_model *m, const qx_safetensors *st, const char *pfx, const char *name,
                const float **dst, int64_t d0, int64_t d1) {
  char full[256];
  snprintf(full, sizeof full, "%s%s", pfx, name);
  const qx_st_tensor *t = qx_safetensors_find(st, full);
  if (t && t->dtype == QX_ST_F32 && ((uintptr_t)t->data & 3) == 0) {
    int shape_ok = t->ndim == (d1 ? 2 : 1) && t->shape[0] == d0 && (!d1 || t->shape[1] == d1);
    if (shape_ok) {
      *dst = (const float *)(const void *)t->data;
      return 0;
    }
  }
  int64_t shape[2] = {d0, d1};
  float *f;
  int rc = qx_safetensors_read_f32(&f, st, full, d1 ? 2 : 1, shape);
  if (rc) return rc;
  *dst = f;
  return qx_model_own(m, f);
}

static int read_weights(qx_model *m, const char *dir) {
  char *path = qx_path_join(dir, "model.safetensors");
  if (!path) return QUARRY_ENOMEM;
  qx_safetensors *st;
  int rc = qx_safetensors_open(&m->st, path);
  st = m->st;
  if (rc == QUARRY_ENOTFOUND)
    rc = qx_err(QUARRY_EMODEL, "%s: missing (a Hugging Face model folder needs model.safetensors)",
                path);
  free(path);
  if (rc) return rc;
  /* weights may be named "embeddings..." or "<base>.embeddings..." (bert., roberta.) */
  char pfx[128] = "";
  static const char anchor[] = "embeddings.word_embeddings.weight";
  for (size_t i = 0; i < st->n; i++) {
    size_t nl = strlen(st->t[i].name), al = sizeof anchor - 1;
    if (nl >= al && !strcmp(st->t[i].name + nl - al, anchor) && nl - al < sizeof pfx &&
        (nl == al || st->t[i].name[nl - al - 1] == '.')) {
      memcpy(pfx, st->t[i].name, nl - al);
      pfx[nl - al] = 0;
      break;
    }
  }
  qx_encoder *e = &m->enc;
  int64_t H = e->hidden, F = e->ffn;
  if (!(rc = take(m, st, pfx, "embeddings.word_embeddings.weight", &e->word.f32, e->vocab, H)) &&
      !(rc = take(m, st, pfx, "embeddings.position_embeddings.weight", &e->pos, e->max_pos, H)) &&
      !(rc = take(m, st, pfx, "embeddings.token_type_embeddings.weight", &e->type, e->type_vocab, H)) &&
      !(rc = take(m, st, pfx, "embeddings.LayerNorm.weight", &e->emb_ln_g, H, 0)))
    rc = take(m, st, pfx, "embeddings.LayerNorm.bias", &e->emb_ln_b, H, 0);
  if (!rc && !(e->layer = qx_calloc((size_t)e->layers, sizeof *e->layer)))
    rc = qx_err(QUARRY_ENOMEM, "out of memory");
  for (int l = 0; !rc && l < e->layers; l++) {
    qx_enc_layer *ly = &e->layer[l];
    char lp[160];
    snprintf(lp, sizeof lp, "%sencoder.layer.%d.", pfx, l);
    struct {
      const char *n;
      const float **dst;
      int64_t d0, d1;
    } w[] = {
        {"attention.self.query.weight", &ly->wq.f32, H, H}, {"attention.self.query.bias", &ly->bq, H, 0},
        {"attention.self.key.weight", &ly->wk.f32, H, H},   {"attention.self.key.bias", &ly->bk, H, 0},
        {"attention.self.value.weight", &ly->wv.f32, H, H}, {"attention.self.value.bias", &ly->bv, H, 0},
        {"attention.output.dense.weight", &ly->wo.f32, H, H},
        {"attention.output.dense.bias", &ly->bo, H, 0},
        {"attention.output.LayerNorm.weight", &ly->ln1_g, H, 0},
        {"attention.output.LayerNorm.bias", &ly->ln1_b, H, 0},
        {"intermediate.dense.weight", &ly->wi.f32, F, H},   {"intermediate.dense.bias", &ly->bi, F, 0},
        {"output.dense.weight", &ly->wf.f32, H, F},         {"output.dense.bias", &ly->bf, H, 0},
        {"output.LayerNorm.weight", &ly->ln2_g, H, 0},      {"output.LayerNorm.bias", &ly->ln2_b, H, 0},
    };
    for (size_t i = 0; !rc && i < QX_ARRAY_LEN(w); i++)
      rc = take(m, st, lp, w[i].n, w[i].dst, w[i].d0, w[i].d1);
  }
  return rc;
}

int qx_model_load_hf(qx_model *m, const char *dir) {
  int rc = read_config(m, dir);
  if (!rc) rc = read_st_config(m, dir);
  if (!rc) rc = read_weights(m, dir);
  if (rc) return rc;
  char *tj = qx_path_join(dir, "tokenizer.json");
  if (!tj) return QUARRY_ENOMEM;
  rc = qx_tokenizer_load_hf(&m->tok, tj);
  if (rc == QUARRY_ENOTFOUND)
    rc = qx_err(QUARRY_EMODEL, "%s: missing (a Hugging Face model folder needs tokenizer.json)", tj);
  if (!rc) {
    if (!(m->tokenizer_path = qx_strdup(tj))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    else if (qx_tokenizer_vocab_size(m->tok) > (size_t)m->enc.vocab)
      rc = qx_err(QUARRY_EMODEL, "%s: %zu tokens but the model's vocabulary has %d", tj,
                  qx_tokenizer_vocab_size(m->tok), m->enc.vocab);
  }
  free(tj);
  return rc;
}
