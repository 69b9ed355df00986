/*
 * lexicon.c: the term dictionary of a segment, written and read.
 *
 * Lexicon 3 (docs/FORMAT.md) is a block dictionary in the manner of
 * Lucene's block-tree terms dictionary and Tantivy's sstable dictionary:
 * terms in byte order are cut into blocks of QX_LEX3_BLOCK_TERMS; inside a
 * block every term is front-coded against the one before it (shared-prefix
 * length and suffix in one byte when both are short) and its fields are
 * varints (df, cf - df, max_tf only when df and cf do not give it, the
 * smallest norm, and the LENGTHS of its postings and positions lists: the
 * offsets are running sums from the block's head). A small table of block
 * heads (the block's file offset, its first lists' offsets and its first
 * term, kept whole) is binary-searched through the mapping; the one block a
 * lookup needs is then read with pread and scanned linearly. Term ids are
 * ranks, so term `id` is in block id / QX_LEX3_BLOCK_TERMS.
 *
 * At 10^6 passages (990,000 terms) this is about 11 bytes per term instead
 * of 32 bytes plus the string (lexicon 2), smaller than Tantivy's FST and
 * term infos. Lexicons 1 and 2 (fixed entries, with the sampled lexicon.idx)
 * are still read by the same accessors.
 *
 * Everything read from the file is bounds-checked: a head's offsets must
 * be ordered and inside the file, a block's varints inside the block, a
 * term's lists inside the next head's, and a block must end exactly where
 * its last term does, so a damaged lexicon gives QUARRY_ECORRUPT naming the
 * file, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "qx_fcode.h"

/* ---- lexicon 3: writer ---------------------------------------------------------- */

void qx_lexw_init(qx_lexw *w, qx_write_fn write, void *ctx, uint64_t at) {
  qx_fcw_init(&w->fc, write, ctx, at, QX_LEX3_BLOCK_TERMS, "lexicon");
  w->post_end = w->pos_end = 0;
}

/* a head's fields between the block offset and the key: the block's first lists */
static const uint8_t *lexw_extra(uint8_t x[10], uint64_t post_off, uint64_t pos_off) {
  qx_put40(x, post_off);
  qx_put40(x + 5, pos_off);
  return x;
}

int qx_lexw_add(qx_lexw *w, const char *s, uint32_t len, uint32_t df, uint64_t cf, uint32_t max_tf, uint32_t min_dl,
                uint64_t post_off, uint64_t post_len, uint64_t pos_off, uint64_t pos_len) {
  qx_fcw *fc = &w->fc;
  if (len > QX_TERM_MAX || df == 0 || cf < df || max_tf == 0 || max_tf > cf ||
      (fc->n && (post_off != w->post_end || pos_off != w->pos_end)))
    return qx_err(QUARRY_EINVAL, "internal: lexicon term %" PRIu64 " out of order or inconsistent", fc->n);
  if (post_off > QX_LEX_OFF_MAX || pos_off > QX_LEX_OFF_MAX)
    return qx_err(QUARRY_EINVAL, "postings or positions over 1 TiB (the lexicon's limit)");
  uint8_t x[10];
  int rc = qx_fcw_key(fc, lexw_extra(x, post_off, pos_off), sizeof x, s, len);
  if (!rc) rc = qx_buf_put_varint(&fc->blk, df);
  if (!rc) rc = qx_buf_put_varint(&fc->blk, cf - df);
  if (!rc && df > 1 && cf > df) rc = qx_buf_put_varint(&fc->blk, max_tf - 2); /* else df = 1: cf; cf = df: 1 */
  if (!rc) rc = qx_buf_putc(&fc->blk, qx_norm_encode(min_dl)); /* min_dl is a decoded norm: exact */
  if (!rc) rc = qx_buf_put_varint(&fc->blk, post_len);
  if (!rc) rc = qx_buf_put_varint(&fc->blk, pos_len);
  qx_fcw_next(fc, s, len);
  w->post_end = post_off + post_len;
  w->pos_end = pos_off + pos_len;
  return rc;
}

