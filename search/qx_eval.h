/*
 * qx_eval.h: retrieval evaluation with trec_eval's definitions (the numbers
 * are the ones trec_eval 9.x / pytrec_eval print for the same run and qrels).
 *
 * Data: qrels (judgments: query id -> document id -> relevance level), runs
 * (query id -> ranked documents with scores), topics (query id -> text), and
 * metrics (ndcg@k, map, map@k, mrr@k, recall@k, p@k, ndcg).
 *
 * Conventions, all checked against pytrec_eval (tests/e2e/eval_pytrec.sh):
 *   - a run is ordered like trec_eval does, whatever ranks it carries:
 *     score descending, ties broken by document id DESCENDING (strcmp order);
 *   - a document is relevant when its level is >= 1; levels <= 0 and
 *     unjudged documents are not relevant and have gain 0 in nDCG;
 *   - nDCG gain = relevance level, discount log2(rank + 1), ideal ranking
 *     from the qrels (all judged documents with level > 0, best first);
 *   - a query in the run but not in the qrels is ignored; a query in the
 *     qrels but not in the run is ignored (trec_eval without -c; pytrec_eval
 *     returns no entry for it); a judged query with an empty ranking counts
 *     with 0 everywhere (pytrec_eval given an empty dict for it);
 *   - a judged query without any relevant document counts with 0;
 *   - means are arithmetic over the evaluated queries.
 */
#ifndef QX_EVAL_H
#define QX_EVAL_H

#include <stddef.h>

/* ---- qrels ------------------------------------------------------------- */
typedef struct qx_judgment {
  char *docid;
  int rel;
} qx_judgment;

typedef struct qx_qrels_query {
  char *qid;
  qx_judgment *j; /* sorted by docid (strcmp), unique */
  size_t n;
  size_t num_rel; /* judgments with rel >= 1 */
} qx_qrels_query;

typedef struct qx_qrels {
  qx_qrels_query *q; /* sorted by qid (strcmp), unique */
  size_t n;
} qx_qrels;

typedef enum qx_qrels_format {
  QX_QRELS_AUTO = 0, /* header "query-id" or 3 columns -> beir, 4 columns -> trec */
  QX_QRELS_TREC,     /* qid iter docid rel */
  QX_QRELS_BEIR,     /* qid docid rel, optional header line (tab or spaces) */
  QX_QRELS_CRANQREL, /* Cranfield cranqrel: qid docid code, code 1 (best)..4, -1;
                        stored as level 5 - code for 1..4 (4 = best), -1 kept */
  QX_QRELS_SMART     /* SMART .REL (CISI.REL): qid docid [ignored...]; every line relevant (1) */
} qx_qrels_format;

int qx_qrels_format_parse(qx_qrels_format *out, const char *name);
/* Read a qrels file. A pair judged twice keeps the last line (as a dict would). */
int qx_qrels_read(qx_qrels **out, const char *path, qx_qrels_format fmt);
/* Query by id, or NULL. */
const qx_qrels_query *qx_qrels_find(const qx_qrels *qr, const char *qid);
/* Level of docid in q (0 when unjudged). */
int qx_qrels_level(const qx_qrels_query *q, const char *docid);
void qx_qrels_free(qx_qrels *qr);

/* ---- runs -------------------------------------------------------------- */
typedef struct qx_ranked {
  char *docid;
  double score;
} qx_ranked;

typedef struct qx_run_query {
  char *qid;
  qx_ranked *r;
  size_t n, cap;
} qx_run_query;

typedef struct qx_run {
  qx_run_query *q;
  size_t n, cap;
} qx_run;

/* Read a TREC run file: "qid Q0 docid rank score tag" (rank and tag ignored). */
int qx_run_read(qx_run **out, const char *path);
qx_run *qx_run_new(void);
/* Append a query (copied id) and return it through *out (valid until the next add). */
int qx_run_add_query(qx_run *run, qx_run_query **out, const char *qid);
int qx_run_add(qx_run_query *q, const char *docid, double score);
/* Keep one entry per docid (the best score); returns how many were dropped.
 * The order of q->r is not kept (qx_run_sort restores trec_eval's). */
size_t qx_run_query_dedupe(qx_run_query *q);
/* Order every query as trec_eval does (score desc, docid desc). */
void qx_run_sort(qx_run *run);
void qx_run_free(qx_run *run);

/* ---- metrics ----------------------------------------------------------- */
typedef enum qx_metric_kind {
  QX_METRIC_NDCG,   /* ndcg@k = trec_eval ndcg_cut_k; "ndcg" = trec_eval ndcg */
  QX_METRIC_MAP,    /* map = trec_eval map; map@k = map_cut_k */
  QX_METRIC_MRR,    /* mrr@k = recip_rank over the top k; "mrr" = recip_rank */
  QX_METRIC_RECALL, /* recall@k = recall_k; "recall" = over the whole ranking */
  QX_METRIC_P       /* p@k = P_k (k required) */
} qx_metric_kind;

typedef struct qx_metric {
  qx_metric_kind kind;
  size_t k; /* 0 = no cut-off */
  char name[24];
} qx_metric;

/* Parse "ndcg@10,map,mrr@10,recall@100,p@10" into a heap array. */
int qx_metrics_parse(qx_metric **out, size_t *n, const char *spec);
#define QX_METRICS_DEFAULT "ndcg@10,map,mrr@10,recall@100,p@10"

/* Score one query: `ranked` must already be in trec_eval order. */
double qx_metric_eval(const qx_metric *m, const qx_qrels_query *q, const qx_ranked *ranked, size_t n);

/* Per-query values and means of a run. */
typedef struct qx_eval_result {
  size_t nmetrics;
  size_t nq;      /* evaluated queries (in run and in qrels) */
  char **qid;     /* [nq], borrowed from the run */
  double *values; /* [nq * nmetrics], row per query */
  double *mean;   /* [nmetrics] */
} qx_eval_result;

/* Sorts the run (qx_run_sort) then evaluates each query found in the qrels. */
int qx_eval_run(qx_eval_result *out, qx_run *run, const qx_qrels *qrels, const qx_metric *m, size_t nm);
void qx_eval_result_free(qx_eval_result *r);

/* ---- topics (queries) -------------------------------------------------- */
typedef struct qx_topic {
  char *qid;
  char *text;
} qx_topic;

typedef struct qx_topics {
  qx_topic *t;
  size_t n, cap;
} qx_topics;

typedef enum qx_topics_format {
  QX_TOPICS_AUTO = 0, /* by content: '{' beir, '<' trec, ".I" smart, else tsv */
  QX_TOPICS_BEIR,     /* queries.jsonl: {"_id", "text"} */
  QX_TOPICS_TREC,     /* <top> <num> Number: N <title> ... (title field) */
  QX_TOPICS_SMART,    /* .I N / .W text (Cranfield cran.qry, CISI.QRY) */
  QX_TOPICS_TSV       /* qid<TAB>text (MS MARCO style) */
} qx_topics_format;

enum {
  QX_TOPICS_BY_POSITION =
      1,                  /* ids are 1, 2, 3... in file order (Cranfield: .I numbers are not the qrels ids) */
  QX_TOPICS_TREC_DESC = 2 /* TREC topics: title + description instead of the title alone */
};

int qx_topics_format_parse(qx_topics_format *out, const char *name);
int qx_topics_read(qx_topics **out, const char *path, qx_topics_format fmt, unsigned flags);
void qx_topics_free(qx_topics *t);

#endif /* QX_EVAL_H */
