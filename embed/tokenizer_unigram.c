/*
 * tokenizer_unigram.c: SentencePiece Unigram tokenisation (Kudo 2018,
 * "Subword Regularization", and the sentencepiece/XLM-R conventions), as the
 * Hugging Face `tokenizers` library runs it, so ids match it exactly:
 *
 *   1. normalise: the per-codepoint map of the E5S1 file (or, for a
 *      tokenizer.json, NFKC or a precompiled charsmap), then runs of two or
 *      more U+0020 become one;
 *   2. metaspace: U+0020 becomes "▁" (U+2581), a "▁" is prepended unless the
 *      text already starts with one (empty text stays empty), and the text is
 *      split before every "▁" (each word keeps its leading "▁");
 *   3. per word, Viterbi over the bytes: at each character start every piece
 *      that is a prefix of the rest is a lattice edge scored with its log
 *      probability; when no single-character piece exists the character is an
 *      <unk> edge scored min_score - 10. Ties keep the earliest start (as
 *      tokenizers' encode_optimized, scores summed left to right in double);
 *   4. consecutive <unk> edges are fused into one <unk> (fuse_unk).
 * Everything is done in buffers sized once per call: no allocation per
 * character or per word.
 */
#include <stdlib.h>
#include <utf8proc.h>

#include "qx_e5s1.h"
#include "tokenizer_int.h"

#define METASPACE 0x2581u

/* Map codepoint cp through the normalisation table; returns a pointer to the
 * replacement and its length (the codepoint itself when unmapped). */
static const uint32_t *norm_map(const qx_tokenizer *t, const uint32_t *cp, size_t *n) {
  if (*cp < 0x80 && !t->ascii_mapped[*cp]) {
    *n = 1;
    return cp;
  }
  uint32_t lo = 0, hi = t->n_norm;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (t->norm_cp[mid] < *cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < t->n_norm && t->norm_cp[lo] == *cp) {
    *n = t->norm_off[lo + 1] - t->norm_off[lo];
    return t->norm_out + t->norm_off[lo];
  }
  *n = 1;
  return cp;
}

/* Per-call scratch, sized for the longest word. */
typedef struct lattice {
  double *score;
  int32_t *start, *id;
  size_t cap;
} lattice;

static int lattice_reserve(lattice *l, size_t n) {
  if (n + 1 <= l->cap) return 0;
  size_t cap = n + 1;
  double *s = realloc(l->score, cap * sizeof *s);
  if (s) l->score = s;
  int32_t *a = realloc(l->start, cap * sizeof *a);
  if (a) l->start = a;
  int32_t *b = realloc(l->id, cap * sizeof *b);
  if (b) l->id = b;
  if (!s || !a || !b) return QUARRY_ENOMEM;
  l->cap = cap;
  return 0;
}

