/* test_tokenizer.c: Unigram on a synthetic E5S1 vocabulary (Viterbi choices,
 * normalisation map, space collapsing, unknown fusion), UTF-8 repair with
 * CPython "replace" semantics, malformed tokenizer.json / truncated E5S1
 * files, and known id sequences of the real models (values from the
 * `tokenizers` reference, see tests/ref/) when they are in the cache. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "e5s1_fixture.h"
#include "qx_test.h"
#include "qx_tokenizer.h"

/* Encode `text` and compare with the expected ids (terminated by -1). */
static int ids_are(qx_tokenizer *t, const char *text, size_t len, const int32_t *want) {
  int32_t *ids = NULL;
  size_t n = 0;
  if (qx_tokenizer_encode(t, text, len, &ids, &n)) return 0;
  size_t k = 0;
  while (want[k] >= 0)
    k++;
  int ok = n == k && !memcmp(ids, want, k * sizeof *ids);
  if (!ok) {
    fprintf(stderr, "text \"%.*s\": got", (int)len, text);
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, "\n");
  }
  free(ids);
  return ok;
}
#define IDS(t, s, ...) CHECK(ids_are((t), (s), sizeof(s) - 1, (const int32_t[]){__VA_ARGS__, -1}))

static void test_unigram_fixture(void) {
  qx_buf b = {0};
  CHECK_EQ_INT(fx_build(&b), 0);
  char *path = fx_write(&b, SIZE_MAX, "tok");
  qx_tokenizer *t = NULL;
  CHECK_EQ_INT(qx_tokenizer_load_e5s1(&t, path), 0);
  if (t) {
    CHECK_EQ_INT(qx_tokenizer_cls_id(t), 0);
    CHECK_EQ_INT(qx_tokenizer_sep_id(t), 2);
    CHECK_EQ_INT(qx_tokenizer_pad_id(t), 1);
    CHECK_EQ_INT(qx_tokenizer_vocab_size(t), 12);
    CHECK_EQ_STR(qx_tokenizer_id_to_token(t, 8), "\xe2\x96\x81"
                                                 "ab");
    IDS(t, "", 0, 2);
    IDS(t, "ab", 0, 8, 2);       /* ▁ab (-3.5) beats ▁ + ab (-6) */
    IDS(t, "abc", 0, 8, 9, 2);   /* ▁ab c (-6.5) beats ▁ abc (-11) */
    IDS(t, "Ab c", 0, 8, 10, 2); /* map A -> a; one word per ▁ */
    IDS(t, "x", 0, 4, 3, 2);     /* unknown character: ▁ <unk> */
    IDS(t, "xxx", 0, 4, 3, 2);   /* a run of unknowns is one <unk> */
    IDS(t, "x y", 0, 4, 3, 4, 3, 2);
    IDS(t, "\t\t ab", 0, 8, 2);  /* tabs map to spaces, runs collapse, no double ▁ */
    IDS(t, "ab  ", 0, 8, 4, 2);  /* trailing space is a lone ▁ */
    IDS(t, "\xc3\x86", 0, 8, 2); /* Æ maps to "ab" */
    IDS(t,
        "a\xc2\xad"
        "b",
        0, 8, 2);                     /* soft hyphen deleted */
    IDS(t, "\xff", 0, 4, 3, 2);       /* invalid byte -> U+FFFD -> <unk> */
    IDS(t, "a\0b", 0, 4, 5, 3, 6, 2); /* NUL is an ordinary (unknown) character */
  }
  qx_tokenizer_free(t);
  /* truncated file: clean error naming it */
  path = fx_write(&b, b.len - 10, "tok-trunc");
  CHECK_EQ_INT(qx_tokenizer_load_e5s1(&t, path), QUARRY_EMODEL);
  CHECK(t == NULL && strstr(quarry_error_last(), path) && strstr(quarry_error_last(), "truncated"));
  unlink(path);
  qx_buf_free(&b);
}

