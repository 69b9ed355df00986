/*
 * vectors.c: the vector side of an index. At build time every passage is
 * embedded by quarry's own encoder (embed/), the rows are written to
 * vectors.f32 and indexed with FAISS through its C API (flat inner product,
 * HNSW of Malkov & Yashunin, or IVF-PQ of Jégou et al.), written with
 * faiss_write_index_fname. At search time the FAISS index and the query
 * model are loaded on first use (opening an index stays cheap), and the
 * mapped rows serve exact re-scoring of fused candidates.
 */
#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <fcntl.h>
#include <unistd.h>

#include "qx_build.h"
#include "qx_embed.h"
#include "qx_vectors.h"

#define EMBED_BATCH 32
#define AUTO_FLAT_MAX 200000 /* "auto": exact search up to this many passages */

static int faiss_fail(const char *what) {
  const char *m = faiss_get_last_error();
  return qx_err(QUARRY_EIO, "FAISS %s failed: %s", what, m ? m : "unknown error");
}

/* ---- build ------------------------------------------------------------------- */

int qx_vec_passage_input(char **out, size_t *out_len, const char *title, size_t tl, const char *text, size_t len,
                         int first) {
  size_t pre = first || !tl ? 0 : tl + 2;
  char *s = malloc(pre + len + 1);
  if (!s) return qx_err(QUARRY_ENOMEM, "out of memory");
  if (pre) {
    memcpy(s, title, tl);
    memcpy(s + tl, "\n\n", 2);
  }
  if (len) memcpy(s + pre, text, len);
  s[pre + len] = '\0';
  *out = s;
  *out_len = pre + len;
  return 0;
}

static int make_faiss(FaissIndex **out, const char *kind, int dim, uint64_t n, int hnsw_m, const float *rows) {
  *out = NULL;
  char desc[64];
  if (!strcmp(kind, "flat")) {
    FaissIndexFlatIP *f = NULL;
    if (faiss_IndexFlatIP_new_with(&f, dim)) return faiss_fail("IndexFlatIP");
    *out = (FaissIndex *)f;
  } else {
    if (!strcmp(kind, "hnsw")) {
      snprintf(desc, sizeof desc, "HNSW%d,Flat", hnsw_m > 0 ? hnsw_m : 32);
    } else { /* ivfpq: sqrt(n)-ish lists, 8-bit codes of dim/8 sub-vectors */
      uint64_t nlist = 1;
      while (nlist * nlist < n) nlist *= 2;
      nlist = nlist > 65536 ? 65536 : nlist;
      if (n < 39 * nlist || n < 256 * 4)
        return qx_err(QUARRY_EINVAL, "--vector-index ivfpq needs at least %" PRIu64 " passages to train (%" PRIu64
                      " here): use flat or hnsw", QX_MAX(39 * nlist, (uint64_t)1024), n);
      int m = dim % 8 == 0 ? dim / 8 : dim % 4 == 0 ? dim / 4 : 1;
      snprintf(desc, sizeof desc, "IVF%" PRIu64 ",PQ%dx8", nlist, m);
    }
    if (faiss_index_factory(out, dim, desc, METRIC_INNER_PRODUCT)) return faiss_fail(desc);
    if (!faiss_Index_is_trained(*out)) {
      idx_t ntrain = (idx_t)QX_MIN(n, (uint64_t)100000); /* rows are in document order: a spread sample */
      if (faiss_Index_train(*out, ntrain, rows)) return faiss_fail("train");
    }
  }
  for (uint64_t i = 0; i < n; i += 65536) {
    idx_t m = (idx_t)QX_MIN((uint64_t)65536, n - i);
    if (faiss_Index_add(*out, m, rows + i * (uint64_t)dim)) return faiss_fail("add");
  }
  return 0;
}

/* faiss_write_index_fname does not fsync: the commit needs every file on disk. */
static int fsync_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return qx_err_errno(QUARRY_EIO, "%s", path);
  int rc = fsync(fd) == 0 ? 0 : qx_err_errno(QUARRY_EIO, "%s: fsync", path);
  close(fd);
  return rc;
}

