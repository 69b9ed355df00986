/*
 * main.c: `quarry COMMAND [ARGS...]` dispatch. Each command lives in its own
 * file (cli/cmd_<name>.c); this file only routes and prints the usage.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_cli.h"
#include "qx_common.h"
#include "quarry.h"

static const cli_command commands[] = {
    {"index", cmd_index, "build an index from files and folders"},
    {"search", cmd_search, "search an index (BM25)"},
    {"info", cmd_info, "describe an index, verify it"},
    {"embed", cmd_embed, "print embeddings of stdin lines as JSON (encoder debugging, shell use)"},
    {"eval", cmd_eval, "measure ranking quality (nDCG, MAP, MRR, recall, P) against qrels"},
    {"bench", cmd_bench, "query latency and throughput benchmark (p50/p95/p99, QPS, stages)"},
    {"version", cmd_version, "print the version"},
    {"grep", cmd_grep, "grep-compatible search over files; --rank for BM25 ranking"},
    {"tokenize", cmd_tokenize, "print a model's token ids for texts (debugging)"},
};

int cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("quarry %s\n", QUARRY_VERSION_STRING);
  return 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: quarry COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun 'quarry COMMAND --help' for the options of a command.\n");
}

/* The dense stack (FAISS, OpenBLAS) is loaded on first use (dense/README.md)
 * so that grep starts fast; a command that may embed or search vectors loads
 * it here, before its own allocations, as when it was linked in: under a
 * tight `ulimit -v`, OpenBLAS's threads start (or the load fails cleanly)
 * before the model takes the address space. A failure is reported by the
 * command's first dense call (qx_dense_ready). */
static bool may_use_dense(int argc, char **argv) {
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) return false;
  if (strcmp(argv[1], "grep")) return true;
  for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
    if (!strncmp(argv[i], "--sem", 5) || !strncmp(argv[i], "--hyb", 5)) return true;
  return false;
}

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) return cmd_version(0, NULL);
  if (may_use_dense(argc, argv)) (void)qx_dense_ready();
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  cli_fail("unknown command '%s' (try 'quarry --help')", argv[1]);
  return 2;
}

#if defined(__SANITIZE_ADDRESS__)
#define QX_NORMAL_EXIT 1 /* LeakSanitizer checks from an exit handler */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QX_NORMAL_EXIT 1
#endif
#endif

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN); /* a closed pipe shows up as EPIPE on write; commands end quietly */
  int rc = dispatch(argc, argv);
#ifndef QX_NORMAL_EXIT
  /* Leave without running the libraries' exit handlers. OpenBLAS starts its
   * worker threads when the program loads, and its exit handler joins them;
   * under a tight address-space limit (ulimit -v of 60-190 MB on 2 cores) a
   * worker spins forever on its 128 MB buffer and the join hangs a command
   * that had finished (docs/RELIABILITY.md). quarry registers no exit
   * handler of its own and has closed its files; stdio is flushed here as
   * exit() would. */
  fflush(NULL);
  _exit(rc);
#else
  return rc;
#endif
}