static void repair_is(const char *in, size_t len, const char *want) {
  char *out;
  size_t n;
  CHECK_EQ_INT(qx_tokenizer_utf8_repair(&out, &n, in, len), 0);
  CHECK(n == strlen(want));
  CHECK_EQ_STR(out, want);
  free(out);
}
#define REPAIR(in, want) repair_is((in), sizeof(in) - 1, (want))
#define FFFD "\xef\xbf\xbd"

static void test_utf8_repair(void) {
  /* expected values are Python's bytes.decode("utf-8", errors="replace") */
  REPAIR("caf\xc3\xa9", "caf\xc3\xa9");
  REPAIR("caf\xe9", "caf" FFFD);
  REPAIR("\xe2\x82 euro", FFFD " euro");           /* truncated sequence: one U+FFFD */
  REPAIR("\xed\xa0\x80", FFFD FFFD FFFD);          /* surrogate: each byte */
  REPAIR("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
  REPAIR("\xc0\xaf", FFFD FFFD);                   /* overlong */
  REPAIR("\xf0\x9f\x98!", FFFD "!");
  REPAIR("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
  REPAIR("\x80\xbf", FFFD FFFD);
  REPAIR("", "");
}

static void write_file(const char *path, const char *s) { qx_file_write(path, s, strlen(s)); }

static void bad_json(const char *json, const char *needle) {
  char path[128];
  snprintf(path, sizeof path, "/tmp/quarry-test-%d-tok.json", (int)getpid());
  write_file(path, json);
  qx_tokenizer *t = NULL;
  int rc = qx_tokenizer_load_hf(&t, path);
  CHECK(rc < 0 && t == NULL);
  const char *m = quarry_error_last();
  if (!(strstr(m, path) && strstr(m, needle))) {
    fprintf(stderr, "message \"%s\" lacks \"%s\"\n", m, needle);
    CHECK(0);
  }
  unlink(path);
}

static void test_malformed_json(void) {
  bad_json("{\"model\": {\"type\": \"WordPiece\", ", "invalid JSON");
  bad_json("[1, 2]", "no \"model\"");
  bad_json("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}", "BPE");
  bad_json("{\"model\": {\"type\": \"WordPiece\", \"vocab\": []}}", "model.vocab");
  bad_json("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0, \"b\": 5}}}", "out of range");
  bad_json("{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"a\": 0}}}",
           "[UNK]");
  bad_json(
      "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"a\", \"vocab\": {\"a\": 0}},"
      "\"normalizer\": {\"type\": \"Precompiled\"}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}",
      "Precompiled");
  bad_json("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", \"x\"]]}}", "vocab[0]");
  bad_json("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", -1.0]]},"
           "\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"!!not base64\"}}",
           "precompiled_charsmap");
  bad_json("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", -1.0]]},"
           "\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AQAAAA==\"}}",
           "precompiled_charsmap");
  bad_json("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 7, \"vocab\": [[\"a\", -1.0]]}}", "unk_id");
  qx_tokenizer *t = NULL;
  CHECK_EQ_INT(qx_tokenizer_load_hf(&t, "/nonexistent/tokenizer.json"), QUARRY_ENOTFOUND);
  CHECK(strstr(quarry_error_last(), "/nonexistent/tokenizer.json") != NULL);
}

