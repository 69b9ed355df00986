/*
 * eval_metrics.c: trec_eval's measures, computed the way trec_eval 9.x
 * computes them (and pytrec_eval, which embeds it), so that quarry's figures
 * can be put next to published ones without a caveat.
 *
 *   ndcg_cut_k  DCG@k / IDCG@k, gain = relevance level (levels <= 0 give 0),
 *               discount log2(rank + 1); the ideal ranking sorts every judged
 *               document with level > 0 by level (Jarvelin & Kekalainen 2002,
 *               trec_eval's m_ndcg_cut.c). 0 when the query has no such document.
 *   map         mean over the relevant documents (level >= 1) of the precision
 *               at their rank, divided by the number of relevant documents
 *               judged (not retrieved); map_cut_k only counts ranks <= k.
 *   recip_rank  1 / rank of the first relevant document (0 if none); mrr@k
 *               looks at the first k ranks only.
 *   recall_k    relevant in the top k / relevant judged (0 if none judged).
 *   P_k         relevant in the top k / k, even when fewer than k were returned.
 * The run is ordered first by score descending, ties by document id
 * descending (trec_eval's comp_sim_docno), whatever ranks the file carries.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx_common.h"
#include "qx_eval.h"

int qx_metrics_parse(qx_metric **out, size_t *n, const char *spec) {
  *out = NULL;
  *n = 0;
  if (!spec || !*spec) return qx_err(QUARRY_EINVAL, "empty metric list");
  size_t cap = 1;
  for (const char *p = spec; *p; p++)
    cap += *p == ',';
  qx_metric *m = qx_calloc(cap, sizeof *m);
  if (!m) return qx_err(QUARRY_ENOMEM, "out of memory");
  size_t cnt = 0;
  const char *p = spec;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    char item[64];
    if (len == 0 || len >= sizeof item) {
      free(m);
      return qx_err(QUARRY_EINVAL, "bad metric '%.*s' in '%s'", (int)QX_MIN(len, 40), p, spec);
    }
    memcpy(item, p, len);
    item[len] = '\0';
    for (char *c = item; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    char *at = strchr(item, '@');
    size_t k = 0;
    if (at) {
      *at = '\0';
      char *end;
      long v = strtol(at + 1, &end, 10);
      if (at[1] == '\0' || *end || v <= 0 || v > 1000000) {
        free(m);
        return qx_err(QUARRY_EINVAL, "bad cut-off in metric '%.*s' (expected NAME@K, K >= 1)", (int)len, p);
      }
      k = (size_t)v;
    }
    qx_metric *x = &m[cnt];
    if (!strcmp(item, "ndcg"))
      x->kind = QX_METRIC_NDCG;
    else if (!strcmp(item, "map"))
      x->kind = QX_METRIC_MAP;
    else if (!strcmp(item, "mrr") || !strcmp(item, "rr"))
      x->kind = QX_METRIC_MRR;
    else if (!strcmp(item, "recall") || !strcmp(item, "r"))
      x->kind = QX_METRIC_RECALL;
    else if (!strcmp(item, "p"))
      x->kind = QX_METRIC_P;
    else {
      free(m);
      return qx_err(QUARRY_EINVAL,
                    "unknown metric '%.*s' (known: ndcg[@k], map[@k], mrr[@k], recall[@k], p@k)", (int)len,
                    p);
    }
    if (x->kind == QX_METRIC_P && k == 0) {
      free(m);
      return qx_err(QUARRY_EINVAL, "metric p needs a cut-off (p@10)");
    }
    static const char *names[] = {"ndcg", "map", "mrr", "recall", "p"};
    x->k = k;
    if (k)
      snprintf(x->name, sizeof x->name, "%s@%zu", names[x->kind], k);
    else
      snprintf(x->name, sizeof x->name, "%s", names[x->kind]);
    cnt++;
    p += len;
    if (*p == ',') p++;
  }
  *out = m;
  *n = cnt;
  return 0;
}

static int cmp_int_desc(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x < y) - (x > y);
}

/* Ideal DCG over the first k (0 = all) judged levels > 0, best first. */
static double ideal_dcg(const qx_qrels_query *q, size_t k) {
  int small[256];
  int *lv = q->n <= 256 ? small : malloc(q->n * sizeof *lv);
  if (!lv) return 0; /* out of memory: degrade to 0 rather than crash */
  size_t m = 0;
  for (size_t i = 0; i < q->n; i++)
    if (q->j[i].rel > 0) lv[m++] = q->j[i].rel;
  if (m) qsort(lv, m, sizeof *lv, cmp_int_desc);
  size_t lim = k ? QX_MIN(k, m) : m;
  double idcg = 0;
  for (size_t i = 0; i < lim; i++)
    idcg += lv[i] / log2((double)i + 2.0);
  if (lv != small) free(lv);
  return idcg;
}

