/*
 * main.c: `quarry COMMAND [ARGS...]` dispatch. Each command lives in its own
 * file (cli/cmd_<name>.c); this file only routes and prints the usage.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_cli.h"
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

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN); /* a closed pipe shows up as EPIPE on write; commands end quietly */
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) return cmd_version(0, NULL);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  cli_fail("unknown command '%s' (try 'quarry --help')", argv[1]);
  return 2;
}
