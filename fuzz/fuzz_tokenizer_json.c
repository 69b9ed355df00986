/*
 * fuzz_tokenizer_json.c: Hugging Face tokenizer.json loading (embed/
 * tokenizer_hf.c through jansson) and encoding with whatever loaded.
 *
 * Input: the whole tokenizer.json. When it loads, a few fixed texts (accents,
 * CJK, added tokens, invalid UTF-8, a long word) and the input's own first
 * bytes are encoded. Checked: every id is in [0, vocab_size) and
 * qx_tokenizer_id_to_token answers for it or says NULL without crashing; the
 * special ids are in range; a failed load leaves *out NULL with a message.
 */
#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_tokenizer.h"

static const char *const texts[] = {
    "", "Hello, world! The search engines", "levée de fonds: l'argent", "fi  x<mask>x",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xff\xfe\xc3( \xed\xa0\x80", "[CLS] [UNK] [SEP]",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"};

static void encode_check(qx_tokenizer *t, const char *s, size_t len) {
  int32_t *ids = NULL;
  size_t n = 0;
  FZ_CHECK(qx_tokenizer_encode(t, s, len, &ids, &n) == 0);
  size_t V = qx_tokenizer_vocab_size(t);
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(ids[i] >= 0 && (size_t)ids[i] < V);
    const char *tok = qx_tokenizer_id_to_token(t, ids[i]);
    if (tok) FZ_CHECK(strlen(tok) < (1u << 20));
  }
  free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  int fd = fz_memfile(data, size, path);
  if (fd < 0) return 0;
  qx_tokenizer *t = (qx_tokenizer *)0x1;
  int rc = qx_tokenizer_load_hf(&t, path);
  close(fd);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && t == NULL && quarry_error_last()[0] != 0);
    return 0;
  }
  size_t V = qx_tokenizer_vocab_size(t);
  FZ_CHECK(V > 0);
  int32_t sp[4] = {qx_tokenizer_pad_id(t), qx_tokenizer_cls_id(t), qx_tokenizer_sep_id(t),
                   qx_tokenizer_unk_id(t)};
  for (int i = 0; i < 4; i++) FZ_CHECK(sp[i] >= -1 && (sp[i] < 0 || (size_t)sp[i] < V));
  FZ_CHECK(qx_tokenizer_id_to_token(t, -1) == NULL && qx_tokenizer_id_to_token(t, (int32_t)V) == NULL);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) encode_check(t, texts[i], strlen(texts[i]));
  encode_check(t, (const char *)data, size < 512 ? size : 512);
  qx_tokenizer_free(t);
  return 0;
}
