/*
 * fuzz_eval_files.c: the evaluation file readers (search/eval_qrels.c,
 * eval_topics.c, the run reader): qrels in TREC, BEIR, Cranfield and SMART
 * layouts, TREC run files, topics in BEIR, TREC, SMART and TSV layouts.
 *
 * Input: byte 0 picks the reader (bits 0-1: qrels, run, topics, topics),
 * the format (bits 2-4, qx_qrels_format / qx_topics_format) and the topic
 * flags (bits 5-6); the rest is the file (a memfd). Checked: success or a negative code with a message;
 * qrels queries sorted and unique by id, judgments sorted and unique by
 * document, num_rel consistent, qx_qrels_find finds each query; a run is
 * evaluated (against empty qrels) and is then in trec_eval order; topics
 * have ids and texts.
 */
#include "fuzz_common.h"
#include "qx_common.h"
#include "qx_eval.h"

static void check_qrels(const char *path, qx_qrels_format fmt) {
  qx_qrels *qr = NULL;
  int rc = qx_qrels_read(&qr, path, fmt);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && quarry_error_last()[0] != 0);
    return;
  }
  for (size_t i = 0; i < qr->n; i++) {
    const qx_qrels_query *q = &qr->q[i];
    if (i) FZ_CHECK(strcmp(qr->q[i - 1].qid, q->qid) < 0);
    FZ_CHECK(qx_qrels_find(qr, q->qid) == q);
    size_t nrel = 0;
    for (size_t k = 0; k < q->n; k++) {
      if (k) FZ_CHECK(strcmp(q->j[k - 1].docid, q->j[k].docid) < 0);
      FZ_CHECK(qx_qrels_level(q, q->j[k].docid) == q->j[k].rel);
      nrel += q->j[k].rel >= 1;
    }
    FZ_CHECK(nrel == q->num_rel);
  }
  qx_qrels_free(qr);
}

static void check_run(const char *path) {
  qx_run *run = NULL;
  int rc = qx_run_read(&run, path);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && quarry_error_last()[0] != 0);
    return;
  }
  qx_qrels empty = {NULL, 0};
  qx_metric *m = NULL;
  size_t nm = 0;
  FZ_CHECK(qx_metrics_parse(&m, &nm, QX_METRICS_DEFAULT) == 0);
  qx_eval_result res;
  FZ_CHECK(qx_eval_run(&res, run, &empty, m, nm) == 0);
  FZ_CHECK(res.nq == 0);
  qx_eval_result_free(&res);
  for (size_t i = 0; i < run->n; i++)
    for (size_t k = 1; k < run->q[i].n; k++)
      FZ_CHECK(run->q[i].r[k - 1].score >= run->q[i].r[k].score ||
               run->q[i].r[k - 1].score != run->q[i].r[k - 1].score ||
               run->q[i].r[k].score != run->q[i].r[k].score);
  free(m);
  qx_run_free(run);
}

static void check_topics(const char *path, qx_topics_format fmt, unsigned flags) {
  qx_topics *t = NULL;
  int rc = qx_topics_read(&t, path, fmt, flags);
  if (rc != 0) {
    FZ_CHECK(rc < 0 && quarry_error_last()[0] != 0);
    return;
  }
  for (size_t i = 0; i < t->n; i++) FZ_CHECK(t->t[i].qid && t->t[i].text);
  qx_topics_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t sel = fz_take_byte(&data, &size);
  char path[64];
  int fd = fz_memfile(data, size, path);
  if (fd < 0) return 0;
  int fmt = ((sel >> 2) & 7) % 5;
  switch (sel & 3) {
  case 0: check_qrels(path, (qx_qrels_format)fmt); break;
  case 1: check_run(path); break;
  default: check_topics(path, (qx_topics_format)fmt, (sel >> 5) & 3); break;
  }
  close(fd);
  return 0;
}