int qx_lexw_finish(qx_lexw *w) { /* the sentinel head: the ends of the lists */
  uint8_t x[10];
  if (w->post_end > QX_LEX_OFF_MAX || w->pos_end > QX_LEX_OFF_MAX)
    return qx_err(QUARRY_EINVAL, "postings or positions over 1 TiB (the lexicon's limit)");
  return qx_fcw_finish(&w->fc, lexw_extra(x, w->post_end, w->pos_end), sizeof x);
}

void qx_lexw_free(qx_lexw *w) { qx_fcw_free(&w->fc); }

/* ---- lexicon 3: reader ---------------------------------------------------------- */

static int lex3_bad(const qx_seg *ix, uint64_t b) {
  return qx_err(QUARRY_ECORRUPT, "%s/lexicon: block %" PRIu64 " damaged", ix->dir, b);
}

static int lex3_open(qx_seg *ix, uint64_t terms) {
  if (qx_fc_open(&ix->lex3, ix->lex.data, ix->lex.len, terms, QX_LEX3_HEAD_SIZE))
    return qx_err(QUARRY_ECORRUPT, "%s/lexicon: size or count does not match the MANIFEST", ix->dir);
  return 0;
}

/* The key (first term) of block b, checked. */
static int lex3_key(const char **key, uint32_t *klen, const qx_seg *ix, uint64_t b) {
  const uint8_t *h = ix->lex3.heads + b * QX_LEX3_HEAD_SIZE;
  uint64_t off = qx_le32(h + 15);
  *klen = h[19];
  if (*klen > QX_TERM_MAX || off > ix->lex3.keys_len || *klen > ix->lex3.keys_len - off) return lex3_bad(ix, b);
  *key = (const char *)ix->lex3.keys + off;
  return 0;
}

/* Read block b (b < nblocks) into k, positioned on its first term. */
static int lex3_load_or_rewind(qx_lex3_blk *k, const qx_seg *ix, uint64_t b, int read) {
  const uint8_t *h = ix->lex3.heads + b * QX_LEX3_HEAD_SIZE, *h1 = h + QX_LEX3_HEAD_SIZE;
  uint64_t off = qx_le40(h), end = qx_le40(h1);
  const char *key = "";
  int rc = lex3_key(&key, &k->klen, ix, b);
  if (rc) return rc;
  k->post_off = qx_le40(h + 5);
  k->pos_off = qx_le40(h + 10);
  k->post_end = qx_le40(h1 + 5);
  k->pos_end = qx_le40(h1 + 10);
  if (off < QX_HEADER_SIZE || end < off || end > ix->lex3.data_end || end - off > sizeof k->data ||
      k->post_end < k->post_off || k->pos_end < k->pos_off)
    return lex3_bad(ix, b);
  memcpy(k->key, key, k->klen);
  k->b = b;
  k->i = 0;
  k->n = (uint32_t)QX_MIN((uint64_t)ix->lex3.per_block, ix->nterms - b * ix->lex3.per_block);
  k->at = 0;
  k->len = (size_t)(end - off);
  if (!read) return 0; /* a rewind: the block is in k->data already */
  if (qx_pread_full(ix->lex_fd, k->data, k->len, off)) return qx_err_errno(QUARRY_EIO, "%s/lexicon: read", ix->dir);
  return 0;
}

static int lex3_load(qx_lex3_blk *k, const qx_seg *ix, uint64_t b) { return lex3_load_or_rewind(k, ix, b, 1); }

static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  const uint8_t *q = qx_fc_varint(*p, end, v);
  if (!q) return -1;
  *p = q;
  return 0;
}

/* Decode the next term of block k into t (its string stays in k->key: see
 * lex3_str). */
