/*
 * dense_module.c: the body of libquarry_dense.so, a module loaded by the
 * quarry executable on its first call into FAISS or OpenBLAS (dense_lazy.c).
 * It links the dense stack (FAISS's C API and libfaiss.a statically, OpenBLAS
 * and LAPACK dynamically) and exports one function, which returns the table
 * of entry points (qx_dense.h). Static-archive symbols are not exported.
 */
#include "qx_dense.h"

extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

__attribute__((visibility("default"))) const qx_dense_api *qx_dense_module(void);

const qx_dense_api *qx_dense_module(void) {
  static const qx_dense_api api = {
      .abi = QX_DENSE_ABI,
      .size = sizeof(qx_dense_api),
#define QX_DENSE_INIT(f) .f = f,
      QX_DENSE_FUNCS(QX_DENSE_INIT)
#undef QX_DENSE_INIT
          .gotoblas_dynamic_init = gotoblas_dynamic_init,
      .gotoblas_dynamic_quit = gotoblas_dynamic_quit,
  };
  return &api;
}
