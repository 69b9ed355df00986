/*
 * grep_cli.h: shared state of `quarry grep` between its CLI files:
 * cmd_grep.c (options, patterns, files and recursion), grep_out.c (the scan
 * loop and grep-compatible output: a line scanner over a window, context
 * groups and colours) and grep_rank.c (--rank).
 */
#ifndef QX_GREP_CLI_H
#define QX_GREP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qx_grep.h"

enum { GREP_BIN_BINARY = 0, GREP_BIN_TEXT = 1, GREP_BIN_WITHOUT_MATCH = 2 };
enum { GREP_LIST_NONE = 0, GREP_LIST_MATCHING = 1, GREP_LIST_NONMATCHING = 2 };

typedef struct grep_colors {
  const char *ms, *mc, *sl, *cx, *fn, *ln, *bn, *se;
  bool ne; /* no \33[K */
} grep_colors;

typedef struct grep_run {
  /* options */
  qx_grep *m;
  bool invert, count, quiet, only, lineno, byteoff, null_after_name, json, no_messages;
  int list;        /* GREP_LIST_* */
  int binary_mode; /* GREP_BIN_* */
  intmax_t before, after; /* -1 when not given */
  intmax_t max_count;     /* INTMAX_MAX when not given */
  int color;              /* 0 or 1 (auto resolved) */
  grep_colors col;
  const char *label; /* name shown for stdin */
  bool null_data;     /* -z: records end with NUL */
  bool initial_tab;   /* -T */
  bool line_buffered; /* --line-buffered: flush after each line */
  int offset_width;   /* -T: width of line numbers and offsets (per file) */

  /* global state */
  bool used; /* something was output (group separator rule) */
  bool errseen;
  bool any_selected;

  /* read buffer for inputs that are not mapped (grep_out.c; freed by cmd_grep) */
  char *rbuf;
  size_t rcap;
} grep_run;

/* Search one open file descriptor; returns the number of selected lines
 * (or matches counted) and prints as grep does. name is the display name. */
intmax_t grep_fd(grep_run *r, int fd, const char *name, bool with_fname);
/* Same over memory: buf holds len bytes plus one writable spare byte, then
 * QX_GREP_PAD readable, initialised bytes (the matcher's padding, qx_grep.h). */
intmax_t grep_mem(grep_run *r, char *buf, size_t len, const char *name, bool with_fname);

/* Buffered stdout. A closed pipe (EPIPE) ends the process quietly. */
void grep_out(const void *p, size_t n);
void grep_out_str(const char *s);
void grep_out_flush(void);
/* A JSON string (quoted, escaped; invalid UTF-8 bytes become U+FFFD). */
void grep_out_json_str(const char *s, size_t n);
void grep_out_sgr_start(const grep_run *r, const char *code);
void grep_out_sgr_end(const grep_run *r, const char *code);
/* Exit status to use if a write fails with EPIPE (set by cmd_grep). */
extern int grep_out_epipe_status;

/* --rank: score units of the inputs with BM25 and print the best first. */
typedef struct grep_rank_opts {
  const char *query;
  int unit; /* 0 line, 1 paragraph, 2 passage (qx_rank_unit) */
  long top; /* 0 = all */
  double min_score, k1, b;
  bool have_min_score, scores;
  qx_lang lang;
  int mode;         /* GREP_RANK_BM25 / _SEMANTIC / _HYBRID */
  double threshold; /* --semantic: minimum cosine */
  bool have_threshold;
  const char *model; /* NULL: the default model */
} grep_rank_opts;

enum { GREP_RANK_BM25 = 1, GREP_RANK_SEMANTIC = 2, GREP_RANK_HYBRID = 3 };
/* Defaults: --semantic keeps units with cosine >= 0.82 (multilingual-e5-small
 * gives unrelated French text about 0.75-0.80 and close paraphrases 0.84+);
 * --hybrid shows the 10 best units unless --top says otherwise. RRF k = 60. */
#define GREP_SEMANTIC_THRESHOLD 0.82
#define GREP_HYBRID_TOP 10
#define GREP_RRF_K 60.0

typedef struct grep_ranker grep_ranker;
/* Returns 0, or prints the error and returns 2. */
int grep_rank_begin(grep_ranker **out, grep_run *r, const grep_rank_opts *ro);
void grep_rank_fd(grep_ranker *k, int fd, const char *name, bool with_fname);
/* Prints the ranked units, frees k, returns the exit status. */
int grep_rank_end(grep_ranker *k);
/* One ranked unit in grep's format (or JSON): s[0, len) starting at `line`
 * and byte `offset` of `name`, hl = highlight pairs relative to s. */
void grep_rank_print_unit(const grep_run *r, const grep_rank_opts *ro, const char *name, bool with_fname,
                          const char *s, size_t len, uint64_t line, uint64_t offset, double score,
                          const size_t *hl, size_t nhl, bool first_unit);
/* --index DIR: answer from an index (grep_index.c); returns the exit status. */
int grep_index_main(grep_run *r, const grep_rank_opts *ro, int rank_mode, const char *dir, char **ops,
                    int nops, bool opt_H, bool opt_h);

#endif
