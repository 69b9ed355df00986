/*
 * grep_index.c: `quarry grep --index DIR ...`: answer from an index built by
 * `quarry index` instead of reading the files (they need not exist any
 * more: the index stores their text).
 *   - with --rank, QUERY goes to the index's BM25 search (quarry_search:
 *     same query syntax and scores as `quarry search`), with --semantic to
 *     its vectors (cosine, --threshold as when scanning) and with --hybrid
 *     to both (reciprocal rank fusion); each passage found (under the FILE
 *     operands, if any) is printed in grep's format, file:line:text, from
 *     the passage's recorded first line, with the query's words highlighted;
 *   - with a pattern, every stored document (or those under the FILE
 *     operands) is searched exactly as a file would be, so the output is
 *     the output of scanning the original files.
 * (`-x` keeps GNU grep's meaning, --line-regexp; hence --index, not -x.)
 */
#include <stdlib.h>
#include <string.h>

#include "grep_cli.h"
#include "qx_cli.h"
#include "qx_common.h"
#include "quarry.h"

static bool selected(const char *path, size_t plen, char **ops, int nops) {
  if (nops == 0) return true;
  for (int i = 0; i < nops; i++) {
    size_t n = strlen(ops[i]);
    while (n > 1 && ops[i][n - 1] == '/') n--;
    if (n == 1 && ops[i][0] == '.') return true;
    if (plen == n && !memcmp(path, ops[i], n)) return true;
    if (plen > n && !memcmp(path, ops[i], n) && path[n] == '/') return true;
  }
  return false;
}

static int rank_from_index(grep_run *r, const grep_rank_opts *ro_in, quarry_index *ix, const quarry_index_info *info,
                           char **ops, int nops, bool opt_H, bool opt_h) {
  const char *lang_name = info->lang;
  grep_rank_opts pro = *ro_in; /* the units are the index's passages */
  const grep_rank_opts *ro = &pro;
  pro.unit = QX_UNIT_PASSAGE;
  quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
  /* the same cut-offs as when scanning (grep_rank.c) */
  long top = ro->top;
  double min = ro->have_min_score ? ro->min_score : -1e300;
  if (ro->mode == GREP_RANK_SEMANTIC)
    min = ro->have_threshold ? ro->threshold : ro->have_min_score ? min : GREP_SEMANTIC_THRESHOLD;
  if (ro->mode == GREP_RANK_HYBRID && !top && !ro->have_min_score) top = GREP_HYBRID_TOP;
  if (ro->mode != GREP_RANK_BM25 && !quarry_index_has_vectors(ix))
    return cli_fail("grep: --index: this index has no vectors (built with --no-vectors); --semantic and --hybrid need them");
  /* FILE operands filter the hits: ask for enough of them */
  uint64_t all = QX_MIN(QX_MAX(info->passages, 1), ro->mode == GREP_RANK_BM25 ? 1000 : 10000);
  so.k = top > 0 && nops == 0 ? (uint32_t)QX_MIN(top, 100000L) : (uint32_t)all;
  so.k1 = ro->k1;
  so.b = ro->b;
  so.mode = ro->mode == GREP_RANK_SEMANTIC ? QUARRY_MODE_VECTOR
            : ro->mode == GREP_RANK_HYBRID ? QUARRY_MODE_HYBRID : QUARRY_MODE_BM25;
  so.fusion = QUARRY_FUSION_RRF; /* as grep ranks without an index (grep_rank.c) */
  so.rrf_k = GREP_RRF_K;
  so.model = ro->model;
  quarry_results *res = NULL;
  if (quarry_search(&res, ix, ro->query, &so) < 0) return cli_fail_lib("grep: --index");
  qx_lang lang = QX_LANG_FR;
  qx_lang_parse(&lang, lang_name ? lang_name : "fr");
  qx_rank *hl = NULL;
  if (qx_rank_new(&hl, ro->query, lang, QX_UNIT_PASSAGE, ro->k1, ro->b, QX_RANK_KEEP_ALL) < 0) {
    quarry_results_free(res);
    return cli_fail_lib("grep");
  }
  size_t n = quarry_results_count(res), shown = 0;
  bool with_fname = opt_H || !opt_h;
  qx_buf ranges = {0};
  int status = 1;
  for (size_t i = 0; i < n; i++) {
    const quarry_hit *h = quarry_results_hit(res, i);
    if (top > 0 && shown >= (size_t)top) break;
    if (h->score < min) break;
    if (!selected(h->path, strlen(h->path), ops, nops)) continue;
    char *text = NULL;
    size_t len = 0;
    if (quarry_index_text(&text, &len, ix, h->doc, h->start, h->end) < 0 ||
        qx_rank_highlight(hl, text, len, &ranges) < 0) {
      quarry_free(text);
      status = cli_fail_lib("grep: --index");
      break;
    }
    grep_rank_print_unit(r, ro, h->path, with_fname, text, len, h->line, h->start, h->score,
                         (const size_t *)ranges.data, ranges.len / (2 * sizeof(size_t)), shown == 0);
    quarry_free(text);
    shown++;
  }
  grep_out_flush();
  if (shown && status == 1) status = 0;
  qx_buf_free(&ranges);
  qx_rank_free(hl);
  quarry_results_free(res);
  return status;
}

static int grep_from_index(grep_run *r, quarry_index *ix, uint64_t ndocs, char **ops, int nops, bool opt_H,
                           bool opt_h) {
  size_t nsel = 0; /* ndocs: every document id, deleted ones (skipped) included */
  for (uint64_t d = 0; d < ndocs; d++) {
    quarry_doc_info di;
    if (quarry_index_doc(&di, ix, (uint32_t)d) < 0) return cli_fail_lib("grep: --index");
    if (!quarry_index_doc_deleted(ix, (uint32_t)d) && selected(di.path, di.path_len, ops, nops)) nsel++;
  }
  bool with_fname = opt_H || (!opt_h && nsel > 1);
  for (uint64_t d = 0; d < ndocs; d++) {
    quarry_doc_info di;
    if (quarry_index_doc(&di, ix, (uint32_t)d) < 0) return cli_fail_lib("grep: --index");
    if (quarry_index_doc_deleted(ix, (uint32_t)d) || !selected(di.path, di.path_len, ops, nops)) continue;
    char *name = qx_strndup(di.path, di.path_len), *text = NULL;
    size_t len = 0;
    if (!name || quarry_index_text(&text, &len, ix, (uint32_t)d, 0, UINT64_MAX) < 0) {
      free(name);
      return cli_fail_lib("grep: --index");
    }
    /* text has a spare NUL byte, then zeros enough for the matcher */
    _Static_assert(QUARRY_TEXT_PAD >= QX_GREP_PAD, "quarry_index_text pads less than grep_mem needs");
    grep_mem(r, text, len, name, with_fname);
    quarry_free(text);
    free(name);
  }
  grep_out_flush();
  return r->errseen ? 2 : r->any_selected ? 0 : 1;
}

int grep_index_main(grep_run *r, const grep_rank_opts *ro, int rank_mode, const char *dir, char **ops,
                    int nops, bool opt_H, bool opt_h) {
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, dir) < 0) return cli_fail_lib("grep: --index %s", dir);
  quarry_index_info info;
  int status;
  if (quarry_index_stat(&info, ix) < 0) status = cli_fail_lib("grep: --index %s", dir);
  else if (rank_mode) status = rank_from_index(r, ro, ix, &info, ops, nops, opt_H, opt_h);
  else status = grep_from_index(r, ix, info.doc_ids, ops, nops, opt_H, opt_h);
  quarry_index_close(ix);
  return status;
}