static void note_progress(qx_build *b, uint64_t done, uint64_t total) {
  const quarry_build_opts *o = qx_build_opts(b);
  if (!o->progress) return;
  quarry_build_progress p = {"embedding", done, total, 0, 0};
  o->progress(o->ctx, &p);
}

/* Load the build's model; when the rows come partly from existing segments
 * (b->reuse), it must be the model they were made with. */
static int load_model(qx_model **model, qx_build *b, int dim) {
  const quarry_build_opts *o = qx_build_opts(b);
  uint64_t sum = 0;
  int rdim = 0;
  const char *name = b->reuse ? qx_vec_reuse_model(b->reuse, &sum, &rdim) : NULL;
  int rc = qx_model_load(model, o->model ? o->model : name);
  if (!rc) qx_model_set_long(*model, QX_LONG_FIRST); /* QX_VEC_INPUT */
  if (!rc && b->reuse && (qx_model_checksum(*model) != sum || qx_model_dim(*model) != dim)) {
    rc = qx_err(QUARRY_EMODEL, "model %s differs from the index's (%s): rebuild with --rebuild", qx_model_name(*model), name);
    qx_model_free(*model);
    *model = NULL;
  }
  return rc;
}

int qx_build_vectors(qx_build *b) {
  const quarry_build_opts *o = qx_build_opts(b);
  if (!o->vectors) return 0;
  int ready = qx_dense_ready();
  if (ready) return ready;
  const char *kind = o->vector_index && *o->vector_index ? o->vector_index : "auto";
  uint64_t n = qx_build_passage_count(b);
  if (!strcmp(kind, "auto")) kind = n <= AUTO_FLAT_MAX ? "flat" : "hnsw";
  if (strcmp(kind, "flat") && strcmp(kind, "hnsw") && strcmp(kind, "ivfpq"))
    return qx_err(QUARRY_EINVAL, "unknown vector index '%s' (flat, hnsw, ivfpq or auto)", kind);
  /* Rows found by passage text in existing segments (updates, merges) are
   * copied; the model is loaded only if some passage is new. */
  qx_model *model = NULL;
  int rc = 0, dim = 0;
  uint64_t reuse_sum = 0;
  const char *reuse_name = b->reuse ? qx_vec_reuse_model(b->reuse, &reuse_sum, &dim) : NULL;
  if (!b->reuse) {
    rc = load_model(&model, b, 0);
    if (rc) return rc;
    dim = qx_model_dim(model);
  }
  char *path = qx_path_join(qx_build_tmpdir(b), "vectors.f32");
  FILE *f = path ? fopen(path, "wb") : NULL;
  if (!f) rc = path ? qx_err_errno(QUARRY_EIO, "%s", path) : qx_err(QUARRY_ENOMEM, "out of memory");
  uint8_t hdr[QX_VECTORS_HEADER] = {0};
  memcpy(hdr, QX_MAGIC_VECTORS, 8);
  uint32_t u[4] = {QX_FORMAT_MAJOR, QX_FORMAT_MINOR, (uint32_t)dim, 0};
  memcpy(hdr + 8, u, sizeof u);
  memcpy(hdr + 24, &n, 8);
  if (!rc && fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  char *texts[EMBED_BATCH] = {0};
  size_t lens[EMBED_BATCH], miss[EMBED_BATCH];
  const char *mtexts[EMBED_BATCH];
  size_t mlens[EMBED_BATCH];
  float *out = rc ? NULL : malloc(sizeof(float) * EMBED_BATCH * (size_t)dim);
  float *emb = rc ? NULL : malloc(sizeof(float) * EMBED_BATCH * (size_t)dim);
  if (!rc && (!out || !emb)) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  double t0 = qx_now(), last = 0;
  for (uint64_t i = 0; !rc && i < n; i += EMBED_BATCH) {
    size_t m = (size_t)QX_MIN((uint64_t)EMBED_BATCH, n - i), nmiss = 0;
    for (size_t j = 0; !rc && j < m; j++) {
      rc = qx_build_passage_input(&texts[j], &lens[j], b, (uint32_t)(i + j));
      const float *row = rc || !b->reuse ? NULL : qx_vec_reuse_find(b->reuse, texts[j], lens[j]);
      if (row) memcpy(out + j * (size_t)dim, row, sizeof(float) * (size_t)dim);
      else if (!rc) {
        mtexts[nmiss] = texts[j];
        mlens[nmiss] = lens[j];
        miss[nmiss++] = j;
      }
    }
    if (!rc && nmiss && !model) rc = load_model(&model, b, dim);
    if (!rc && nmiss) rc = qx_embed_batch(model, QX_EMBED_PASSAGE, mtexts, mlens, nmiss, emb);
    for (size_t k = 0; !rc && k < nmiss; k++)
      memcpy(out + miss[k] * (size_t)dim, emb + k * (size_t)dim, sizeof(float) * (size_t)dim);
    if (!rc) {
      b->vec_embedded += nmiss;
      b->vec_reused += m - nmiss;
    }
    if (!rc && fwrite(out, sizeof(float) * (size_t)dim, m, f) != m) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
    for (size_t j = 0; j < m; j++) {
      free(texts[j]);
      texts[j] = NULL;
    }
    if (qx_now() - last > 0.2 || i + m == n) {
      note_progress(b, i + m, n);
      last = qx_now();
    }
  }
  free(out);
  free(emb);
  if (f && fflush(f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: write", path);
  if (f && fsync(fileno(f)) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: fsync", path);
  if (f && fclose(f) != 0 && !rc) rc = qx_err_errno(QUARRY_EIO, "%s: close", path);
  if (!rc && model && qx_model_windowed(model) > 0)
    qx_build_note(b, "%" PRIu64 " passages longer than the model's %d-token window were embedded from their first window",
                  qx_model_windowed(model), qx_model_max_tokens(model));
  double secs = qx_now() - t0;
  /* FAISS index over the mapped rows */
  qx_map rows = {0};
  FaissIndex *fx = NULL;
  if (!rc) rc = qx_map_open(&rows, path);
  if (!rc) rc = make_faiss(&fx, kind, dim, n, o->hnsw_m, (const float *)(rows.data + QX_VECTORS_HEADER));
  char *fpath = rc ? NULL : qx_path_join(qx_build_tmpdir(b), "vectors.faiss");
  if (!rc && !fpath) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && faiss_write_index_fname(fx, fpath)) rc = faiss_fail("write_index");
  if (fx) faiss_Index_free(fx);
  qx_map_close(&rows);
  if (!rc) rc = fsync_file(fpath);
  if (!rc) rc = qx_build_add_file(b, "vectors.f32");
  if (!rc) rc = qx_build_add_file(b, "vectors.faiss");
  qx_manifest *man = qx_build_manifest(b);
  if (!rc) rc = qx_manifest_set(man, "vectors.model", "%s", model ? qx_model_name(model) : reuse_name);
  if (!rc)
    rc = qx_manifest_set(man, "vectors.checksum", "%016" PRIx64, model ? qx_model_checksum(model) : reuse_sum);
  if (!rc) rc = qx_manifest_set(man, "vectors.dim", "%d", dim);
  if (!rc) rc = qx_manifest_set(man, "vectors.count", "%" PRIu64, n);
  if (!rc) rc = qx_manifest_set(man, "vectors.index", "%s", kind);
  if (!rc) rc = qx_manifest_set(man, "vectors.input", "%s", QX_VEC_INPUT);
  if (!rc && !strcmp(kind, "hnsw")) rc = qx_manifest_set(man, "vectors.hnsw_m", "%d", o->hnsw_m > 0 ? o->hnsw_m : 32);
  if (!rc) rc = qx_manifest_set(man, "vectors.embed_seconds", "%.3f", secs);
  free(fpath);
  free(path);
  qx_model_free(model);
  return rc;
}

/* ---- read ------------------------------------------------------------------- */

struct qx_vectors {
  qx_seg *ix;
  qx_map rows;
  int dim;
  uint64_t count;
  const char *kind;
  uint64_t checksum;
  pthread_mutex_t mu; /* guards the lazily loaded FAISS index, the model, and FAISS parameters */
  FaissIndex *faiss;
  FaissParameterSpace *ps;
  int ef_current;
  qx_model *model;
};

int qx_vectors_open(qx_vectors **out, qx_seg *ix, int dirfd) {
  *out = NULL;
  const char *model = qx_manifest_get(&ix->man, "vectors.model");
  if (!model) return 0;
  const char *dims = qx_manifest_get(&ix->man, "vectors.dim"), *cnt = qx_manifest_get(&ix->man, "vectors.count");
  const char *sum = qx_manifest_get(&ix->man, "vectors.checksum"), *kind = qx_manifest_get(&ix->man, "vectors.index");
  if (!dims || !cnt || !sum || !kind) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: incomplete vectors.* entries", ix->dir);
  qx_vectors *v = qx_calloc(1, sizeof *v);
  if (!v) return qx_err(QUARRY_ENOMEM, "out of memory");
  v->ix = ix;
  v->dim = atoi(dims);
  v->count = strtoull(cnt, NULL, 10);
  v->checksum = strtoull(sum, NULL, 16);
  v->kind = kind;
  pthread_mutex_init(&v->mu, NULL);
  int rc = 0;
  if (v->dim <= 0 || v->dim > 65536 || v->count != ix->npassages)
    rc = qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: vectors.dim %s / vectors.count %s do not fit the index", ix->dir, dims, cnt);
  char *path = rc ? NULL : qx_path_join(ix->dir, "vectors.f32");
  if (!rc && !path) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  const qx_manifest_file *mf = NULL;
  for (size_t i = 0; !rc && i < ix->man.nfiles; i++)
    if (!strcmp(ix->man.files[i].name, "vectors.f32")) mf = &ix->man.files[i];
  if (!rc && !mf) rc = qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: no entry for vectors.f32", ix->dir);
  if (!rc && (rc = qx_map_openat(&v->rows, dirfd, "vectors.f32", path)) == QUARRY_ENOTFOUND) rc = qx_err(QUARRY_ECORRUPT, "%s: missing", path);
  uint64_t want = QX_VECTORS_HEADER + v->count * (uint64_t)v->dim * sizeof(float);
  if (!rc && (v->rows.len != mf->size || v->rows.len != want))
    rc = qx_err(QUARRY_ECORRUPT, "%s: %zu bytes, expected %" PRIu64 " (truncated or damaged)", path, v->rows.len, want);
  if (!rc) rc = qx_check_header(&v->rows, QX_MAGIC_VECTORS, path);
  if (!rc && (qx_le32(v->rows.data + 16) != (uint32_t)v->dim || qx_le64(v->rows.data + 24) != v->count))
    rc = qx_err(QUARRY_ECORRUPT, "%s: header disagrees with the MANIFEST (dim/count)", path);
  free(path);
  if (rc) {
    qx_vectors_close(v);
    return rc;
  }
  *out = v;
  return 0;
}

void qx_vectors_close(qx_vectors *v) {
  if (!v) return;
  if (v->faiss) faiss_Index_free(v->faiss);
  if (v->ps) faiss_ParameterSpace_free(v->ps);
  qx_model_free(v->model);
  qx_map_close(&v->rows);
  pthread_mutex_destroy(&v->mu);
  free(v);
}

int qx_vectors_dim(const qx_vectors *v) { return v->dim; }

const float *qx_vectors_row(const qx_vectors *v, uint32_t pid) {
  if (pid >= v->count) return NULL;
  return (const float *)(v->rows.data + QX_VECTORS_HEADER) + (uint64_t)pid * (uint64_t)v->dim;
}

int qx_vectors_embed_query(qx_vectors *v, const char *model, const char *text, size_t len, float *q) {
  pthread_mutex_lock(&v->mu);
  int rc = 0;
  if (!v->model) {
    const char *name = model ? model : qx_manifest_get(&v->ix->man, "vectors.model");
    rc = qx_model_load(&v->model, name);
    if (!rc && (qx_model_checksum(v->model) != v->checksum || qx_model_dim(v->model) != v->dim)) {
      rc = qx_err(QUARRY_EMODEL, "the index %s was built with model %s (%d dims, checksum %016" PRIx64
                  "); model %s (%d dims, checksum %016" PRIx64 ") cannot search it: rebuild the index or drop --model",
                  v->ix->dir, qx_manifest_get(&v->ix->man, "vectors.model"), v->dim, v->checksum, qx_model_name(v->model),
                  qx_model_dim(v->model), qx_model_checksum(v->model));
      qx_model_free(v->model);
      v->model = NULL;
    }
  }
  const char *texts[1] = {text};
  if (!rc) rc = qx_embed_batch(v->model, QX_EMBED_QUERY, texts, &len, 1, q);
  pthread_mutex_unlock(&v->mu);
  return rc;
}

static int load_faiss(qx_vectors *v) {
  if (v->faiss) return 0;
  int ready = qx_dense_ready();
  if (ready) return ready;
  char *path = qx_path_join(v->ix->dir, "vectors.faiss");
  if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
  FaissIndex *fx = NULL;
  int rc = 0;
  if (faiss_read_index_fname(path, 0, &fx)) {
    const char *m = faiss_get_last_error();
    rc = qx_err(QUARRY_ECORRUPT, "%s: unreadable FAISS index (%s)", path, m ? m : "?");
  } else if (faiss_Index_d(fx) != v->dim || (uint64_t)faiss_Index_ntotal(fx) != v->count) {
    rc = qx_err(QUARRY_ECORRUPT, "%s: %d dims x %" PRId64 " vectors, MANIFEST says %d x %" PRIu64, path,
                faiss_Index_d(fx), (int64_t)faiss_Index_ntotal(fx), v->dim, v->count);
  }
  if (!rc && strcmp(v->kind, "flat") && faiss_ParameterSpace_new(&v->ps)) rc = faiss_fail("ParameterSpace");
  free(path);
  if (rc) {
    if (fx) faiss_Index_free(fx);
    return rc;
  }
  v->faiss = fx;
  return 0;
}

int qx_vectors_search(qx_vectors *v, const float *q, uint32_t k, int ef_search, uint32_t *ids, float *scores,
                      uint32_t *n) {
  *n = 0;
  if (k == 0) return 0;
  idx_t *labels = malloc(sizeof *labels * k);
  float *dist = malloc(sizeof *dist * k);
  if (!labels || !dist) {
    free(labels);
    free(dist);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  pthread_mutex_lock(&v->mu);
  int rc = load_faiss(v);
  if (!rc && v->ps) {
    int ef = ef_search > 0 ? ef_search : (int)QX_MAX(64u, 2 * k);
    if (ef != v->ef_current) {
      const char *param = !strcmp(v->kind, "hnsw") ? "efSearch" : "nprobe";
      double val = !strcmp(v->kind, "hnsw") ? ef : QX_MAX(1, ef / 4);
      if (faiss_ParameterSpace_set_index_parameter(v->ps, v->faiss, param, val)) rc = faiss_fail(param);
      else v->ef_current = ef;
    }
  }
  if (!rc && faiss_Index_search(v->faiss, 1, q, k, dist, labels)) rc = faiss_fail("search");
  pthread_mutex_unlock(&v->mu);
  for (uint32_t i = 0; !rc && i < k; i++) {
    if (labels[i] < 0) break;
    if ((uint64_t)labels[i] >= v->count) {
      rc = qx_err(QUARRY_ECORRUPT, "%s/vectors.faiss: id %" PRId64 " out of range", v->ix->dir, (int64_t)labels[i]);
      break;
    }
    ids[*n] = (uint32_t)labels[i];
    scores[*n] = dist[i];
    (*n)++;
  }
  free(labels);
  free(dist);
  return rc;
}
