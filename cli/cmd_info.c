/*
 * cmd_info.c: `quarry info [-x DIR] [--verify] [--dump]`: what an index
 * holds (MANIFEST settings, counts, files), a full integrity check with
 * --verify, and with --dump (for tests and debugging) every passage's
 * analysed terms and positions, read back from the inverted index, plus the
 * surface forms, as JSON lines (tests/ref/bm25_ref.py reads them).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qx_cli.h"
#include "qx_postings.h"
#include "quarry.h"

static const char usage[] = "usage: quarry info [-x DIR] [--verify] [--json] [--dump]\n"
                            "  -x, --index DIR  index directory (default: $QUARRY_INDEX or .quarry)\n"
                            "      --verify     check every file's checksum and decode every posting list\n"
                            "      --json       one JSON object (settings, counts, manifest, files)\n"
                            "      --dump       print passages with their analysed terms as JSON lines\n";

typedef struct tp {
  uint32_t pid, pos, term;
} tp;

static int cmp_tp(const void *a, const void *b) {
  const tp *x = a, *y = b;
  if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
  if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
  return x->term < y->term ? -1 : x->term > y->term;
}

/* Invert the index back into (passage, position, term) triples. */
static int dump(quarry_index *ix) {
  uint64_t cap = 0, n = 0;
  tp *all = NULL;
  uint32_t pos[4096];
  qx_pcursor *c = malloc(sizeof *c);
  int rc = c ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  for (uint32_t t = 0; !rc && t < ix->nterms; t++) {
    qx_term_info ti = {0};
    rc = qx_index_term(&ti, ix, t);
    if (!rc) rc = qx_pcursor_open(c, ix, &ti);
    while (!rc && c->doc != QX_DOC_END) {
      uint32_t tf = qx_pcursor_freq(c);
      if (tf > 4096) {
        rc = qx_err(QUARRY_EUNSUPPORTED, "--dump: term with more than 4096 occurrences in a passage");
        break;
      }
      rc = qx_pcursor_positions(c, pos, 4096);
      for (uint32_t k = 0; !rc && k < tf; k++) {
        if (n == cap) {
          cap = cap ? cap * 2 : 4096;
          tp *p = realloc(all, cap * sizeof *p);
          if (!p) {
            rc = qx_err(QUARRY_ENOMEM, "out of memory");
            break;
          }
          all = p;
        }
        all[n++] = (tp){c->doc, pos[k], t};
      }
      if (!rc) rc = qx_pcursor_next(c);
    }
  }
  free(c);
  if (rc) {
    free(all);
    return rc;
  }
  qsort(all, n, sizeof *all, cmp_tp);
  printf("{\"type\":\"stats\",\"passages\":%" PRIu64 ",\"docs\":%" PRIu64 ",\"terms\":%" PRIu64
         ",\"total_tokens\":%" PRIu64 ",\"avgdl\":%.17g,\"lang\":\"%s\"}\n",
         ix->npassages, ix->ndocs, ix->nterms, ix->total_tokens, ix->avgdl, qx_lang_name(ix->lang));
  uint64_t at = 0;
  for (uint32_t p = 0; !rc && p < ix->npassages; p++) {
    qx_passage_info pi = {0};
    if ((rc = qx_index_passage(&pi, ix, p))) break;
    printf("{\"type\":\"passage\",\"id\":%u,\"doc\":%u,\"len\":%u,\"norm\":%u,\"start\":%" PRIu64 ",\"end\":%" PRIu64
           ",\"line\":%u,\"terms\":[",
           p, pi.doc, pi.ntokens, qx_index_norm(ix, p), pi.start, pi.end, pi.line);
    int first = 1;
    for (; at < n && all[at].pid == p; at++) {
      qx_term_info ti = {0};
      if ((rc = qx_index_term(&ti, ix, all[at].term))) break;
      printf("%s[", first ? "" : ",");
      cli_json_str(stdout, ti.str, ti.len);
      printf(",%u]", all[at].pos);
      first = 0;
    }
    printf("]}\n");
  }
  for (uint64_t i = 0; !rc && i < ix->nsurface; i++) {
    const char *f;
    uint32_t fl, t;
    qx_term_info ti = {0};
    rc = qx_index_surface_get(&f, &fl, &t, ix, i);
    if (!rc) rc = qx_index_term(&ti, ix, t);
    if (rc) break;
    printf("{\"type\":\"surface\",\"form\":");
    cli_json_str(stdout, f, fl);
    printf(",\"term\":");
    cli_json_str(stdout, ti.str, ti.len);
    printf("}\n");
  }
  free(all);
  return rc;
}

