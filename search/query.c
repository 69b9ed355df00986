/*
 * query.c: the query language (docs/QUERY.md has the grammar). A query is
 * a list of clauses separated by white space: plain words (OR, ranked),
 * +word (required), -word (excluded), "a phrase" (positions, with the
 * stopword gaps of the query kept), word* (prefix over the folded, unstemmed
 * surface forms). Words are analysed by text/ exactly like documents.
 */
#include <stdlib.h>

#include "qx_search.h"

static int add_clause(qx_query *q, qx_occur occ, qx_qkind kind, uint32_t nterms, qx_qclause **out) {
  void *p = q->c;
  int rc = qx_grow(&p, &q->cap, q->n + 1, sizeof *q->c);
  q->c = p;
  if (rc) return rc;
  qx_qclause *c = &q->c[q->n];
  memset(c, 0, sizeof *c);
  c->occur = occ;
  c->kind = kind;
  c->weight = 1;
  c->terms = qx_calloc(nterms, sizeof *c->terms);
  c->pos = qx_calloc(nterms, sizeof *c->pos);
  if (!c->terms || !c->pos) {
    free(c->terms);
    free(c->pos);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  q->n++;
  *out = c;
  return 0;
}

typedef struct tok_list {
  char **term, **folded;
  uint32_t *pos;
  size_t n, cap;
  int oom;
} tok_list;

static int collect(void *ctx, const qx_token *t) {
  tok_list *l = ctx;
  if (t->is_stop) return 0;
  if (l->n == l->cap) {
    size_t c = l->cap ? l->cap * 2 : 8;
    char **a = realloc(l->term, c * sizeof *a);
    if (a) l->term = a;
    char **b = a ? realloc(l->folded, c * sizeof *b) : NULL;
    if (b) l->folded = b;
    uint32_t *p = b ? realloc(l->pos, c * sizeof *p) : NULL;
    if (!p) return l->oom = 1;
    l->pos = p;
    l->cap = c;
  }
  l->term[l->n] = qx_strndup(t->term, t->term_len);
  l->folded[l->n] = qx_strndup(t->folded, t->folded_len);
  l->pos[l->n] = t->pos;
  l->n++;
  if (!l->term[l->n - 1] || !l->folded[l->n - 1]) return l->oom = 1;
  return 0;
}

static void tok_list_free(tok_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->term[i]);
    free(l->folded[i]);
  }
  free(l->term);
  free(l->folded);
  free(l->pos);
}

static int add_term(qx_query *q, qx_occur occ, const char *term) {
  for (size_t i = 0; i < q->n; i++)
    if (q->c[i].kind == QX_Q_TERM && q->c[i].occur == occ && !strcmp(q->c[i].terms[0], term)) {
      q->c[i].weight++;
      return 0;
    }
  qx_qclause *c;
  int rc = add_clause(q, occ, QX_Q_TERM, 1, &c);
  if (rc) return rc;
  if (!(c->terms[0] = qx_strdup(term))) return qx_err(QUARRY_ENOMEM, "out of memory");
  c->nterms = 1;
  return 0;
}

/* One word or phrase: analyse and turn into clauses. */
static int add_unit(qx_query *q, qx_analyzer *an, qx_occur occ, const char *s, size_t len, int phrase,
                    int prefix) {
  tok_list l = {0};
  int flags = prefix ? QX_ANALYZE_NO_STEM : 0;
  int rc = qx_analyze(an, s, len, flags, collect, &l);
  if (!rc && l.oom) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  q->words++;
  if (!rc && l.n == 0 && prefix) { /* a prefix that is a stopword ("de*"): keep it */
    tok_list_free(&l);
    memset(&l, 0, sizeof l);
    rc = qx_analyze(an, s, len, flags | QX_ANALYZE_KEEP_STOP, collect, &l);
    if (!rc && l.oom) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  }
  if (!rc && l.n == 0) q->stop_words++;
  if (!rc && phrase && l.n > 1) {
    qx_qclause *c;
    rc = add_clause(q, occ, QX_Q_PHRASE, (uint32_t)l.n, &c);
    for (size_t i = 0; !rc && i < l.n; i++) {
      c->terms[i] = l.term[i];
      l.term[i] = NULL;
      c->pos[i] = l.pos[i] - l.pos[0];
      c->nterms++;
    }
  } else {
    for (size_t i = 0; !rc && i < l.n; i++) {
      if (prefix && i + 1 == l.n) {
        qx_qclause *c;
        rc = add_clause(q, occ, QX_Q_PREFIX, 1, &c);
        if (!rc) {
          c->terms[0] = l.folded[i];
          l.folded[i] = NULL;
          c->nterms = 1;
        }
      } else {
        rc = add_term(q, occ, l.term[i]);
      }
    }
  }
  tok_list_free(&l);
  return rc;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int qx_query_parse(qx_query *q, qx_analyzer *an, const char *text) {
  memset(q, 0, sizeof *q);
  const char *p = text;
  int rc = 0;
  while (!rc && *p) {
    while (is_space(*p)) p++;
    if (!*p) break;
    qx_occur occ = QX_OCC_SHOULD;
    if (*p == '+' || *p == '-') {
      occ = *p == '+' ? QX_OCC_MUST : QX_OCC_NOT;
      p++;
    }
    if (*p == '"') {
      const char *s = ++p;
      while (*p && *p != '"') p++;
      rc = add_unit(q, an, occ, s, (size_t)(p - s), 1, 0);
      if (*p == '"') p++;
    } else {
      const char *s = p;
      while (*p && !is_space(*p)) p++;
      size_t len = (size_t)(p - s);
      int prefix = len > 1 && s[len - 1] == '*';
      if (prefix) len--;
      if (len) rc = add_unit(q, an, occ, s, len, 0, prefix);
    }
  }
  if (!rc && q->words == 0) rc = qx_err(QUARRY_EINVAL, "empty query");
  if (rc) qx_query_free(q);
  return rc;
}

void qx_query_free(qx_query *q) {
  for (size_t i = 0; i < q->n; i++) {
    for (uint32_t j = 0; j < q->c[i].nterms; j++) free(q->c[i].terms[j]);
    free(q->c[i].terms);
    free(q->c[i].pos);
  }
  free(q->c);
  memset(q, 0, sizeof *q);
}
