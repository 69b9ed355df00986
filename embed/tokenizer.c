/*
 * tokenizer.c: the parts every tokenizer shares: UTF-8 decoding with
 * CPython's "replace" repair, the vocabulary index, added (special) tokens
 * split off the raw text, and the public qx_tokenizer_* entry points.
 *
 * Vocabulary index: a byte trie built once at load from the tokens sorted by
 * their bytes, stored as flat arrays in breadth-first order (children of a
 * node contiguous and sorted, a direct table for the root). A common-prefix
 * search, what Unigram's lattice and WordPiece's longest match need, walks
 * it one byte at a time with no allocation.
 */
#include <stdlib.h>

#include "tokenizer_int.h"

/* ---- growable u32 arrays ------------------------------------------------ */
int qx_u32vec_reserve(qx_u32vec *a, size_t extra) {
  return qx_grow((void **)&a->v, &a->cap, a->n + extra, sizeof *a->v);
}

int qx_u32vec_push(qx_u32vec *a, uint32_t x) {
  if (a->n == a->cap && qx_grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v)) return QUARRY_ENOMEM;
  a->v[a->n++] = x;
  return 0;
}

/* ---- UTF-8 -------------------------------------------------------------- */
/* Length of the well-formed sequence starting at s[0] (Unicode Table 3-7),
 * or 0 if ill-formed; *bad gets the length of its maximal valid prefix. */
static size_t utf8_seq(const uint8_t *s, size_t len, uint32_t *cp, size_t *bad) {
  uint8_t c = s[0];
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    *cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    *cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    *cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k <= need; k++) {
    if (k >= len || s[k] < lo || s[k] > hi) {
      *bad = k;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
    *cp = (*cp << 6) | (s[k] & 0x3F);
  }
  return need + 1;
}

size_t qx_tok_decode(uint32_t *cps, const char *s, size_t len) {
  const uint8_t *p = (const uint8_t *)s;
  size_t n = 0, i = 0;
  while (i < len) {
    if (p[i] < 0x80) { /* ASCII fast path */
      cps[n++] = p[i++];
      continue;
    }
    uint32_t cp = 0;
    size_t bad = 0, k = utf8_seq(p + i, len - i, &cp, &bad);
    if (k) {
      cps[n++] = cp;
      i += k;
    } else {
      cps[n++] = 0xFFFD;
      i += bad;
    }
  }
  return n;
}

int qx_tok_utf8_valid(const char *s, size_t len) {
  const uint8_t *p = (const uint8_t *)s;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t bad, k = p[i] < 0x80 ? 1 : utf8_seq(p + i, len - i, &cp, &bad);
    if (!k) return 0;
    i += k;
  }
  return 1;
}