int cmd_info(int argc, char **argv) {
  static const struct option longopts[] = {{"index", required_argument, 0, 'x'},
                                           {"verify", no_argument, 0, 'V'},
                                           {"dump", no_argument, 0, 'D'},
                                           {"json", no_argument, 0, 'J'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  const char *dir = NULL;
  int verify = 0, dmp = 0, json = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "x:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'x': dir = optarg; break;
    case 'V': verify = 1; break;
    case 'D': dmp = 1; break;
    case 'J': json = 1; break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_fail("info: bad option '%s' (try 'quarry info --help')", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_fail("info: unexpected argument '%s'", argv[optind]);
  dir = cli_index_dir(dir);
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, dir)) return cli_fail("%s", quarry_error_last());
  int status = 0;
  if (dmp) {
    if (dump(ix)) status = cli_fail("%s", quarry_error_last());
    quarry_index_close(ix);
    return status;
  }
  quarry_index_info in;
  quarry_index_stat(&in, ix);
  if (verify && quarry_index_verify(ix)) {
    status = cli_fail("verify: %s", quarry_error_last());
    quarry_index_close(ix);
    return status;
  }
  const char *k, *v, *name;
  uint64_t size;
  if (json) {
    printf("{\"index\":");
    cli_json_str(stdout, dir, strlen(dir));
    printf(",\"format\":\"%d.%d\",\"lang\":\"%s\",\"docs\":%" PRIu64 ",\"passages\":%" PRIu64
           ",\"terms\":%" PRIu64 ",\"total_tokens\":%" PRIu64 ",\"avgdl\":%.6f,\"passage_tokens\":%u"
           ",\"passage_overlap\":%u,\"bytes\":%" PRIu64 ",\"verified\":%s,\"manifest\":{",
           in.format_major, in.format_minor, in.lang, in.docs, in.passages, in.terms, in.total_tokens, in.avgdl,
           in.passage_tokens, in.passage_overlap, in.bytes, verify ? "true" : "false");
    for (size_t i = 0; quarry_index_manifest_entry(&k, &v, ix, i) == 0; i++) {
      printf("%s", i ? "," : "");
      cli_json_str(stdout, k, strlen(k));
      putchar(':');
      cli_json_str(stdout, v, strlen(v));
    }
    printf("},\"files\":{");
    for (size_t i = 0; quarry_index_file(&name, &size, ix, i) == 0; i++) {
      printf("%s", i ? "," : "");
      cli_json_str(stdout, name, strlen(name));
      printf(":%" PRIu64, size);
    }
    printf("}}\n");
    quarry_index_close(ix);
    return 0;
  }
  char b[32];
  printf("index       %s\n", dir);
  printf("format      %d.%d\n", in.format_major, in.format_minor);
  printf("documents   %" PRIu64 "\n", in.docs);
  printf("passages    %" PRIu64 " (%u tokens, overlap %u)\n", in.passages, in.passage_tokens, in.passage_overlap);
  printf("terms       %" PRIu64 "\n", in.terms);
  printf("tokens      %" PRIu64 " (average passage length %.2f)\n", in.total_tokens, in.avgdl);
  printf("language    %s\n", in.lang);
  printf("size        %s\n", cli_human_bytes(b, sizeof b, in.bytes));
  printf("manifest:\n");
  for (size_t i = 0; quarry_index_manifest_entry(&k, &v, ix, i) == 0; i++) printf("  %-16s %s\n", k, v);
  printf("files:\n");
  for (size_t i = 0; quarry_index_file(&name, &size, ix, i) == 0; i++)
    printf("  %-12s %12" PRIu64 " bytes\n", name, size);
  if (verify) printf("verify      ok (all checksums match, all postings decode)\n");
  quarry_index_close(ix);
  return status;
}
