/*
 * fuzz_safetensors.c: the safetensors reader (embed/safetensors.c) on
 * arbitrary files: u64 header length, JSON header, data.
 *
 * Input: the whole file. When it opens, every tensor is looked up by name
 * and read as f32 with its own shape (f32 / f16 / bf16 convert; other
 * dtypes must fail cleanly), then with a wrong shape (must fail). Checked:
 * each tensor's data lies inside the mapping and its byte size equals
 * dtype size x product of its shape.
 */
#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  int fd = fz_memfile(data, size, path);
  if (fd < 0) return 0;
  qx_safetensors *st = NULL;
  int rc = qx_safetensors_open(&st, path);
  close(fd);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && quarry_error_last()[0] != 0);
    return 0;
  }
  const uint8_t *lo = st->map.data, *hi = st->map.data + st->map.len;
  for (size_t i = 0; i < st->n; i++) {
    const qx_st_tensor *t = &st->t[i];
    FZ_CHECK(t->ndim >= 0 && t->ndim <= 8);
    FZ_CHECK(t->bytes == 0 || (t->data >= lo && t->data + t->bytes <= hi));
    FZ_CHECK(qx_safetensors_find(st, t->name) != NULL);
    uint64_t count = 1;
    for (int d = 0; d < t->ndim; d++) count *= (uint64_t)t->shape[d];
    size_t esz = t->dtype == QX_ST_F32 ? 4 : (t->dtype == QX_ST_F16 || t->dtype == QX_ST_BF16) ? 2 : 0;
    if (esz) FZ_CHECK(count * esz == t->bytes);
    if (count > (1u << 22)) continue; /* keep each input fast */
    float *f = NULL;
    rc = qx_safetensors_read_f32(&f, st, t->name, t->ndim, t->shape);
    if (esz) FZ_CHECK(rc == 0 && (f != NULL || count == 0));
    else FZ_CHECK(rc < 0);
    free(f);
    if (t->ndim > 0) {
      int64_t wrong[8];
      memcpy(wrong, t->shape, sizeof wrong);
      wrong[0]++;
      f = NULL;
      FZ_CHECK(qx_safetensors_read_f32(&f, st, t->name, t->ndim, wrong) < 0);
      free(f);
    }
  }
  FZ_CHECK(qx_safetensors_find(st, "\x01no such tensor") == NULL);
  qx_safetensors_close(st);
  return 0;
}