int qx_tok_encode_cp(char *buf, uint32_t cp) {
  uint8_t *o = (uint8_t *)buf;
  if (cp < 0x80) {
    o[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (uint8_t)(0xC0 | (cp >> 6));
    o[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (uint8_t)(0xE0 | (cp >> 12));
    o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | (cp >> 18));
  o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

int qx_tokenizer_utf8_repair(char **out, size_t *out_len, const char *src, size_t len) {
  *out = NULL;
  *out_len = 0;
  uint32_t *cps = qx_malloc((len + 1) * sizeof *cps);
  char *buf = qx_malloc(len * 3 + 1); /* a bad byte (1) becomes U+FFFD (3) */
  if (!cps || !buf) {
    free(cps);
    free(buf);
    return qx_err(QUARRY_ENOMEM, "utf-8 repair of %zu bytes", len);
  }
  size_t n = qx_tok_decode(cps, src, len), o = 0;
  for (size_t i = 0; i < n; i++)
    o += (size_t)qx_tok_encode_cp(buf + o, cps[i]);
  buf[o] = 0;
  free(cps);
  *out = buf;
  *out_len = o;
  return 0;
}

/* ---- vocabulary index --------------------------------------------------- */
static size_t tok_len(const qx_tokenizer *t, uint32_t id) { return t->off[id + 1] - t->off[id] - 1; }

/* A token during the build: its bytes, length and id (16 bytes, so the
 * radix passes read the text without going through the offsets). */
typedef struct build_ent {
  const uint8_t *p;
  uint32_t len, id;
} build_ent;

/* Byte at depth d, or -1 past the end (the sort key). */
static inline int key_at(const build_ent *e, uint32_t d) { return e->len > d ? e->p[d] : -1; }

/* Order e[0..n) by their byte at depth d (one MSD radix step): counting sort
 * through tmp for long ranges, insertion sort for short ones. Stable. */
static void partition(build_ent *e, build_ent *tmp, size_t n, uint32_t d) {
  if (n <= 24) {
    for (size_t i = 1; i < n; i++) {
      build_ent x = e[i];
      int k = key_at(&x, d);
      size_t j = i;
      for (; j > 0 && key_at(&e[j - 1], d) > k; j--)
        e[j] = e[j - 1];
      e[j] = x;
    }
    return;
  }
  size_t count[258] = {0};
  for (size_t i = 0; i < n; i++)
    count[key_at(&e[i], d) + 2]++;
  for (size_t b = 1; b < 258; b++)
    count[b] += count[b - 1];
  for (size_t i = 0; i < n; i++)
    tmp[count[key_at(&e[i], d) + 1]++] = e[i];
  memcpy(e, tmp, n * sizeof *e);
}

/* Trie arrays and build queue grown together. */
static int grow_nodes(qx_tokenizer *t, uint32_t (**range)[2], uint32_t **depth, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t c = QX_MAX(need, *cap * 2);
  void *r = qx_realloc(*range, c * sizeof **range), *d = qx_realloc(*depth, c * sizeof **depth);
  if (r) *range = r;
  if (d) *depth = d;
  void *a = qx_realloc(t->tr_child, c * sizeof *t->tr_child);
  if (a) t->tr_child = a;
  void *b = qx_realloc(t->tr_nchild, c * sizeof *t->tr_nchild);
  if (b) t->tr_nchild = b;
  void *l = qx_realloc(t->tr_label, c * sizeof *t->tr_label);
  if (l) t->tr_label = l;
  void *i = qx_realloc(t->tr_id, c * sizeof *t->tr_id);
  if (i) t->tr_id = i;
  if (!r || !d || !a || !b || !l || !i) return QUARRY_ENOMEM;
  *cap = c;
  return 0;
}

/* Build the trie breadth-first, radix-sorting as it goes: node i covers the
 * tokens e[range[i][0] .. range[i][1]) sharing its depth[i]-byte prefix;
 * they are partitioned by their next byte, tokens ending here first, and
 * each group becomes a child. Work: O(total token bytes), no comparison sort. */
int qx_tok_vocab_index(qx_tokenizer *t) {
  size_t n = t->n_vocab, nn = 1, cap = 0;
  build_ent *e = qx_malloc((n + 1) * sizeof *e), *tmp = qx_malloc((n + 1) * sizeof *tmp);
  uint32_t(*range)[2] = NULL;
  uint32_t *depth = NULL;
  int rc = QUARRY_ENOMEM;
  if (!e || !tmp || grow_nodes(t, &range, &depth, &cap, n * 2 + 16)) goto done;
  for (size_t i = 0; i < n; i++) {
    e[i].p = (const uint8_t *)t->blob + t->off[i];
    e[i].len = (uint32_t)tok_len(t, (uint32_t)i);
    e[i].id = (uint32_t)i;
  }
  range[0][0] = 0;
  range[0][1] = (uint32_t)n;
  depth[0] = 0;
  t->tr_label[0] = 0;
  for (size_t i = 0; i < nn; i++) {
    uint32_t lo = range[i][0], hi = range[i][1], d = depth[i];
    partition(e + lo, tmp, hi - lo, d);
    t->tr_id[i] = -1;
    for (; lo < hi && e[lo].len == d; lo++) /* tokens ending here; duplicates: the last id */
      if (d > 0 && (int32_t)e[lo].id > t->tr_id[i]) t->tr_id[i] = (int32_t)e[lo].id;
    t->tr_child[i] = (uint32_t)nn;
    t->tr_nchild[i] = 0;
    while (lo < hi) {
      uint8_t b = e[lo].p[d];
      uint32_t end = lo + 1;
      while (end < hi && e[end].p[d] == b)
        end++;
      if (grow_nodes(t, &range, &depth, &cap, nn + 1)) goto done;
      range[nn][0] = lo;
      range[nn][1] = end;
      depth[nn] = d + 1;
      t->tr_label[nn] = b;
      if (i == 0) t->root[b] = (uint32_t)nn;
      nn++;
      t->tr_nchild[i]++;
      lo = end;
    }
  }
  t->n_nodes = nn;
  rc = 0;
done:
  free(e);
  free(tmp);
  free(range);
  free(depth);
  if (rc) qx_err(rc, "%s: vocabulary index", t->source);
  return rc;
}

int32_t qx_tok_lookup(const qx_tokenizer *t, const char *s, size_t len) {
  if (len == 0) return -1;
  qx_tok_cursor c;
  qx_tok_cursor_init(t, &c);
  for (size_t i = 0; i < len; i++)
    if (!qx_tok_cursor_step(t, &c, (uint8_t)s[i])) return -1;
  return qx_tok_cursor_match(t, &c);
}

/* ---- public entry points ------------------------------------------------ */
/* Leftmost-longest added token starting at cps[i], or NULL. */
static const qx_added_token *added_at(const qx_tokenizer *t, const uint32_t *cps, size_t n, size_t i) {
  const qx_added_token *best = NULL;
  for (size_t k = 0; k < t->n_added; k++) {
    const qx_added_token *a = &t->added[k];
    if (a->n == 0 || a->n > n - i || (best && a->n <= best->n) || a->cps[0] != cps[i]) continue;
    if (!memcmp(a->cps, cps + i, a->n * sizeof *cps)) best = a;
  }
  return best;
}

static int encode_segment(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids) {
  if (t->kind == QX_TOK_WORDPIECE) return qx_wordpiece_encode(t, cps, n, ids);
  return qx_unigram_encode(t, cps, n, ids);
}

int qx_tokenizer_encode(qx_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n_ids) {
  *ids = NULL;
  *n_ids = 0;
  qx_u32vec out = {0};
  uint32_t *cps = qx_malloc((len + 1) * sizeof *cps);
  int rc = QUARRY_ENOMEM;
  if (!cps || qx_u32vec_reserve(&out, len / 3 + 8)) goto done;
  size_t n = qx_tok_decode(cps, text ? text : "", text ? len : 0);
  if ((rc = qx_u32vec_push(&out, (uint32_t)t->cls_id))) goto done;
  size_t seg = 0;
  for (size_t i = 0; i < n && t->n_added;) {
    const qx_added_token *a = added_at(t, cps, n, i);
    if (!a) {
      i++;
      continue;
    }
    if (i > seg && (rc = encode_segment(t, cps + seg, i - seg, &out))) goto done;
    if ((rc = qx_u32vec_push(&out, (uint32_t)a->id))) goto done;
    i += a->n;
    seg = i;
  }
  if ((seg < n || (seg == 0 && n == 0)) && (rc = encode_segment(t, cps + seg, n - seg, &out))) goto done;
  if ((rc = qx_u32vec_push(&out, (uint32_t)t->sep_id))) goto done;
  *ids = (int32_t *)out.v;
  *n_ids = out.n;
  out.v = NULL;
  rc = 0;
done:
  free(cps);
  free(out.v);
  if (rc == QUARRY_ENOMEM) qx_err(rc, "tokenizing %zu bytes", len);
  return rc;
}

int32_t qx_tokenizer_pad_id(const qx_tokenizer *t) { return t->pad_id; }
int32_t qx_tokenizer_cls_id(const qx_tokenizer *t) { return t->cls_id; }
int32_t qx_tokenizer_sep_id(const qx_tokenizer *t) { return t->sep_id; }
int32_t qx_tokenizer_unk_id(const qx_tokenizer *t) { return t->unk_id; }
size_t qx_tokenizer_vocab_size(const qx_tokenizer *t) { return t->n_vocab; }

const char *qx_tokenizer_id_to_token(const qx_tokenizer *t, int32_t id) {
  if (id < 0 || (size_t)id >= t->n_vocab) return NULL;
  return t->blob + t->off[id];
}

void qx_tokenizer_free(qx_tokenizer *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_added; i++)
    free(t->added[i].cps);
  free(t->added);
  free(t->source);
  free(t->blob);
  free(t->off);
  free(t->tr_child);
  free(t->tr_nchild);
  free(t->tr_label);
  free(t->tr_id);
  free(t->scores);
  free(t->norm_cp);
  free(t->norm_off);
  free(t->norm_out);
  free(t->pc_units);
  free(t->pc_pool);
  free(t);
}