static int lex3_next(qx_term_info *t, qx_lex3_blk *k, const qx_seg *ix) {
  const uint8_t *p = k->data + k->at, *end = k->data + k->len;
  if (k->i >= k->n) return lex3_bad(ix, k->b);
  if (k->i) {
    uint32_t pre, suf;
    if (!(p = qx_fc_lens(p, end, k->klen, &pre, &suf))) return lex3_bad(ix, k->b);
    memcpy(k->key + pre, p, suf);
    p += suf;
    k->klen = pre + suf;
  }
  uint64_t df, cfx, m = 0, pl, ql;
  if (get_varint(&p, end, &df) || get_varint(&p, end, &cfx) || df == 0 || df > ix->npassages ||
      cfx > ix->total_tokens)
    return lex3_bad(ix, k->b);
  uint64_t cf = df + cfx, max_tf = df == 1 ? cf : cfx == 0 ? 1 : 0;
  if (!max_tf) {
    if (get_varint(&p, end, &m) || m > cf - 2) return lex3_bad(ix, k->b);
    max_tf = m + 2;
  }
  if (max_tf > UINT32_MAX || p >= end) return lex3_bad(ix, k->b);
  uint8_t norm = *p++;
  if (get_varint(&p, end, &pl) || get_varint(&p, end, &ql) || pl > k->post_end - k->post_off ||
      ql > k->pos_end - k->pos_off)
    return lex3_bad(ix, k->b);
  t->id = (uint32_t)(k->b * ix->lex3.per_block + k->i);
  t->len = k->klen;
  t->df = (uint32_t)df;
  t->cf = cf;
  t->max_tf = (uint32_t)max_tf;
  t->min_dl = qx_norm_table[norm];
  t->post_off = k->post_off;
  t->post_len = pl;
  t->pos_off = k->pos_off;
  t->pos_len = ql;
  t->nblocks = (uint32_t)((df + QX_BLOCK - 1) / QX_BLOCK);
  k->post_off += pl;
  k->pos_off += ql;
  k->at = (size_t)(p - k->data);
  k->i++;
  /* the block ends exactly with its last term, and its lists with the next head's */
  if (k->i == k->n && (k->at != k->len || k->post_off != k->post_end || k->pos_off != k->pos_end))
    return lex3_bad(ix, k->b);
  return 0;
}

static void lex3_str(qx_term_info *t, const qx_lex3_blk *k) {
  memcpy(t->sbuf, k->key, k->klen);
  t->str = t->sbuf;
}

static int lex3_term(qx_term_info *t, const qx_seg *ix, uint32_t id) {
  qx_lex3_blk k;
  int rc = lex3_load(&k, ix, id / ix->lex3.per_block);
  for (uint32_t i = id % ix->lex3.per_block; !rc && i > 0; i--) rc = lex3_next(t, &k, ix);
  if (!rc) rc = lex3_next(t, &k, ix);
  if (!rc) lex3_str(t, &k);
  return rc;
}

/* The first block whose key is > s (0: s sorts before every term). */
static int lex3_upper_block(uint64_t *out, const qx_seg *ix, const char *s, size_t len) {
  uint64_t lo = 0, hi = ix->lex3.nblocks, klen = ix->lex3.keys_len;
  const uint8_t *heads = ix->lex3.heads, *keys = ix->lex3.keys;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const uint8_t *h = heads + mid * QX_LEX3_HEAD_SIZE;
    uint64_t off = qx_le32(h + 15);
    uint32_t kl = h[19];
    if (off > klen || kl > klen - off) return lex3_bad(ix, mid);
    const uint8_t *key = keys + off;
    int c = kl && len ? (int)key[0] - (int)(uint8_t)s[0] : 0; /* most probes differ in the first byte */
    if (!c) c = qx_fc_cmp((const char *)key, kl, s, len);
    if (c <= 0) lo = mid + 1;
    else hi = mid;
  }
  *out = lo;
  return 0;
}

