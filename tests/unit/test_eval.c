/* test_eval.c: trec_eval metrics on hand-computed cases (the values were
 * cross-checked with pytrec_eval), qrels / run / topics readers, bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qx_common.h"
#include "qx_eval.h"
#include "qx_test.h"

static void write_file(const char *path, const char *s) {
  FILE *f = fopen(path, "w");
  fputs(s, f);
  fclose(f);
}

static double metric(const char *spec, const qx_qrels *qr, qx_run *run, const char *qid) {
  qx_metric *m;
  size_t nm;
  if (qx_metrics_parse(&m, &nm, spec)) return -1;
  qx_eval_result r;
  double v = -2;
  if (!qx_eval_run(&r, run, qr, m, nm)) {
    for (size_t i = 0; i < r.nq; i++)
      if (!strcmp(r.qid[i], qid)) v = r.values[i * nm];
    qx_eval_result_free(&r);
  }
  free(m);
  return v;
}

int main(void) {
  char tmp[] = "/tmp/qx_eval_XXXXXX";
  int fd = mkstemp(tmp);
  CHECK(fd >= 0);
  close(fd);

  /* q1: levels d1=2 d2=1 d3=0 d4=-1; q2 judged without relevant documents */
  write_file(tmp, "q1 0 d1 2\nq1 0 d2 1\nq1 0 d3 0\nq1 0 d4 -1\nq2 0 d1 0\nq3 0 d5 1\n");
  qx_qrels *qr;
  CHECK_EQ_INT(qx_qrels_read(&qr, tmp, QX_QRELS_AUTO), 0);
  CHECK_EQ_INT(qr->n, 3);
  CHECK_EQ_INT(qx_qrels_find(qr, "q1")->num_rel, 2);
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "q1"), "d4"), -1);
  CHECK(qx_qrels_find(qr, "q9") == NULL);

  /* the run's ranks are ignored: order is score desc, docid desc -> d4 dx d2 d1 */
  write_file(tmp, "q1 Q0 d1 1 3.0 t\nq1 Q0 d2 2 3.0 t\nq1 Q0 d4 3 5.0 t\nq1 Q0 dx 4 4 t\n"
                  "q2 Q0 d1 1 1 t\nq4 Q0 d1 1 1 t\n");
  qx_run *run;
  CHECK_EQ_INT(qx_run_read(&run, tmp), 0);
  CHECK_EQ_INT(run->n, 3);
  CHECK_NEAR(metric("mrr", qr, run, "q1"), 1.0 / 3, 1e-12);
  CHECK_EQ_STR(run->q[0].r[2].docid, "d2");
  CHECK_NEAR(metric("map", qr, run, "q1"), (1.0 / 3 + 2.0 / 4) / 2, 1e-12);
  /* DCG = 1/log2(4) + 2/log2(5); ideal = 2 + 1/log2(3); d4's -1 gains nothing */
  CHECK_NEAR(metric("ndcg@10", qr, run, "q1"), 0.5174418337467067, 1e-12);
  CHECK_NEAR(metric("ndcg", qr, run, "q1"), 0.5174418337467067, 1e-12);
  CHECK_NEAR(metric("ndcg@3", qr, run, "q1"), (1 / log2(4.0)) / (2 + 1 / log2(3.0)), 1e-12);
  CHECK_NEAR(metric("mrr@2", qr, run, "q1"), 0, 1e-12);
  CHECK_NEAR(metric("p@10", qr, run, "q1"), 0.2, 1e-12);
  CHECK_NEAR(metric("p@3", qr, run, "q1"), 1.0 / 3, 1e-12);
  CHECK_NEAR(metric("recall@3", qr, run, "q1"), 0.5, 1e-12);
  CHECK_NEAR(metric("recall@100", qr, run, "q1"), 1.0, 1e-12);
  CHECK_NEAR(metric("map@3", qr, run, "q1"), (1.0 / 3) / 2, 1e-12);
  /* judged, nothing relevant: 0 everywhere, but evaluated */
  CHECK_NEAR(metric("ndcg@10", qr, run, "q2"), 0, 1e-12);
  CHECK_NEAR(metric("recall@100", qr, run, "q2"), 0, 1e-12);
  /* q3 (not in the run) and q4 (not in the qrels) are not evaluated */
  CHECK_NEAR(metric("map", qr, run, "q3"), -2, 0);
  CHECK_NEAR(metric("map", qr, run, "q4"), -2, 0);
  {
    qx_metric *m;
    size_t nm;
    qx_eval_result r;
    CHECK_EQ_INT(qx_metrics_parse(&m, &nm, "map,MRR@10"), 0);
    CHECK_EQ_STR(m[1].name, "mrr@10");
    CHECK_EQ_INT(qx_eval_run(&r, run, qr, m, nm), 0);
    CHECK_EQ_INT(r.nq, 2);
    CHECK_NEAR(r.mean[0], ((1.0 / 3 + 2.0 / 4) / 2 + 0) / 2, 1e-12);
    qx_eval_result_free(&r);
    free(m);
  }
  /* dedupe keeps the best score per docid */
  {
    qx_run *r2 = qx_run_new();
    qx_run_query *q2;
    CHECK_EQ_INT(qx_run_add_query(r2, &q2, "q1"), 0);
    qx_run_add(q2, "d2", 1.0);
    qx_run_add(q2, "d1", 3.0);
    qx_run_add(q2, "d2", 2.0);
    qx_run_add(q2, "d1", 0.5);
    CHECK_EQ_INT(qx_run_query_dedupe(q2), 2);
    qx_run_sort(r2);
    CHECK_EQ_INT(q2->n, 2);
    CHECK_EQ_STR(q2->r[0].docid, "d1");
    CHECK_NEAR(q2->r[1].score, 2.0, 0);
    qx_run_free(r2);
  }
  /* a judged query with an empty ranking counts with 0 */
  qx_run_query *q;
  CHECK_EQ_INT(qx_run_add_query(run, &q, "q3"), 0);
  CHECK_NEAR(metric("map", qr, run, "q3"), 0, 0);
  qx_run_free(run);
  qx_qrels_free(qr);

  /* metric parsing */
  qx_metric *m;
  size_t nm;
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, QX_METRICS_DEFAULT), 0);
  CHECK_EQ_INT(nm, 5);
  CHECK_EQ_STR(m[3].name, "recall@100");
  CHECK_EQ_INT(m[4].k, 10);
  free(m);
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, "p"), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, "ndcg@0"), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, "ndcg@x"), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, "map,,p@5"), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, "bpref"), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_metrics_parse(&m, &nm, ""), QUARRY_EINVAL);

  /* qrels formats */
  CHECK_EQ_INT(qx_qrels_read(&qr, "tests/data/corpus/qrels.trec", QX_QRELS_TREC), 0);
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "a"), "d1"), 3); /* the later line wins */
  CHECK_EQ_INT(qx_qrels_find(qr, "a")->n, 2);
  qx_qrels_free(qr);
  CHECK_EQ_INT(qx_qrels_read(&qr, "tests/data/corpus/beir.tsv", QX_QRELS_AUTO), 0);
  CHECK_EQ_INT(qr->n, 2);
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "1"), "31715818"), 1);
  CHECK_EQ_INT(qx_qrels_find(qr, "3")->num_rel, 1);
  qx_qrels_free(qr);
  CHECK_EQ_INT(qx_qrels_read(&qr, "tests/data/corpus/cranqrel", QX_QRELS_CRANQREL), 0);
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "1"), "184"), 3); /* code 2 */
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "1"), "29"), 4);  /* code 1: complete answer */
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "1"), "31"), 1);  /* code 4: minimum interest */
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "1"), "12"), -1);
  CHECK_EQ_INT(qx_qrels_find(qr, "1")->num_rel, 3);
  qx_qrels_free(qr);
  CHECK_EQ_INT(qx_qrels_read(&qr, "tests/data/corpus/smart.rel", QX_QRELS_SMART), 0);
  CHECK_EQ_INT(qx_qrels_find(qr, "1")->n, 2); /* duplicate line collapsed */
  CHECK_EQ_INT(qx_qrels_level(qx_qrels_find(qr, "2"), "35"), 1);
  qx_qrels_free(qr);
  qx_qrels_format qf;
  CHECK_EQ_INT(qx_qrels_format_parse(&qf, "cranqrel"), 0);
  CHECK_EQ_INT(qf, QX_QRELS_CRANQREL);
  CHECK_EQ_INT(qx_qrels_format_parse(&qf, "xml"), QUARRY_EINVAL);

  /* bad qrels and runs */
  write_file(tmp, "q1 0 d1 x\n");
  CHECK_EQ_INT(qx_qrels_read(&qr, tmp, QX_QRELS_TREC), QUARRY_EINVAL);
  write_file(tmp, "q1 0 d1 1\n\nq1 d1 1\n");
  CHECK_EQ_INT(qx_qrels_read(&qr, tmp, QX_QRELS_TREC), QUARRY_EINVAL);
  CHECK(strstr(quarry_error_last(), ":3: expected") != NULL);
  write_file(tmp, "1 5 7\n");
  CHECK_EQ_INT(qx_qrels_read(&qr, tmp, QX_QRELS_CRANQREL), QUARRY_EINVAL);
  write_file(tmp, "\n\n");
  CHECK_EQ_INT(qx_qrels_read(&qr, tmp, QX_QRELS_AUTO), QUARRY_EINVAL);
  write_file(tmp, "q1 Q0 d1 1 abc run\n");
  CHECK_EQ_INT(qx_run_read(&run, tmp), QUARRY_EINVAL);
  write_file(tmp, "q1 Q0 d1 1 nan run\n");
  CHECK_EQ_INT(qx_run_read(&run, tmp), QUARRY_EINVAL);
  write_file(tmp, "q1 Q0 d1 1 2 run\nq2 Q0 d1 1 2 run\nq1 Q0 d1 2 1 run\n");
  CHECK_EQ_INT(qx_run_read(&run, tmp), QUARRY_EINVAL);
  CHECK(strstr(quarry_error_last(), ":3: document d1 listed twice for query q1 (first on line 1)") != NULL);
  write_file(tmp, "q1 Q0 d1\n");
  CHECK_EQ_INT(qx_run_read(&run, tmp), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_run_read(&run, "/nonexistent/run"), QUARRY_ENOTFOUND);

  /* topics */
  qx_topics *t;
  CHECK_EQ_INT(qx_topics_read(&t, "tests/data/corpus/mini.jsonl", QX_TOPICS_AUTO, 0), 0);
  CHECK_EQ_INT(t->n, 3);
  CHECK_EQ_STR(t->t[1].qid, "17");
  CHECK_EQ_STR(t->t[1].text, "An integer id and no title.");
  qx_topics_free(t);
  CHECK_EQ_INT(qx_topics_read(&t, "tests/data/corpus/mini.qry", QX_TOPICS_AUTO, 0), 0);
  CHECK_EQ_INT(t->n, 3);
  CHECK_EQ_STR(t->t[2].qid, "004");
  CHECK_EQ_STR(t->t[0].text,
               "what similarity laws must be obeyed when constructing aeroelastic models of heated "
               "high speed aircraft .");
  qx_topics_free(t);
  CHECK_EQ_INT(qx_topics_read(&t, "tests/data/corpus/mini.qry", QX_TOPICS_SMART, QX_TOPICS_BY_POSITION), 0);
  CHECK_EQ_STR(t->t[2].qid, "3");
  qx_topics_free(t);
  CHECK_EQ_INT(qx_topics_read(&t, "tests/data/corpus/topics.trec", QX_TOPICS_AUTO, 0), 0);
  CHECK_EQ_INT(t->n, 2);
  CHECK_EQ_STR(t->t[0].qid, "301");
  CHECK_EQ_STR(t->t[0].text, "International Organized Crime");
  CHECK_EQ_STR(t->t[1].qid, "302");
  CHECK_EQ_STR(t->t[1].text, "Poliomyelitis and Post-Polio");
  qx_topics_free(t);
  CHECK_EQ_INT(qx_topics_read(&t, "tests/data/corpus/topics.trec", QX_TOPICS_TREC, QX_TOPICS_TREC_DESC), 0);
  CHECK_EQ_STR(t->t[0].text, "International Organized Crime Identify organizations that participate in "
                             "international criminal activity.");
  CHECK_EQ_STR(t->t[1].text, "Poliomyelitis and Post-Polio Is the disease under control?");
  qx_topics_free(t);
  CHECK_EQ_INT(qx_topics_read(&t, "tests/data/corpus/queries.tsv", QX_TOPICS_AUTO, 0), 0);
  CHECK_EQ_INT(t->n, 2);
  CHECK_EQ_STR(t->t[1].qid, "q2");
  CHECK_EQ_STR(t->t[1].text, "second with tab");
  qx_topics_free(t);
  write_file(tmp, "a\tone\nb\ttwo\na\tthree\n");
  CHECK_EQ_INT(qx_topics_read(&t, tmp, QX_TOPICS_AUTO, 0), QUARRY_EINVAL);
  CHECK(strstr(quarry_error_last(), "query id 'a' appears twice") != NULL);
  CHECK_EQ_INT(qx_topics_read(&t, tmp, QX_TOPICS_AUTO, QX_TOPICS_BY_POSITION), 0); /* ids 1, 2, 3 */
  qx_topics_free(t);
  write_file(tmp, "no tab here\n");
  CHECK_EQ_INT(qx_topics_read(&t, tmp, QX_TOPICS_AUTO, 0), QUARRY_EINVAL);
  write_file(tmp, "<top><num> Number: 1 <title> x\n");
  CHECK_EQ_INT(qx_topics_read(&t, tmp, QX_TOPICS_AUTO, 0), QUARRY_EINVAL);
  write_file(tmp, "<top><title> x </top>\n");
  CHECK_EQ_INT(qx_topics_read(&t, tmp, QX_TOPICS_AUTO, 0), QUARRY_EINVAL);
  write_file(tmp, "");
  CHECK_EQ_INT(qx_topics_read(&t, tmp, QX_TOPICS_AUTO, 0), QUARRY_EINVAL);
  CHECK_EQ_INT(qx_topics_read(&t, "/nonexistent/q", QX_TOPICS_AUTO, 0), QUARRY_ENOTFOUND);
  unlink(tmp);
  return qx_test_result();
}
