/*
 * cmd_search.c: `quarry search [-x DIR] [-k N] [--json|--trec] [--k1 X]
 * [--b Y] [--mode bm25|vector|hybrid] [--explain] QUERY...` BM25, vector or
 * hybrid (fused) search over an index. Output: human (rank, score,
 * path:line, title, snippet with highlights on a tty), --json (one object
 * per hit and line), --trec (a 6-column TREC run, one line per document).
 * Exit status like grep: 0 if something was found, 1 if not, 2 on error.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_cli.h"
#include "qx_search.h"
#include "quarry.h"

static const char usage[] =
    "usage: quarry search [-x DIR] [-k N] [--json|--trec] [--k1 X] [--b Y] [--] QUERY...\n"
    "  -x, --index DIR   index directory (default: $QUARRY_INDEX or .quarry)\n"
    "  -k N              number of hits (default 10)\n"
    "      --json        one JSON object per hit\n"
    "      --trec        TREC run lines: qid Q0 docid rank score tag (best passage per document)\n"
    "      --qid ID      query id for --trec (default 1)\n"
    "      --tag TAG     run tag for --trec (default quarry)\n"
    "      --per-doc     keep only the best passage of each document\n"
    "      --k1 X, --b Y BM25 parameters (default 0.9, 0.4)\n"
    "      --mode M      bm25, vector or hybrid (default: hybrid when the index has vectors)\n"
    "      --fusion F    convex (default: min-max normalised scores) or rrf\n"
    "      --alpha A     convex fusion weight of the vector leg, 0..1 (default 0.6)\n"
    "      --rrf-k N     reciprocal rank fusion constant (default 60; implies --fusion rrf)\n"
    "      --depth N     candidates per leg in hybrid (default max(k, 100))\n"
    "      --ef-search N HNSW search breadth (vector indexes built with --vector-index hnsw)\n"
    "      --model M     query encoder (must be the model the index was built with)\n"
    "      --explain     show each hit's BM25 and vector rank and score, and the fused score\n"
    "      --literal     the query is plain text, no syntax: \" + - : * ~ ( ) are spaces for BM25,\n"
    "                    and the vector leg embeds the text as written\n"
    "      --color WHEN  highlight matches: auto (default, on a tty), always, never\n"
    "Query syntax (docs/QUERY.md): word +required -excluded \"exact phrase\" prefix*\n";

enum { OUT_HUMAN, OUT_JSON, OUT_TREC };

static const char *mode_name(quarry_mode m) {
  return m == QUARRY_MODE_VECTOR ? "vector" : m == QUARRY_MODE_HYBRID ? "hybrid" : "bm25";
}

/* At most max code points of s, "…" when cut. */
static const char *short_title(char *buf, size_t cap, const char *s, size_t max) {
  size_t i = 0, cps = 0;
  while (s[i] && cps < max) {
    i++;
    while (((unsigned char)s[i] & 0xC0) == 0x80) i++;
    cps++;
  }
  if (!s[i] || i + 4 > cap) {
    snprintf(buf, cap, "%.*s", (int)QX_MIN(i, cap - 1), s);
    return buf;
  }
  while (i > 0 && s[i - 1] == ' ') i--;
  snprintf(buf, cap, "%.*s…", (int)i, s);
  return buf;
}

static void dump_query(quarry_index *ix, const char *query) {
  qx_analyzer *an = NULL;
  qx_query q;
  if (qx_analyzer_new(&an, ix->lang) || qx_query_parse(&q, an, query)) {
    qx_analyzer_free(an);
    printf("{\"error\":");
    cli_json_str(stdout, quarry_error_last(), strlen(quarry_error_last()));
    printf("}\n");
    return;
  }
  static const char *occ[] = {"should", "must", "not"}, *kind[] = {"term", "phrase", "prefix"};
  printf("{\"clauses\":[");
  for (size_t i = 0; i < q.n; i++) {
    const qx_qclause *c = &q.c[i];
    printf("%s{\"occur\":\"%s\",\"kind\":\"%s\",\"weight\":%u,\"terms\":[", i ? "," : "", occ[c->occur],
           kind[c->kind], c->weight);
    for (uint32_t j = 0; j < c->nterms; j++) {
      if (j) putchar(',');
      cli_json_str(stdout, c->terms[j], strlen(c->terms[j]));
    }
    printf("],\"pos\":[");
    for (uint32_t j = 0; j < c->nterms; j++) printf("%s%u", j ? "," : "", c->pos[j]);
    printf("]}");
  }
  printf("]}\n");
  qx_query_free(&q);
  qx_analyzer_free(an);
}

