/*
 * cmd_eval.c: `quarry eval`, ranking quality with trec_eval's measures
 * (search/eval_metrics.c). Two sources of rankings:
 *   --run FILE           a TREC run file (e.g. from `quarry search --trec`),
 *                        evaluated like trec_eval / pytrec_eval would;
 *   -x DIR --queries F   every judged query is run through the index
 *                        (cli/eval_search.c), then evaluated.
 * Output: a table (metric, value), one row per query with --per-query, or
 * JSON lines with --json; --sweep prints a grid of BM25 k1/b settings and,
 * in hybrid mode, of the fusion constant rrf_k or the convex weight alpha.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx_cli.h"
#include "qx_common.h"
#include "qx_eval.h"
#include "eval_cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: quarry eval --qrels FILE (--run FILE | -x DIR --queries FILE) [OPTIONS]\n"
             "\n"
             "Ranking quality with trec_eval's definitions (nDCG@k = ndcg_cut_k, map, mrr@k =\n"
             "recip_rank over the top k, recall@k, p@k).\n"
             "\n"
             "  --qrels FILE          relevance judgments\n"
             "  --qrels-format F      auto (default), trec, beir, cranqrel, smart\n"
             "  --run FILE            evaluate this TREC run file instead of searching\n"
             "  -x, --index DIR       index to search\n"
             "  --queries FILE        queries: BEIR queries.jsonl, TREC topics, SMART .qry, qid<TAB>text\n"
             "  --queries-format F    auto (default), beir, trec, smart, tsv\n"
             "  --qid-by-position     number queries 1, 2, 3... in file order (Cranfield)\n"
             "  --topic-desc          TREC topics: search title + description\n"
             "  --mode M              bm25 (default), vector, hybrid\n"
             "  --fusion F            hybrid fusion: convex (default, alpha 0.6) or rrf\n"
             "  --rrf-k N, --alpha A  RRF constant (implies --fusion rrf) / convex weight of the vector leg\n"
             "  -k, --depth N         documents retrieved per query (default 1000)\n"
             "  --k1 X, --b X         BM25 parameters at query time\n"
             "  --sweep SPEC          grid over k1, b, rrf_k (hybrid, rrf) or alpha (hybrid, convex),\n"
             "                        e.g. k1=0.6:1.6:0.1,b=0.2:1.0:0.1 or rrf_k=10:100:10\n"
             "  --metrics LIST        default " QX_METRICS_DEFAULT "\n"
             "  --per-query           one row per query, then the mean\n"
             "  --json                JSON lines instead of a table\n"
             "  --write-run FILE      also write the ranking as a TREC run file\n");
}

/* Print results: a table, or JSON lines (per query, then the mean as qid "all"). */
void eval_print(const eval_opts *o, const qx_eval_result *r, const qx_metric *m, size_t nm, int per_query) {
  if (o->json) {
    if (per_query)
      for (size_t i = 0; i < r->nq; i++) {
        json_t *j = json_object();
        json_object_set_new(j, "qid", json_string(r->qid[i]));
        for (size_t k = 0; k < nm; k++)
          json_object_set_new(j, m[k].name, json_real(r->values[i * nm + k]));
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
        if (s) puts(s);
        free(s);
        json_decref(j);
      }
    json_t *j = json_object();
    json_object_set_new(j, "qid", json_string("all"));
    json_object_set_new(j, "queries", json_integer((json_int_t)r->nq));
    for (size_t k = 0; k < nm; k++)
      json_object_set_new(j, m[k].name, json_real(r->mean[k]));
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s) puts(s);
    free(s);
    json_decref(j);
    return;
  }
  if (per_query) {
    printf("%-12s", "qid");
    for (size_t k = 0; k < nm; k++)
      printf(" %10s", m[k].name);
    putchar('\n');
    for (size_t i = 0; i < r->nq; i++) {
      printf("%-12s", r->qid[i]);
      for (size_t k = 0; k < nm; k++)
        printf(" %10.4f", r->values[i * nm + k]);
      putchar('\n');
    }
    printf("%-12s", "all");
    for (size_t k = 0; k < nm; k++)
      printf(" %10.4f", r->mean[k]);
    putchar('\n');
    return;
  }
  printf("%-12s %zu\n", "queries", r->nq);
  for (size_t k = 0; k < nm; k++)
    printf("%-12s %.4f\n", m[k].name, r->mean[k]);
}

int eval_write_run(const char *path, const qx_run *run, const char *tag) {
  FILE *f = fopen(path, "w");
  if (!f) return cli_fail("%s: cannot write: %s", path, strerror(errno));
  for (size_t i = 0; i < run->n; i++)
    for (size_t j = 0; j < run->q[i].n; j++)
      fprintf(f, "%s Q0 %s %zu %.9g %s\n", run->q[i].qid, run->q[i].r[j].docid, j + 1, run->q[i].r[j].score,
              tag);
  if (fclose(f) != 0) return cli_fail("%s: write failed", path);
  return 0;
}

static int parse_double(const char *s, double *out) {
  char *e;
  *out = strtod(s, &e);
  return e == s || *e;
}

