/*
 * qx_search.h: internal interface of search/: the parsed query (query.c),
 * the BM25 scorer and the exhaustive document-at-a-time evaluator (bm25.c),
 * snippets (snippet.c). The grammar is in docs/QUERY.md.
 */
#ifndef QX_SEARCH_H
#define QX_SEARCH_H

#include <stdint.h>

#include "qx_common.h"
#include "qx_index.h"
#include "qx_text.h"

typedef enum qx_occur { QX_OCC_SHOULD = 0, QX_OCC_MUST = 1, QX_OCC_NOT = 2 } qx_occur;
typedef enum qx_qkind { QX_Q_TERM = 0, QX_Q_PHRASE = 1, QX_Q_PREFIX = 2 } qx_qkind;

typedef struct qx_qclause {
  qx_occur occur;
  qx_qkind kind;
  char **terms;   /* TERM: 1 analysed term; PHRASE: n terms; PREFIX: 1 folded prefix */
  uint32_t *pos;  /* PHRASE: position of each term relative to the first */
  uint32_t nterms;
  uint32_t weight; /* TERM: times the term occurs in the query (merged duplicates) */
} qx_qclause;

typedef struct qx_query {
  qx_qclause *c;
  size_t n, cap;
  uint32_t words;      /* words seen in the query text */
  uint32_t stop_words; /* of which stopwords or punctuation only */
} qx_query;

/* Parse and analyse `text` (docs/QUERY.md). An empty or blank query is
 * QUARRY_EINVAL; a query whose words are all stopwords parses to n == 0. */
int qx_query_parse(qx_query *q, qx_analyzer *an, const char *text);
void qx_query_free(qx_query *q);

/* BM25 as Lucene >= 9 (BM25Similarity): docs/QUERY.md. */
double qx_bm25_idf(uint64_t N, uint64_t df);
/* K(dl) = k1 * (1 - b + b * dl / avgdl) for each of the 256 norms. */
void qx_bm25_norm_cache(double cache[256], double k1, double b, double avgdl);

#define QX_PREFIX_MAX_TERMS 256 /* a prefix expands to at most this many terms (highest df first) */

struct quarry_results {
  quarry_hit *hits;
  size_t n;
  char *strings; /* the hits' paths, titles and ids, in one allocation (search.c) */
  char *note;
  /* what matched, for snippets: analysed terms and folded prefixes */
  char **terms, **prefixes;
  size_t nterms, nprefixes;
  /* stage times of the search, seconds (quarry_results_times); hybrid.c
   * fills embed and fuse */
  double t_parse, t_embed, t_fuse, t_total;
};

/* Evaluate a parsed query: fills r->hits (top k, best first). */
int qx_evaluate(quarry_results *r, quarry_index *ix, const qx_query *q, const quarry_search_opts *o);

/* keep[i] = 1 when passage pids[i] (ascending) satisfies the query's
 * +required and -excluded clauses (bm25.c). */
int qx_query_constraints(uint8_t *keep, quarry_index *ix, const qx_query *q, const uint32_t *pids, size_t n);

/* Vector or hybrid retrieval (hybrid.c): fills r->hits with passage, doc,
 * fused score and the per-leg detail. bm25_leg = 0 when the query has no
 * positive lexical clause (only stopwords): the vector leg alone answers. */
int qx_search_fused(quarry_results *r, quarry_index *ix, const char *query, const qx_query *q, int bm25_leg,
                    const quarry_search_opts *o, quarry_mode mode);

#endif
