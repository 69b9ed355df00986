/*
 * eval_cli.h: pieces of `quarry eval` shared between cli/cmd_eval.c (options,
 * run files, printing) and cli/eval_search.c (running queries on an index).
 */
#ifndef EVAL_CLI_H
#define EVAL_CLI_H

#include <stddef.h>

#include "qx_eval.h"

typedef struct eval_opts {
  const char *index, *queries, *mode, *metrics, *sweep, *write_run;
  qx_topics_format queries_format;
  unsigned topic_flags;
  size_t depth;
  double k1, b; /* < 0: the index's defaults */
  const char *fusion; /* hybrid: "rrf" or "convex"; NULL: rrf (the library default) */
  double rrf_k, alpha; /* < 0: library defaults */
  int per_query, json;
} eval_opts;

void eval_print(const eval_opts *o, const qx_eval_result *r, const qx_metric *m, size_t nm, int per_query);
/* Write a TREC run file ("qid Q0 docid rank score tag"); returns an exit status. */
int eval_write_run(const char *path, const qx_run *run, const char *tag);
/* Search every judged query of o->queries in o->index, evaluate, print; returns an exit status. */
int eval_search(const eval_opts *o, const qx_qrels *qrels, const qx_metric *m, size_t nm);

#endif
