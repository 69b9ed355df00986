/*
 * dense_lazy.c: forwarding stubs for the FAISS and OpenBLAS functions
 * libquarry calls, linked into the quarry executable instead of the dense
 * stack itself (qx_dense.h says why). The first call loads
 * libquarry_dense.so with dlopen, from the executable's own directory (or,
 * failing that, from the build tree it was built in), and every stub then
 * jumps through the module's table. A command that never touches vectors or
 * embeddings (grep, a BM25 search, info) never loads it.
 *
 * Library code asks qx_dense_ready() before its first dense call where a
 * failure must be clean (an index build removes its temporary folder): it
 * then gets QUARRY_EUNSUPPORTED and the reason (a missing module, or no
 * address space left under `ulimit -v`). A stub called without asking
 * prints that reason and exits with status 2.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_common.h"
#include "qx_dense.h"

#define DENSE_MODULE "libquarry_dense.so"

static const qx_dense_api *api;
static char load_error[PATH_MAX + 768];

static void dense_load(void) {
  char path[PATH_MAX + sizeof DENSE_MODULE] = DENSE_MODULE, why[512] = "not found";
  void *h = NULL;
  ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 1);
  if (n > 0) {
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash) {
      memcpy(slash + 1, DENSE_MODULE, sizeof DENSE_MODULE);
      h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
      if (!h) snprintf(why, sizeof why, "%s", dlerror());
    }
  }
#ifdef QUARRY_DENSE_BUILD_PATH
  if (!h) h = dlopen(QUARRY_DENSE_BUILD_PATH, RTLD_NOW | RTLD_LOCAL);
#endif
  const qx_dense_api *a = NULL;
  if (h) {
    qx_dense_module_fn get = NULL;
    void *sym = dlsym(h, QX_DENSE_MODULE_SYMBOL);
    memcpy(&get, &sym, sizeof get); /* object pointer to function pointer, as POSIX allows */
    a = get ? get() : NULL;
    if (!a || a->abi != QX_DENSE_ABI || a->size != sizeof *a) {
      snprintf(why, sizeof why, "built for another quarry");
      a = NULL;
    }
  }
  if (!a) {
    snprintf(load_error, sizeof load_error,
             "cannot load %s (FAISS and OpenBLAS, needed for vectors and embeddings): %s", path, why);
    return;
  }
  api = a;
}

static void dense_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, dense_load);
}

int qx_dense_ready(void) {
  dense_once();
  return api ? 0 : qx_err(QUARRY_EUNSUPPORTED, "%s", load_error);
}

/* For the stubs: a caller that did not ask qx_dense_ready first gets the
 * CLI's fatal-error treatment. */
static const qx_dense_api *dense(void) {
  dense_once();
  if (!api) {
    fflush(stdout);
    fprintf(stderr, "quarry: %s\n", load_error);
    exit(2);
  }
  return api;
}

/* ---- FAISS C API -------------------------------------------------------- */

int faiss_index_factory(FaissIndex **p_index, int d, const char *description, FaissMetricType metric) {
  return dense()->faiss_index_factory(p_index, d, description, metric);
}
int faiss_IndexFlatIP_new_with(FaissIndexFlatIP **p_index, idx_t d) {
  return dense()->faiss_IndexFlatIP_new_with(p_index, d);
}
int faiss_Index_add(FaissIndex *index, idx_t n, const float *x) {
  return dense()->faiss_Index_add(index, n, x);
}
int faiss_Index_train(FaissIndex *index, idx_t n, const float *x) {
  return dense()->faiss_Index_train(index, n, x);
}
int faiss_Index_search(const FaissIndex *index, idx_t n, const float *x, idx_t k, float *distances,
                       idx_t *labels) {
  return dense()->faiss_Index_search(index, n, x, k, distances, labels);
}
int faiss_Index_d(const FaissIndex *index) { return dense()->faiss_Index_d(index); }
int faiss_Index_is_trained(const FaissIndex *index) { return dense()->faiss_Index_is_trained(index); }
idx_t faiss_Index_ntotal(const FaissIndex *index) { return dense()->faiss_Index_ntotal(index); }
void faiss_Index_free(FaissIndex *obj) {
  if (obj) dense()->faiss_Index_free(obj);
}
int faiss_ParameterSpace_new(FaissParameterSpace **space) { return dense()->faiss_ParameterSpace_new(space); }
int faiss_ParameterSpace_set_index_parameter(const FaissParameterSpace *space, FaissIndex *index,
                                             const char *name, double value) {
  return dense()->faiss_ParameterSpace_set_index_parameter(space, index, name, value);
}
void faiss_ParameterSpace_free(FaissParameterSpace *obj) {
  if (obj) dense()->faiss_ParameterSpace_free(obj);
}
int faiss_read_index_fname(const char *fname, int io_flags, FaissIndex **p_out) {
  return dense()->faiss_read_index_fname(fname, io_flags, p_out);
}
int faiss_write_index_fname(const FaissIndex *idx, const char *fname) {
  return dense()->faiss_write_index_fname(idx, fname);
}
const char *faiss_get_last_error(void) { return dense()->faiss_get_last_error(); }

/* ---- OpenBLAS ----------------------------------------------------------- */

void cblas_sgemm(OPENBLAS_CONST enum CBLAS_ORDER Order, OPENBLAS_CONST enum CBLAS_TRANSPOSE TransA,
                 OPENBLAS_CONST enum CBLAS_TRANSPOSE TransB, OPENBLAS_CONST blasint M,
                 OPENBLAS_CONST blasint N, OPENBLAS_CONST blasint K, OPENBLAS_CONST float alpha,
                 OPENBLAS_CONST float *A, OPENBLAS_CONST blasint lda, OPENBLAS_CONST float *B,
                 OPENBLAS_CONST blasint ldb, OPENBLAS_CONST float beta, float *C,
                 OPENBLAS_CONST blasint ldc) {
  dense()->cblas_sgemm(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
char *openblas_get_corename(void) { return dense()->openblas_get_corename(); }
int openblas_get_num_threads(void) { return dense()->openblas_get_num_threads(); }
void openblas_set_num_threads(int num_threads) { dense()->openblas_set_num_threads(num_threads); }

/* embed/encoder.c refers to these weakly (present in OpenBLAS builds only);
 * here they always exist and do nothing when the module's BLAS lacks them. */
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
void gotoblas_dynamic_init(void) {
  const qx_dense_api *a = dense();
  if (a->gotoblas_dynamic_init) a->gotoblas_dynamic_init();
}
void gotoblas_dynamic_quit(void) {
  const qx_dense_api *a = dense();
  if (a->gotoblas_dynamic_quit) a->gotoblas_dynamic_quit();
}