int cmd_eval(int argc, char **argv) {
  eval_opts o = {.depth = 1000, .mode = "bm25", .metrics = QX_METRICS_DEFAULT, .k1 = -1, .b = -1, .fusion = NULL, .rrf_k = -1, .alpha = -1};
  const char *qrels_fmt = "auto", *queries_fmt = "auto";
  enum {
    O_QRELS = 256,
    O_QRELS_FMT,
    O_RUN,
    O_QUERIES,
    O_QUERIES_FMT,
    O_BYPOS,
    O_DESC,
    O_MODE,
    O_K1,
    O_B,
    O_SWEEP,
    O_METRICS,
    O_PERQ,
    O_JSON,
    O_WRITE,
    O_FUSION,
    O_RRFK,
    O_ALPHA
  };
  static const struct option lo[] = {{"qrels", 1, 0, O_QRELS},
                                     {"qrels-format", 1, 0, O_QRELS_FMT},
                                     {"run", 1, 0, O_RUN},
                                     {"index", 1, 0, 'x'},
                                     {"queries", 1, 0, O_QUERIES},
                                     {"queries-format", 1, 0, O_QUERIES_FMT},
                                     {"qid-by-position", 0, 0, O_BYPOS},
                                     {"topic-desc", 0, 0, O_DESC},
                                     {"mode", 1, 0, O_MODE},
                                     {"depth", 1, 0, 'k'},
                                     {"k1", 1, 0, O_K1},
                                     {"b", 1, 0, O_B},
                                     {"sweep", 1, 0, O_SWEEP},
                                     {"metrics", 1, 0, O_METRICS},
                                     {"per-query", 0, 0, O_PERQ},
                                     {"json", 0, 0, O_JSON},
                                     {"write-run", 1, 0, O_WRITE},
                                     {"fusion", 1, 0, O_FUSION},
                                     {"rrf-k", 1, 0, O_RRFK},
                                     {"alpha", 1, 0, O_ALPHA},
                                     {"help", 0, 0, 'h'},
                                     {0, 0, 0, 0}};
  const char *qrels_path = NULL, *run_path = NULL;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":x:k:h", lo, NULL)) != -1) {
    switch (c) {
    case O_QRELS: qrels_path = optarg; break;
    case O_QRELS_FMT: qrels_fmt = optarg; break;
    case O_RUN: run_path = optarg; break;
    case 'x': o.index = optarg; break;
    case O_QUERIES: o.queries = optarg; break;
    case O_QUERIES_FMT: queries_fmt = optarg; break;
    case O_BYPOS: o.topic_flags |= QX_TOPICS_BY_POSITION; break;
    case O_DESC: o.topic_flags |= QX_TOPICS_TREC_DESC; break;
    case O_MODE: o.mode = optarg; break;
    case O_FUSION:
      if (strcmp(optarg, "rrf") && strcmp(optarg, "convex"))
        return cli_fail("eval: --fusion expects rrf or convex, got '%s'", optarg);
      o.fusion = optarg;
      break;
    case O_RRFK:
    case O_ALPHA: {
      char *e;
      double v = strtod(optarg, &e);
      if (*e || !(v >= 0) || (c == O_ALPHA && v > 1) || (c == O_RRFK && v == 0))
        return cli_fail("eval: --%s: bad value '%s'", c == O_ALPHA ? "alpha" : "rrf-k", optarg);
      if (c == O_ALPHA) o.alpha = v;
      else o.rrf_k = v;
      break;
    }
    case 'k': {
      char *e;
      long v = strtol(optarg, &e, 10);
      if (*e || v < 1 || v > 1000000)
        return cli_fail("eval: -k expects a number from 1 to 1000000, got '%s'", optarg);
      o.depth = (size_t)v;
      break;
    }
    case O_K1:
      if (parse_double(optarg, &o.k1) || o.k1 < 0)
        return cli_fail("eval: --k1 expects a number >= 0, got '%s'", optarg);
      break;
    case O_B:
      if (parse_double(optarg, &o.b) || o.b < 0 || o.b > 1)
        return cli_fail("eval: --b expects a number in [0, 1], got '%s'", optarg);
      break;
    case O_SWEEP: o.sweep = optarg; break;
    case O_METRICS: o.metrics = optarg; break;
    case O_PERQ: o.per_query = 1; break;
    case O_JSON: o.json = 1; break;
    case O_WRITE: o.write_run = optarg; break;
    case 'h': usage(stdout); return 0;
    case ':': return cli_fail("eval: option '%s' needs a value", argv[optind - 1]);
    default: return cli_fail("eval: unknown option '%s' (see quarry eval --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_fail("eval: unexpected argument '%s'", argv[optind]);
  if (!qrels_path) return cli_fail("eval: --qrels FILE is required (see quarry eval --help)");
  if (!run_path && !(o.index && o.queries))
    return cli_fail("eval: give --run FILE, or -x DIR and --queries FILE");
  if (run_path && (o.index || o.queries || o.sweep))
    return cli_fail("eval: --run evaluates a run file; it excludes -x, --queries and --sweep");

  qx_qrels_format qf;
  if (qx_qrels_format_parse(&qf, qrels_fmt)) return cli_fail_lib("eval");
  if (qx_topics_format_parse(&o.queries_format, queries_fmt)) return cli_fail_lib("eval");
  qx_metric *m = NULL;
  size_t nm = 0;
  if (qx_metrics_parse(&m, &nm, o.metrics)) return cli_fail_lib("eval: --metrics");
  qx_qrels *qrels = NULL;
  if (qx_qrels_read(&qrels, qrels_path, qf)) {
    free(m);
    return cli_fail_lib("eval: qrels");
  }
  int status = 0;
  if (run_path) {
    qx_run *run = NULL;
    qx_eval_result r;
    if (qx_run_read(&run, run_path))
      status = cli_fail_lib("eval: run");
    else if (qx_eval_run(&r, run, qrels, m, nm))
      status = cli_fail_lib("eval");
    else {
      eval_print(&o, &r, m, nm, o.per_query);
      if (o.write_run) status = eval_write_run(o.write_run, run, "quarry");
      qx_eval_result_free(&r);
    }
    qx_run_free(run);
  } else {
    status = eval_search(&o, qrels, m, nm);
  }
  qx_qrels_free(qrels);
  free(m);
  return status;
}
