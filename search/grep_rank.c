/*
 * grep_rank.c: BM25 ranking of the units (lines, paragraphs or passages) of
 * the text given to `quarry grep --rank`, with the collection being the
 * input itself: N = units with at least one indexable token, df = units
 * holding the term, dl = the unit's non-stopword tokens, avgdl their mean.
 *
 * The formula is the indexer's, Lucene >= 9 BM25Similarity (Robertson &
 * Zaragoza 2009), and the idf is search/bm25.c's qx_bm25_idf itself:
 *   idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))
 *   score(t, u) = w(t) * idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
 * with w(t) the times t occurs in the query, k1 = 0.9, b = 0.4 by default.
 * The only difference with an index: dl is exact here, the index stores it
 * in a 1-byte norm.
 *
 * Text goes through the same analyser as the index (text/qx_text.h:
 * folding, elision, stopwords, stemming), in one qx_analyze call per file;
 * units are cut on line ends while the tokens stream by, so the cost is one
 * pass of analysis over the input. Only units holding a query term are kept,
 * unless QX_RANK_KEEP_ALL (--semantic / --hybrid score every unit).
 */
#include <math.h>
#include <stdlib.h>

#include "grep_int.h"
#include "qx_search.h"
#include "qx_text.h"

#define PASSAGE_TOKENS 64

typedef struct qterm {
  char *term;
  uint32_t weight;
  uint64_t df;
} qterm;

struct qx_rank {
  qx_analyzer *an;
  qx_rank_unit unit;
  int flags;
  double k1, b;
  qterm *q;
  size_t nq;
  /* collection statistics */
  uint64_t N, sum_dl;
  /* kept units */
  qx_rank_hit *units;
  uint32_t *tf; /* nq per kept unit */
  uint32_t *dl;
  size_t nunits, cap;
  /* per-file cursor */
  const char *text;
  size_t len;
  uint32_t doc;
  size_t unit_start, line_start, line_end;
  uint64_t unit_line, line_no;
  uint32_t cur_dl;
  uint32_t *cur_tf;
  int err;
};

static int add_qterm(void *ctx, const qx_token *t) {
  qx_rank *r = ctx;
  for (size_t i = 0; i < r->nq; i++)
    if (!strcmp(r->q[i].term, t->term)) {
      r->q[i].weight++;
      return 0;
    }
  qterm *nq = realloc(r->q, (r->nq + 1) * sizeof *nq);
  if (!nq) return QUARRY_ENOMEM;
  r->q = nq;
  r->q[r->nq] = (qterm){qx_strndup(t->term, t->term_len), 1, 0};
  if (!r->q[r->nq].term) return QUARRY_ENOMEM;
  r->nq++;
  return 0;
}

void qx_rank_free(qx_rank *r) {
  if (!r) return;
  qx_analyzer_free(r->an);
  for (size_t i = 0; i < r->nq; i++) free(r->q[i].term);
  free(r->q);
  free(r->units);
  free(r->tf);
  free(r->dl);
  free(r->cur_tf);
  free(r);
}

