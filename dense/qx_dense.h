/*
 * qx_dense.h: the table of FAISS and OpenBLAS entry points that the quarry
 * executable reaches through libquarry_dense.so (see dense/README.md).
 *
 * The dense stack (FAISS, OpenBLAS, LAPACK, libgfortran, libgomp, libstdc++)
 * costs every process about 5 ms of CPU before main() when it is linked into
 * the executable: relocations, FAISS's static initialisers, OpenBLAS's CPU
 * probe and thread start. Most commands (grep, search --mode bm25, info)
 * never use it. So the executable links a forwarding stub of each function
 * libquarry calls (dense_lazy.c), and the first call loads the module, which
 * hands back this table (dense_module.c). Tests, benchmarks and fuzz targets
 * link the stack directly and never see this file.
 *
 * The list below is every dense function libquarry calls: a new call site
 * needs a new entry here, in dense_module.c and a stub in dense_lazy.c (the
 * executable does not link otherwise).
 */
#ifndef QX_DENSE_H
#define QX_DENSE_H

#include <cblas.h>
#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

/* Bumped when the table changes: the stub refuses a module of another build. */
#define QX_DENSE_ABI 1

#define QX_DENSE_FUNCS(X)                                                                                    \
  X(faiss_index_factory)                                                                                     \
  X(faiss_IndexFlatIP_new_with)                                                                              \
  X(faiss_Index_add)                                                                                         \
  X(faiss_Index_train)                                                                                       \
  X(faiss_Index_search)                                                                                      \
  X(faiss_Index_d)                                                                                           \
  X(faiss_Index_is_trained)                                                                                  \
  X(faiss_Index_ntotal)                                                                                      \
  X(faiss_Index_free)                                                                                        \
  X(faiss_ParameterSpace_new)                                                                                \
  X(faiss_ParameterSpace_set_index_parameter)                                                                \
  X(faiss_ParameterSpace_free)                                                                               \
  X(faiss_read_index_fname)                                                                                  \
  X(faiss_write_index_fname)                                                                                 \
  X(faiss_get_last_error)                                                                                    \
  X(cblas_sgemm)                                                                                             \
  X(openblas_get_corename)                                                                                   \
  X(openblas_get_num_threads)                                                                                \
  X(openblas_set_num_threads)

typedef struct qx_dense_api {
  unsigned abi;  /* QX_DENSE_ABI */
  unsigned size; /* sizeof(qx_dense_api) */
#define QX_DENSE_MEMBER(f) __typeof__(f) *f;
  QX_DENSE_FUNCS(QX_DENSE_MEMBER)
#undef QX_DENSE_MEMBER
  /* OpenBLAS's core re-selection (embed/encoder.c); NULL in other BLAS builds */
  void (*gotoblas_dynamic_init)(void);
  void (*gotoblas_dynamic_quit)(void);
} qx_dense_api;

/* The one symbol libquarry_dense.so exports. */
typedef const qx_dense_api *(*qx_dense_module_fn)(void);
#define QX_DENSE_MODULE_SYMBOL "qx_dense_module"

#endif
