/*
 * cmd_index.c: `quarry index [-x DIR] [--rebuild] [--lang fr|en|none]
 * [--passage-tokens N] [--passage-overlap N] [-q] PATH...` and
 * `quarry index -x DIR --merge`.
 * Builds the index in DIR from the files and folders given, or, when DIR
 * already holds one, updates it (new, changed and vanished files: a new
 * segment and deletion bitmaps, docs/FORMAT.md); --rebuild forces a full
 * build, --merge rewrites every segment into one. Notes (skipped files) and
 * the progress bar (tty only) go to stderr; the summary goes to stdout.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_cli.h"
#include "qx_common.h"
#include "quarry.h"

static const char usage[] =
    "usage: quarry index [-x DIR] [--rebuild] [--lang fr|en|none] [--passage-tokens N] [--passage-overlap N]\n"
    "                    [--format files|beir|trec|smart] [-q] PATH...\n"
    "       quarry index [-x DIR] --merge\n"
    "  -x, --index DIR        index directory (default: $QUARRY_INDEX or .quarry); -o, --output: the same\n"
    "                         An existing index is updated: new and changed files are indexed, vanished\n"
    "                         ones deleted, unchanged passages keep their vectors (--format files only)\n"
    "      --rebuild          build from scratch even if DIR holds an index (needed to change settings)\n"
    "      --merge            rewrite every segment of DIR into one, dropping deleted documents\n"
    "      --lang L           analyzer language: fr (default), en, none\n"
    "      --passage-tokens N analysed tokens per passage (default 200)\n"
    "      --passage-overlap N tokens shared by consecutive passages (default 50)\n"
    "      --format F         input: files (default), beir (corpus.jsonl), trec (SGML), smart (.I/.T/.W)\n"
    "      --no-vectors       BM25 only: do not embed passages\n"
    "      --model M          embedding model: multilingual-e5-small (default), all-MiniLM-L6-v2,\n"
    "                         a model file or a Hugging Face folder\n"
    "      --vector-index K   auto (default: flat up to 200k passages, then hnsw), flat, hnsw, ivfpq\n"
    "      --hnsw-m N         HNSW links per node (default 32)\n"
    "      --threads N        indexing threads (default: one per CPU)\n"
    "      --memory MB        memory for the build (postings, dictionaries, chunks in flight); past it runs\n"
    "                         are spilled to sorted temporary files and merged (default: 256, at most a\n"
    "                         quarter of RAM; 0: no bound)\n"
    "  -q, --quiet            no notes, no progress, no summary\n";

typedef struct ui {
  int quiet, tty;
  double last;
  int drawn;
} ui;

static void on_note(void *ctx, const char *msg) {
  ui *u = ctx;
  if (u->quiet) return;
  if (u->drawn) fputs("\r\033[K", stderr);
  u->drawn = 0;
  fprintf(stderr, "quarry: %s\n", msg);
}

static void on_progress(void *ctx, const quarry_build_progress *p) {
  ui *u = ctx;
  if (u->quiet || !u->tty) return;
  double now = qx_now();
  if (now - u->last < 0.1 && p->done < p->total) return;
  u->last = now;
  int width = 30, fill = p->total ? (int)((double)p->done / (double)p->total * width) : width;
  char bar[64];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = '\0';
  char a[32], b[32];
  if (p->bytes_total)
    fprintf(stderr, "\r\033[K%-9s [%s] %llu/%llu  %s / %s", p->phase, bar, (unsigned long long)p->done,
            (unsigned long long)p->total, cli_human_bytes(a, sizeof a, p->bytes_done),
            cli_human_bytes(b, sizeof b, p->bytes_total));
  else
    fprintf(stderr, "\r\033[K%-9s [%s] %llu/%llu", p->phase, bar, (unsigned long long)p->done,
            (unsigned long long)p->total);
  u->drawn = 1;
}

int cmd_index(int argc, char **argv) {
  static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                           {"index", required_argument, 0, 'x'},
                                           {"rebuild", no_argument, 0, 'R'},
                                           {"merge", no_argument, 0, 'M'},
                                           {"lang", required_argument, 0, 'L'},
                                           {"passage-tokens", required_argument, 0, 'T'},
                                           {"passage-overlap", required_argument, 0, 'O'},
                                           {"quiet", no_argument, 0, 'q'},
                                           {"format", required_argument, 0, 'F'},
                                           {"no-vectors", no_argument, 0, 'N'},
                                           {"model", required_argument, 0, 'm'},
                                           {"vector-index", required_argument, 0, 'V'},
                                           {"hnsw-m", required_argument, 0, 'H'},
                                           {"threads", required_argument, 0, 'J'},
                                           {"memory", required_argument, 0, 'G'},
                                           {"help", no_argument, 0, 'h'},
                                           {0, 0, 0, 0}};
  quarry_build_opts o = QUARRY_BUILD_OPTS_INIT;
  o.vectors = 1; /* the CLI embeds by default; the library default is BM25 only */
  const char *out = NULL;
  ui u = {0};
  int c, rebuild = 0, merge = 0, memory_set = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:x:qh", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
    case 'x': out = optarg; break;
    case 'R': rebuild = 1; break;
    case 'M': merge = 1; break;
    case 'L': o.lang = optarg; break;
    case 'T':
      if (cli_parse_u32(&o.passage_tokens, optarg, 8, 1000000))
        return cli_fail("--passage-tokens: expected an integer from 8 to 1000000, got '%s'", optarg);
      break;
    case 'O':
      if (cli_parse_u32(&o.passage_overlap, optarg, 0, 500000))
        return cli_fail("--passage-overlap: expected a non-negative integer, got '%s'", optarg);
      break;
    case 'q': u.quiet = 1; break;
    case 'F': o.format = optarg; break;
    case 'N': o.vectors = 0; break;
    case 'm': o.model = optarg; break;
    case 'V':
      if (strcmp(optarg, "flat") && strcmp(optarg, "hnsw") && strcmp(optarg, "ivfpq") && strcmp(optarg, "auto"))
        return cli_fail("--vector-index: expected flat, hnsw, ivfpq or auto, got '%s'", optarg);
      o.vector_index = optarg;
      break;
    case 'H': {
      uint32_t m = 0;
      if (cli_parse_u32(&m, optarg, 4, 256)) return cli_fail("--hnsw-m: expected an integer from 4 to 256, got '%s'", optarg);
      o.hnsw_m = (int)m;
      break;
    }
    case 'J':
      if (cli_parse_u32(&o.threads, optarg, 1, 64)) return cli_fail("--threads: expected an integer from 1 to 64, got '%s'", optarg);
      break;
    case 'G': {
      uint32_t mb = 0;
      if (cli_parse_u32(&mb, optarg, 0, 1u << 30)) return cli_fail("--memory: expected a number of MB (0: no bound), got '%s'", optarg);
      o.memory_mb = mb;
      memory_set = 1;
      break;
    }
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_fail("index: bad option '%s' (try 'quarry index --help')", argv[optind - 1]);
    }
  }
  if (merge && rebuild) return cli_fail("index: --merge and --rebuild do not go together");
  if (merge && optind < argc) return cli_fail("index: --merge takes no PATH (it merges the index's own documents)");
  if (!merge && optind >= argc) return cli_fail("index: no PATH given (try 'quarry index --help')");
  if (o.passage_overlap > o.passage_tokens / 2)
    return cli_fail("--passage-overlap %u: must be at most half of --passage-tokens (%u)", o.passage_overlap,
                    o.passage_tokens);
  if (!memory_set) { /* 256 MB, at most a quarter of RAM (bench/results/2026-11-30-vm-index-memory.md) */
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    uint64_t quarter = pages > 0 && psz > 0 ? ((uint64_t)pages * (uint64_t)psz >> 20) / 4 : 256;
    o.memory_mb = QX_MAX(16, QX_MIN(256, quarter));
  }
  u.tty = isatty(STDERR_FILENO);
  o.note = on_note;
  o.progress = on_progress;
  o.ctx = &u;
  const char *dir = cli_index_dir(out);
  const char *const *paths = (const char *const *)argv + optind;
  size_t npaths = (size_t)(argc - optind);
  quarry_build_stats st;
  int rc = merge     ? quarry_index_merge(&st, dir, &o)
           : rebuild ? quarry_index_build(&st, dir, paths, npaths, &o)
                     : quarry_index_update(&st, dir, paths, npaths, &o);
  if (u.drawn) fputs("\r\033[K", stderr);
  if (rc) return cli_fail("%s", quarry_error_last());
  if (u.quiet) return 0;
  char b[32];
  if (st.full_build) {
    printf("indexed %llu document%s (%llu skipped): %llu passages, %llu terms, %s in %.2f s -> %s\n",
           (unsigned long long)st.docs, st.docs == 1 ? "" : "s", (unsigned long long)st.files_skipped,
           (unsigned long long)st.passages, (unsigned long long)st.terms, cli_human_bytes(b, sizeof b, st.bytes_out),
           st.seconds, dir);
  } else if (merge && !st.committed) {
    printf("%s: one segment, nothing deleted: nothing to merge (%llu documents)\n", dir,
           (unsigned long long)st.live_docs);
  } else if (merge) {
    printf("merged %s: %llu segments into 1, %llu documents, %llu passages; vectors: %llu copied, %llu embedded; "
           "in %.2f s\n",
           dir, (unsigned long long)st.segments_merged, (unsigned long long)st.live_docs,
           (unsigned long long)st.passages, (unsigned long long)st.vectors_reused,
           (unsigned long long)st.vectors_embedded, st.seconds);
  } else if (!st.committed) {
    printf("%s is up to date: 0 added, 0 changed, 0 deleted, %llu unchanged; %llu segment%s; nothing committed\n",
           dir, (unsigned long long)st.unchanged, (unsigned long long)st.segments, st.segments == 1 ? "" : "s");
  } else {
    printf("updated %s: %llu added, %llu changed, %llu deleted, %llu unchanged (%llu skipped); %llu segment%s",
           dir, (unsigned long long)st.added, (unsigned long long)st.changed, (unsigned long long)st.deleted,
           (unsigned long long)st.unchanged, (unsigned long long)st.files_skipped, (unsigned long long)st.segments,
           st.segments == 1 ? "" : "s");
    if (st.segments_merged) printf(" (%llu rewritten by the merge policy)", (unsigned long long)st.segments_merged);
    printf(", %llu documents; vectors: %llu copied, %llu embedded; in %.2f s\n", (unsigned long long)st.live_docs,
           (unsigned long long)st.vectors_reused, (unsigned long long)st.vectors_embedded, st.seconds);
  }
  return 0;
}
