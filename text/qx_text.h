/*
 * qx_text.h: text analysis, shared by the indexer, the query parser and
 * `quarry grep --rank`, so that documents and queries are cut the same way.
 *
 * Pipeline per token (see text/README.md):
 *   UTF-8 decode with repair (invalid bytes -> U+FFFD, never read past end)
 *   -> word segmentation on the ORIGINAL bytes (letters/digits/marks; hyphen
 *      splits words; digit groups "200 000" kept as separate numeric tokens;
 *      apostrophes ' and U+2019 handled: French elision l' d' qu' j' n' s' c'
 *      m' t' jusqu' lorsqu' puisqu' stripped when the language is fr)
 *   -> NFKC + case fold (utf8proc) -> accent folding (strip combining marks)
 *   -> stopword test (language list) -> Snowball stem (libstemmer).
 * Every token keeps the byte range [start, end) of its surface form in the
 * input, so callers can highlight and report offsets in the original text.
 */
#ifndef QX_TEXT_H
#define QX_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef enum qx_lang { QX_LANG_NONE = 0, QX_LANG_FR = 1, QX_LANG_EN = 2 } qx_lang;

/* Longest term (and folded form) in bytes, excluding the NUL. Longer words
 * are cut at the last whole code point that fits (documents and queries are
 * cut the same way, so they still match). A buffer of QX_TERM_MAX + 1 bytes
 * always holds a qx_analyze_word result. */
#define QX_TERM_MAX 64

/* Version of the analysis rules (segmentation, elision, folding, stopword
 * lists, stemmer, term cut). Bumped whenever a change could give another
 * term for some input, so an index can record it (MANIFEST) and a reader
 * can tell that its queries would not be analysed like its documents. */
#define QX_ANALYZER_VERSION 1

/* Parse "fr", "en", "none" (case-insensitive). Returns 0 or QUARRY_EINVAL. */
int qx_lang_parse(qx_lang *out, const char *name);
const char *qx_lang_name(qx_lang lang);

typedef struct qx_token {
  const char *term;    /* analysed form (folded, stemmed), NUL-terminated; valid during the callback only */
  size_t term_len;
  const char *folded;  /* folded surface form before stemming (for prefix queries and display) */
  size_t folded_len;
  uint32_t pos;        /* position: 0,1,2,... counts every word including stopwords */
  size_t start, end;   /* byte range of the surface word in the input */
  int is_stop;         /* 1 if a stopword (only reported when QX_ANALYZE_KEEP_STOP is set) */
} qx_token;

/* Return 0 to continue; a non-zero value stops analysis and is returned by qx_analyze. */
typedef int (*qx_token_fn)(void *ctx, const qx_token *tok);

typedef struct qx_analyzer qx_analyzer;

enum {
  QX_ANALYZE_KEEP_STOP = 1 << 0, /* report stopwords too (is_stop = 1) */
  QX_ANALYZE_NO_STEM = 1 << 1    /* skip stemming (term == folded) */
};

/* An analyzer for one language. Not thread-safe (holds a stemmer and scratch);
 * make one per thread. */
int qx_analyzer_new(qx_analyzer **out, qx_lang lang);
void qx_analyzer_free(qx_analyzer *a);
qx_lang qx_analyzer_lang(const qx_analyzer *a);

/* Analyse `len` bytes of `text` (need not be NUL-terminated nor valid UTF-8),
 * calling fn for each token in order. flags: QX_ANALYZE_*. */
int qx_analyze(qx_analyzer *a, const char *text, size_t len, int flags, qx_token_fn fn, void *ctx);

/* Normalise one word the same way (fold + stem), e.g. for query terms given
 * one by one. Writes a NUL-terminated string into out (cap bytes). Returns
 * the length, 0 if the word is a stopword or has no letters/digits, or a
 * negative code. The input is analysed exactly like qx_analyze: elision is
 * stripped ("l'argent" -> "argent"); if it holds several words ("Etats-Unis")
 * the term of the first one that is not a stopword is returned (use
 * qx_analyze to get them all). QUARRY_EINVAL if cap is too small (a cap of
 * QX_TERM_MAX + 1 is always enough). */
int qx_analyze_word(qx_analyzer *a, const char *word, size_t len, int flags, char *out, size_t cap);

/* 1 if `folded` (a folded word, apostrophes as ASCII ') is a stopword of
 * lang (never for QX_LANG_NONE). */
int qx_is_stopword(qx_lang lang, const char *folded, size_t len);

/* UTF-8 helpers. qx_utf8_decode reads one code point from [p, end), returns
 * the number of bytes consumed (>= 1) and stores U+FFFD for invalid input
 * (one byte at a time: overlongs, surrogates, > U+10FFFF and truncated
 * sequences are invalid). Returns 0 (and cp = -1) only when p >= end. */
size_t qx_utf8_decode(const uint8_t *p, const uint8_t *end, int32_t *cp);
/* 1 if [p, p+len) is valid UTF-8. */
int qx_utf8_valid(const char *p, size_t len);
/* 1 if the buffer looks binary, judged on its first 32 KiB like GNU grep: a
 * NUL byte, or more than 30% of bytes that are invalid UTF-8 or control
 * characters (other than tab, newline, CR, FF, VT, backspace and ESC). */
int qx_text_is_binary(const char *p, size_t len);

#endif /* QX_TEXT_H */
