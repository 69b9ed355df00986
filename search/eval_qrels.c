/*
 * eval_qrels.c: readers for relevance judgments (qrels) and TREC run files.
 *
 * Qrels formats (qx_qrels_format):
 *   trec      "qid iter docid rel"            (TREC; iter ignored)
 *   beir      "qid docid rel", header "query-id corpus-id score" optional
 *   cranqrel  "qid docid code": Cranfield's codes run 1 (complete answer) to
 *             4 (minimum interest) plus -1 (unexplained, read as not relevant);
 *             stored as level 5 - code so that a larger level is better, as
 *             nDCG's gains require (the relevant set is unchanged).
 *   smart     "qid docid ..." (CISI.REL: "1 28 0 0.000000"): every listed pair
 *             is relevant (level 1); the SMART files carry no grades.
 * A pair judged twice keeps its last line. Runs are TREC run files
 * "qid Q0 docid rank score [tag]"; rank and tag are ignored because trec_eval
 * orders by score (then docid descending), see eval_metrics.c. A document
 * listed twice for one query is an error, as in trec_eval (form_res_rels).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qx_common.h"
#include "qx_eval.h"

/* Split a line in place on blanks; returns the number of fields (<= max). */
static size_t split_fields(char *line, char **f, size_t max) {
  size_t n = 0;
  char *p = line;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\r')
      p++;
    if (!*p) break;
    if (n == max) return max + 1;
    f[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r')
      p++;
    if (*p) *p++ = '\0';
  }
  return n;
}

/* Cut the next line out of *cur (NUL-terminated in place); NULL at the end. */
static char *next_line(char **cur) {
  char *s = *cur;
  if (!s || !*s) return NULL;
  char *nl = strchr(s, '\n');
  if (nl) {
    *nl = '\0';
    *cur = nl + 1;
  } else {
    *cur = s + strlen(s);
  }
  return s;
}

static int parse_int(const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < -1000000 || v > 1000000) return -1;
  *out = (int)v;
  return 0;
}

int qx_qrels_format_parse(qx_qrels_format *out, const char *name) {
  static const struct {
    const char *n;
    qx_qrels_format f;
  } tab[] = {{"auto", QX_QRELS_AUTO}, {"trec", QX_QRELS_TREC},         {"beir", QX_QRELS_BEIR},
             {"tsv", QX_QRELS_BEIR},  {"cranqrel", QX_QRELS_CRANQREL}, {"smart", QX_QRELS_SMART}};
  for (size_t i = 0; i < QX_ARRAY_LEN(tab); i++)
    if (!strcmp(name, tab[i].n)) {
      *out = tab[i].f;
      return 0;
    }
  return qx_err(QUARRY_EINVAL, "unknown qrels format '%s' (auto, trec, beir, cranqrel, smart)", name);
}

typedef struct triple {
  char *qid, *docid;
  int rel;
  size_t line;
} triple;

static int cmp_triple(const void *a, const void *b) {
  const triple *x = a, *y = b;
  int c = strcmp(x->qid, y->qid);
  if (!c) c = strcmp(x->docid, y->docid);
  if (!c) c = (x->line > y->line) - (x->line < y->line);
  return c;
}

void qx_qrels_free(qx_qrels *qr) {
  if (!qr) return;
  for (size_t i = 0; i < qr->n; i++) {
    for (size_t j = 0; j < qr->q[i].n; j++)
      free(qr->q[i].j[j].docid);
    free(qr->q[i].j);
    free(qr->q[i].qid);
  }
  free(qr->q);
  free(qr);
}

/* Group sorted triples (owned strings move into the qrels). */
static int build_qrels(qx_qrels *qr, triple *t, size_t n) {
  size_t nq = 0;
  for (size_t i = 0; i < n; i++)
    nq += i == 0 || strcmp(t[i].qid, t[i - 1].qid);
  qr->q = qx_calloc(nq, sizeof *qr->q);
  if (!qr->q) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < n;) {
    size_t e = i;
    while (e < n && !strcmp(t[e].qid, t[i].qid))
      e++;
    qx_qrels_query *q = &qr->q[qr->n++];
    q->qid = t[i].qid;
    t[i].qid = NULL;
    q->j = qx_calloc(e - i, sizeof *q->j);
    if (!q->j) return qx_err(QUARRY_ENOMEM, "out of memory");
    for (size_t k = i; k < e; k++) {
      if (k + 1 < e && !strcmp(t[k].docid, t[k + 1].docid)) continue; /* a later line wins */
      q->j[q->n].docid = t[k].docid;
      q->j[q->n].rel = t[k].rel;
      t[k].docid = NULL;
      q->num_rel += q->j[q->n].rel >= 1;
      q->n++;
    }
    i = e;
  }
  return 0;
}

