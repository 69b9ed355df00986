/*
 * safetensors.c: a checked reader of the safetensors format
 * (https://github.com/huggingface/safetensors, "Format" section): an 8-byte
 * little-endian header length, a JSON object describing each tensor, then
 * the raw little-endian data. The file is mapped; tensors are converted to
 * f32 copies on request, so the mapping can be dropped after loading.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx_e5s1.h"
#include "qx_encoder.h"
#include "qx_safetensors.h"

static int dtype_of(const char *s, size_t *elem) {
  if (!strcmp(s, "F32")) return *elem = 4, QX_ST_F32;
  if (!strcmp(s, "F16")) return *elem = 2, QX_ST_F16;
  if (!strcmp(s, "BF16")) return *elem = 2, QX_ST_BF16;
  static const struct {
    const char *n;
    size_t e;
  } other[] = {{"F64", 8}, {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1},
               {"U16", 2}, {"U32", 4}, {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (size_t i = 0; i < QX_ARRAY_LEN(other); i++)
    if (!strcmp(s, other[i].n)) return *elem = other[i].e, QX_ST_OTHER;
  return -1;
}

static int parse_entry(qx_safetensors *st, const char *name, json_t *v, const uint8_t *data,
                       size_t data_len) {
  const char *path = st->path;
  json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"),
         *jo = json_object_get(v, "data_offsets");
  if (!json_is_string(jd) || !json_is_array(js) || !json_is_array(jo) || json_array_size(jo) != 2)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s': header entry needs dtype, shape, data_offsets",
                  path, name);
  size_t elem = 0;
  int dt = dtype_of(json_string_value(jd), &elem);
  if (dt < 0)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s': unknown dtype '%s'", path, name,
                  json_string_value(jd));
  qx_st_tensor *t = &st->t[st->n];
  memset(t, 0, sizeof *t);
  t->dtype = dt;
  snprintf(t->dtype_name, sizeof t->dtype_name, "%s", json_string_value(jd));
  if (json_array_size(js) > QX_ARRAY_LEN(t->shape))
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s': %zu dimensions", path, name, json_array_size(js));
  t->ndim = (int)json_array_size(js);
  uint64_t count = 1;
  for (int i = 0; i < t->ndim; i++) {
    json_t *d = json_array_get(js, (size_t)i);
    if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > (1LL << 40))
      return qx_err(QUARRY_EMODEL, "%s: tensor '%s': bad shape", path, name);
    t->shape[i] = json_integer_value(d);
    count *= (uint64_t)t->shape[i];
    if (count > (1ULL << 40)) return qx_err(QUARRY_EMODEL, "%s: tensor '%s': too large", path, name);
  }
  json_t *b0 = json_array_get(jo, 0), *b1 = json_array_get(jo, 1);
  if (!json_is_integer(b0) || !json_is_integer(b1))
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s': bad data_offsets", path, name);
  json_int_t beg = json_integer_value(b0), end = json_integer_value(b1);
  if (beg < 0 || end < beg || (uint64_t)end > data_len)
    return qx_err(QUARRY_EMODEL,
                  "%s: tensor '%s': data [%lld, %lld) outside the %zu data bytes (truncated file?)",
                  path, name, (long long)beg, (long long)end, data_len);
  if ((uint64_t)(end - beg) != count * elem)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s': %lld bytes, expected %llu for %s of that shape",
                  path, name, (long long)(end - beg), (unsigned long long)(count * elem),
                  t->dtype_name);
  t->data = data + beg;
  t->bytes = (size_t)(end - beg);
  if (!(t->name = qx_strdup(name))) return QUARRY_ENOMEM;
  st->n++;
  return 0;
}

int qx_safetensors_open(qx_safetensors **out, const char *path) {
  *out = NULL;
  qx_safetensors *st = qx_calloc(1, sizeof *st);
  if (!st || !(st->path = qx_strdup(path))) {
    free(st);
    return qx_err(QUARRY_ENOMEM, "%s: out of memory", path);
  }
  int rc = qx_map_open(&st->map, path);
  if (rc) {
    qx_safetensors_close(st);
    return rc;
  }
  const uint8_t *p = st->map.data;
  size_t len = st->map.len;
  json_t *root = NULL;
  if (len < 8) {
    rc = qx_err(QUARRY_EMODEL, "%s: not a safetensors file (%zu bytes)", path, len);
    goto fail;
  }
  uint64_t hl = qx_le64(p);
  if (hl < 2 || hl > len - 8 || hl > (100u << 20)) {
    rc = qx_err(QUARRY_EMODEL, "%s: not a safetensors file or truncated (header of %llu bytes, file of %zu)",
                path, (unsigned long long)hl, len);
    goto fail;
  }
  json_error_t jerr;
  root = json_loadb((const char *)p + 8, (size_t)hl, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(root)) {
    rc = qx_err(QUARRY_EMODEL, "%s: safetensors header is not a JSON object (%s)", path, jerr.text);
    goto fail;
  }
  st->t = qx_calloc(json_object_size(root) + 1, sizeof *st->t);
  if (!st->t) {
    rc = qx_err(QUARRY_ENOMEM, "%s: out of memory", path);
    goto fail;
  }
  const char *key;
  json_t *val;
  json_object_foreach(root, key, val) {
    if (!strcmp(key, "__metadata__")) continue;
    if (!json_is_object(val)) {
      rc = qx_err(QUARRY_EMODEL, "%s: tensor '%s': header entry is not an object", path, key);
      goto fail;
    }
    if ((rc = parse_entry(st, key, val, p + 8 + hl, len - 8 - (size_t)hl))) goto fail;
  }
  json_decref(root);
  *out = st;
  return 0;
fail:
  json_decref(root);
  qx_safetensors_close(st);
  return rc;
}

const qx_st_tensor *qx_safetensors_find(const qx_safetensors *st, const char *name) {
  for (size_t i = 0; i < st->n; i++)
    if (!strcmp(st->t[i].name, name)) return &st->t[i];
  return NULL;
}

int qx_safetensors_read_f32(float **out, const qx_safetensors *st, const char *name, int ndim,
                            const int64_t *shape) {
  *out = NULL;
  const qx_st_tensor *t = qx_safetensors_find(st, name);
  if (!t) return qx_err(QUARRY_EMODEL, "%s: missing tensor '%s'", st->path, name);
  int ok = t->ndim == ndim;
  for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
  if (!ok) {
    char want[96] = "", got[96] = "";
    for (int i = 0; i < ndim; i++)
      snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? "x" : "",
               (long long)shape[i]);
    for (int i = 0; i < t->ndim; i++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "x" : "",
               (long long)t->shape[i]);
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s' has shape [%s], expected [%s]", st->path, name,
                  got, want);
  }
  if (t->dtype == QX_ST_OTHER)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s' has dtype %s (F32, F16 or BF16 expected)",
                  st->path, name, t->dtype_name);
  size_t n = t->bytes / (t->dtype == QX_ST_F32 ? 4 : 2);
  float *f = qx_malloc((n ? n : 1) * sizeof(float));
  if (!f) return qx_err(QUARRY_ENOMEM, "%s: out of memory for '%s'", st->path, name);
  if (t->dtype == QX_ST_F32)
    memcpy(f, t->data, n * 4);
  else
    for (size_t i = 0; i < n; i++) {
      uint16_t h = qx_le16(t->data + 2 * i);
      f[i] = t->dtype == QX_ST_F16 ? qx_e5s1_half(h) : qx_bf16_to_f32(h);
    }
  *out = f;
  return 0;
}

void qx_safetensors_close(qx_safetensors *st) {
  if (!st) return;
  for (size_t i = 0; i < st->n; i++) free(st->t[i].name);
  free(st->t);
  qx_map_close(&st->map);
  free(st->path);
  free(st);
}
