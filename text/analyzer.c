/*
 * analyzer.c: word segmentation, normalisation, stopwords and stemming.
 *
 * Segmentation works on the original bytes in one linear pass: a word is a
 * maximal run of code points of Unicode categories L*, M* and N* (the
 * alphanumeric classes of UAX #29, simplified). Everything else separates
 * words: spaces, hyphens, punctuation, symbols, invalid bytes (decoded as
 * U+FFFD, a symbol). Two kinds of characters join the code points on their
 * two sides when both are word characters:
 *   - apostrophes ' U+2019 U+02BC U+FF07 (except for lang none, where they
 *     separate), so that "l'argent", "aujourd'hui", "don't" are one word
 *     before elision / possessive handling;
 *   - format characters (Cf: soft hyphen, ZWJ, ZWNJ, word joiner), which
 *     normalisation then drops.
 * Then, per word:
 *   fr: the elided article / pronoun before the first apostrophe (l' d' qu'
 *       j' n' s' c' m' t' jusqu' lorsqu' puisqu', any case or accents) is
 *       dropped and the token starts after the apostrophe (Lucene's
 *       ElisionFilter does the same on its tokens).
 *   en: a trailing possessive 's is dropped ("Musk's" -> "musk"), unless the
 *       whole word is a stopword ("it's", "let's").
 *   Folding: NFKC + full case folding + mark stripping with utf8proc, then
 *   the letters NFKC does not split (œ æ ø ł đ ð þ ı) are spelled out; only
 *   letters and digits are kept. Pure-ASCII words take a fast path (the
 *   folding of ASCII letters is their lower case). Only the first
 *   SURFACE_MAX bytes of a word are normalised and the result is cut at
 *   QX_TERM_MAX bytes, so a 1 MB "word" costs one linear scan.
 *   The stopword test is made with apostrophes kept ("we'll" is a stopword,
 *   "well" is not); then apostrophes are removed ("don't" -> "dont").
 *   Stemming: Snowball (libstemmer) on the folded form, so accented and
 *   unaccented spellings share a stem. Pure digit strings are not stemmed.
 *
 * Every word that survives folding takes a position, stopwords included,
 * so phrase queries can see gaps. No malloc per token: an analyzer owns its
 * scratch buffers (one analyzer per thread).
 */
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "qx_common.h"
#include "qx_text.h"

#define SURFACE_MAX 256 /* bytes of a word's surface that get normalised */
#define FOLD_CAP 512    /* folded bytes kept (apostrophes included) */
/* NFKC + case folding expands one code point to at most 18 (U+FDFA), hence
 * at most 18 code points per input byte. */
#define CPS_CAP (SURFACE_MAX * 18 + 16)

#define FOLD_OPTS                                                                                        \
  (UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)

struct qx_analyzer {
  qx_lang lang;
  struct sb_stemmer *stemmer; /* NULL for QX_LANG_NONE */
  char fold[FOLD_CAP + 8];
  char folded[QX_TERM_MAX + 8];
  char term[QX_TERM_MAX + 8];
  utf8proc_int32_t cps[CPS_CAP];
};

int qx_lang_parse(qx_lang *out, const char *name) {
  if (name && !strcasecmp(name, "fr")) *out = QX_LANG_FR;
  else if (name && !strcasecmp(name, "en")) *out = QX_LANG_EN;
  else if (name && !strcasecmp(name, "none")) *out = QX_LANG_NONE;
  else return qx_err(QUARRY_EINVAL, "unknown language '%s' (expected fr, en or none)", name ? name : "");
  return 0;
}

const char *qx_lang_name(qx_lang lang) {
  switch (lang) {
  case QX_LANG_FR: return "fr";
  case QX_LANG_EN: return "en";
  case QX_LANG_NONE: return "none";
  }
  return "?";
}

