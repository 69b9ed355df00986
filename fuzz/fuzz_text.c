/*
 * fuzz_text.c: the text analyser (text/) on arbitrary bytes.
 *
 * Input: byte 0 picks the language (bits 0-1: fr, en, none, fr) and the
 * flags (bits 2-3: KEEP_STOP, NO_STEM); byte 1 picks the entry point (qx_analyze or
 * qx_analyze_word with a small or a large output buffer); the rest is the
 * text, which need not be UTF-8 nor NUL-terminated.
 * Checked beyond "no crash, no sanitizer report":
 *   - every token's byte range lies inside the input, start < end;
 *   - terms and folded forms are NUL-terminated, at most QX_TERM_MAX bytes,
 *     valid UTF-8; positions strictly increase;
 *   - analysing the same bytes twice gives the same tokens;
 *   - qx_utf8_decode consumes 1..4 bytes, re-encodes to the bytes it read
 *     (a one-byte decode of a non-ASCII byte is U+FFFD), and qx_utf8_valid
 *     agrees with it; qx_text_is_binary returns 0 or 1.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_text.h"

static qx_analyzer *analyzers[3];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const qx_lang langs[3] = {QX_LANG_FR, QX_LANG_EN, QX_LANG_NONE};
  for (int i = 0; i < 3; i++)
    if (qx_analyzer_new(&analyzers[i], langs[i]) != 0) abort();
  return 0;
}

typedef struct run {
  size_t len;
  uint64_t hash; /* of every token field, to compare two runs */
  size_t n;
  uint32_t last_pos;
} run;

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static int on_token(void *ctx, const qx_token *t) {
  run *r = ctx;
  FZ_CHECK(t->start < t->end && t->end <= r->len);
  FZ_CHECK(t->term && t->term_len <= QX_TERM_MAX && strlen(t->term) == t->term_len);
  FZ_CHECK(t->folded && t->folded_len <= QX_TERM_MAX && strlen(t->folded) == t->folded_len);
  FZ_CHECK(qx_utf8_valid(t->term, t->term_len) && qx_utf8_valid(t->folded, t->folded_len));
  FZ_CHECK(r->n == 0 || t->pos > r->last_pos || t->pos == UINT32_MAX);
  FZ_CHECK(t->is_stop == 0 || t->is_stop == 1);
  r->last_pos = t->pos;
  r->n++;
  r->hash = mix(r->hash, t->term, t->term_len + 1);
  r->hash = mix(r->hash, t->folded, t->folded_len + 1);
  uint64_t f[4] = {t->pos, t->start, t->end, (uint64_t)t->is_stop};
  r->hash = mix(r->hash, f, sizeof f);
  return 0;
}

static size_t utf8_put(uint8_t *o, int32_t cp) {
  if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
  if (cp < 0x800) { o[0] = (uint8_t)(0xC0 | (cp >> 6)); o[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (uint8_t)(0xE0 | (cp >> 12)); o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | (cp >> 18)); o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static void check_utf8(const uint8_t *p, size_t len) {
  const uint8_t *q = p, *end = p + len;
  int valid = 1;
  while (q < end) {
    int32_t cp;
    size_t n = qx_utf8_decode(q, end, &cp);
    FZ_CHECK(n >= 1 && n <= 4 && n <= (size_t)(end - q));
    FZ_CHECK(cp >= 0 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
    if (n == 1 && q[0] >= 0x80) {
      FZ_CHECK(cp == 0xFFFD);
      valid = 0;
    } else {
      uint8_t enc[4];
      FZ_CHECK(utf8_put(enc, cp) == n && memcmp(enc, q, n) == 0);
    }
    q += n;
  }
  int32_t cp;
  FZ_CHECK(qx_utf8_decode(end, end, &cp) == 0 && cp == -1);
  FZ_CHECK(qx_utf8_valid((const char *)p, len) == valid);
  int bin = qx_text_is_binary((const char *)p, len);
  FZ_CHECK(bin == 0 || bin == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!analyzers[0]) LLVMFuzzerInitialize(NULL, NULL);
  uint8_t sel = fz_take_byte(&data, &size);
  uint8_t mode = fz_take_byte(&data, &size);
  qx_analyzer *a = analyzers[(sel & 3) % 3];
  int flags = (sel >> 2) & (QX_ANALYZE_KEEP_STOP | QX_ANALYZE_NO_STEM);
  /* an exact-size copy, so that reading one byte too far is an ASan report */
  char *text = malloc(size ? size : 1);
  if (!text) abort();
  if (size) memcpy(text, data, size);

  check_utf8((const uint8_t *)text, size);
  if (mode & 1) {
    /* qx_analyze_word: buffer always large enough, or deliberately small */
    size_t cap = (mode & 2) ? QX_TERM_MAX + 1 : (size_t)(mode >> 2) % 8;
    char out[QX_TERM_MAX + 1];
    memset(out, 0x55, sizeof out);
    int n = qx_analyze_word(a, text, size, flags, out, cap);
    if (cap == QX_TERM_MAX + 1) FZ_CHECK(n >= 0);
    if (n > 0) {
      FZ_CHECK((size_t)n < cap && n <= QX_TERM_MAX && out[n] == 0 && strlen(out) == (size_t)n);
      FZ_CHECK(qx_utf8_valid(out, (size_t)n));
    } else {
      FZ_CHECK(n == 0 || n == QUARRY_EINVAL);
    }
  } else {
    run r1 = {size, 0xcbf29ce484222325ull, 0, 0}, r2 = r1;
    FZ_CHECK(qx_analyze(a, text, size, flags, on_token, &r1) == 0);
    FZ_CHECK(qx_analyze(a, text, size, flags, on_token, &r2) == 0);
    FZ_CHECK(r1.n == r2.n && r1.hash == r2.hash);
  }
  free(text);
  return 0;
}