/* Find s: 1 found (t filled), 0 absent; *first_ge (if not NULL) = id of
 * the first term >= s.
 *
 * The scan of the block compares without rebuilding the terms, as a
 * front-coded list allows: with m = the bytes the current term (< s)
 * shares with s, the next term shares `prefix` bytes with the current one;
 * prefix > m: it is still < s (same m); prefix < m: it is > s (s absent);
 * prefix = m: only its suffix is compared with s[m..]. The fields of the
 * terms passed over are skipped, summing their list lengths; the term
 * found is decoded (and checked) by lex3_next. */
static int lex3_find(qx_term_info *t, uint64_t *first_ge, const qx_seg *ix, const char *s, size_t len) {
  uint64_t b = 0;
  int rc = lex3_upper_block(&b, ix, s, len);
  if (rc) return rc;
  if (first_ge) *first_ge = QX_MIN(b * ix->lex3.per_block, ix->nterms); /* block b's first term, or nterms */
  if (b == 0) return 0;
  qx_lex3_blk k;
  if ((rc = lex3_load(&k, ix, b - 1))) return rc;
  size_t m = 0, klen = k.klen;
  while (m < klen && m < len && k.key[m] == s[m]) m++;
  const uint8_t *p = k.data, *end = k.data + k.len, *rec = p;
  uint64_t post = k.post_off, pos = k.pos_off;
  uint32_t i = 0;
  for (;; i++) {
    if (i) { /* record i's key against s */
      rec = p;
      uint32_t pre, suf;
      if (!(p = qx_fc_lens(p, end, (uint32_t)klen, &pre, &suf))) return lex3_bad(ix, k.b);
      klen = pre + suf;
      if (pre < m) break; /* > s */
      if (pre == m) {
        size_t e = 0;
        while (e < suf && m + e < len && p[e] == (uint8_t)s[m + e]) e++;
        if (e < suf && (m + e == len || p[e] > (uint8_t)s[m + e])) break; /* > s */
        m += e;
      }
      p += suf;
    }
    if (m == klen && m == len) { /* found: decode record i from rec */
      if (len > QX_TERM_MAX) return lex3_bad(ix, k.b);
      memcpy(k.key, s, len); /* the bytes its prefix takes from the term before */
      k.klen = (uint32_t)len;
      k.i = i;
      k.at = (size_t)(rec - k.data);
      k.post_off = post;
      k.pos_off = pos;
      if ((rc = lex3_next(t, &k, ix))) return rc;
      if (first_ge) *first_ge = t->id;
      lex3_str(t, &k);
      return 1;
    }
    if (i + 1 >= k.n) return 0; /* every term of the block is < s */
    uint64_t df, cfx, v, pl, ql; /* skip record i's fields */
    if (!(p = qx_fc_varint(p, end, &df)) || !(p = qx_fc_varint(p, end, &cfx)) || (df > 1 && cfx && !(p = qx_fc_varint(p, end, &v))) ||
        p >= end)
      return lex3_bad(ix, k.b);
    p++; /* min_norm */
    if (!(p = qx_fc_varint(p, end, &pl)) || !(p = qx_fc_varint(p, end, &ql)) || pl > k.post_end - post || ql > k.pos_end - pos)
      return lex3_bad(ix, k.b);
    post += pl;
    pos += ql;
  }
  if (first_ge) *first_ge = (b - 1) * ix->lex3.per_block + i; /* record i is the first > s */
  return 0;
}

/* ---- lexicon 1 and 2 and lexicon.idx ------------------------------------------------ */