int qx_analyzer_new(qx_analyzer **out, qx_lang lang) {
  *out = NULL;
  if (lang != QX_LANG_NONE && lang != QX_LANG_FR && lang != QX_LANG_EN)
    return qx_err(QUARRY_EINVAL, "analyzer: unknown language %d", (int)lang);
  qx_analyzer *a = qx_malloc(sizeof *a);
  if (!a) return qx_err(QUARRY_ENOMEM, "analyzer: out of memory");
  a->lang = lang;
  a->stemmer = NULL;
  if (lang != QX_LANG_NONE) {
    const char *alg = lang == QX_LANG_FR ? "french" : "english";
    a->stemmer = sb_stemmer_new(alg, "UTF_8");
    if (!a->stemmer) {
      free(a);
      return qx_err(QUARRY_ENOMEM, "analyzer: cannot create the Snowball '%s' stemmer", alg);
    }
  }
  *out = a;
  return 0;
}

void qx_analyzer_free(qx_analyzer *a) {
  if (!a) return;
  if (a->stemmer) sb_stemmer_delete(a->stemmer);
  free(a);
}

qx_lang qx_analyzer_lang(const qx_analyzer *a) { return a->lang; }

/* ---- character classes ------------------------------------------------- */

enum { C_SEP = 0, C_WORD, C_APOS, C_JOIN };

static inline int ascii_alnum(uint8_t c) {
  return (uint8_t)((c | 0x20) - 'a') < 26 || (uint8_t)(c - '0') < 10;
}

static inline int is_apos_cp(int32_t cp) {
  return cp == '\'' || cp == 0x2019 || cp == 0x02BC || cp == 0xFF07;
}

static int classify_cp(int32_t cp) {
  if (is_apos_cp(cp)) return C_APOS; /* before the category test: U+02BC is Lm */
  utf8proc_category_t cat = utf8proc_category(cp);
  if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO) return C_WORD; /* L*, M*, N* */
  if (cat == UTF8PROC_CATEGORY_CF) return C_JOIN;
  return C_SEP;
}

/* Class of the code point at s[i] (i < len); its length in *n. */
static inline int class_at(const uint8_t *s, size_t len, size_t i, size_t *n) {
  uint8_t c = s[i];
  if (c < 0x80) {
    *n = 1;
    return ascii_alnum(c) ? C_WORD : c == '\'' ? C_APOS : C_SEP;
  }
  int32_t cp;
  *n = qx_utf8_decode(s + i, s + len, &cp);
  if (*n == 1) return C_SEP; /* invalid byte: U+FFFD, a symbol */
  return classify_cp(cp);
}

/* ---- folding ----------------------------------------------------------- */

static inline size_t put_str(char *out, size_t o, const char *r) {
  while (*r) out[o++] = *r++;
  return o;
}

/* Fold [s, s+n) (valid UTF-8, n <= SURFACE_MAX) into a->fold, keeping
 * apostrophes as ASCII '. Returns the folded length (<= FOLD_CAP). */
static size_t fold_word(qx_analyzer *a, const uint8_t *s, size_t n) {
  char *out = a->fold;
  size_t o = 0, i = 0;
  for (; i < n && s[i] < 0x80; i++) {
    uint8_t c = s[i];
    out[o++] = (char)((uint8_t)(c - 'A') < 26 ? c + 32 : c);
  }
  if (i == n) return o;
  /* The rest goes through utf8proc. Starting it at a non-ASCII code point is
   * safe: an ASCII starter only composes with marks, which are stripped. */
  utf8proc_ssize_t k = utf8proc_decompose(s + i, (utf8proc_ssize_t)(n - i), a->cps, CPS_CAP, FOLD_OPTS);
  if (k < 0 || k > CPS_CAP) return o; /* cannot happen on valid, bounded input */
  k = utf8proc_normalize_utf32(a->cps, k, FOLD_OPTS);
  if (k < 0) return o;
  for (utf8proc_ssize_t j = 0; j < k && o + 8 <= FOLD_CAP; j++) {
    int32_t c = a->cps[j];
    if (c < 0x80) {
      if (ascii_alnum((uint8_t)c)) out[o++] = (char)((uint8_t)(c - 'A') < 26 ? c + 32 : c);
      else if (c == '\'') out[o++] = '\'';
      continue;
    }
    switch (c) {
    case 0x2019: case 0x02BC: case 0xFF07: out[o++] = '\''; continue;
    case 0x0153: o = put_str(out, o, "oe"); continue; /* œ */
    case 0x00E6: o = put_str(out, o, "ae"); continue; /* æ */
    case 0x00DF: o = put_str(out, o, "ss"); continue; /* ß (case folding already does it) */
    case 0x00F8: out[o++] = 'o'; continue;            /* ø */
    case 0x0142: out[o++] = 'l'; continue;            /* ł */
    case 0x0111: case 0x00F0: out[o++] = 'd'; continue; /* đ ð */
    case 0x00FE: o = put_str(out, o, "th"); continue; /* þ */
    case 0x0131: out[o++] = 'i'; continue;            /* dotless ı */
    default: break;
    }
    utf8proc_category_t cat = utf8proc_category(c);
    if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
        (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
      o += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)out + o);
  }
  return o;
}

