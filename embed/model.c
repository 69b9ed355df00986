/*
 * model.c: the embedding API (qx_embed.h) over the encoder: finds the model
 * (a name, a folder or a file), picks the loader for its layout, and turns
 * texts into L2-normalised vectors:
 *
 *   prefix ("query: " / "passage: " for E5) + text -> token ids (qx_tokenizer)
 *   -> windows of at most max_tokens (specials included)
 *   -> batches of packed windows under a token budget -> encoder (mean pool)
 *   -> per text: token-weighted mean of its windows -> L2 normalisation.
 *
 * Long inputs (more than max_tokens - 2 content tokens: 510 for E5, 254 for
 * MiniLM whose sentence-transformers config caps sequences at 256) are by
 * default not truncated: they are cut into windows of C = max_tokens - 2
 * content tokens starting every S = C - C/8 tokens (consecutive windows
 * overlap by C/8 so no sentence is only seen cut in two), each window wrapped
 * in the specials, and the text's vector is the mean over all window tokens
 * (= window means weighted by window length), re-normalised. Under
 * QX_LONG_FIRST (qx_model_set_long; the indexer's choice for passages) only
 * the first window is encoded, as sentence-transformers and MTEB truncate.
 * qx_model_windowed() counts the long texts either way; `quarry embed` and
 * the indexer report it.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model_int.h"

/* Tokens per forward pass: enough to keep sgemm efficient, bounded memory
 * (about 40 KB of activations per token for a 384/1536 model). */
#define QX_EMBED_BATCH_TOKENS 4096

int qx_model_own(qx_model *m, float *p) {
  if (qx_grow((void **)&m->owned, &m->cap_owned, m->n_owned + 1, sizeof *m->owned)) {
    free(p);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  m->owned[m->n_owned++] = p;
  return 0;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}
static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int has_magic(const char *path, const char *magic) {
  char buf[4] = {0};
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(buf, 1, 4, f);
  fclose(f);
  return n == 4 && !memcmp(buf, magic, 4);
}

/* The one E5S1 file in `dir` (heap path), or NULL. */
static char *find_e5s1(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return NULL;
  char *found = NULL;
  struct dirent *de;
  while (!found && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char *p = qx_path_join(dir, de->d_name);
    if (p && is_file(p) && has_magic(p, "E5S1"))
      found = p;
    else
      free(p);
  }
  closedir(d);
  return found;
}

/* A bare model name -> its folder in the model caches (heap), or NULL. */
static char *resolve_name(const char *name, char *tried, size_t tried_len) {
  const char *roots[3] = {getenv("QUARRY_MODELS"), NULL, NULL};
  char cache[4096], home[4096];
  const char *qc = getenv("QUARRY_CACHE"), *h = getenv("HOME");
  if (qc && *qc) snprintf(cache, sizeof cache, "%s/models", qc), roots[1] = cache;
  if (h && *h) snprintf(home, sizeof home, "%s/.cache/quarry/models", h), roots[2] = home;
  tried[0] = 0;
  for (int i = 0; i < 3; i++) {
    if (!roots[i] || !*roots[i]) continue;
    char *p = qx_path_join(roots[i], name);
    if (p && is_dir(p)) return p;
    free(p);
    size_t l = strlen(tried);
    snprintf(tried + l, tried_len - l, "%s%s", l ? ", " : "", roots[i]);
  }
  return NULL;
}

static char *basename_dup(const char *path) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  size_t b = n;
  while (b > 0 && path[b - 1] != '/') b--;
  return qx_strndup(path + b, n - b);
}

/* Name recorded in indexes: the folder holding the model. */
static char *dir_of(const char *file) {
  const char *s = strrchr(file, '/');
  return s ? qx_strndup(file, (size_t)(s - file)) : qx_strdup(".");
}

static int load_at(qx_model *m, const char *path) {
  if (is_dir(path)) {
    char *cfg = qx_path_join(path, "config.json");
    int hf = cfg && is_file(cfg);
    free(cfg);
    if (hf) return qx_model_load_hf(m, path);
    char *f = find_e5s1(path);
    if (f) {
      int rc = qx_model_load_e5s1(m, f);
      free(f);
      return rc;
    }
    return qx_err(QUARRY_EMODEL, "%s: no model here (neither config.json + model.safetensors + "
                                 "tokenizer.json nor an E5S1 file)",
                  path);
  }
  if (has_magic(path, "E5S1")) return qx_model_load_e5s1(m, path);
  return qx_err(QUARRY_EMODEL, "%s: unknown model format (an E5S1 file, or a Hugging Face folder "
                               "with config.json, model.safetensors, tokenizer.json)",
                path);
}

