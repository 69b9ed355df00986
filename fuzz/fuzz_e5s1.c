/*
 * fuzz_e5s1.c: the E5S1 model-file parser (embed/e5s1.c) and the Unigram
 * tokenizer loaded from it, on arbitrary file contents.
 *
 * Input: the whole file. Checked beyond "no crash, no sanitizer report":
 *   - a rejected file leaves a message naming it;
 *   - an accepted file has every tensor inside the mapping with the byte
 *     size its dtype and count imply, and an increasing normalisation map;
 *   - its tokenizer loads (or fails with a message naming the file) and
 *     encodes a few texts to ids below the vocabulary size.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_e5s1.h"
#include "qx_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  int fd = fz_memfile(data, size, path);
  FZ_CHECK(fd >= 0);
  qx_e5s1 *f = NULL;
  if (qx_e5s1_open(&f, path) != 0) {
    FZ_CHECK(f == NULL && strstr(quarry_error_last(), path) != NULL);
    close(fd);
    return 0;
  }
  for (size_t i = 0; i < f->n_tensors; i++) {
    const qx_e5s1_tensor *t = &f->tensors[i];
    FZ_CHECK(t->offset <= f->map.len && t->bytes <= f->map.len - t->offset);
    FZ_CHECK(t->bytes == (t->dtype == QX_E5S1_F32 ? t->count * 4 : t->count / 32 * 18));
  }
  for (int32_t i = 1; i < f->n_norm; i++)
    FZ_CHECK(f->norm_cp[i - 1] < f->norm_cp[i]);
  qx_e5s1_close(f);
  qx_tokenizer *t = NULL;
  if (qx_tokenizer_load_e5s1(&t, path) == 0) {
    static const char *texts[] = {"", "ab c", "  A\tb  ", "\xff\xc3\xa9\xe2\x96\x81 x"};
    for (size_t k = 0; k < 4; k++) {
      int32_t *ids = NULL;
      size_t n = 0;
      FZ_CHECK(qx_tokenizer_encode(t, texts[k], strlen(texts[k]), &ids, &n) == 0);
      for (size_t i = 0; i < n; i++)
        FZ_CHECK(ids[i] >= 0 && (size_t)ids[i] < qx_tokenizer_vocab_size(t));
      free(ids);
    }
    qx_tokenizer_free(t);
  } else {
    FZ_CHECK(strstr(quarry_error_last(), path) != NULL);
  }
  close(fd);
  return 0;
}