/* French elided forms, folded: c d j l m n s t qu jusqu lorsqu puisqu. */
static int is_elision(const char *p, size_t n) {
  switch (n) {
  case 1: return p[0] && strchr("cdjlmnst", p[0]) != NULL;
  case 2: return p[0] == 'q' && p[1] == 'u';
  case 5: return !memcmp(p, "jusqu", 5);
  case 6: return !memcmp(p, "lorsqu", 6) || !memcmp(p, "puisqu", 6);
  default: return 0;
  }
}

/* Copy src without apostrophes into dst, cut at QX_TERM_MAX bytes on a code
 * point boundary, NUL-terminated. Returns the length. */
static size_t copy_term(char *dst, const char *src, size_t n, int drop_apos) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (drop_apos && src[i] == '\'') continue;
    if (o == QX_TERM_MAX) {
      if (((uint8_t)src[i] & 0xC0) == 0x80) { /* the cut falls inside a code point: drop it */
        while (o > 0 && ((uint8_t)dst[o - 1] & 0xC0) == 0x80) o--;
        if (o > 0) o--;
      }
      break;
    }
    dst[o++] = src[i];
  }
  dst[o] = '\0';
  return o;
}

static int all_digits(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((uint8_t)(p[i] - '0') >= 10) return 0;
  return 1;
}

/* Apostrophe positions inside a word, SIZE_MAX when none. */
typedef struct word_apos {
  size_t first_s, first_e, last_s, last_e;
} word_apos;

/* Analyse the word s[ws, we) and report it. Returns 0 or what fn returned. */
static int emit_word(qx_analyzer *a, const uint8_t *s, size_t ws, size_t we, const word_apos *ap, int flags,
                     qx_token_fn fn, void *ctx, uint32_t *pos) {
  size_t nb = we - ws;
  if (nb > SURFACE_MAX) {
    nb = SURFACE_MAX;
    while (nb > 0 && (s[ws + nb] & 0xC0) == 0x80) nb--; /* cut on a code point boundary */
  }
  size_t flen = fold_word(a, s + ws, nb);
  char *f = a->fold;
  int is_stop = -1; /* unknown */

  if (a->lang == QX_LANG_FR && ap->first_s != SIZE_MAX) {
    /* The first ' of the folded form is the first apostrophe of the surface. */
    const char *q = memchr(f, '\'', flen);
    if (q && is_elision(f, (size_t)(q - f))) {
      size_t cut = (size_t)(q - f) + 1;
      f += cut;
      flen -= cut;
      ws = ap->first_e;
    }
  } else if (a->lang == QX_LANG_EN && ap->last_s != SIZE_MAX && ap->last_e == we - 1 &&
             (s[we - 1] | 0x20) == 's') {
    if (qx_is_stopword(QX_LANG_EN, f, flen)) {
      is_stop = 1;
    } else {
      we = ap->last_s;
      if (flen >= 2 && f[flen - 2] == '\'' && f[flen - 1] == 's') flen -= 2;
    }
  }
  if (is_stop < 0) is_stop = qx_is_stopword(a->lang, f, flen);

  size_t folded_len = copy_term(a->folded, f, flen, 1);
  if (folded_len == 0) return 0; /* nothing left (marks, ignorables): not a word */
  uint32_t p = *pos;
  if (*pos < UINT32_MAX) (*pos)++;
  if (is_stop && !(flags & QX_ANALYZE_KEEP_STOP)) return 0;

  qx_token tok;
  tok.folded = a->folded;
  tok.folded_len = folded_len;
  if (!a->stemmer || (flags & QX_ANALYZE_NO_STEM) || all_digits(a->folded, folded_len)) {
    tok.term = a->folded;
    tok.term_len = folded_len;
  } else {
    const sb_symbol *st = sb_stemmer_stem(a->stemmer, (const sb_symbol *)a->folded, (int)folded_len);
    if (!st) return qx_err(QUARRY_ENOMEM, "analyzer: stemmer out of memory");
    int sl = sb_stemmer_length(a->stemmer);
    tok.term_len = copy_term(a->term, (const char *)st, sl > 0 ? (size_t)sl : 0, 0);
    tok.term = a->term;
  }
  tok.pos = p;
  tok.start = ws;
  tok.end = we;
  tok.is_stop = is_stop;
  return fn(ctx, &tok);
}