int qx_model_load(qx_model **out, const char *path) {
  *out = NULL;
  if (!path || !*path) path = QX_DEFAULT_MODEL;
  qx_model *m = qx_calloc(1, sizeof *m);
  if (!m) return qx_err(QUARRY_ENOMEM, "out of memory");
  char *where = NULL;
  int rc = 0;
  struct stat st;
  if (stat(path, &st) == 0) {
    where = qx_strdup(path);
    m->name = S_ISDIR(st.st_mode) ? basename_dup(path) : NULL;
    if (!m->name && where) {
      char *d = dir_of(path);
      m->name = d ? basename_dup(d) : NULL;
      free(d);
    }
  } else if (!strchr(path, '/')) {
    char tried[8192];
    where = resolve_name(path, tried, sizeof tried);
    if (!where)
      rc = qx_err(QUARRY_ENOTFOUND, "model '%s' not found in %s (scripts/fetch-models.sh fetches "
                                    "multilingual-e5-small and all-MiniLM-L6-v2)",
                  path, *tried ? tried : "any model folder ($QUARRY_MODELS, $HOME unset)");
    m->name = qx_strdup(path);
  } else {
    rc = qx_err(QUARRY_ENOTFOUND, "%s: no such model file or folder", path);
  }
  if (!rc && (!where || !m->name)) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = load_at(m, where);
  for (int k = 0; !rc && k < 2; k++)
    if (!m->prefix[k] && !(m->prefix[k] = qx_strdup(""))) rc = QUARRY_ENOMEM;
  if (!rc && m->max_tokens < 3)
    rc = qx_err(QUARRY_EMODEL, "%s: window of %d tokens is too small", where, m->max_tokens);
  free(where);
  if (rc) {
    qx_model_free(m);
    return rc;
  }
  *out = m;
  return 0;
}

const char *qx_model_name(const qx_model *m) { return m->name; }
int qx_model_dim(const qx_model *m) { return m->enc.hidden; }
/* Hashing 70-90 MB of weights takes tens of milliseconds and pulls the whole
 * file into memory: done only when asked (indexing, checking an index). */
uint64_t qx_model_checksum(const qx_model *mc) {
  qx_model *m = (qx_model *)mc; /* one thread at a time (qx_embed.h) */
  if (m->checksum) return m->checksum;
  uint64_t h = 0;
  if (m->e5) h = qx_xxh64(m->e5->map.data, m->e5->map.len);
  if (m->st) h ^= qx_xxh64(m->st->map.data, m->st->map.len);
  qx_map tj;
  if (m->tokenizer_path && !qx_map_open(&tj, m->tokenizer_path)) {
    h ^= qx_xxh64(tj.data, tj.len) * 0x9e3779b97f4a7c15ULL;
    qx_map_close(&tj);
  }
  m->checksum = h ? h : 1;
  return m->checksum;
}
int qx_model_max_tokens(const qx_model *m) { return m->max_tokens; }
uint64_t qx_model_windowed(const qx_model *m) { return m->windowed; }
void qx_model_set_long(qx_model *m, qx_long_mode mode) { m->long_mode = mode; }

int qx_model_tokenize(qx_model *m, qx_embed_kind kind, const char *text, size_t len, int32_t **ids,
                      size_t *n_ids) {
  *ids = NULL;
  *n_ids = 0;
  if (kind != QX_EMBED_QUERY && kind != QX_EMBED_PASSAGE)
    return qx_err(QUARRY_EINVAL, "embed: bad kind %d", (int)kind);
  const char *pfx = m->prefix[kind];
  size_t pl = strlen(pfx);
  if (!pl) return qx_tokenizer_encode(m->tok, text, len, ids, n_ids);
  char *buf = qx_malloc(pl + len + 1);
  if (!buf) return qx_err(QUARRY_ENOMEM, "out of memory");
  memcpy(buf, pfx, pl);
  if (len) memcpy(buf + pl, text, len);
  buf[pl + len] = 0;
  int rc = qx_tokenizer_encode(m->tok, buf, pl + len, ids, n_ids);
  free(buf);
  return rc;
}

/* A batch of packed windows waiting for the encoder. */
typedef struct batch {
  int32_t *ids;
  size_t n_ids, cap_ids;
  size_t *off;    /* nwin + 1 */
  size_t *text;   /* window -> text index */
  size_t nwin, cap_win;
  float *pooled;  /* nwin * dim */
  size_t cap_pooled;
} batch;