/* lexicon.idx (when present): its counts against the lexicon's. */
static int check_lexidx(qx_seg *ix, int sfd, uint64_t terms) {
  if (!ix->lxi.len) return 0;
  const uint8_t *p = ix->lxi.data;
  uint64_t every = ix->lxi.len >= QX_LEXIDX_HEAD ? qx_le64(p + 24) : 0;
  uint64_t ns = every ? qx_le64(p + 32) : 0;
  if (!every || every > QX_LEXIDX_EVERY || qx_le64(p + 16) != terms || ns != terms / every + (terms % every != 0) ||
      !qx_fits(ix->lxi.len, QX_LEXIDX_HEAD, ns, QX_LEXIDX_ENTRY_SIZE, qx_le64(p + 40)))
    return qx_err(QUARRY_ECORRUPT, "%s/lexicon.idx: size or count does not match the lexicon", ix->dir);
  ix->lxi_every = (uint32_t)every;
  ix->lxi_n = ns;
  ix->lxi_entries = p + QX_LEXIDX_HEAD;
  ix->lxi_strings = p + QX_LEXIDX_HEAD + ns * QX_LEXIDX_ENTRY_SIZE;
  ix->lxi_strings_len = qx_le64(p + 40);
  ix->lex_fd = openat(sfd, "lexicon", O_RDONLY | O_CLOEXEC);
  if (ix->lex_fd < 0) return qx_err_errno(QUARRY_EIO, "%s/lexicon", ix->dir);
  return 0;
}



/* Where term strings are in an entry of either lexicon version. */
static void entry_str(const qx_seg *ix, const uint8_t *e, uint64_t *off, uint32_t *len) {
  if (ix->lex_esize == QX_LEX_ENTRY_SIZE) {
    *off = qx_le32(e);
    *len = e[13];
  } else {
    *off = qx_le64(e);
    *len = qx_le32(e + 8);
  }
}

/* Term `id` from its lexicon entry e (mapped or read); lexicon 2 also reads
 * the next entry (or the sentinel) for the lengths of the term's lists. */
static int term_decode(qx_term_info *t, const qx_seg *ix, const uint8_t *e, uint32_t id) {
  uint64_t off;
  t->id = id;
  entry_str(ix, e, &off, &t->len);
  if (ix->lex_esize == QX_LEX_ENTRY_SIZE) {
    const uint8_t *n = e + QX_LEX_ENTRY_SIZE;
    t->df = qx_le32(e + 4);
    t->max_tf = qx_le32(e + 8);
    t->min_dl = qx_norm_table[e[12]];
    t->post_off = qx_le40(e + 14);
    t->pos_off = qx_le40(e + 19);
    t->cf = qx_le64(e + 24);
    uint64_t post_end = qx_le40(n + 14), pos_end = qx_le40(n + 19);
    if (post_end < t->post_off || pos_end < t->pos_off)
      return qx_err(QUARRY_ECORRUPT, "%s/lexicon: term %u: lists out of order", ix->dir, id);
    t->post_len = post_end - t->post_off;
    t->pos_len = pos_end - t->pos_off;
    t->nblocks = (uint32_t)(((uint64_t)t->df + QX_BLOCK - 1) / QX_BLOCK);
  } else {
    t->df = qx_le32(e + 12);
    t->cf = qx_le64(e + 16);
    t->post_off = qx_le64(e + 24);
    t->post_len = qx_le64(e + 32);
    t->pos_off = qx_le64(e + 40);
    t->pos_len = qx_le64(e + 48);
    t->nblocks = qx_le32(e + 56);
    t->max_tf = qx_le32(e + 60);
    t->min_dl = qx_le32(e + 64);
  }
  if (off > ix->lex_strings_len || t->len > ix->lex_strings_len - off || t->df > ix->npassages)
    return qx_err(QUARRY_ECORRUPT, "%s/lexicon: term %u out of range", ix->dir, id);
  t->str = (const char *)ix->lex_strings + off;
  return 0;
}

static int lex12_term(qx_term_info *t, const qx_seg *ix, uint32_t id) {
  return term_decode(t, ix, ix->lex_entries + (size_t)id * ix->lex_esize, id);
}

/* Terms [*lo, *hi) that may hold s, from the samples of lexicon.idx: the
 * last sample <= s starts the range. */