int qx_rank_new(qx_rank **out, const char *query, qx_lang lang, qx_rank_unit unit, double k1, double b,
                int flags) {
  *out = NULL;
  qx_rank *r = qx_calloc(1, sizeof *r);
  if (!r) return qx_err(QUARRY_ENOMEM, "out of memory");
  r->unit = unit;
  r->flags = flags;
  r->k1 = k1;
  r->b = b;
  int rc = qx_analyzer_new(&r->an, lang);
  if (!rc) rc = qx_analyze(r->an, query, strlen(query), 0, add_qterm, r);
  if (rc) {
    qx_rank_free(r);
    return rc == QUARRY_ENOMEM ? qx_err(QUARRY_ENOMEM, "out of memory") : rc;
  }
  if (r->nq == 0 && !(flags & QX_RANK_KEEP_ALL)) {
    qx_rank_free(r);
    return qx_err(QUARRY_EINVAL, "the query '%s' has no searchable word (only stopwords?)", query);
  }
  r->cur_tf = qx_calloc(r->nq ? r->nq : 1, sizeof *r->cur_tf);
  if (!r->cur_tf) {
    qx_rank_free(r);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  *out = r;
  return 0;
}

size_t qx_rank_nterms(const qx_rank *r) { return r->nq; }
const char *qx_rank_term(const qx_rank *r, size_t i) { return i < r->nq ? r->q[i].term : NULL; }

static int is_blank(const char *p, const char *end) {
  for (; p < end && *p != '\n'; p++)
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\f' && *p != '\v') return 0;
  return 1;
}

static size_t find_eol(const qx_rank *r, size_t from) {
  if (from >= r->len) return r->len; /* also an empty input, whose text may be NULL */
  const char *nl = memchr(r->text + from, '\n', r->len - from);
  return nl ? (size_t)(nl - r->text) : r->len;
}

static void close_unit(qx_rank *r, size_t end) {
  if (r->cur_dl == 0) return;
  r->N++;
  r->sum_dl += r->cur_dl;
  int any = 0;
  for (size_t i = 0; i < r->nq; i++)
    if (r->cur_tf[i]) any = 1, r->q[i].df++;
  if (any || (r->flags & QX_RANK_KEEP_ALL)) {
    if (r->nunits == r->cap) {
      size_t nc = r->cap ? r->cap * 2 : 1024;
      qx_rank_hit *u = realloc(r->units, nc * sizeof *u);
      uint32_t *tf = u ? realloc(r->tf, nc * (r->nq ? r->nq : 1) * sizeof *tf) : NULL;
      uint32_t *dl = tf ? realloc(r->dl, nc * sizeof *dl) : NULL;
      if (u) r->units = u;
      if (tf) r->tf = tf;
      if (dl) r->dl = dl;
      if (!dl) {
        r->err = QUARRY_ENOMEM;
        return;
      }
      r->cap = nc;
    }
    r->units[r->nunits] = (qx_rank_hit){r->doc, r->unit_start, end, r->unit_line, 0.0};
    memcpy(r->tf + r->nunits * r->nq, r->cur_tf, r->nq * sizeof *r->tf);
    r->dl[r->nunits] = r->cur_dl;
    r->nunits++;
  }
  r->cur_dl = 0;
  memset(r->cur_tf, 0, r->nq * sizeof *r->cur_tf);
}

/* Skip blank lines from the current line on; the next non-blank line starts
 * a unit. */
static void start_unit(qx_rank *r) {
  while (r->line_start < r->len && is_blank(r->text + r->line_start, r->text + r->len)) {
    r->line_start = r->line_end < r->len ? r->line_end + 1 : r->len;
    r->line_no++;
    r->line_end = find_eol(r, r->line_start);
  }
  r->unit_start = r->line_start;
  r->unit_line = r->line_no;
}

/* The current line is over: close the unit if the unit kind says so, and
 * move to the next line (skipping blank lines between units). */
static void line_end_event(qx_rank *r) {
  size_t next = r->line_end < r->len ? r->line_end + 1 : r->len;
  int next_blank = next >= r->len || is_blank(r->text + next, r->text + r->len);
  int close = r->unit == QX_UNIT_LINE || next_blank || (r->unit == QX_UNIT_PASSAGE && r->cur_dl >= PASSAGE_TOKENS);
  if (close) close_unit(r, r->line_end);
  r->line_start = next;
  r->line_no++;
  r->line_end = find_eol(r, next);
  if (close) start_unit(r);
}

static int on_token(void *ctx, const qx_token *t) {
  qx_rank *r = ctx;
  while (t->start >= r->line_end && r->line_start < r->len) line_end_event(r);
  r->cur_dl++;
  for (size_t i = 0; i < r->nq; i++)
    if (r->q[i].term[0] == t->term[0] && !strcmp(r->q[i].term, t->term)) {
      r->cur_tf[i]++;
      break;
    }
  return r->err;
}

int qx_rank_add(qx_rank *r, uint32_t doc, const char *text, size_t len) {
  r->text = text;
  r->len = len;
  r->doc = doc;
  r->line_start = 0;
  r->line_no = 1;
  r->line_end = find_eol(r, 0);
  r->cur_dl = 0;
  memset(r->cur_tf, 0, r->nq * sizeof *r->cur_tf);
  start_unit(r);
  int rc = len ? qx_analyze(r->an, text, len, 0, on_token, r) : 0;
  if (!rc && !r->err) close_unit(r, r->line_end);
  if (r->err) rc = r->err;
  r->text = NULL;
  return rc < 0 ? (rc == QUARRY_ENOMEM ? qx_err(rc, "out of memory") : rc) : 0;
}

static int cmp_hits(const void *a, const void *b) {
  const qx_rank_hit *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
  return x->start < y->start ? -1 : x->start > y->start;
}

int qx_rank_finish(qx_rank *r, const qx_rank_hit **hits, size_t *n) {
  double avgdl = r->N ? (double)r->sum_dl / (double)r->N : 1.0;
  double *idf = qx_calloc(r->nq, sizeof *idf);
  if (!idf) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < r->nq; i++) idf[i] = qx_bm25_idf(r->N, r->q[i].df);
  for (size_t u = 0; u < r->nunits; u++) {
    double K = r->k1 * (1.0 - r->b + r->b * (double)r->dl[u] / avgdl), s = 0;
    const uint32_t *tf = r->tf + u * r->nq;
    for (size_t i = 0; i < r->nq; i++)
      if (tf[i]) s += r->q[i].weight * idf[i] * (double)tf[i] / ((double)tf[i] + K);
    r->units[u].score = s;
  }
  free(idf);
  if (r->nunits) qsort(r->units, r->nunits, sizeof *r->units, cmp_hits);
  *hits = r->units;
  *n = r->nunits;
  return 0;
}

typedef struct hl_ctx {
  qx_rank *r;
  qx_buf *out;
} hl_ctx;

static int on_hl(void *ctx, const qx_token *t) {
  hl_ctx *h = ctx;
  for (size_t i = 0; i < h->r->nq; i++)
    if (!strcmp(h->r->q[i].term, t->term)) {
      size_t se[2] = {t->start, t->end};
      return qx_buf_append(h->out, se, sizeof se) < 0 ? QUARRY_ENOMEM : 0;
    }
  return 0;
}

int qx_rank_highlight(qx_rank *r, const char *text, size_t len, qx_buf *ranges) {
  hl_ctx h = {r, ranges};
  ranges->len = 0;
  int rc = qx_analyze(r->an, text, len, 0, on_hl, &h);
  return rc == QUARRY_ENOMEM ? qx_err(rc, "out of memory") : rc;
}
