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

/* Prefix search over the vocabulary: a byte trie whose nodes are laid out
 * breadth-first, the children of a node contiguous and sorted by label. A
 * cursor is a node (0 = root, the empty prefix). */
typedef struct qx_tok_cursor {
  uint32_t node;
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
  /* trie over the model's tokens (added tokens past the model are not in it) */
  size_t n_nodes;
  uint32_t *tr_child;  /* first child of node i */
  uint16_t *tr_nchild; /* number of children (<= 256) */
  uint8_t *tr_label;   /* byte on the edge into node i */
  int32_t *tr_id;      /* token whose bytes spell the path to node i, or -1 */
  uint32_t root[256];  /* child of the root for each byte, 0 = none */
  int32_t cls_id, sep_id, pad_id, unk_id;
  /* added tokens matched on the raw text before normalisation */
  qx_added_token *added;
  size_t n_added;
  /* WordPiece */
  int clean_text, chinese_chars, strip_accents, lowercase;
  size_t max_word_chars;
  char prefix[16]; /* continuation prefix ("##") */
  size_t prefix_len;
  /* Unigram */
  double *scores;
  double unk_score; /* min score - 10, as sentencepiece / tokenizers */
  int fuse_unk;
  int collapse_spaces;                             /* Replace(" {2,}", " ") */
  int add_prefix_space;                            /* metaspace prepend scheme "always" */
  uint32_t n_norm, *norm_cp, *norm_off, *norm_out; /* per-codepoint map (E5S1) */
  uint8_t ascii_mapped[128];                       /* 1 if the map has an entry for this ASCII codepoint */
  int nfkc;                                        /* NFKC normaliser (tokenizer.json) */
  uint32_t *pc_units;                              /* Precompiled charsmap: darts-clone double array */
  size_t pc_n_units;
  char *pc_pool; /* its NUL-separated replacements */
  size_t pc_pool_len;
};

/* Vocabulary building: with blob/off holding n_vocab tokens, build the trie
 * (for duplicate strings the largest id wins, as a hash-map insert). */
int qx_tok_vocab_index(qx_tokenizer *t);
/* id of the exact string s[0..len), or -1. */
int32_t qx_tok_lookup(const qx_tokenizer *t, const char *s, size_t len);
static inline void qx_tok_cursor_init(const qx_tokenizer *t, qx_tok_cursor *c) {
  (void)t;
  c->node = 0;
}
/* Follow byte b; returns 0 (cursor unchanged) when no token has this prefix. */
static inline int qx_tok_cursor_step(const qx_tokenizer *t, qx_tok_cursor *c, uint8_t b) {
  if (c->node == 0) {
    c->node = t->root[b];
    return c->node != 0;
  }
  uint32_t lo = t->tr_child[c->node], end = lo + t->tr_nchild[c->node], hi = end;
  while (hi - lo > 8) { /* narrow to a short run that holds the first label >= b */
    uint32_t mid = lo + (hi - lo) / 2;
    if (t->tr_label[mid] < b)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < end; lo++)
    if (t->tr_label[lo] == b) {
      c->node = lo;
      return 1;
    } else if (t->tr_label[lo] > b) {
      break;
    }
  return 0;
}
/* id of the token equal to the current prefix, or -1. */
static inline int32_t qx_tok_cursor_match(const qx_tokenizer *t, const qx_tok_cursor *c) {
  return t->tr_id[c->node];
}

/* Decode UTF-8 with CPython "replace" semantics into cps (capacity >= len). */
size_t qx_tok_decode(uint32_t *cps, const char *s, size_t len);
/* 1 if s[0..len) is well-formed UTF-8. */
int qx_tok_utf8_valid(const char *s, size_t len);
/* Append the UTF-8 encoding of cp to buf; returns the bytes written (1..4). */
int qx_tok_encode_cp(char *buf, uint32_t cp);

/* Precompiled charsmap (tokenizer_precompiled.c): load from base64, and
 * normalise cps[0..n) into a new heap array. */
int qx_precompiled_load(qx_tokenizer *t, const char *b64, const char *path);
int qx_precompiled_normalize(const qx_tokenizer *t, const uint32_t *cps, size_t n, uint32_t **out,
                             size_t *out_n);

/* Encode the codepoints of one segment without specials, appending ids. */
int qx_wordpiece_encode(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids);
int qx_unigram_encode(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids);

#endif
