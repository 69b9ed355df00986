/*
 * tokenizer_int.h: internals shared by the tokenizer sources (tokenizer.c:
 * vocabulary, UTF-8, added tokens, public entry points; tokenizer_hf.c:
 * tokenizer.json loader; tokenizer_wordpiece.c; tokenizer_unigram.c).
 * Not used outside embed/tokenizer_*.c.
 */
#ifndef QX_TOKENIZER_INT_H
#define QX_TOKENIZER_INT_H

#include <stdint.h>

#include "qx_common.h"
#include "qx_tokenizer.h"

enum { QX_TOK_WORDPIECE = 1, QX_TOK_UNIGRAM = 2 };

/* A growable array of codepoints or ids. */
typedef struct qx_u32vec {
  uint32_t *v;
  size_t n, cap;
} qx_u32vec;
int qx_u32vec_push(qx_u32vec *a, uint32_t x);
int qx_u32vec_reserve(qx_u32vec *a, size_t extra);

/* Prefix search over the vocabulary: piece ids sorted by their bytes; a
 * cursor holds the range [lo, hi) of sorted entries sharing `depth` bytes. */
typedef struct qx_tok_cursor {
  uint32_t lo, hi, depth;
} qx_tok_cursor;

typedef struct qx_added_token {
  uint32_t *cps; /* content as codepoints */
  size_t n;
  int32_t id;
} qx_added_token;

struct qx_tokenizer {
  int kind;
  char *source; /* file the tokenizer came from (for messages) */
  /* vocabulary: token i is blob[off[i] .. off[i+1]-1), NUL-terminated */
  size_t n_vocab;
  char *blob;
  uint32_t *off;
  uint32_t *sorted;      /* ids < n_sorted sorted by bytes; equal strings: larger id first */
  size_t n_sorted;       /* model ids (added tokens past the model are not matched) */
  uint32_t first[257];   /* sorted[first[b] .. first[b+1]) start with byte b */
  int32_t cls_id, sep_id, pad_id, unk_id;
  /* added tokens matched on the raw text before normalisation */
  qx_added_token *added;
  size_t n_added;
  /* WordPiece */
  int clean_text, chinese_chars, strip_accents, lowercase;
  size_t max_word_chars;
  char prefix[16];       /* continuation prefix ("##") */
  size_t prefix_len;
  /* Unigram */
  double *scores;
  double unk_score;      /* min score - 10, as sentencepiece / tokenizers */
  int fuse_unk;
  int collapse_spaces;   /* Replace(" {2,}", " ") */
  int add_prefix_space;  /* metaspace prepend scheme "always" */
  uint32_t n_norm, *norm_cp, *norm_off, *norm_out; /* per-codepoint map (E5S1) */
  int nfkc;              /* NFKC normaliser (tokenizer.json) */
};

/* Vocabulary building: take ownership of blob/off (n tokens) and build the
 * sorted index. */
int qx_tok_vocab_index(qx_tokenizer *t);
/* id of the exact string s[0..len), or -1. */
int32_t qx_tok_lookup(const qx_tokenizer *t, const char *s, size_t len);
/* Start a prefix search (whole vocabulary). */
static inline void qx_tok_cursor_init(const qx_tokenizer *t, qx_tok_cursor *c) {
  c->lo = 0;
  c->hi = (uint32_t)t->n_sorted;
  c->depth = 0;
}
/* Extend the prefix by byte b; returns 0 when no token has this prefix. */
int qx_tok_cursor_step(const qx_tokenizer *t, qx_tok_cursor *c, uint8_t b);
/* id of the token equal to the current prefix, or -1. */
static inline int32_t qx_tok_cursor_match(const qx_tokenizer *t, const qx_tok_cursor *c) {
  if (c->lo >= c->hi) return -1;
  uint32_t id = t->sorted[c->lo];
  return t->off[id + 1] - t->off[id] - 1 == c->depth ? (int32_t)id : -1;
}

/* Decode UTF-8 with CPython "replace" semantics into cps (capacity >= len). */
size_t qx_tok_decode(uint32_t *cps, const char *s, size_t len);
/* Append the UTF-8 encoding of cp to buf; returns the bytes written (1..4). */
int qx_tok_encode_cp(char *buf, uint32_t cp);

/* Encode the codepoints of one segment without specials, appending ids. */
int qx_wordpiece_encode(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids);
int qx_unigram_encode(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids);

#endif
