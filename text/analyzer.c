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

/* Stem cache: folded form (apostrophes kept) -> stopword flag and stem.
 * Natural text repeats its words (Zipf), and a Snowball stem costs ~0.5 us,
 * so a 2-way set-associative cache of recent words saves most of the
 * stemming. It is a pure function cache: results are the same with or
 * without it. It starts small (an analyzer made for one query or snippet
 * stays cheap) and grows 8x, dropping its content, each time it has had
 * more misses than slots, up to CACHE_SLOTS_MAX. */
#define CACHE_KEY_MAX 30
#define CACHE_SLOTS_MIN 256     /* x 64 bytes = 16 KiB */
#define CACHE_SLOTS_MAX 32768   /* x 64 bytes = 2 MiB */
typedef struct cache_ent {
  uint8_t klen, tlen, is_stop, used;
  char key[CACHE_KEY_MAX];
  char term[CACHE_KEY_MAX];
} cache_ent;
_Static_assert(sizeof(cache_ent) == 64, "key_eq reads 32 bytes from key: term must follow it");

struct qx_analyzer {
  qx_lang lang;
  struct sb_stemmer *stemmer; /* NULL for QX_LANG_NONE */
  cache_ent *cache;           /* cache_slots entries; NULL until first used */
  size_t cache_slots, cache_misses;
  int use_cache; /* 1 unless a test turned it off */
  int fold_apos; /* fold_general wrote an apostrophe (maybe from a decomposition: U+0149) */
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
  a->cache = NULL;
  a->cache_slots = a->cache_misses = 0;
  a->use_cache = 1;
  if (lang != QX_LANG_NONE) {
    const char *alg = lang == QX_LANG_FR ? "french" : "english";
    a->stemmer = sb_stemmer_new(alg, "UTF_8");
    if (!a->stemmer) {
      qx_analyzer_free(a);
      return qx_err(QUARRY_ENOMEM, "analyzer: cannot create the Snowball '%s' stemmer", alg);
    }
  }
  *out = a;
  return 0;
}

void qx_analyzer_free(qx_analyzer *a) {
  if (!a) return;
  if (a->stemmer) sb_stemmer_delete(a->stemmer);
  free(a->cache);
  free(a);
}

qx_lang qx_analyzer_lang(const qx_analyzer *a) { return a->lang; }

void qx_analyzer_use_cache(qx_analyzer *a, int on) { a->use_cache = on != 0; }

/* ---- character classes ------------------------------------------------- */

enum { C_SEP = 0, C_WORD, C_APOS, C_JOIN };

/* Byte classes for the scanner: 1 = ASCII letter or digit, 2 = non-ASCII
 * (decode it), 0 = ASCII separator. */