static int lexidx_range(uint64_t *lo_out, uint64_t *hi_out, const qx_seg *ix, const char *s, size_t len) {
  uint64_t lo = 0, hi = ix->lxi_n; /* find the first sample > s */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const uint8_t *e = ix->lxi_entries + mid * QX_LEXIDX_ENTRY_SIZE;
    uint32_t off = qx_le32(e), l = qx_le32(e + 4);
    if (off > ix->lxi_strings_len || l > ix->lxi_strings_len - off)
      return qx_err(QUARRY_ECORRUPT, "%s/lexicon.idx: sample %" PRIu64 " out of range", ix->dir, mid);
    if (qx_fc_cmp((const char *)ix->lxi_strings + off, l, s, len) <= 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) { /* before the first term */
    *lo_out = *hi_out = 0;
    return 0;
  }
  *lo_out = (lo - 1) * ix->lxi_every;
  *hi_out = QX_MIN(lo * (uint64_t)ix->lxi_every, ix->nterms);
  return 0;
}

/* Binary search of terms [lo, hi) (at most QX_LEXIDX_EVERY) read with
 * pread: their entries, then their strings, which the writer stores back to
 * back in term order. 1 found, 0 absent, 2 strings too long for the buffer
 * (the caller searches the mapping), < 0 error. */
static int find_in_range(qx_term_info *out, const qx_seg *ix, uint64_t lo, uint64_t hi, const char *s, size_t len) {
  uint8_t eb[(QX_LEXIDX_EVERY + 1) * QX_LEX_ENTRY_SIZE_V1];
  char sb[QX_LEXIDX_EVERY * (QX_TERM_MAX + 1)];
  size_t n = (size_t)(hi - lo), es = ix->lex_esize;
  size_t nread = es == QX_LEX_ENTRY_SIZE ? n + 1 : n; /* lexicon 2: and the next entry (or the sentinel) */
  if (qx_pread_full(ix->lex_fd, eb, nread * es, 32 + lo * es))
    return qx_err_errno(QUARRY_EIO, "%s/lexicon: read", ix->dir);
  uint64_t s0, s1, lastoff;
  uint32_t l;
  entry_str(ix, eb, &s0, &l);
  entry_str(ix, eb + (n - 1) * es, &lastoff, &l);
  s1 = lastoff + l;
  if (s0 > s1 || s1 > ix->lex_strings_len)
    return qx_err(QUARRY_ECORRUPT, "%s/lexicon: terms %" PRIu64 "..%" PRIu64 " out of range", ix->dir, lo, hi);
  if (s1 - s0 > sizeof sb) return 2;
  uint64_t str_at = (uint64_t)(ix->lex_strings - ix->lex.data) + s0;
  if (qx_pread_full(ix->lex_fd, sb, (size_t)(s1 - s0), str_at))
    return qx_err_errno(QUARRY_EIO, "%s/lexicon: read", ix->dir);
  size_t a = 0, b = n;
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    const uint8_t *e = eb + mid * es;
    uint64_t off;
    entry_str(ix, e, &off, &l);
    if (off < s0 || off > s1 || l > s1 - off)
      return qx_err(QUARRY_ECORRUPT, "%s/lexicon: term %" PRIu64 " out of range", ix->dir, lo + mid);
    int c = qx_fc_cmp(sb + (off - s0), l, s, len);
    if (c == 0) {
      int rc = term_decode(out, ix, e, (uint32_t)(lo + mid));
      return rc ? rc : 1;
    }
    if (c < 0) a = mid + 1;
    else b = mid;
  }
  return 0;
}

static int lex12_find(qx_term_info *out, const qx_seg *ix, const char *s, size_t len) {
  uint64_t lo = 0, hi = ix->nterms;
  if (ix->lxi.len) {
    int rc = lexidx_range(&lo, &hi, ix, s, len);
    if (rc || lo == hi) return rc;
    rc = find_in_range(out, ix, lo, hi, s, len);
    if (rc != 2) return rc;
  }
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    int rc = lex12_term(out, ix, (uint32_t)mid);
    if (rc) return rc;
    int c = qx_fc_cmp(out->str, out->len, s, len);
    if (c == 0) return 1;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}


