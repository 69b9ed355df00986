/*
 * snippet.c: one line of a hit's passage, around the densest cluster of
 * matched query terms. The passage text comes from the store; it is
 * analysed again to find the words that match (same analyzer as the index,
 * so the byte offsets are exact); the window of at most max_bytes with the
 * most distinct matched terms (then the most matches) wins. White space is
 * collapsed, control bytes dropped, invalid UTF-8 replaced by U+FFFD, and
 * matched words are wrapped in the caller's highlight strings.
 */
#include <stdlib.h>

#include "qx_search.h"

typedef struct span {
  size_t start, end;
  int match; /* index+1 of the matched query term / prefix, 0 if none */
} span;

typedef struct snip_ctx {
  const quarry_results *r;
  span *s;
  size_t n, cap;
  int oom;
} snip_ctx;

static int on_tok(void *ctx, const qx_token *t) {
  snip_ctx *c = ctx;
  if (t->is_stop) return 0;
  int m = 0;
  for (size_t i = 0; !m && i < c->r->nterms; i++)
    if (strlen(c->r->terms[i]) == t->term_len && !memcmp(c->r->terms[i], t->term, t->term_len)) m = (int)i + 1;
  for (size_t i = 0; !m && i < c->r->nprefixes; i++) {
    size_t pl = strlen(c->r->prefixes[i]);
    if (t->folded_len >= pl && !memcmp(c->r->prefixes[i], t->folded, pl)) m = (int)(c->r->nterms + i) + 1;
  }
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 64;
    span *p = realloc(c->s, nc * sizeof *p);
    if (!p) return c->oom = 1;
    c->s = p;
    c->cap = nc;
  }
  c->s[c->n++] = (span){t->start, t->end, m};
  return 0;
}

/* Append text[a, b) cleaned: whitespace runs -> one space, controls dropped,
 * invalid UTF-8 -> U+FFFD. */
static int put_clean(qx_buf *o, const char *text, size_t a, size_t b, int *space) {
  int rc = 0;
  const uint8_t *p = (const uint8_t *)text + a, *e = (const uint8_t *)text + b;
  while (!rc && p < e) {
    int32_t cp;
    size_t n = qx_utf8_decode(p, e, &cp);
    if (n == 0) n = 1;
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0) {
      if (!*space) rc = qx_buf_putc(o, ' ');
      *space = 1;
    } else if (cp < 0x20 || cp == 0x7f) {
      /* drop */
    } else if (cp == 0xFFFD && !(n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] == 0xBD)) {
      rc = qx_buf_append(o, "\xEF\xBF\xBD", 3);
      *space = 0;
    } else {
      rc = qx_buf_append(o, p, n);
      *space = 0;
    }
    p += n;
  }
  return rc;
}

int quarry_snippet(char **out, quarry_index *ix, const quarry_results *r, size_t i,
                   const quarry_snippet_opts *opts) {
  *out = NULL;
  quarry_snippet_opts defaults = QUARRY_SNIPPET_OPTS_INIT;
  if (!opts) opts = &defaults;
  if (!r || i >= r->n) return qx_err(QUARRY_EINVAL, "no hit %zu", i);
  size_t maxb = opts->max_bytes ? opts->max_bytes : 240;
  const char *ho = opts->hl_open ? opts->hl_open : "", *hc = opts->hl_close ? opts->hl_close : "";
  char *text = NULL;
  size_t len = 0;
  int rc = qx_index_passage_text(&text, &len, ix, r->hits[i].passage);
  if (rc) return rc;
  qx_analyzer *an = NULL;
  snip_ctx c = {.r = r};
  rc = qx_analyzer_new(&an, ix->lang);
  if (!rc) rc = qx_analyze(an, text, len, 0, on_tok, &c);
  if (!rc && c.oom) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  /* best window of tokens [a, z) within maxb bytes */
  size_t best_a = 0, best_z = 0;
  int best_distinct = -1, best_count = -1;
  size_t nq = r->nterms + r->nprefixes;
  unsigned char *seen = qx_calloc(nq + 1, 1);
  if (!rc && !seen) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t a = 0; !rc && a < c.n; a++) {
    if (!c.s[a].match && a > 0) continue; /* windows start on a match (or at the top) */
    memset(seen, 0, nq + 1);
    int distinct = 0, count = 0;
    size_t z = a;
    while (z < c.n && c.s[z].end - c.s[a].start <= maxb) {
      if (c.s[z].match) {
        count++;
        if (!seen[c.s[z].match]) distinct++;
        seen[c.s[z].match] = 1;
      }
      z++;
    }
    if (z == a) z = a + 1; /* a single over-long word */
    if (distinct > best_distinct || (distinct == best_distinct && count > best_count)) {
      best_distinct = distinct;
      best_count = count;
      best_a = a;
      best_z = z;
    }
  }
  free(seen);
  qx_buf o = {0};
  if (!rc) {
    size_t ws = 0, we = len;
    if (c.n) {
      ws = c.s[best_a].start;
      we = c.s[best_z - 1].end;
      size_t used = we - ws;
      if (used < maxb) { /* spread the rest around the cluster, whole words only */
        size_t extra = maxb - used, before = QX_MIN(extra / 3, ws);
        size_t nws = ws - before, nwe = QX_MIN(len, we + (extra - before));
        size_t a = best_a, z = best_z;
        while (a > 0 && c.s[a - 1].start >= nws) a--;
        while (z < c.n && c.s[z].end <= nwe) z++;
        ws = a == 0 ? 0 : c.s[a].start;
        we = z == c.n ? len : c.s[z - 1].end;
        if (we - ws > maxb + maxb / 2) we = c.s[z - 1].end;
      }
    } else if (we > maxb) {
      we = maxb;
      while (we > 0 && ((unsigned char)text[we] & 0xC0) == 0x80) we--;
    }
    int space = 1;
    if (ws > 0) rc = qx_buf_append(&o, "\xE2\x80\xA6", 3), space = 0;
    size_t at = ws;
    for (size_t t = 0; !rc && t < c.n; t++) {
      if (c.s[t].start < ws || c.s[t].end > we || !c.s[t].match) continue;
      rc = put_clean(&o, text, at, c.s[t].start, &space);
      if (!rc) rc = qx_buf_append(&o, ho, strlen(ho));
      if (!rc) rc = put_clean(&o, text, c.s[t].start, c.s[t].end, &space);
      if (!rc) rc = qx_buf_append(&o, hc, strlen(hc));
      at = c.s[t].end;
    }
    if (!rc) rc = put_clean(&o, text, at, we, &space);
    while (!rc && o.len && o.data[o.len - 1] == ' ') o.len--;
    if (!rc && we < len) rc = qx_buf_append(&o, "\xE2\x80\xA6", 3);
    if (!rc) rc = qx_buf_putc(&o, 0);
  }
  free(c.s);
  free(text);
  qx_analyzer_free(an);
  if (rc) {
    qx_buf_free(&o);
    return rc;
  }
  char *res = (char *)o.data;
  /* skip a leading space left by the cleaning */
  if (res[0] == ' ') memmove(res, res + 1, strlen(res));
  *out = res;
  return 0;
}