int cmd_search(int argc, char **argv) {
  static const struct option longopts[] = {{"index", required_argument, 0, 'x'},
                                           {"json", no_argument, 0, 'J'},
                                           {"trec", no_argument, 0, 'T'},
                                           {"qid", required_argument, 0, 'Q'},
                                           {"tag", required_argument, 0, 'G'},
                                           {"per-doc", no_argument, 0, 'P'},
                                           {"k1", required_argument, 0, '1'},
                                           {"b", required_argument, 0, 'B'},
                                           {"color", optional_argument, 0, 'C'},
                                           {"colour", optional_argument, 0, 'C'},
                                           {"dump-query", no_argument, 0, 'D'},
                                           {"mode", required_argument, 0, 'M'},
                                           {"fusion", required_argument, 0, 'F'},
                                           {"rrf-k", required_argument, 0, 'R'},
                                           {"alpha", required_argument, 0, 'A'},
                                           {"depth", required_argument, 0, 'd'},
                                           {"ef-search", required_argument, 0, 'E'},
                                           {"model", required_argument, 0, 'm'},
                                           {"explain", no_argument, 0, 'X'},
                                           {"literal", no_argument, 0, 'L'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  quarry_search_opts so = QUARRY_SEARCH_OPTS_INIT;
  const char *dir = NULL, *qid = "1", *tag = "quarry";
  int mode = OUT_HUMAN, color = -1, dump = 0, explain = 0, c, fusion_set = 0, rrf_k_set = 0;
  uint32_t u32 = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "x:k:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'x': dir = optarg; break;
    case 'k':
      if (cli_parse_u32(&so.k, optarg, 1, 1000000)) return cli_fail("-k: expected an integer from 1 to 1000000, got '%s'", optarg);
      break;
    case 'J': mode = OUT_JSON; break;
    case 'T': mode = OUT_TREC; break;
    case 'Q': qid = optarg; break;
    case 'G': tag = optarg; break;
    case 'P': so.per_doc = 1; break;
    case '1':
      if (cli_parse_double(&so.k1, optarg) || so.k1 < 0) return cli_fail("--k1: expected a number >= 0, got '%s'", optarg);
      break;
    case 'B':
      if (cli_parse_double(&so.b, optarg) || so.b < 0 || so.b > 1)
        return cli_fail("--b: expected a number from 0 to 1, got '%s'", optarg);
      break;
    case 'C':
      if (!optarg || !strcmp(optarg, "always")) color = 1;
      else if (!strcmp(optarg, "never")) color = 0;
      else if (!strcmp(optarg, "auto")) color = -1;
      else return cli_fail("--color: expected auto, always or never, got '%s'", optarg);
      break;
    case 'D': dump = 1; break;
    case 'M':
      if (!strcmp(optarg, "bm25")) so.mode = QUARRY_MODE_BM25;
      else if (!strcmp(optarg, "vector")) so.mode = QUARRY_MODE_VECTOR;
      else if (!strcmp(optarg, "hybrid")) so.mode = QUARRY_MODE_HYBRID;
      else return cli_fail("--mode: expected bm25, vector or hybrid, got '%s'", optarg);
      break;
    case 'F':
      if (!strcmp(optarg, "rrf")) so.fusion = QUARRY_FUSION_RRF;
      else if (!strcmp(optarg, "convex")) so.fusion = QUARRY_FUSION_CONVEX;
      else return cli_fail("--fusion: expected rrf or convex, got '%s'", optarg);
      fusion_set = 1;
      break;
    case 'R':
      if (cli_parse_double(&so.rrf_k, optarg) || !(so.rrf_k > 0)) return cli_fail("--rrf-k: expected a number > 0, got '%s'", optarg);
      rrf_k_set = 1;
      break;
    case 'A':
      if (cli_parse_double(&so.alpha, optarg) || !(so.alpha >= 0 && so.alpha <= 1))
        return cli_fail("--alpha: expected a number from 0 to 1, got '%s'", optarg);
      break;
    case 'd':
      if (cli_parse_u32(&so.depth, optarg, 1, 100000)) return cli_fail("--depth: expected an integer from 1 to 100000, got '%s'", optarg);
      break;
    case 'E':
      if (cli_parse_u32(&u32, optarg, 1, 100000)) return cli_fail("--ef-search: expected an integer from 1 to 100000, got '%s'", optarg);
      so.ef_search = (int)u32;
      break;
    case 'm': so.model = optarg; break;
    case 'X': explain = 1; break;
    case 'L': so.literal = 1; break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_fail("search: bad option '%s' (try 'quarry search --help')", argv[optind - 1]);
    }
  }
  if (rrf_k_set && !fusion_set) so.fusion = QUARRY_FUSION_RRF; /* --rrf-k alone means RRF */
  if (optind >= argc) {
    return cli_fail("search: no QUERY given (try 'quarry search --help')");
  }
  /* the query is the remaining arguments joined by spaces */
  size_t qlen = 0;
  for (int i = optind; i < argc; i++) qlen += strlen(argv[i]) + 1;
  char *query = malloc(qlen + 1);
  if (!query) return cli_fail("out of memory");
  query[0] = '\0';
  for (int i = optind; i < argc; i++) {
    if (i > optind) strcat(query, " ");
    strcat(query, argv[i]);
  }
  if (mode == OUT_TREC) so.per_doc = 1;
  if (color < 0) color = mode == OUT_HUMAN && cli_color_stdout();
  dir = cli_index_dir(dir);
  quarry_index *ix = NULL;
  quarry_results *r = NULL;
  int status = 2;
  if (quarry_index_open(&ix, dir)) {
    cli_fail("%s", quarry_error_last());
    goto done;
  }
  if (dump) {
    dump_query(ix, query);
    status = 0;
    goto done;
  }
  if (quarry_search(&r, ix, query, &so)) {
    cli_fail("%s", quarry_error_last());
    goto done;
  }
  size_t n = quarry_results_count(r);
  if (quarry_results_note(r)) fprintf(stderr, "quarry: %s\n", quarry_results_note(r));
  quarry_snippet_opts sn = QUARRY_SNIPPET_OPTS_INIT;
  if (color) {
    sn.hl_open = "\033[1;31m";
    sn.hl_close = "\033[0m";
  }
  status = 0;
  for (size_t i = 0; i < n && status == 0; i++) {
    const quarry_hit *h = quarry_results_hit(r, i);
    if (mode == OUT_TREC) {
      printf("%s Q0 %s %zu %.6f %s\n", qid, h->id, i + 1, h->score, tag);
      continue;
    }
    char *snip = NULL;
    if (quarry_snippet(&snip, ix, r, i, &sn)) {
      status = cli_fail("%s", quarry_error_last());
      break;
    }
    if (mode == OUT_JSON) {
      printf("{\"rank\":%zu,\"score\":%.6f,\"doc\":%u,\"path\":", i + 1, h->score, h->doc);
      cli_json_str(stdout, h->path, strlen(h->path));
      printf(",\"id\":");
      cli_json_str(stdout, h->id, strlen(h->id));
      printf(",\"title\":");
      cli_json_str(stdout, h->title, strlen(h->title));
      printf(",\"passage\":%u,\"start\":%llu,\"end\":%llu,\"line\":%u,", h->passage,
             (unsigned long long)h->start, (unsigned long long)h->end, h->line);
      if (explain)
        printf("\"mode\":\"%s\",\"bm25_rank\":%u,\"bm25_score\":%.6f,\"vector_rank\":%u,\"vector_score\":%.6f,",
               mode_name(quarry_search_mode(ix, &so)), h->bm25_rank, h->bm25_score, h->vec_rank, h->vec_score);
      printf("\"snippet\":");
      cli_json_str(stdout, snip, strlen(snip));
      printf("}\n");
    } else {
      char tb[512];
      const char *title = short_title(tb, sizeof tb, h->title, 60);
      if (color)
        printf("\033[1m%2zu.\033[0m %.4f  \033[35m%s\033[0m:\033[32m%u\033[0m  \033[1m%s\033[0m\n    %s\n", i + 1,
               h->score, h->path, h->line, title, snip);
      else
        printf("%2zu. %.4f  %s:%u  %s\n    %s\n", i + 1, h->score, h->path, h->line, title, snip);
      if (explain) {
        char b[64] = "-", v[64] = "-";
        if (h->bm25_rank) snprintf(b, sizeof b, "#%u %.4f", h->bm25_rank, h->bm25_score);
        snprintf(v, sizeof v, "%s%.0u %.4f", h->vec_rank ? "#" : "(not retrieved) ", h->vec_rank, h->vec_score);
        if (quarry_search_mode(ix, &so) == QUARRY_MODE_BM25) snprintf(v, sizeof v, "-");
        printf("    [%s] bm25 %s | vector %s | fused %.6f\n", mode_name(quarry_search_mode(ix, &so)), b, v, h->score);
      }
    }
    quarry_free(snip);
  }
  if (status == 0 && n == 0) status = 1;
  if (fflush(stdout) != 0 && status != 2) status = 2;
done:
  quarry_results_free(r);
  quarry_index_close(ix);
  free(query);
  return status;
}
