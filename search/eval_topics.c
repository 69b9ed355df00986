/*
 * eval_topics.c: query files of test collections, read into (qid, text):
 *   beir   queries.jsonl {"_id", "text"} (through the corpus reader)
 *   smart  ".I n" / ".W text" records (cran.qry, CISI.QRY), same reader
 *   trec   TREC topics: <top> <num> Number: 301 <title> ... <desc>
 *          Description: ... <narr> ... </top>, closing tags optional; the
 *          query is the title (or title + description with QX_TOPICS_TREC_DESC)
 *   tsv    "qid<TAB>text" per line (MS MARCO queries)
 * QX_TOPICS_BY_POSITION numbers queries 1, 2, 3... in file order: Cranfield's
 * cran.qry headers run 1..365 with gaps while cranqrel numbers the same 225
 * queries 1..225 in order (see /work/shared/evaldata/cranfield/SOURCE.txt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "qx_common.h"
#include "qx_corpus.h"
#include "qx_eval.h"

int qx_topics_format_parse(qx_topics_format *out, const char *name) {
  static const char *names[] = {"auto", "beir", "trec", "smart", "tsv"};
  for (size_t i = 0; i < QX_ARRAY_LEN(names); i++)
    if (!strcmp(name, names[i])) {
      *out = (qx_topics_format)i;
      return 0;
    }
  return qx_err(QUARRY_EINVAL, "unknown queries format '%s' (auto, beir, trec, smart, tsv)", name);
}

void qx_topics_free(qx_topics *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) {
    free(t->t[i].qid);
    free(t->t[i].text);
  }
  free(t->t);
  free(t);
}

/* Add a topic, collapsing runs of blanks/newlines in the text to one space. */
static int add_topic(qx_topics *t, const char *qid, size_t qn, const char *text, size_t tn) {
  int rc = qx_grow((void **)&t->t, &t->cap, t->n + 1, sizeof *t->t);
  if (rc) return rc;
  char *q = qx_strndup(qid, qn), *x = qx_malloc(tn + 1);
  if (!q || !x) {
    free(q);
    free(x);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  size_t o = 0;
  for (size_t i = 0; i < tn; i++) {
    char c = text[i];
    int blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (blank) {
      if (o && x[o - 1] != ' ') x[o++] = ' ';
    } else {
      x[o++] = c;
    }
  }
  while (o && x[o - 1] == ' ')
    o--;
  x[o] = '\0';
  t->t[t->n++] = (qx_topic){q, x};
  return 0;
}

static int read_records(qx_topics *t, const char *path, qx_corpus_format fmt) {
  qx_corpus *c;
  int rc = qx_corpus_open(&c, fmt, &path, 1);
  if (rc) return rc;
  qx_corpus_rec r;
  while ((rc = qx_corpus_next(c, &r)) == 1) {
    /* query = title + text (CISI's later queries are papers with a .T title;
       BEIR queries and most SMART queries have only a text) */
    qx_buf q = {0};
    rc = qx_buf_append(&q, r.title, r.title_len);
    if (!rc && r.title_len && r.text_len) rc = qx_buf_putc(&q, ' ');
    if (!rc) rc = qx_buf_append(&q, r.text, r.text_len);
    if (!rc) rc = add_topic(t, r.id, strlen(r.id), q.data ? (const char *)q.data : "", q.len);
    qx_buf_free(&q);
    if (rc) break;
  }
  qx_corpus_free(c);
  return rc < 0 ? rc : 0;
}

static const char *find_ci(const char *s, const char *e, const char *needle) {
  size_t n = strlen(needle);
  for (; s + n <= e; s++)
    if (!strncasecmp(s, needle, n)) return s;
  return NULL;
}

/* Text of field <tag> inside [s, e): up to the next '<', minus a "Label:" prefix. */
static int trec_field(const char *s, const char *e, const char *tag, const char *label, const char **fs,
                      const char **fe) {
  const char *o = find_ci(s, e, tag);
  if (!o) return 0;
  o += strlen(tag);
  const char *c = memchr(o, '<', (size_t)(e - o));
  if (!c) c = e;
  while (o < c && (*o == ' ' || *o == '\t' || *o == '\n' || *o == '\r'))
    o++;
  if (label && (size_t)(c - o) >= strlen(label) && !strncasecmp(o, label, strlen(label))) o += strlen(label);
  *fs = o;
  *fe = c;
  return 1;
}

static int read_trec(qx_topics *t, const char *path, unsigned flags) {
  char *data;
  size_t len;
  int rc = qx_file_read(&data, &len, path);
  if (rc) return rc;
  const char *p = data, *end = data + len;
  const char *top;
  while (!rc && (top = find_ci(p, end, "<top>"))) {
    const char *close = find_ci(top, end, "</top>");
    if (!close) {
      rc = qx_err(QUARRY_EINVAL, "%s: offset %zu: <top> without </top>", path, (size_t)(top - data));
      break;
    }
    const char *ns, *ne, *ts, *te, *ds, *de;
    if (!trec_field(top, close, "<num>", "Number:", &ns, &ne)) {
      rc = qx_err(QUARRY_EINVAL, "%s: offset %zu: topic without <num>", path, (size_t)(top - data));
      break;
    }
    while (ns < ne && (*ns == ' ' || *ns == '\t'))
      ns++;
    while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t' || ne[-1] == '\n' || ne[-1] == '\r'))
      ne--;
    if (!trec_field(top, close, "<title>", "Topic:", &ts, &te)) ts = te = close;
    qx_buf q = {0};
    rc = qx_buf_append(&q, ts, (size_t)(te - ts));
    if (!rc && (flags & QX_TOPICS_TREC_DESC) && trec_field(top, close, "<desc>", "Description:", &ds, &de)) {
      rc = qx_buf_putc(&q, ' ');
      if (!rc) rc = qx_buf_append(&q, ds, (size_t)(de - ds));
    }
    if (!rc) {
      if (ns == ne)
        rc = qx_err(QUARRY_EINVAL, "%s: offset %zu: empty <num>", path, (size_t)(top - data));
      else
        rc = add_topic(t, ns, (size_t)(ne - ns), q.data ? (const char *)q.data : "", q.len);
    }
    qx_buf_free(&q);
    p = close + 6;
  }
  free(data);
  return rc;
}

static int read_tsv(qx_topics *t, const char *path) {
  char *data;
  size_t len;
  int rc = qx_file_read(&data, &len, path);
  if (rc) return rc;
  size_t lineno = 0;
  for (char *p = data; !rc && p < data + len;) {
    char *nl = memchr(p, '\n', (size_t)(data + len - p));
    char *e = nl ? nl : data + len;
    lineno++;
    if (e > p && e[-1] == '\r') e[-1] = '\0';
    *e = '\0';
    if (*p) {
      char *tab = strchr(p, '\t');
      if (!tab || tab == p)
        rc = qx_err(QUARRY_EINVAL, "%s:%zu: expected 'qid<TAB>text'", path, lineno);
      else
        rc = add_topic(t, p, (size_t)(tab - p), tab + 1, strlen(tab + 1));
    }
    p = e + 1;
  }
  free(data);
  return rc;
}

static int sniff(qx_topics_format *fmt, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return qx_err_errno(QUARRY_ENOTFOUND, "%s", path);
  int c;
  while ((c = fgetc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r') {
  }
  int c2 = fgetc(f);
  fclose(f);
  if (c == '{')
    *fmt = QX_TOPICS_BEIR;
  else if (c == '<')
    *fmt = QX_TOPICS_TREC;
  else if (c == '.' && c2 == 'I')
    *fmt = QX_TOPICS_SMART;
  else
    *fmt = QX_TOPICS_TSV;
  return 0;
}

static int cmp_qid_ptr(const void *a, const void *b) {
  return strcmp((*(const qx_topic *const *)a)->qid, (*(const qx_topic *const *)b)->qid);
}

/* Two queries with one id would be searched and averaged twice: refuse. */
static int check_unique(const qx_topics *t, const char *path) {
  const qx_topic **p = qx_malloc(t->n * sizeof *p);
  if (!p) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < t->n; i++)
    p[i] = &t->t[i];
  qsort(p, t->n, sizeof *p, cmp_qid_ptr);
  int rc = 0;
  for (size_t i = 1; i < t->n && !rc; i++)
    if (!strcmp(p[i]->qid, p[i - 1]->qid))
      rc = qx_err(QUARRY_EINVAL, "%s: query id '%s' appears twice", path, p[i]->qid);
  free(p);
  return rc;
}

int qx_topics_read(qx_topics **out, const char *path, qx_topics_format fmt, unsigned flags) {
  *out = NULL;
  int rc = fmt == QX_TOPICS_AUTO ? sniff(&fmt, path) : 0;
  if (rc) return rc;
  qx_topics *t = qx_calloc(1, sizeof *t);
  if (!t) return qx_err(QUARRY_ENOMEM, "out of memory");
  switch (fmt) {
  case QX_TOPICS_BEIR: rc = read_records(t, path, QX_CORPUS_BEIR); break;
  case QX_TOPICS_SMART: rc = read_records(t, path, QX_CORPUS_SMART); break;
  case QX_TOPICS_TREC: rc = read_trec(t, path, flags); break;
  default: rc = read_tsv(t, path); break;
  }
  if (!rc && t->n == 0) rc = qx_err(QUARRY_EINVAL, "%s: no queries", path);
  if (!rc && (flags & QX_TOPICS_BY_POSITION))
    for (size_t i = 0; i < t->n && !rc; i++) {
      char num[24];
      snprintf(num, sizeof num, "%zu", i + 1);
      char *q = qx_strdup(num);
      if (!q)
        rc = qx_err(QUARRY_ENOMEM, "out of memory");
      else {
        free(t->t[i].qid);
        t->t[i].qid = q;
      }
    }
  if (!rc) rc = check_unique(t, path);
  if (rc) {
    qx_topics_free(t);
    return rc;
  }
  *out = t;
  return 0;
}