/* ---- every version -------------------------------------------------------------- */

int qx_lex_open(qx_seg *ix, int sfd, uint64_t terms) {
  const uint8_t *p = ix->lex.data;
  ix->nterms = terms;
  ix->lex_major = ix->lex.len >= 16 ? qx_le32(p + 8) : 0;
  if (ix->lex_major == 3) {
    int rc = lex3_open(ix, terms);
    if (rc) return rc;
    ix->lex_fd = openat(sfd, "lexicon", O_RDONLY | O_CLOEXEC);
    return ix->lex_fd < 0 ? qx_err_errno(QUARRY_EIO, "%s/lexicon", ix->dir) : 0;
  }
  /* lexicon 2: 32-byte entries and a sentinel after the last term; 1: 72-byte entries */
  int v1 = ix->lex_major == 1;
  uint64_t nent = v1 ? terms : terms + 1;
  ix->lex_esize = v1 ? QX_LEX_ENTRY_SIZE_V1 : QX_LEX_ENTRY_SIZE;
  if (ix->lex.len < 32 || qx_le64(p + 16) != terms || !qx_fits(ix->lex.len, 32, nent, ix->lex_esize, qx_le64(p + 24)))
    return qx_err(QUARRY_ECORRUPT, "%s/lexicon: size or count does not match the MANIFEST", ix->dir);
  ix->lex_entries = p + 32;
  ix->lex_strings = p + 32 + nent * ix->lex_esize;
  ix->lex_strings_len = qx_le64(p + 24);
  return check_lexidx(ix, sfd, terms);
}

int qx_seg_term(qx_term_info *t, const qx_seg *ix, uint32_t id) {
  if (id >= ix->nterms) return qx_err(QUARRY_EINVAL, "term id %u out of range", id);
  return ix->lex_major == 3 ? lex3_term(t, ix, id) : lex12_term(t, ix, id);
}

int qx_seg_find_term(qx_term_info *out, const qx_seg *ix, const char *s, size_t len) {
  return ix->lex_major == 3 ? lex3_find(out, NULL, ix, s, len) : lex12_find(out, ix, s, len);
}

void qx_lex_iter_init(qx_lex_iter *it, const qx_seg *sg, uint64_t first) {
  it->sg = sg;
  it->id = first;
  it->loaded = 0;
}

int qx_lex_iter_next(qx_lex_iter *it, qx_term_info *out) {
  const qx_seg *ix = it->sg;
  if (it->id >= ix->nterms) return 0;
  if (ix->lex_major != 3) {
    int rc = qx_seg_term(out, ix, (uint32_t)it->id);
    it->id++;
    return rc ? rc : 1;
  }
  qx_lex3_blk *k = &it->blk;
  int rc = 0;
  if (!it->loaded || k->i >= k->n) { /* the block of id, positioned on it */
    rc = lex3_load(k, ix, it->id / ix->lex3.per_block);
    for (uint64_t i = it->id % ix->lex3.per_block; !rc && i > 0; i--) rc = lex3_next(out, k, ix);
    it->loaded = !rc;
  }
  if (!rc) rc = lex3_next(out, k, ix);
  if (rc) return rc;
  lex3_str(out, k);
  it->id++;
  return 1;
}

int qx_lex_iter_get(qx_lex_iter *it, qx_term_info *out, uint64_t id) {
  const qx_seg *ix = it->sg;
  if (ix->lex_major != 3 || id >= ix->nterms) return qx_seg_term(out, ix, (uint32_t)id);
  qx_lex3_blk *k = &it->blk;
  uint64_t b = id / ix->lex3.per_block;
  int rc = 0;
  if (!it->loaded || k->b != b) rc = lex3_load(k, ix, b);
  else if (id < b * ix->lex3.per_block + k->i) rc = lex3_load_or_rewind(k, ix, b, 0);
  it->loaded = !rc;
  while (!rc && b * ix->lex3.per_block + k->i < id) rc = lex3_next(out, k, ix);
  if (!rc) rc = lex3_next(out, k, ix);
  if (rc) {
    it->loaded = 0;
    return rc;
  }
  lex3_str(out, k);
  it->id = id + 1;
  return 0;
}