/* A small Unigram tokenizer.json: NFKC + collapse + Metaspace, template post-processor. */
static void test_hf_unigram(void) {
  char path[128];
  snprintf(path, sizeof path, "/tmp/quarry-test-%d-uni.json", (int)getpid());
  write_file(
      path,
      "{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\"}, {\"id\": 2, \"content\": \"</s>\"},"
      " {\"id\": 7, \"content\": \"<mask>\"}],"
      " \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"},"
      "  {\"type\": \"Replace\", \"pattern\": {\"Regex\": \" {2,}\"}, \"content\": \" \"}]},"
      " \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\\u2581\","
      "  \"prepend_scheme\": \"always\", \"split\": true},"
      " \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": ["
      "  {\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": "
      "0}},"
      "  {\"SpecialToken\": {\"id\": \"</s>\", \"type_id\": 0}}], \"special_tokens\": {"
      "  \"<s>\": {\"id\": \"<s>\", \"ids\": [0], \"tokens\": [\"<s>\"]},"
      "  \"</s>\": {\"id\": \"</s>\", \"ids\": [2], \"tokens\": [\"</s>\"]}}},"
      " \"model\": {\"type\": \"Unigram\", \"unk_id\": 3, \"vocab\": [[\"<s>\", 0.0], [\"<pad>\", 0.0],"
      "  [\"</s>\", 0.0], [\"<unk>\", 0.0], [\"\\u2581\", -2.0], [\"\\u2581fi\", -1.0], [\"x\", -3.0]]}}");
  qx_tokenizer *t = NULL;
  CHECK_EQ_INT(qx_tokenizer_load_hf(&t, path), 0);
  if (t) {
    CHECK_EQ_INT(qx_tokenizer_vocab_size(t), 8);
    CHECK_EQ_INT(qx_tokenizer_pad_id(t), 1);
    IDS(t, "\xef\xac\x81", 0, 5, 2); /* NFKC: ligature ﬁ -> "fi" */
    IDS(t, "fi  x", 0, 5, 4, 6, 2);
    IDS(t, "x<mask>x", 0, 4, 6, 7, 4, 6, 2); /* added token split off the raw text */
    IDS(t, "q", 0, 4, 3, 2);
  }
  qx_tokenizer_free(t);
  unlink(path);
}

/* A sentencepiece charsmap built from four rules (A -> a, U+FB01 -> "fi",
 * e + U+0301 -> U+00E9, U+2460 -> "1") by spm_train --normalization_rule_tsv;
 * expected ids from the tokenizers library (see the quirks in embed/README.md). */
static const char *small_charsmap =
    "AAQAAAAAAQBBDQAAAgAAgMwYAgCBBQAABwAAgJGEAgCgPQAAAAAAgKwIAgCBBQAABAAAgA0AAAAMAAAADwAAAA4AAAARAAAA"
    "EAAAABMAAAASAAAAFQAAABQAAAAXAAAAFgAAABkAAAAYAAAAGwAAABoAAAAdAAAAHAAAAB8AAAAeAAAAIQAAACAAAAAjAAAA"
    "IgAAACUAAABlqAMAJwAAACYAAAApAAAAKAAAACsAAAAqAAAALQAAACwAAAAvAAAALgAAADEAAAAwAAAAMwAAADIAAAA1AAAA"
    "NAAAADcAAAA2AAAAOQAAADgAAAA7AAAAOgAAAD0AAAA8AAAAPwAAAD4AAABBAAAAQAAAAEMAAABCAAAARQAAAEQAAABHAAAA"
    "RgAAAEkAAABIAAAASwAAAEoAAABNAAAATAAAAE8AAABOAAAAUQAAAFAAAABTAAAAUgAAAFUAAABUAAAAVwAAAFYAAABZAAAA"
    "WAAAAFsAAABaAAAAXQAAAFwAAABfAAAAXgAAAGEAAABgAAAAYwAAAGIAAABlAAAAZAAAAGcAAABmAAAAaQAAAGgAAABrAAAA"
    "agAAAG0AAABsAAAAbwAAAG4AAABxAAAAcAAAAHMAAAByAAAAdQAAAHQAAAB3AAAAdgAAAHkAAAB4AAAAewAAAHoAAAB9AAAA"
    "fAAAAH8AAAB+AAAAgQAAAIAAAACDAAAAggAAAIUAAACEAAAAhwAAAIYAAACJAAAAiAAAAIsAAACKAAAAjQAAAIwAAACPAAAA"
    "jgAAAJEAAACQAAAAkwAAAJIAAACVAAAAlAAAAJcAAACWAAAAmQAAAJgAAACbAAAAmgAAAJ0AAACcAAAAnwAAAJ4AAAChAAAA"
    "oAAAAOLUAACiAAAApQAAAKQAAACnAAAApgAAAKkAAACoAAAAqwAAAKoAAACtAAAArAAAAK8AAADvKAAAsQAAALAAAACzAAAA"
    "sgAAALUAAAC0AAAAtwAAALYAAAC5AAAAuAAAALsAAAC6AAAAvQAAALwAAAC/AAAAvgAAAMEAAADAAAAAwwAAAMIAAADFAAAA"
    "xAAAAMcAAADGAAAAyQAAAMgAAADLAAAAygAAAM0AAADMAAAAzwAAAM4AAADRAAAA0AAAANMAAADSAAAA1QAAANQAAADXAAAA"
    "1gAAANkAAADYAAAA2wAAANoAAADdAAAA3AAAAN8AAADeAAAA4QAAAOAAAADjAAAA4gAAAOUAAADkAAAA5wAAAOYAAADpAAAA"
    "6AAAAOsAAADqAAAA7QAAAOwAAADvAAAA7gAAAPEAAADwAAAA8wAAAPIAAAD1AAAA9AAAAPcAAAD2AAAA+QAAAPgAAAD7AAAA"
    "+gAAAP0AAAD8AAAA/wAAAP4AAAAxAGEAZmkAw6kA";

