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

/* Invert one segment back into (passage, position, term) triples and print
 * its passages (global ids) and surface forms. */
static int dump_seg(const qx_seg *sg, uint32_t pbase, uint32_t dbase) {
  uint64_t cap = 0, n = 0;
  tp *all = NULL;
  uint32_t pos[4096];
  qx_pcursor *c = malloc(sizeof *c);
  int rc = c ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  qx_lex_iter *it = malloc(sizeof *it);
  if (!rc && !it) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) qx_lex_iter_init(it, sg, 0);
  for (uint32_t t = 0; !rc && t < sg->nterms; t++) {
    qx_term_info ti = {0};
    rc = qx_lex_iter_next(it, &ti);
    rc = rc == 1 ? qx_pcursor_open(c, sg, &ti) : rc ? rc : qx_err(QUARRY_ECORRUPT, "lexicon: term %u missing", t);
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
  free(it);
  if (rc) {
    free(all);
    return rc;
  }
  if (n) qsort(all, n, sizeof *all, cmp_tp);
  uint64_t at = 0;
  for (uint32_t p = 0; !rc && p < sg->npassages; p++) {
    qx_passage_info pi = {0};
    if ((rc = qx_seg_passage(&pi, sg, p))) break;
    printf("{\"type\":\"passage\",\"id\":%u,\"doc\":%u,\"len\":%u,\"norm\":%u,\"start\":%" PRIu64 ",\"end\":%" PRIu64
           ",\"line\":%u,%s\"terms\":[",
           pbase + p, dbase + pi.doc, pi.ntokens, qx_seg_norm(sg, p), pi.start, pi.end, pi.line,
           qx_seg_deleted(sg, p) ? "\"deleted\":true," : "");
    int first = 1;
    for (; at < n && all[at].pid == p; at++) {
      qx_term_info ti = {0};
      if ((rc = qx_seg_term(&ti, sg, all[at].term))) break;
      printf("%s[", first ? "" : ",");
      cli_json_str(stdout, ti.str, ti.len);
      printf(",%u]", all[at].pos);
      first = 0;
    }
    printf("]}\n");
  }
  for (uint64_t i = 0; !rc && i < sg->nsurface; i++) {
    const char *f;
    char fbuf[QX_TERM_MAX];
    uint32_t fl, t;
    qx_term_info ti = {0};
    rc = qx_seg_surface_get(&f, &fl, &t, fbuf, sg, i);
    if (!rc) rc = qx_seg_term(&ti, sg, t);
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

/* The whole index: statistics (global: deleted passages included, as BM25
 * sees them), then every segment. */
static int dump(quarry_index *ix) {
  printf("{\"type\":\"stats\",\"passages\":%" PRIu64 ",\"docs\":%" PRIu64 ",\"terms\":%" PRIu64
         ",\"total_tokens\":%" PRIu64 ",\"avgdl\":%.17g,\"lang\":\"%s\",\"segments\":%u}\n",
         ix->npassages, ix->ndocs, ix->nterms, ix->total_tokens, ix->avgdl, qx_lang_name(ix->lang), ix->nseg);
  int rc = 0;
  for (uint32_t s = 0; !rc && s < ix->nseg; s++) rc = dump_seg(ix->seg[s], (uint32_t)ix->pbase[s], (uint32_t)ix->dbase[s]);
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
           ",\"passage_overlap\":%u,\"bytes\":%" PRIu64 ",\"doc_ids\":%" PRIu64 ",\"passage_ids\":%" PRIu64
           ",\"verified\":%s,\"manifest\":{",
           in.format_major, in.format_minor, in.lang, in.docs, in.passages, in.terms, in.total_tokens, in.avgdl,
           in.passage_tokens, in.passage_overlap, in.bytes, in.doc_ids, in.passage_ids, verify ? "true" : "false");
    for (size_t i = 0; quarry_index_manifest_entry(&k, &v, ix, i) == 0; i++) {
      printf("%s", i ? "," : "");
      cli_json_str(stdout, k, strlen(k));
      putchar(':');
      cli_json_str(stdout, v, strlen(v));
    }
    printf("},\"segments\":[");
    quarry_segment_info si;
    for (size_t i = 0; quarry_index_segment(&si, ix, i) == 0; i++) {
      printf("%s{\"name\":", i ? "," : "");
      cli_json_str(stdout, si.name, strlen(si.name));
      printf(",\"first_doc\":%u,\"first_passage\":%u,\"docs\":%" PRIu64 ",\"passages\":%" PRIu64
             ",\"deleted_docs\":%" PRIu64 ",\"deleted_passages\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
             si.first_doc, si.first_passage, si.docs, si.passages, si.deleted_docs, si.deleted_passages, si.bytes);
    }
    printf("],\"files\":{");
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
  if (in.doc_ids > in.docs)
    printf("documents   %" PRIu64 " (%" PRIu64 " deleted, dropped at the next merge)\n", in.docs, in.doc_ids - in.docs);
  else
    printf("documents   %" PRIu64 "\n", in.docs);
  printf("passages    %" PRIu64 " (%u tokens, overlap %u)\n", in.passages, in.passage_tokens, in.passage_overlap);
  printf("terms       %" PRIu64 "\n", in.terms);
  printf("tokens      %" PRIu64 " (average passage length %.2f)\n", in.total_tokens, in.avgdl);
  printf("language    %s\n", in.lang);
  printf("size        %s\n", cli_human_bytes(b, sizeof b, in.bytes));
  printf("segments    %u\n", in.segments);
  quarry_segment_info si;
  for (size_t i = 0; in.format_major >= 2 && quarry_index_segment(&si, ix, i) == 0; i++)
    printf("  %-10s %8" PRIu64 " docs %9" PRIu64 " passages %8" PRIu64 " deleted docs %9" PRIu64
           " deleted passages %10s\n",
           si.name, si.docs, si.passages, si.deleted_docs, si.deleted_passages,
           cli_human_bytes(b, sizeof b, si.bytes));
  printf("manifest:\n");
  for (size_t i = 0; quarry_index_manifest_entry(&k, &v, ix, i) == 0; i++) printf("  %-16s %s\n", k, v);
  printf("files:\n");
  for (size_t i = 0; quarry_index_file(&name, &size, ix, i) == 0; i++)
    printf("  %-20s %12" PRIu64 " bytes\n", name, size);
  if (verify) printf("verify      ok (all checksums match, all postings decode)\n");
  quarry_index_close(ix);
  return status;
}