double qx_metric_eval(const qx_metric *m, const qx_qrels_query *q, const qx_ranked *ranked, size_t n) {
  size_t k = m->k;
  size_t lim = k ? QX_MIN(k, n) : n;
  switch (m->kind) {
  case QX_METRIC_NDCG: {
    double idcg = ideal_dcg(q, k);
    if (idcg <= 0) return 0;
    double dcg = 0;
    for (size_t i = 0; i < lim; i++) {
      int rel = qx_qrels_level(q, ranked[i].docid);
      if (rel > 0) dcg += rel / log2((double)i + 2.0);
    }
    return dcg / idcg;
  }
  case QX_METRIC_MAP: {
    if (q->num_rel == 0) return 0;
    double sum = 0;
    size_t found = 0;
    for (size_t i = 0; i < lim; i++)
      if (qx_qrels_level(q, ranked[i].docid) >= 1) sum += (double)++found / (double)(i + 1);
    return sum / (double)q->num_rel;
  }
  case QX_METRIC_MRR:
    for (size_t i = 0; i < lim; i++)
      if (qx_qrels_level(q, ranked[i].docid) >= 1) return 1.0 / (double)(i + 1);
    return 0;
  case QX_METRIC_RECALL:
  case QX_METRIC_P: {
    size_t found = 0;
    for (size_t i = 0; i < lim; i++)
      found += qx_qrels_level(q, ranked[i].docid) >= 1;
    if (m->kind == QX_METRIC_P) return (double)found / (double)k;
    return q->num_rel ? (double)found / (double)q->num_rel : 0;
  }
  }
  return 0;
}

int qx_eval_run(qx_eval_result *out, qx_run *run, const qx_qrels *qrels, const qx_metric *m, size_t nm) {
  memset(out, 0, sizeof *out);
  qx_run_sort(run);
  out->nmetrics = nm;
  out->qid = qx_calloc(run->n, sizeof *out->qid);
  out->values = qx_calloc(run->n * nm, sizeof *out->values);
  out->mean = qx_calloc(nm, sizeof *out->mean);
  if (!out->qid || !out->values || !out->mean) {
    qx_eval_result_free(out);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < run->n; i++) {
    const qx_run_query *rq = &run->q[i];
    const qx_qrels_query *jq = qx_qrels_find(qrels, rq->qid);
    if (!jq) continue;
    double *row = out->values + out->nq * nm;
    for (size_t j = 0; j < nm; j++) {
      row[j] = qx_metric_eval(&m[j], jq, rq->r, rq->n);
      out->mean[j] += row[j];
    }
    out->qid[out->nq++] = rq->qid;
  }
  if (out->nq)
    for (size_t j = 0; j < nm; j++)
      out->mean[j] /= (double)out->nq;
  return 0;
}

void qx_eval_result_free(qx_eval_result *r) {
  if (!r) return;
  free(r->qid);
  free(r->values);
  free(r->mean);
  memset(r, 0, sizeof *r);
}