int qx_qrels_read(qx_qrels **out, const char *path, qx_qrels_format fmt) {
  *out = NULL;
  char *data;
  size_t len;
  int rc = qx_file_read(&data, &len, path);
  if (rc) return rc;
  triple *t = NULL;
  size_t nt = 0, cap = 0, lineno = 0;
  qx_qrels *qr = qx_calloc(1, sizeof *qr);
  if (!qr) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  char *cur = data;
  for (char *line; !rc && (line = next_line(&cur));) {
    lineno++;
    char *f[8];
    size_t nf = split_fields(line, f, 7);
    if (nf == 0) continue;
    if (lineno == 1 && !strcmp(f[0], "query-id")) { /* BEIR header */
      if (fmt == QX_QRELS_AUTO) fmt = QX_QRELS_BEIR;
      continue;
    }
    if (fmt == QX_QRELS_AUTO) fmt = nf == 4 ? QX_QRELS_TREC : QX_QRELS_BEIR;
    const char *qid, *doc, *relstr = NULL;
    int rel = 1;
    switch (fmt) {
    case QX_QRELS_TREC:
      if (nf != 4) goto bad;
      qid = f[0], doc = f[2], relstr = f[3];
      break;
    case QX_QRELS_BEIR:
    case QX_QRELS_CRANQREL:
      if (nf != 3) goto bad;
      qid = f[0], doc = f[1], relstr = f[2];
      break;
    default: /* SMART */
      if (nf < 2 || nf > 7) goto bad;
      qid = f[0], doc = f[1];
      break;
    }
    if (relstr && parse_int(relstr, &rel)) {
      rc = qx_err(QUARRY_EINVAL, "%s:%zu: relevance '%s' is not an integer", path, lineno, relstr);
      break;
    }
    if (fmt == QX_QRELS_CRANQREL && rel >= 1) {
      if (rel > 4) {
        rc = qx_err(QUARRY_EINVAL, "%s:%zu: cranqrel code %d outside 1..4 or -1", path, lineno, rel);
        break;
      }
      rel = 5 - rel;
    }
    if ((rc = qx_grow((void **)&t, &cap, nt + 1, sizeof *t))) break;
    t[nt].qid = qx_strdup(qid);
    t[nt].docid = qx_strdup(doc);
    t[nt].rel = rel;
    t[nt].line = lineno;
    nt++;
    if (!t[nt - 1].qid || !t[nt - 1].docid) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    continue;
  bad:
    rc = qx_err(QUARRY_EINVAL, "%s:%zu: expected %s, found %zu fields", path, lineno,
                fmt == QX_QRELS_TREC    ? "'qid iter docid rel'"
                : fmt == QX_QRELS_SMART ? "'qid docid ...'"
                                        : "'qid docid rel'",
                nf);
  }
  if (!rc) {
    if (nt) qsort(t, nt, sizeof *t, cmp_triple);
    rc = build_qrels(qr, t, nt);
  }
  for (size_t i = 0; i < nt; i++) {
    free(t[i].qid);
    free(t[i].docid);
  }
  free(t);
  free(data);
  if (!rc && qr->n == 0) rc = qx_err(QUARRY_EINVAL, "%s: no judgments", path);
  if (rc) {
    qx_qrels_free(qr);
    return rc;
  }
  *out = qr;
  return 0;
}

static int cmp_qq(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const qx_qrels_query *)elem)->qid);
}
static int cmp_jd(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const qx_judgment *)elem)->docid);
}

const qx_qrels_query *qx_qrels_find(const qx_qrels *qr, const char *qid) {
  if (!qr->n) return NULL;
  return bsearch(qid, qr->q, qr->n, sizeof *qr->q, cmp_qq);
}

int qx_qrels_level(const qx_qrels_query *q, const char *docid) {
  if (!q->n) return 0;
  const qx_judgment *j = bsearch(docid, q->j, q->n, sizeof *q->j, cmp_jd);
  return j ? j->rel : 0;
}

/* ---- runs -------------------------------------------------------------- */
qx_run *qx_run_new(void) { return qx_calloc(1, sizeof(qx_run)); }

int qx_run_add_query(qx_run *run, qx_run_query **out, const char *qid) {
  int rc = qx_grow((void **)&run->q, &run->cap, run->n + 1, sizeof *run->q);
  if (rc) return rc;
  qx_run_query *q = &run->q[run->n];
  memset(q, 0, sizeof *q);
  if (!(q->qid = qx_strdup(qid))) return qx_err(QUARRY_ENOMEM, "out of memory");
  run->n++;
  *out = q;
  return 0;
}