static const uint8_t k_byte_class[256] = {
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static inline int ascii_alnum(uint8_t c) { return k_byte_class[c] == 1; }

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

/* Fold [s, s+n) (valid UTF-8) with utf8proc, appending to a->fold at o.
 * Returns the new length. */
static size_t fold_general(qx_analyzer *a, const uint8_t *s, size_t n, size_t o) {
  char *out = a->fold;
  utf8proc_ssize_t k = utf8proc_decompose(s, (utf8proc_ssize_t)n, a->cps, CPS_CAP, FOLD_OPTS);
  if (k < 0 || k > CPS_CAP) return o; /* cannot happen on valid, bounded input */
  k = utf8proc_normalize_utf32(a->cps, k, FOLD_OPTS);
  if (k < 0) return o;
  for (utf8proc_ssize_t j = 0; j < k && o + 8 <= FOLD_CAP; j++) {
    int32_t c = a->cps[j];
    if (c < 0x80) {
      if (ascii_alnum((uint8_t)c)) out[o++] = (char)((uint8_t)(c - 'A') < 26 ? c + 32 : c);
      else if (c == '\'') out[o++] = '\'', a->fold_apos = 1;
      continue;
    }
    switch (c) {
    case 0x2019: case 0x02BC: case 0xFF07: out[o++] = '\''; a->fold_apos = 1; continue;
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


/* Folding of U+00C0..U+017F (Latin-1 letters and Latin Extended-A), as
 * utf8proc + the spelled-out letters below give it; SLOW: code points that
 * take the utf8proc path (not letters, letters that stay non-ASCII, and
 * U+0149 which decomposes to an apostrophe). Generated from fold_general;
 * test_text checks the two paths agree on every code point. */
#define SLOW "\xFF"
static const char k_latin[0x180 - 0xC0][3] = {
    "a",   "a",   "a",   "a",   "a",   "a",   "ae",  "c",   "e",   "e",   "e",   "e",   "i",   "i",   "i",   "i",   /* U+00C0 */
    "d",   "n",   "o",   "o",   "o",   "o",   "o",   SLOW,   "o",   "u",   "u",   "u",   "u",   "y",   "th",  "ss",  /* U+00D0 */
    "a",   "a",   "a",   "a",   "a",   "a",   "ae",  "c",   "e",   "e",   "e",   "e",   "i",   "i",   "i",   "i",   /* U+00E0 */
    "d",   "n",   "o",   "o",   "o",   "o",   "o",   SLOW,   "o",   "u",   "u",   "u",   "u",   "y",   "th",  "y",   /* U+00F0 */
    "a",   "a",   "a",   "a",   "a",   "a",   "c",   "c",   "c",   "c",   "c",   "c",   "c",   "c",   "d",   "d",   /* U+0100 */
    "d",   "d",   "e",   "e",   "e",   "e",   "e",   "e",   "e",   "e",   "e",   "e",   "g",   "g",   "g",   "g",   /* U+0110 */
    "g",   "g",   "g",   "g",   "h",   "h",   SLOW,   SLOW,   "i",   "i",   "i",   "i",   "i",   "i",   "i",   "i",   /* U+0120 */
    "i",   "i",   "ij",  "ij",  "j",   "j",   "k",   "k",   SLOW,   "l",   "l",   "l",   "l",   "l",   "l",   "l",   /* U+0130 */
    "l",   "l",   "l",   "n",   "n",   "n",   "n",   "n",   "n", SLOW,   SLOW,   SLOW,   "o",   "o",   "o",   "o",   /* U+0140 */
    "o",   "o",   "oe",  "oe",  "r",   "r",   "r",   "r",   "r",   "r",   "s",   "s",   "s",   "s",   "s",   "s",   /* U+0150 */
    "s",   "s",   "t",   "t",   "t",   "t",   SLOW,   SLOW,   "u",   "u",   "u",   "u",   "u",   "u",   "u",   "u",   /* U+0160 */
    "u",   "u",   "u",   "u",   "w",   "w",   "y",   "y",   "y",   "z",   "z",   "z",   "z",   "z",   "z",   "s",   /* U+0170 */
};
#undef SLOW

/* Fold [s, s+n) (valid UTF-8, n <= SURFACE_MAX) into a->fold, keeping
 * apostrophes as ASCII '. Returns the folded length (<= FOLD_CAP).
 * Fast paths: ASCII (lower case), then words of ASCII, Latin-1 / Latin
 * Extended-A letters and ’ (the common French case) by table; anything
 * else goes through utf8proc. Folding such words code point by code point
 * equals folding them whole: they hold no combining marks, so NFKC has
 * nothing to compose. */
static size_t fold_word(qx_analyzer *a, const uint8_t *s, size_t n, size_t avail) {
  char *out = a->fold;
  size_t o = 0, i = 0;
  /* A word's ASCII bytes are letters, digits and ', and c | 0x20 lowers the
   * letters and leaves digits and ' alone: 8 bytes at a time when the input
   * has 8 readable bytes (a->fold has room for the overhang). */
  const uint64_t hi = 0x8080808080808080ull, lo = 0x2020202020202020ull;
  if (n <= 8 && avail >= 8) {
    uint64_t w, mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
    memcpy(&w, s, 8);
    if (!(w & mask & hi)) {
      w |= lo;
      memcpy(out, &w, 8);
      return n;
    }
  } else if (n > 8) {
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & hi) break;
      w |= lo;
      memcpy(out + i, &w, 8);
    }
    o = i;
  }
  for (; i < n && s[i] < 0x80; i++) out[o++] = (char)(s[i] | 0x20);
  if (i == n) return o;
  size_t o0 = o;
  for (size_t j = i; j < n;) {
    uint8_t c = s[j];
    if (c < 0x80) {
      out[o++] = (char)(c | 0x20);
      j++;
    } else if (c >= 0xC3 && c <= 0xC5 && j + 1 < n) {
      const char *m = k_latin[(((c & 0x1F) << 6) | (s[j + 1] & 0x3F)) - 0xC0];
      if (m[0] == '\xFF') return fold_general(a, s + i, n - i, o0);
      out[o++] = m[0];
      if (m[1]) out[o++] = m[1];
      j += 2;
    } else if (c == 0xE2 && j + 2 < n && s[j + 1] == 0x80 && s[j + 2] == 0x99) { /* ’ */
      out[o++] = '\'';
      j += 3;
    } else {
      return fold_general(a, s + i, n - i, o0);
    }
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
  if (n <= QX_TERM_MAX && (!drop_apos || !memchr(src, '\'', n))) { /* the common case */
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
  }
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

/* Stem the folded form in a->folded into a->term; returns the length or a
 * negative code. */
static int stem_folded(qx_analyzer *a, size_t folded_len) {
  const sb_symbol *st = sb_stemmer_stem(a->stemmer, (const sb_symbol *)a->folded, (int)folded_len);
  if (!st) return qx_err(QUARRY_ENOMEM, "analyzer: stemmer out of memory");
  int sl = sb_stemmer_length(a->stemmer);
  return (int)copy_term(a->term, (const char *)st, sl > 0 ? (size_t)sl : 0, 0);
}

/* Hash of a key of n <= CACHE_KEY_MAX bytes, read 8 at a time (multiply
 * and xor-shift as in MurmurHash3's finaliser). p points into a->fold,
 * which has 8 bytes of slack: the last partial word is read whole and
 * masked. */
static inline uint32_t hash_key(const char *p, size_t n) {
  uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  if (n) {
    uint64_t w;
    memcpy(&w, p, 8);
    w &= (1ull << (8 * n)) - 1;
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  return (uint32_t)h;
}

/* The analysis of one folded form f (apostrophes kept; lang fr or en):
 * fills a->folded (apostrophes removed, cut) and, unless no_stem, a->term.
 * Returns the folded length or a negative code; *is_stop set. */
typedef struct word_info {
  size_t folded_len, term_len;
  int is_stop;
} word_info;

/* Equality of n <= CACHE_KEY_MAX bytes, 8 at a time: k is a cache entry's
 * key (followed by its term, so 32 bytes are readable), f is in a->fold
 * (with slack). */
static inline int key_eq(const char *k, const char *f, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t x, y;
    memcpy(&x, k + i, 8);
    memcpy(&y, f + i, 8);
    uint64_t d = x ^ y;
    if (n - i < 8) d &= (1ull << (8 * (n - i))) - 1;
    if (d) return 0;
  }
  return 1;
}

/* copy_term for a source in a->fold (readable 32 bytes past it). */
static inline size_t copy_folded(char *dst, const char *f, size_t n, int has_apos) {
  if (n <= 32 && !has_apos) {
    memcpy(dst, f, 32); /* fixed size: two moves; dst has QX_TERM_MAX + 8 bytes */
    dst[n] = '\0';
    return n;
  }
  return copy_term(dst, f, n, has_apos);
}

static int analyse_folded(qx_analyzer *a, const char *f, size_t flen, int has_apos, word_info *wi) {
  wi->folded_len = copy_folded(a->folded, f, flen, has_apos);
  if (wi->folded_len == 0 || all_digits(a->folded, wi->folded_len)) {
    wi->is_stop = 0;
    memcpy(a->term, a->folded, wi->folded_len + 1);
    wi->term_len = wi->folded_len;
    return 0;
  }
  /* 2-way set-associative, most recently used way first */
  cache_ent *set = NULL;
  if (flen <= CACHE_KEY_MAX && a->use_cache) {
    if (a->cache_misses >= a->cache_slots && a->cache_slots < CACHE_SLOTS_MAX) {
      size_t slots = a->cache_slots ? QX_MIN(a->cache_slots * 8, CACHE_SLOTS_MAX) : CACHE_SLOTS_MIN;
      cache_ent *c = qx_calloc(slots, sizeof *c); /* on failure, keep the one we have */
      if (c) {
        free(a->cache);
        a->cache = c;
        a->cache_slots = slots;
        a->cache_misses = 0;
      }
    }
  }
  if (flen <= CACHE_KEY_MAX && a->cache && a->use_cache) {
    set = &a->cache[(hash_key(f, flen) & (a->cache_slots / 2 - 1)) * 2];
    for (int w = 0; w < 2; w++) {
      cache_ent *e = &set[w];
      if (e->used && e->klen == flen && key_eq(e->key, f, flen)) {
        wi->is_stop = e->is_stop;
        memcpy(a->term, e->term, CACHE_KEY_MAX); /* fixed size: two moves */
        a->term[e->tlen] = '\0';
        wi->term_len = e->tlen;
        if (w == 1) {
          cache_ent t = set[0];
          set[0] = set[1];
          set[1] = t;
        }
        return 0;
      }
    }
  }
  a->cache_misses++;
  wi->is_stop = qx_is_stopword(a->lang, f, flen);
  int tl = stem_folded(a, wi->folded_len);
  if (tl < 0) return tl;
  wi->term_len = (size_t)tl;
  if (set && wi->term_len <= CACHE_KEY_MAX) {
    set[1] = set[0];
    cache_ent *e = &set[0];
    e->used = 1;
    e->klen = (uint8_t)flen;
    e->tlen = (uint8_t)wi->term_len;
    e->is_stop = (uint8_t)wi->is_stop;
    memcpy(e->key, f, flen);
    memcpy(e->term, a->term, wi->term_len);
  }
  return 0;
}

/* Apostrophe positions inside a word, SIZE_MAX when none. */
typedef struct word_apos {
  size_t first_s, first_e, last_s, last_e;
} word_apos;

/* Analyse the word s[ws, we) and report it. Returns 0 or what fn returned. */
static int emit_word(qx_analyzer *a, const uint8_t *s, size_t len, size_t ws, size_t we, const word_apos *ap,
                     int flags, qx_token_fn fn, void *ctx, uint32_t *pos) {
  size_t nb = we - ws;
  if (nb > SURFACE_MAX) {
    nb = SURFACE_MAX;
    while (nb > 0 && (s[ws + nb] & 0xC0) == 0x80) nb--; /* cut on a code point boundary */
  }
  a->fold_apos = 0;
  size_t flen = fold_word(a, s + ws, nb, len - ws);
  const char *f = a->fold;
  word_info wi = {0, 0, 0};
  /* the folded form has a ' only if the surface had one or utf8proc made one */
  const int has_apos = ap->first_s != SIZE_MAX || a->fold_apos;
  int rc;

  if (a->lang == QX_LANG_NONE) {
    wi.folded_len = wi.term_len = copy_folded(a->folded, f, flen, has_apos);
  } else {
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
      /* possessive 's, unless the whole word is a stopword ("it's", "let's") */
      if ((rc = analyse_folded(a, f, flen, has_apos, &wi)) < 0) return rc;
      if (!wi.is_stop) {
        we = ap->last_s;
        if (flen >= 2 && f[flen - 2] == '\'' && f[flen - 1] == 's') flen -= 2;
        wi.folded_len = 0;
      }
    }
    if (wi.folded_len == 0 && (rc = analyse_folded(a, f, flen, has_apos, &wi)) < 0) return rc;
  }
  if (wi.folded_len == 0) return 0; /* nothing left (marks, ignorables): not a word */
  uint32_t p = *pos;
  if (*pos < UINT32_MAX) (*pos)++;
  if (wi.is_stop && !(flags & QX_ANALYZE_KEEP_STOP)) return 0;

  qx_token tok;
  tok.folded = a->folded;
  tok.folded_len = wi.folded_len;
  if (a->lang == QX_LANG_NONE || (flags & QX_ANALYZE_NO_STEM)) {
    tok.term = a->folded;
    tok.term_len = wi.folded_len;
  } else {
    tok.term = a->term;
    tok.term_len = wi.term_len;
  }
  tok.pos = p;
  tok.start = ws;
  tok.end = we;
  tok.is_stop = wi.is_stop;
  return fn(ctx, &tok);
}

int qx_analyze(qx_analyzer *a, const char *text, size_t len, int flags, qx_token_fn fn, void *ctx) {
  if (!a || !fn || (!text && len)) return qx_err(QUARRY_EINVAL, "qx_analyze: bad arguments");
  const uint8_t *s = (const uint8_t *)text;
  const int join_apos = a->lang != QX_LANG_NONE;
  uint32_t pos = 0;
  size_t i = 0, n;
  while (i < len) {
    if (k_byte_class[s[i]] == 0) {
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
      while (i < len && k_byte_class[s[i]] == 1) i++;
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
    int rc = emit_word(a, s, len, ws, i, &ap, flags, fn, ctx, &pos);
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
