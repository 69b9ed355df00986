/*
 * eval_search.c: the searching half of `quarry eval`: reads the queries, runs
 * each judged one through the index and evaluates the ranking.
 */
#include <stdio.h>

#include "eval_cli.h"
#include "qx_cli.h"

int eval_search(const eval_opts *o, const qx_qrels *qrels, const qx_metric *m, size_t nm) {
  (void)o, (void)qrels, (void)m, (void)nm;
  return cli_fail("eval: searching an index is not available in this build yet; use --run FILE");
}