int qx_run_add(qx_run_query *q, const char *docid, double score) {
  int rc = qx_grow((void **)&q->r, &q->cap, q->n + 1, sizeof *q->r);
  if (rc) return rc;
  if (!(q->r[q->n].docid = qx_strdup(docid))) return qx_err(QUARRY_ENOMEM, "out of memory");
  q->r[q->n++].score = score;
  return 0;
}

/* trec_eval's comp_sim_docno: score descending, then docno descending. */
static int cmp_trec(const void *a, const void *b) {
  const qx_ranked *x = a, *y = b;
  if (x->score > y->score) return -1;
  if (x->score < y->score) return 1;
  return strcmp(y->docid, x->docid);
}

static int cmp_docid_best(const void *a, const void *b) {
  const qx_ranked *x = a, *y = b;
  int c = strcmp(x->docid, y->docid);
  if (c) return c;
  return (x->score < y->score) - (x->score > y->score);
}

size_t qx_run_query_dedupe(qx_run_query *q) {
  if (q->n < 2) return 0;
  qsort(q->r, q->n, sizeof *q->r, cmp_docid_best);
  size_t o = 1;
  for (size_t i = 1; i < q->n; i++) {
    if (!strcmp(q->r[i].docid, q->r[o - 1].docid)) {
      free(q->r[i].docid);
      continue;
    }
    q->r[o++] = q->r[i];
  }
  size_t dropped = q->n - o;
  q->n = o;
  return dropped;
}

void qx_run_sort(qx_run *run) {
  for (size_t i = 0; i < run->n; i++)
    if (run->q[i].n) qsort(run->q[i].r, run->q[i].n, sizeof(qx_ranked), cmp_trec);
}

void qx_run_free(qx_run *run) {
  if (!run) return;
  for (size_t i = 0; i < run->n; i++) {
    for (size_t j = 0; j < run->q[i].n; j++)
      free(run->q[i].r[j].docid);
    free(run->q[i].r);
    free(run->q[i].qid);
  }
  free(run->q);
  free(run);
}

typedef struct runline {
  const char *qid, *docid;
  double score;
  size_t line;
} runline;

static int cmp_runline(const void *a, const void *b) {
  const runline *x = a, *y = b;
  int c = strcmp(x->qid, y->qid);
  if (!c) c = strcmp(x->docid, y->docid);
  return c ? c : (x->line > y->line) - (x->line < y->line);
}

int qx_run_read(qx_run **out, const char *path) {
  *out = NULL;
  char *data;
  size_t len;
  int rc = qx_file_read(&data, &len, path);
  if (rc) return rc;
  runline *l = NULL;
  size_t n = 0, cap = 0, lineno = 0;
  char *cur = data;
  for (char *line; !rc && (line = next_line(&cur));) {
    lineno++;
    char *f[7];
    size_t nf = split_fields(line, f, 6);
    if (nf == 0) continue;
    if (nf < 5 || nf > 6) {
      rc = qx_err(QUARRY_EINVAL, "%s:%zu: expected 'qid Q0 docid rank score tag', found %zu fields", path,
                  lineno, nf);
      break;
    }
    char *end;
    errno = 0;
    double s = strtod(f[4], &end);
    if (end == f[4] || *end || errno == ERANGE || s != s) {
      rc = qx_err(QUARRY_EINVAL, "%s:%zu: score '%s' is not a number", path, lineno, f[4]);
      break;
    }
    if ((rc = qx_grow((void **)&l, &cap, n + 1, sizeof *l))) break;
    l[n++] = (runline){f[0], f[2], s, lineno};
  }
  qx_run *run = rc ? NULL : qx_run_new();
  if (!rc && !run) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) {
    if (n) qsort(l, n, sizeof *l, cmp_runline);
    qx_run_query *q = NULL;
    for (size_t i = 0; i < n && !rc; i++) {
      if (i && !strcmp(l[i].qid, l[i - 1].qid) && !strcmp(l[i].docid, l[i - 1].docid)) {
        rc = qx_err(QUARRY_EINVAL, "%s:%zu: document %s listed twice for query %s (first on line %zu)", path,
                    l[i].line, l[i].docid, l[i].qid, l[i - 1].line);
        break;
      }
      if (!q || strcmp(q->qid, l[i].qid)) rc = qx_run_add_query(run, &q, l[i].qid);
      if (!rc) rc = qx_run_add(q, l[i].docid, l[i].score);
    }
  }
  free(l);
  free(data);
  if (rc) {
    qx_run_free(run);
    return rc;
  }
  *out = run;
  return 0;
}
