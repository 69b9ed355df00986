/*
 * tokenizer_wordpiece.c: BERT WordPiece tokenisation (Wu et al. 2016,
 * "Google's Neural Machine Translation System"; Devlin et al. 2019, BERT's
 * BasicTokenizer), as Hugging Face `tokenizers` runs it, so ids match it:
 *
 *   BertNormalizer, in this order over the whole text:
 *     clean_text    drop U+0000, U+FFFD and control characters (categories
 *                   Cc, Cf, Co, Cs except \t \n \r); whitespace becomes ' '
 *     chinese chars put ' ' around CJK ideographs (BERT's ranges)
 *     strip_accents NFD, then drop nonspacing marks (Mn); defaults to lowercase
 *     lowercase     full lowercase mapping (U+0130 -> "i" + U+0307)
 *   BertPreTokenizer: split on White_Space (dropped) and around every
 *     punctuation character (ASCII punctuation or Unicode P*), kept alone;
 *   WordPiece per word: a word longer than max_input_chars_per_word (100)
 *     characters is [UNK]; otherwise greedy longest-match-first from the left,
 *     non-initial pieces carrying the "##" prefix; if some position matches
 *     nothing the whole word is [UNK].
 * Character classes (control, nonspacing mark, punctuation) are those of the
 * reference library, whose Unicode tables are older than utf8proc's: they
 * are generated from it (tokenizer_bert_tables.c); utf8proc gives the NFD
 * decomposition and the lowercase mapping.
 */
#include <stdlib.h>
#include <utf8proc.h>

#include "tokenizer_int.h"

static int is_white(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

extern const uint32_t qx_bert_other[][2], qx_bert_mark[][2], qx_bert_punct[][2];
extern const size_t qx_bert_other_n, qx_bert_mark_n, qx_bert_punct_n;

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t c) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r[mid][1] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && r[lo][0] <= c;
}

static int is_control(uint32_t c) {
  if (c < 0x80) return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
  return in_ranges(qx_bert_other, qx_bert_other_n, c);
}

static int is_cjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_punct(uint32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return in_ranges(qx_bert_punct, qx_bert_punct_n, c);
}

static int push_lower(const qx_tokenizer *t, qx_u32vec *v, uint32_t c) {
  if (!t->lowercase || c < 0x41) return qx_u32vec_push(v, c);
  if (c < 0x80) return qx_u32vec_push(v, c <= 0x5A ? c + 32 : c);
  if (c == 0x130) { /* the one full lowercase mapping longer than one codepoint */
    int rc = qx_u32vec_push(v, 0x69);
    return rc ? rc : qx_u32vec_push(v, 0x307);
  }
  return qx_u32vec_push(v, (uint32_t)utf8proc_tolower((utf8proc_int32_t)c));
}

static int strip_lower(const qx_tokenizer *t, qx_u32vec *v, uint32_t c);

/* Append the normalised form of one codepoint. */
static int normalize_cp(const qx_tokenizer *t, qx_u32vec *v, uint32_t c) {
  if (t->clean_text) {
    if (c == 0 || c == 0xFFFD || is_control(c)) return 0;
    if (is_white(c)) c = ' ';
  }
  if (t->chinese_chars && is_cjk(c)) { /* spaced first; compatibility ideographs still get NFD */
    int rc = qx_u32vec_push(v, ' ');
    if (!rc) rc = strip_lower(t, v, c);
    return rc ? rc : qx_u32vec_push(v, ' ');
  }
  return strip_lower(t, v, c);
}

/* strip_accents (NFD, drop marks) then lowercase, for one codepoint. */
static int strip_lower(const qx_tokenizer *t, qx_u32vec *v, uint32_t c) {
  if (!t->strip_accents || c < 0xC0) return push_lower(t, v, c);
  utf8proc_int32_t d[16];
  int last = 0;
  utf8proc_ssize_t k = utf8proc_decompose_char((utf8proc_int32_t)c, d, 16, UTF8PROC_DECOMPOSE, &last);
  if (k < 0 || k > 16) return push_lower(t, v, c);
  for (utf8proc_ssize_t i = 0; i < k; i++) {
    if (d[i] >= 0x80 && in_ranges(qx_bert_mark, qx_bert_mark_n, (uint32_t)d[i])) continue;
    int rc = push_lower(t, v, (uint32_t)d[i]);
    if (rc) return rc;
  }
  return 0;
}

/* WordPiece on one word (UTF-8 w[0..len), nchars characters). */
static int wordpiece_word(const qx_tokenizer *t, const char *w, size_t len, size_t nchars, qx_u32vec *ids) {
  size_t first = ids->n;
  if (nchars > t->max_word_chars) return qx_u32vec_push(ids, (uint32_t)t->unk_id);
  for (size_t start = 0; start < len;) {
    qx_tok_cursor c;
    qx_tok_cursor_init(t, &c);
    int ok = 1;
    if (start > 0)
      for (size_t i = 0; i < t->prefix_len && ok; i++)
        ok = qx_tok_cursor_step(t, &c, (uint8_t)t->prefix[i]);
    int32_t best = -1;
    size_t best_end = 0;
    for (size_t k = start; ok && k < len; k++) {
      if (!qx_tok_cursor_step(t, &c, (uint8_t)w[k])) break;
      int32_t id = qx_tok_cursor_match(t, &c);
      if (id >= 0 && (k + 1 == len || ((uint8_t)w[k + 1] & 0xC0) != 0x80)) {
        best = id;
        best_end = k + 1;
      }
    }
    if (best < 0) {
      ids->n = first;
      return qx_u32vec_push(ids, (uint32_t)t->unk_id);
    }
    int rc = qx_u32vec_push(ids, (uint32_t)best);
    if (rc) return rc;
    start = best_end;
  }
  return 0;
}

int qx_wordpiece_encode(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids) {
  qx_u32vec norm = {0};
  char *word = NULL;
  int rc = qx_u32vec_reserve(&norm, n + n / 4 + 8);
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = normalize_cp(t, &norm, cps[i]);
  if (rc == 0 && !(word = qx_malloc(norm.n * 4 + 4))) rc = QUARRY_ENOMEM;
  size_t wlen = 0, wchars = 0;
  for (size_t i = 0; i <= norm.n && rc == 0; i++) {
    uint32_t c = i < norm.n ? norm.v[i] : ' ';
    int white = is_white(c), punct = !white && is_punct(c);
    if (!white && !punct) {
      wlen += (size_t)qx_tok_encode_cp(word + wlen, c);
      wchars++;
      continue;
    }
    if (wlen) rc = wordpiece_word(t, word, wlen, wchars, ids);
    wlen = wchars = 0;
    if (punct && rc == 0) {
      char p[4];
      int k = qx_tok_encode_cp(p, c);
      rc = wordpiece_word(t, p, (size_t)k, 1, ids);
    }
  }
  free(word);
  free(norm.v);
  return rc;
}