static int batch_add(batch *b, const int32_t *content, size_t n, int32_t cls, int32_t sep, size_t text) {
  size_t old = b->cap_win;
  if (qx_grow((void **)&b->ids, &b->cap_ids, b->n_ids + n + 2, sizeof *b->ids) ||
      qx_grow((void **)&b->off, &b->cap_win, b->nwin + 2, sizeof *b->off))
    return qx_err(QUARRY_ENOMEM, "out of memory");
  if (b->cap_win != old) {
    size_t *t = realloc(b->text, b->cap_win * sizeof *b->text);
    if (!t) return qx_err(QUARRY_ENOMEM, "out of memory");
    b->text = t;
  }
  if (b->nwin == 0) b->off[0] = 0;
  b->ids[b->n_ids++] = cls;
  memcpy(b->ids + b->n_ids, content, n * sizeof *content);
  b->n_ids += n;
  b->ids[b->n_ids++] = sep;
  b->text[b->nwin] = text;
  b->off[++b->nwin] = b->n_ids;
  return 0;
}

static int batch_flush(qx_model *m, batch *b, float *out) {
  if (!b->nwin) return 0;
  size_t H = (size_t)m->enc.hidden;
  if (b->nwin * H > b->cap_pooled) {
    float *p = realloc(b->pooled, b->nwin * H * sizeof(float));
    if (!p) return qx_err(QUARRY_ENOMEM, "out of memory");
    b->pooled = p;
    b->cap_pooled = b->nwin * H;
  }
  int rc = qx_encoder_forward(&m->enc, &m->scratch, b->ids, b->off, b->nwin, b->pooled);
  if (rc) return rc;
  for (size_t w = 0; w < b->nwin; w++) {
    float len = (float)(b->off[w + 1] - b->off[w]);
    float *o = out + b->text[w] * H;
    const float *p = b->pooled + w * H;
    for (size_t i = 0; i < H; i++) o[i] += len * p[i];
  }
  b->nwin = 0;
  b->n_ids = 0;
  return 0;
}

int qx_embed_batch(qx_model *m, qx_embed_kind kind, const char *const *texts, const size_t *lens,
                   size_t n, float *out) {
  size_t H = (size_t)m->enc.hidden;
  size_t C = (size_t)m->max_tokens - 2, S = C - C / 8;
  int32_t cls = qx_tokenizer_cls_id(m->tok), sep = qx_tokenizer_sep_id(m->tok);
  batch b = {0};
  int rc = 0;
  memset(out, 0, n * H * sizeof(float));
  for (size_t i = 0; i < n && !rc; i++) {
    int32_t *ids;
    size_t nid;
    rc = qx_model_tokenize(m, kind, texts[i], lens ? lens[i] : strlen(texts[i]), &ids, &nid);
    if (rc) break;
    /* ids = [cls] content [sep]; window the content */
    const int32_t *content = nid >= 2 ? ids + 1 : ids;
    size_t nc = nid >= 2 ? nid - 2 : 0;
    if (nc > C) m->windowed++;
    if (nc > C && m->long_mode == QX_LONG_FIRST) nc = C; /* truncated: the first window only */
    for (size_t start = 0;; start += S) {
      size_t wl = QX_MIN(C, nc - start);
      if (b.n_ids + wl + 2 > QX_EMBED_BATCH_TOKENS && (rc = batch_flush(m, &b, out))) break;
      if ((rc = batch_add(&b, content + start, wl, cls, sep, i))) break;
      if (start + C >= nc) break;
    }
    free(ids);
  }
  if (!rc) rc = batch_flush(m, &b, out);
  free(b.ids);
  free(b.off);
  free(b.text);
  free(b.pooled);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    float *o = out + i * H, ss = 0.f;
    for (size_t k = 0; k < H; k++) ss += o[k] * o[k];
    float inv = ss > 0 ? 1.f / sqrtf(ss) : 0.f;
    for (size_t k = 0; k < H; k++) o[k] *= inv;
  }
  return 0;
}

void qx_model_free(qx_model *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n_owned; i++) free(m->owned[i]);
  free(m->owned);
  free(m->enc.layer);
  qx_tokenizer_free(m->tok);
  qx_e5s1_close(m->e5);
  qx_safetensors_close(m->st);
  qx_enc_scratch_free(&m->scratch);
  free(m->prefix[0]);
  free(m->prefix[1]);
  free(m->name);
  free(m->tokenizer_path);
  free(m);
}