/* ---- surface forms ------------------------------------------------------------------ */

int qx_seg_surface_get(const char **form, uint32_t *form_len, uint32_t *term, char *buf, const qx_seg *ix,
                       uint64_t i) {
  if (i >= ix->nsurface) return qx_err(QUARRY_EINVAL, "surface entry out of range");
  if (ix->surf_lexicon) { /* no surface file: form i is term i */
    qx_term_info t;
    int rc = qx_seg_term(&t, ix, (uint32_t)i);
    if (rc) return rc;
    memcpy(buf, t.str, t.len);
    *form = buf;
    *form_len = t.len;
    *term = (uint32_t)i;
    return 0;
  }
  if (ix->surf_major == 2) return qx_surf2_get(form, form_len, term, buf, ix, i);
  const uint8_t *e = ix->surf_entries + i * QX_SURF_ENTRY_SIZE;
  uint64_t off = qx_le64(e);
  *form_len = qx_le32(e + 8);
  *term = qx_le32(e + 12);
  if (off > ix->surf_strings_len || *form_len > ix->surf_strings_len - off || *term >= ix->nterms)
    return qx_err(QUARRY_ECORRUPT, "%s/surface: entry %" PRIu64 " out of range", ix->dir, i);
  *form = (const char *)ix->surf_strings + off;
  return 0;
}

/* -1: form sorts before every form starting with prefix, 0: starts with it, 1: after. */
static int prefix_cmp(const char *f, size_t fl, const char *p, size_t pl) {
  int c = memcmp(f, p, QX_MIN(fl, pl));
  if (c) return c < 0 ? -1 : 1;
  return fl < pl ? -1 : 0;
}

int qx_seg_surface_range(uint64_t *lo_out, uint64_t *hi_out, const qx_seg *ix, const char *prefix,
                           size_t len) {
  int lex3 = ix->surf_lexicon && ix->lex_major == 3, surf2 = !ix->surf_lexicon && ix->surf_major == 2;
  if (lex3 || surf2) { /* from the block heads: the first form >= prefix, and >= its successor */
    qx_term_info t;
    char succ[QX_TERM_MAX + 1];
    size_t sl = QX_MIN(len, sizeof succ);
    memcpy(succ, prefix, sl);
    if (len > sizeof succ) sl = 0; /* longer than any form: matches none, */
    while (sl && (uint8_t)succ[sl - 1] == 0xFF) sl--; /* else the first string after all that start with it */
    if (sl) succ[sl - 1] = (char)((uint8_t)succ[sl - 1] + 1);
    int rc = lex3 ? lex3_find(&t, lo_out, ix, prefix, len) : qx_surf2_lower(lo_out, ix, prefix, len);
    if (rc >= 0 && sl) rc = lex3 ? lex3_find(&t, hi_out, ix, succ, sl) : qx_surf2_lower(hi_out, ix, succ, sl);
    else if (rc >= 0) *hi_out = len > sizeof succ ? *lo_out : ix->nsurface;
    return rc < 0 ? rc : 0;
  }
  uint64_t bounds[2];
  char buf[QX_TERM_MAX];
  for (int pass = 0; pass < 2; pass++) { /* pass 0: first >= 0; pass 1: first > 0 */
    uint64_t lo = 0, hi = ix->nsurface;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      const char *f;
      uint32_t fl, t;
      int rc = qx_seg_surface_get(&f, &fl, &t, buf, ix, mid);
      if (rc) return rc;
      int c = prefix_cmp(f, fl, prefix, len);
      if (pass == 0 ? c < 0 : c <= 0) lo = mid + 1;
      else hi = mid;
    }
    bounds[pass] = lo;
  }
  *lo_out = bounds[0];
  *hi_out = bounds[1];
  return 0;
}