static void test_hf_precompiled(void) {
  char path[128];
  snprintf(path, sizeof path, "/tmp/quarry-test-%d-pc.json", (int)getpid());
  qx_buf j = {0};
  qx_buf_printf(
      &j,
      "{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Precompiled\","
      " \"precompiled_charsmap\": \"%s\"}, {\"type\": \"Replace\", \"pattern\": {\"Regex\": \" {2,}\"},"
      " \"content\": \" \"}]}, \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"\\u2581\","
      " \"prepend_scheme\": \"always\", \"split\": true}, \"model\": {\"type\": \"Unigram\", \"unk_id\": 0,"
      " \"vocab\": [[\"<unk>\", 0.0], [\"<s>\", 0.0], [\"</s>\", 0.0], [\"\\u2581\", -2.0], [\"a\", -3.0],"
      " [\"f\", -3.0], [\"i\", -3.0], [\"\\u00e9\", -3.0], [\"1\", -3.0], [\"e\", -3.0], [\"\\u0301\", -3.0],"
      " [\"fi\", -2.5], [\"\\u2581a\", -2.5], [\"A\", -3.0]]}}",
      small_charsmap);
  qx_buf_putc(&j, 0);
  write_file(path, (const char *)j.data);
  qx_buf_free(&j);
  qx_tokenizer *t = NULL;
  CHECK_EQ_INT(qx_tokenizer_load_hf(&t, path), 0);
  if (t) {
    IDS(t, "A", 1, 12, 2);
    IDS(t, "\xef\xac\x81", 1, 3, 11, 2);                         /* ligature -> "fi" */
    IDS(t, "e\xcc\x81", 1, 3, 7, 2);                             /* e + U+0301 -> U+00E9 */
    IDS(t, "\xe2\x91\xa0", 1, 3, 8, 2);                          /* circled 1 -> "1" */
    IDS(t, "Ae\xcc\x81\xcc\x81", 1, 12, 7, 2);                   /* 5-byte cluster: 2nd accent lost */
    IDS(t, "e\xcc\x81\xcc\x81\xcc\x81", 1, 3, 9, 10, 10, 10, 2); /* 7 bytes: char by char */
    IDS(t, "A\xcc\x81", 1, 12, 2);                               /* "A" matches first: accent lost */
    IDS(t, "x\xcc\x81", 1, 3, 0, 10, 2);
  }
  qx_tokenizer_free(t);
  unlink(path);
}