static size_t utf8_len(uint8_t c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

/* Viterbi over one word w[0..len) (valid UTF-8), appending ids. */
static int viterbi_word(const qx_tokenizer *t, const char *w, size_t len, lattice *l, qx_u32vec *ids) {
  int rc = lattice_reserve(l, len);
  if (rc) return rc;
  for (size_t i = 0; i <= len; i++)
    l->start[i] = -1;
  l->score[0] = 0.0;
  for (size_t s = 0; s < len;) {
    size_t mblen = utf8_len((uint8_t)w[s]);
    double base = l->score[s];
    int single = 0;
    qx_tok_cursor c;
    qx_tok_cursor_init(t, &c);
    for (size_t k = s; k < len && qx_tok_cursor_step(t, &c, (uint8_t)w[k]); k++) {
      int32_t id = qx_tok_cursor_match(t, &c);
      if (id < 0) continue;
      size_t e = k + 1;
      double cand = base + t->scores[id];
      if (l->start[e] < 0 || cand > l->score[e]) {
        l->score[e] = cand;
        l->start[e] = (int32_t)s;
        l->id[e] = id;
      }
      if (e - s == mblen) single = 1;
    }
    if (!single) {
      size_t e = s + mblen;
      double cand = base + t->unk_score;
      if (l->start[e] < 0 || cand > l->score[e]) {
        l->score[e] = cand;
        l->start[e] = (int32_t)s;
        l->id[e] = t->unk_id;
      }
    }
    s += mblen;
  }
  /* Backtrack, fusing runs of <unk>; the path is written reversed then flipped. */
  size_t first = ids->n;
  for (size_t e = len; e > 0;) {
    size_t s = (size_t)l->start[e];
    int32_t id = l->id[e];
    if (t->fuse_unk && id == t->unk_id) {
      size_t s1 = s;
      while (s > 0 && l->id[s] == t->unk_id)
        s = (size_t)l->start[s];
      if (s != s1) { /* tokenizers looks the fused string up again */
        int32_t whole = qx_tok_lookup(t, w + s, e - s);
        if (whole >= 0) id = whole;
      }
    }
    if ((rc = qx_u32vec_push(ids, (uint32_t)id))) return rc;
    e = s;
  }
  for (size_t a = first, b = ids->n; a + 1 < b; a++, b--) {
    uint32_t x = ids->v[a];
    ids->v[a] = ids->v[b - 1];
    ids->v[b - 1] = x;
  }
  return 0;
}

/* NFKC of cps[0..n) into a new heap array (*out, *out_n). */
static int nfkc(const uint32_t *cps, size_t n, uint32_t **out, size_t *out_n) {
  char *u = qx_malloc(n * 4 + 1);
  if (!u) return QUARRY_ENOMEM;
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += (size_t)qx_tok_encode_cp(u + len, cps[i]);
  utf8proc_uint8_t *dst = NULL;
  utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)u, (utf8proc_ssize_t)len, &dst,
                                    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  free(u);
  if (k < 0) return QUARRY_ENOMEM; /* input is valid UTF-8: only allocation can fail */
  *out = qx_malloc(((size_t)k + 1) * sizeof **out);
  if (*out) *out_n = qx_tok_decode(*out, (const char *)dst, (size_t)k);
  free(dst);
  return *out ? 0 : QUARRY_ENOMEM;
}

int qx_unigram_encode(const qx_tokenizer *t, const uint32_t *cps, size_t n, qx_u32vec *ids) {
  if (t->nfkc || t->pc_units) {
    uint32_t *nc = NULL;
    size_t nn = 0;
    int rc = t->nfkc ? nfkc(cps, n, &nc, &nn) : qx_precompiled_normalize(t, cps, n, &nc, &nn);
    if (rc) return rc;
    qx_tokenizer plain = *t;
    plain.nfkc = 0;
    plain.pc_units = NULL;
    rc = qx_unigram_encode(&plain, nc, nn, ids);
    free(nc);
    return rc;
  }
  /* 1. normalise into UTF-8 with spaces as metaspace, collapsing space runs.
   * A map entry can expand a codepoint to up to 255, so size the buffer from
   * the expanded length (+ the prefix "▁"), 4 bytes per codepoint. */
  size_t cap = 4, total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k;
    norm_map(t, &cps[i], &k);
    total += k;
  }
  cap += total * 4;
  char *buf = qx_malloc(cap);
  if (!buf) return QUARRY_ENOMEM;
  size_t len = 0;
  int prev_space = 0, started = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k;
    const uint32_t *out = norm_map(t, &cps[i], &k);
    for (size_t j = 0; j < k; j++) {
      uint32_t cp = out[j];
      int space = cp == 0x20;
      if (space && prev_space && t->collapse_spaces) continue;
      prev_space = space;
      if (space) cp = METASPACE;
      if (!started) {
        started = 1;
        if (cp != METASPACE && t->add_prefix_space) len += (size_t)qx_tok_encode_cp(buf + len, METASPACE);
      }
      len += (size_t)qx_tok_encode_cp(buf + len, cp);
    }
  }
  /* 2. split before each "▁" (E2 96 81) and run the lattice per word */
  lattice l = {0};
  int rc = 0;
  size_t w0 = 0;
  for (size_t i = 0; i <= len && rc == 0; i++) {
    int boundary = i == len || (i > w0 && (uint8_t)buf[i] == 0xE2 && i + 2 < len &&
                                (uint8_t)buf[i + 1] == 0x96 && (uint8_t)buf[i + 2] == 0x81);
    if (!boundary) continue;
    if (i > w0) rc = viterbi_word(t, buf + w0, i - w0, &l, ids);
    w0 = i;
  }
  free(l.score);
  free(l.start);
  free(l.id);
  free(buf);
  return rc;
}

