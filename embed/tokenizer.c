/*
 * tokenizer.c: the parts every tokenizer shares: UTF-8 decoding with
 * CPython's "replace" repair, the vocabulary index, added (special) tokens
 * split off the raw text, and the public qx_tokenizer_* entry points.
 *
 * Vocabulary index: token ids sorted by their bytes, plus a first-byte
 * table. A prefix search narrows the sorted range one byte at a time by
 * binary search (a "sorted-array trie"): no per-node allocation, one sort at
 * load, and a common-prefix search (what Unigram's lattice and WordPiece's
 * longest match need) costs O(matched bytes x log range).
 */
#include <stdlib.h>

#include "tokenizer_int.h"

/* ---- growable u32 arrays ------------------------------------------------ */
int qx_u32vec_reserve(qx_u32vec *a, size_t extra) {
  return qx_grow((void **)&a->v, &a->cap, a->n + extra, sizeof *a->v);
}

int qx_u32vec_push(qx_u32vec *a, uint32_t x) {
  if (a->n == a->cap && qx_grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v))
    return QUARRY_ENOMEM;
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
  for (size_t i = 0; i < n; i++) o += (size_t)qx_tok_encode_cp(buf + o, cps[i]);
  buf[o] = 0;
  free(cps);
  *out = buf;
  *out_len = o;
  return 0;
}

/* ---- vocabulary index --------------------------------------------------- */
static int cmp_tokens(const void *a, const void *b, void *ctx) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  const qx_tokenizer *t = ctx;
  size_t lx = t->off[x + 1] - t->off[x] - 1, ly = t->off[y + 1] - t->off[y] - 1;
  int c = memcmp(t->blob + t->off[x], t->blob + t->off[y], QX_MIN(lx, ly));
  if (c) return c;
  if (lx != ly) return lx < ly ? -1 : 1;
  return x < y ? 1 : (x > y ? -1 : 0); /* duplicates: the last id wins, as a hash map insert */
}

int qx_tok_vocab_index(qx_tokenizer *t) {
  t->sorted = qx_malloc((t->n_vocab + 1) * sizeof *t->sorted);
  if (!t->sorted) return qx_err(QUARRY_ENOMEM, "%s: vocabulary index", t->source);
  t->n_sorted = t->n_vocab;
  for (size_t i = 0; i < t->n_vocab; i++) t->sorted[i] = (uint32_t)i;
  qsort_r(t->sorted, t->n_vocab, sizeof *t->sorted, cmp_tokens, t);
  /* first[b]: first sorted entry whose first byte is >= b (empty strings sort first) */
  size_t j = 0;
  for (unsigned b = 0; b <= 256; b++) {
    while (j < t->n_vocab) {
      uint32_t id = t->sorted[j];
      size_t len = t->off[id + 1] - t->off[id] - 1;
      if (len > 0 && (uint8_t)t->blob[t->off[id]] >= b) break;
      j++;
    }
    t->first[b] = (uint32_t)j;
  }
  return 0;
}

int qx_tok_cursor_step(const qx_tokenizer *t, qx_tok_cursor *c, uint8_t b) {
  if (c->depth == 0) {
    c->lo = t->first[b];
    c->hi = t->first[b + 1];
    c->depth = 1;
    return c->lo < c->hi;
  }
  /* key(i) = byte at depth, or -1 if the entry is exactly `depth` long;
   * non-decreasing over the range. Find [first key >= b, first key > b). */
  uint32_t lo = c->lo, hi = c->hi, d = c->depth;
#define KEY(i)                                                                     \
  (t->off[t->sorted[i] + 1] - t->off[t->sorted[i]] - 1 > d                          \
       ? (int)(uint8_t)t->blob[t->off[t->sorted[i]] + d]                           \
       : -1)
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (KEY(mid) < b) lo = mid + 1;
    else hi = mid;
  }
  uint32_t start = lo;
  hi = c->hi;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (KEY(mid) <= b) lo = mid + 1;
    else hi = mid;
  }
#undef KEY
  c->lo = start;
  c->hi = lo;
  c->depth = d + 1;
  return start < lo;
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
static const qx_added_token *added_at(const qx_tokenizer *t, const uint32_t *cps, size_t n,
                                      size_t i) {
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

int qx_tokenizer_encode(qx_tokenizer *t, const char *text, size_t len, int32_t **ids,
                        size_t *n_ids) {
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
  if ((seg < n || (seg == 0 && n == 0)) && (rc = encode_segment(t, cps + seg, n - seg, &out)))
    goto done;
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
  for (size_t i = 0; i < t->n_added; i++) free(t->added[i].cps);
  free(t->added);
  free(t->source);
  free(t->blob);
  free(t->off);
  free(t->sorted);
  free(t->scores);
  free(t->norm_cp);
  free(t->norm_off);
  free(t->norm_out);
  free(t);
}
