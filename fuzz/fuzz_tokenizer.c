/*
 * fuzz_tokenizer.c: the tokenizers (embed/tokenizer_*.c) on arbitrary bytes.
 *
 * Input: byte 0 picks the tokenizer (mod 3): the Unigram tokenizer of a
 * synthetic E5S1 file, a WordPiece tokenizer.json, a Unigram (NFKC)
 * tokenizer.json; the rest is the text (any bytes). Loading arbitrary files
 * is fuzz_e5s1.c's and fuzz_tokenizer_json.c's job.
 * Checked beyond "no crash, no sanitizer report":
 *   - encode succeeds; ids start with the cls id, end with the sep id, and
 *     are all below the vocabulary size; encoding twice gives the same ids;
 *   - qx_tokenizer_utf8_repair gives valid UTF-8 (repairing it again is the
 *     identity), at most 3 bytes per input byte;
 *   - a tokenizer.json that fails to load leaves a message naming the file.
 */
#include <stdint.h>
#include <string.h>

#include "e5s1_fixture.h"
#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_tokenizer.h"

static qx_tokenizer *toks[3];

static const char *wordpiece_json =
    "{\"added_tokens\": [{\"id\": 0, \"content\": \"[PAD]\"}, {\"id\": 1, \"content\": \"[UNK]\"},"
    " {\"id\": 2, \"content\": \"[CLS]\"}, {\"id\": 3, \"content\": \"[SEP]\"}, {\"id\": 9, \"content\": "
    "\"[NEW]\"}],"
    " \"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": true},"
    " \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
    " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"max_input_chars_per_word\": 12,"
    "  \"vocab\": {\"[PAD]\": 0, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, \"a\": 4, \"##b\": 5, \"ab\": 6,"
    "  \"\\u00e9\": 7, \"##\\u00e9\": 8}}}";

static const char *unigram_json =
    "{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"},"
    "  {\"type\": \"Replace\", \"pattern\": {\"Regex\": \" {2,}\"}, \"content\": \" \"}]},"
    " \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\\u2581\", \"add_prefix_space\": true},"
    " \"model\": {\"type\": \"Unigram\", \"unk_id\": 3, \"vocab\": [[\"<s>\", 0.0], [\"<pad>\", 0.0],"
    "  [\"</s>\", 0.0], [\"<unk>\", 0.0], [\"\\u2581\", -2.0], [\"\\u2581a\", -1.0], [\"a\", -3.0],"
    "  [\"\\u00e9\", -3.0], [\"ab\", -2.5], [\"b\", -4.0]]}}";

static qx_tokenizer *load_json(const char *json, size_t len) {
  char path[64];
  int fd = fz_memfile((const uint8_t *)json, len, path);
  FZ_CHECK(fd >= 0);
  qx_tokenizer *t = NULL;
  int rc = qx_tokenizer_load_hf(&t, path);
  if (rc) FZ_CHECK(t == NULL && strstr(quarry_error_last(), path) != NULL);
  close(fd);
  return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  qx_buf b = {0};
  char path[64];
  FZ_CHECK(fx_build(&b) == 0);
  int fd = fz_memfile(b.data, b.len, path);
  FZ_CHECK(fd >= 0 && qx_tokenizer_load_e5s1(&toks[0], path) == 0);
  close(fd);
  qx_buf_free(&b);
  toks[1] = load_json(wordpiece_json, strlen(wordpiece_json));
  toks[2] = load_json(unigram_json, strlen(unigram_json));
  FZ_CHECK(toks[1] && toks[2]);
  return 0;
}

static void check_encode(qx_tokenizer *t, const char *text, size_t len) {
  int32_t *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;
  FZ_CHECK(qx_tokenizer_encode(t, text, len, &a, &na) == 0);
  FZ_CHECK(na >= 2 && a[0] == qx_tokenizer_cls_id(t) && a[na - 1] == qx_tokenizer_sep_id(t));
  for (size_t i = 0; i < na; i++)
    FZ_CHECK(a[i] >= 0 && (size_t)a[i] < qx_tokenizer_vocab_size(t));
  FZ_CHECK(qx_tokenizer_encode(t, text, len, &b, &nb) == 0);
  FZ_CHECK(na == nb && !memcmp(a, b, na * sizeof *a));
  free(a);
  free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int mode = data[0] % 3;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  char *fixed = NULL, *again = NULL;
  size_t flen = 0, alen = 0;
  FZ_CHECK(qx_tokenizer_utf8_repair(&fixed, &flen, text, len) == 0);
  FZ_CHECK(flen <= 3 * len && fixed[flen] == 0);
  FZ_CHECK(qx_tokenizer_utf8_repair(&again, &alen, fixed, flen) == 0);
  FZ_CHECK(alen == flen && !memcmp(again, fixed, flen));
  free(fixed);
  free(again);
  check_encode(toks[mode], text, len);
  return 0;
}