/* WordPiece from a vocab.txt: greedy longest match, ## continuations, [UNK]. */
static void test_vocab_txt(void) {
  char path[128];
  snprintf(path, sizeof path, "/tmp/quarry-test-%d-vocab.txt", (int)getpid());
  write_file(path, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\n##a\naff\n!\ncafe\n");
  qx_tokenizer *t = NULL;
  CHECK_EQ_INT(qx_tokenizer_load_vocab_txt(&t, path, 1), 0);
  if (t) {
    CHECK_EQ_INT(qx_tokenizer_vocab_size(t), 12);
    IDS(t, "unaffable!", 2, 5, 6, 7, 10, 3); /* un ##aff ##able ! */
    IDS(t, "UNAFFABLE", 2, 5, 6, 7, 3);      /* lowercased */
    IDS(t, "Caf\xc3\xa9", 2, 11, 3);         /* accent stripped */
    IDS(t, "unaffablex aff", 2, 1, 9, 3);    /* unmatched tail: the whole word is [UNK] */
    IDS(t, "[MASK]aff", 2, 4, 9, 3);         /* special token matched in the raw text */
  }
  qx_tokenizer_free(t);
  write_file(path, "a\nb\n");
  CHECK_EQ_INT(qx_tokenizer_load_vocab_txt(&t, path, 1), QUARRY_EMODEL);
  CHECK(strstr(quarry_error_last(), path) && strstr(quarry_error_last(), "[PAD]"));
  unlink(path);
}

static char *model_path(const char *rel) {
  const char *home = getenv("HOME");
  char *p = qx_path_join(home ? home : "", rel);
  if (p && access(p, R_OK) != 0) {
    fprintf(stderr, "note: %s not present, its checks are skipped\n", p);
    free(p);
    return NULL;
  }
  return p;
}

/* Expected ids from the tokenizers library (tests/ref/tokenizer_ref.py). */
static void test_real_models(void) {
  char *p = model_path(".cache/quarry/models/all-MiniLM-L6-v2/tokenizer.json");
  qx_tokenizer *t = NULL;
  if (p && qx_tokenizer_load_hf(&t, p) == 0) {
    CHECK_EQ_INT(qx_tokenizer_vocab_size(t), 30522);
    CHECK_EQ_INT(qx_tokenizer_cls_id(t), 101);
    CHECK_EQ_INT(qx_tokenizer_sep_id(t), 102);
    CHECK_EQ_INT(qx_tokenizer_pad_id(t), 0);
    IDS(t, "Hello world!", 101, 7592, 2088, 999, 102);
    IDS(t, "\xf0\x9f\xa4\xa9 \xf0\x9f\xa5\xb2 x", 101, 100, 100, 1060, 102);
    IDS(t, "\xc4\xb0stanbul \xc7\x85 \xc3\x9f \xef\xac\x81", 101, 9960, 100, 1096, 1984, 102);
    IDS(t, "[CLS]a[SEP] [cls] [MASK]", 101, 101, 1037, 102, 1031, 18856, 2015, 1033, 103, 102);
    IDS(t, "", 101, 102);
  } else if (p) {
    CHECK(0);
  }
  qx_tokenizer_free(t);
  free(p);
  t = NULL;
  p = model_path(".cache/quarry/models/multilingual-e5-small/e5-small-q4.bin");
  if (p && qx_tokenizer_load_e5s1(&t, p) == 0) {
    CHECK_EQ_INT(qx_tokenizer_vocab_size(t), 250002);
    IDS(t,
        "passage: Le centre de calcul g\xc3\xa9"
        "ant",
        0, 46692, 12, 636, 11698, 8, 44805, 45447, 1236, 2);
    IDS(t, "Hello world!", 0, 35378, 8999, 38, 2);
    IDS(t, "a ", 0, 10, 6, 2);
    IDS(t, "x\xf4\x8f\xbf\xbd\xf4\x8f\xbf\xbdy", 0, 1022, 3, 53, 2);
  } else if (p) {
    CHECK(0);
  }
  qx_tokenizer_free(t);
  free(p);
}

int main(void) {
  test_unigram_fixture();
  test_utf8_repair();
  test_malformed_json();
  test_hf_unigram();
  test_hf_precompiled();
  test_vocab_txt();
  test_real_models();
  return qx_test_result();
}
