/*
 * qx_safetensors.h: reader for the safetensors format (Hugging Face):
 *   u64 header_bytes (LE) | JSON header | data
 * The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
 * with offsets relative to the start of the data; "__metadata__" is ignored.
 * Every offset and size is checked against the file before use.
 */
#ifndef QX_SAFETENSORS_H
#define QX_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "qx_common.h"

enum { QX_ST_F32, QX_ST_F16, QX_ST_BF16, QX_ST_OTHER };

typedef struct qx_st_tensor {
  char *name;
  int dtype;           /* QX_ST_*; QX_ST_OTHER for types the encoder never reads (I64, ...) */
  char dtype_name[16]; /* as written in the header */
  int ndim;
  int64_t shape[8];
  const uint8_t *data; /* into the mapping, unaligned */
  size_t bytes;
} qx_st_tensor;

typedef struct qx_safetensors {
  char *path;
  qx_map map;
  qx_st_tensor *t;
  size_t n;
} qx_safetensors;

/*! Open and check `path`. @return : 0, QUARRY_ENOTFOUND/QUARRY_EIO, QUARRY_EMODEL
 *  (bad header, offsets out of the file, size not matching dtype x shape). */
int qx_safetensors_open(qx_safetensors **out, const char *path);
const qx_st_tensor *qx_safetensors_find(const qx_safetensors *st, const char *name);
/*! Copy tensor `name`, which must have the given shape (ndim dims), into a new
 *  f32 array (*out, caller frees), converting f16 / bf16.
 *  @return : 0 or QUARRY_EMODEL naming file and tensor (missing, wrong shape,
 *  unsupported dtype), QUARRY_ENOMEM. */
int qx_safetensors_read_f32(float **out, const qx_safetensors *st, const char *name, int ndim,
                            const int64_t *shape);
void qx_safetensors_close(qx_safetensors *st);

#endif
