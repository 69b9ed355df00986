/*
 * tokenizer_precompiled.c: SentencePiece's "precompiled charsmap" normaliser
 * (the `Precompiled` normalizer of a tokenizer.json, e.g. XLM-R's nmt_nfkc),
 * applied as Hugging Face `tokenizers` does (its spm_precompiled crate).
 *
 * The charsmap is base64 of: u32 trie_bytes, a darts-clone double array of
 * trie_bytes/4 u32 units, then a pool of NUL-terminated UTF-8 replacement
 * strings. The trie maps an input byte string to the offset of its
 * replacement. Normalisation walks the text by extended grapheme cluster
 * (utf8proc): a cluster shorter than 6 bytes is looked up whole; otherwise,
 * or when that finds nothing, each character is looked up alone. A lookup
 * takes the SHORTEST key that prefixes the string (what the reference does,
 * so a cluster whose first character has a mapping loses its other
 * characters, as in tokenizers), and stops at a NUL byte.
 * Every trie index is bounds-checked: a damaged charsmap never reads out of
 * its buffer (a lookup past the end simply finds nothing).
 */
#include <stdlib.h>
#include <utf8proc.h>

#include "tokenizer_int.h"

static int b64_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decode standard base64 (padding optional); returns the length or -1. */
static long b64_decode(uint8_t *out, const char *s, size_t len) {
  uint32_t acc = 0;
  int bits = 0;
  long n = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '=') break;
    int v = b64_value((unsigned char)s[i]);
    if (v < 0) return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  return n;
}

int qx_precompiled_load(qx_tokenizer *t, const char *b64, const char *path) {
  size_t len = strlen(b64);
  uint8_t *raw = qx_malloc(len / 4 * 3 + 3);
  if (!raw) return qx_err(QUARRY_ENOMEM, "%s: precompiled_charsmap", path);
  long n = b64_decode(raw, b64, len);
  int rc = 0;
  uint32_t trie_bytes = n >= 4 ? qx_le32(raw) : 0;
  if (n < 4 || trie_bytes % 4 || trie_bytes == 0 || trie_bytes > (size_t)n - 4) {
    rc = qx_err(QUARRY_EMODEL, "%s: precompiled_charsmap is not base64 of a charsmap (%ld bytes)", path, n);
    goto done;
  }
  size_t pool = (size_t)n - 4 - trie_bytes;
  t->pc_n_units = trie_bytes / 4;
  t->pc_units = qx_malloc(trie_bytes);
  t->pc_pool = qx_malloc(pool + 1);
  if (!t->pc_units || !t->pc_pool) {
    rc = qx_err(QUARRY_ENOMEM, "%s: precompiled_charsmap", path);
    goto done;
  }
  for (size_t i = 0; i < t->pc_n_units; i++)
    t->pc_units[i] = qx_le32(raw + 4 + 4 * i);
  memcpy(t->pc_pool, raw + 4 + trie_bytes, pool);
  t->pc_pool[pool] = 0; /* a last string without its NUL still ends */
  t->pc_pool_len = pool;
  if (!qx_tok_utf8_valid(t->pc_pool, pool))
    rc = qx_err(QUARRY_EMODEL, "%s: precompiled_charsmap replacements are not UTF-8", path);
done:
  free(raw);
  return rc;
}

/* darts-clone unit fields */
static inline int unit_leaf(uint32_t u) { return (u >> 8) & 1; }
static inline uint32_t unit_value(uint32_t u) { return u & 0x7FFFFFFFu; }
static inline uint32_t unit_label(uint32_t u) { return u & 0x800000FFu; }
static inline uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

/* Replacement of the shortest key prefixing s[0..len), or NULL. */
static const char *transform(const qx_tokenizer *t, const uint8_t *s, size_t len) {
  const uint32_t *a = t->pc_units;
  size_t n = t->pc_n_units, pos = unit_offset(a[0]);
  for (size_t i = 0; i < len && s[i]; i++) {
    pos ^= s[i];
    if (pos >= n) return NULL;
    uint32_t u = a[pos];
    if (unit_label(u) != s[i]) return NULL;
    pos ^= unit_offset(u);
    if (pos >= n) return NULL;
    if (unit_leaf(u)) {
      uint32_t v = unit_value(a[pos]);
      return v < t->pc_pool_len ? t->pc_pool + v : NULL;
    }
  }
  return NULL;
}

static int push_utf8(qx_u32vec *out, const char *s) {
  size_t len = strlen(s);
  if (qx_u32vec_reserve(out, len)) return QUARRY_ENOMEM;
  out->n += qx_tok_decode(out->v + out->n, s, len);
  return 0;
}

int qx_precompiled_normalize(const qx_tokenizer *t, const uint32_t *cps, size_t n, uint32_t **out,
                             size_t *out_n) {
  qx_u32vec o = {0};
  int rc = qx_u32vec_reserve(&o, n + 8);
  for (size_t i = 0; i < n && rc == 0;) {
    /* the grapheme cluster cps[i..j) */
    utf8proc_int32_t state = 0;
    size_t j = i + 1;
    while (j < n &&
           !utf8proc_grapheme_break_stateful((utf8proc_int32_t)cps[j - 1], (utf8proc_int32_t)cps[j], &state))
      j++;
    uint8_t buf[16];
    size_t blen = 0;
    for (size_t k = i; k < j && blen < 6; k++)
      blen += (size_t)qx_tok_encode_cp((char *)buf + blen, cps[k]);
    const char *rep = blen < 6 ? transform(t, buf, blen) : NULL;
    if (rep) {
      rc = push_utf8(&o, rep);
    } else {
      for (size_t k = i; k < j && rc == 0; k++) {
        int cl = qx_tok_encode_cp((char *)buf, cps[k]);
        const char *r = transform(t, buf, (size_t)cl);
        rc = r ? push_utf8(&o, r) : qx_u32vec_push(&o, cps[k]);
      }
    }
    i = j;
  }
  if (rc) {
    free(o.v);
    return QUARRY_ENOMEM;
  }
  *out = o.v;
  *out_n = o.n;
  return 0;
}