int qx_analyze(qx_analyzer *a, const char *text, size_t len, int flags, qx_token_fn fn, void *ctx) {
  if (!a || !fn || (!text && len)) return qx_err(QUARRY_EINVAL, "qx_analyze: bad arguments");
  const uint8_t *s = (const uint8_t *)text;
  const int join_apos = a->lang != QX_LANG_NONE;
  uint32_t pos = 0;
  size_t i = 0, n;
  while (i < len) {
    uint8_t c = s[i];
    if (c < 0x80 && !ascii_alnum(c)) {
      i++;
      continue;
    }
    if (class_at(s, len, i, &n) != C_WORD) {
      i += n;
      continue;
    }
    size_t ws = i;
    word_apos ap = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX};
    i += n;
    while (i < len) {
      while (i < len && s[i] < 0x80 && ascii_alnum(s[i])) i++;
      if (i >= len) break;
      int cl = class_at(s, len, i, &n);
      if (cl == C_WORD) {
        i += n;
        continue;
      }
      if ((cl == C_APOS && join_apos) || cl == C_JOIN) {
        size_t n2;
        if (i + n < len && class_at(s, len, i + n, &n2) == C_WORD) {
          if (cl == C_APOS) {
            if (ap.first_s == SIZE_MAX) ap.first_s = i, ap.first_e = i + n;
            ap.last_s = i;
            ap.last_e = i + n;
          }
          i += n + n2;
          continue;
        }
      }
      break;
    }
    int rc = emit_word(a, s, ws, i, &ap, flags, fn, ctx, &pos);
    if (rc) return rc;
  }
  return 0;
}

/* ---- single words ------------------------------------------------------ */

typedef struct first_term {
  char *out;
  size_t cap;
  int len;
} first_term;

static int take_first(void *ctx, const qx_token *tok) {
  first_term *ft = ctx;
  if (tok->term_len + 1 > ft->cap) {
    ft->len = qx_err(QUARRY_EINVAL, "analyzer: term of %zu bytes does not fit in %zu", tok->term_len,
                     ft->cap);
    return 1;
  }
  memcpy(ft->out, tok->term, tok->term_len + 1);
  ft->len = (int)tok->term_len;
  return 1;
}

int qx_analyze_word(qx_analyzer *a, const char *word, size_t len, int flags, char *out, size_t cap) {
  if (!out || cap == 0) return qx_err(QUARRY_EINVAL, "qx_analyze_word: no output buffer");
  out[0] = '\0';
  first_term ft = {out, cap, 0};
  int rc = qx_analyze(a, word, len, flags, take_first, &ft);
  if (rc < 0) return rc;
  return ft.len;
}