/* ---- loading from an E5S1 file ------------------------------------------ */
int qx_tokenizer_load_e5s1(qx_tokenizer **out, const char *model_path) {
  *out = NULL;
  qx_e5s1 *f = NULL;
  int rc = qx_e5s1_open(&f, model_path);
  if (rc) return rc;
  qx_tokenizer *t = qx_calloc(1, sizeof *t);
  rc = QUARRY_ENOMEM;
  if (!t || !(t->source = qx_strdup(model_path))) goto fail;
  t->kind = QX_TOK_UNIGRAM;
  t->n_vocab = (size_t)f->n_pieces;
  t->blob = qx_malloc(f->blob_bytes + t->n_vocab);
  t->off = qx_malloc((t->n_vocab + 1) * sizeof *t->off);
  t->scores = qx_malloc(t->n_vocab * sizeof *t->scores);
  if (!t->blob || !t->off || !t->scores) goto fail;
  double min_score = 0.0;
  size_t o = 0;
  for (int32_t i = 0; i < f->n_pieces; i++) {
    size_t len;
    const char *p = qx_e5s1_piece(f, i, &len);
    t->off[i] = (uint32_t)o;
    memcpy(t->blob + o, p, len);
    t->blob[o + len] = 0;
    o += len + 1;
    t->scores[i] = (double)qx_e5s1_score(f, i);
    if (i == 0 || t->scores[i] < min_score) min_score = t->scores[i];
    /* pieces must be valid UTF-8 or the lattice could stop inside a character */
    if (!qx_tok_utf8_valid(p, len)) {
      rc = qx_err(QUARRY_EMODEL, "%s: E5S1 piece %d is not valid UTF-8", model_path, i);
      goto fail;
    }
  }
  t->off[t->n_vocab] = (uint32_t)o;
  t->unk_score = min_score - 10.0;
  t->cls_id = f->bos_id;
  t->sep_id = f->eos_id;
  t->pad_id = f->pad_id;
  t->unk_id = f->unk_id;
  t->fuse_unk = 1;
  t->collapse_spaces = 1;
  t->add_prefix_space = 1;
  t->n_norm = (uint32_t)f->n_norm;
  size_t n_out = f->norm_off[f->n_norm];
  t->norm_cp = qx_malloc(((size_t)f->n_norm + 1) * 4);
  t->norm_off = qx_malloc(((size_t)f->n_norm + 1) * 4);
  t->norm_out = qx_malloc((n_out + 1) * 4);
  rc = QUARRY_ENOMEM;
  if (!t->norm_cp || !t->norm_off || !t->norm_out) goto fail;
  memcpy(t->norm_cp, f->norm_cp, (size_t)f->n_norm * 4);
  memcpy(t->norm_off, f->norm_off, ((size_t)f->n_norm + 1) * 4);
  memcpy(t->norm_out, f->norm_out, n_out * 4);
  for (uint32_t i = 0; i < t->n_norm && t->norm_cp[i] < 0x80; i++)
    t->ascii_mapped[t->norm_cp[i]] = 1;
  if ((rc = qx_tok_vocab_index(t))) goto fail;
  qx_e5s1_close(f);
  *out = t;
  return 0;
fail:
  if (rc == QUARRY_ENOMEM) qx_err(rc, "%s: out of memory loading the tokenizer", model_path);
  qx_e5s1_close(f);
  qx_tokenizer_free(t);
  return rc;
}
