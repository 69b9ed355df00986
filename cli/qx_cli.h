/*
 * qx_cli.h: the quarry command-line tool. One source file per command
 * (cli/cmd_<name>.c), each exporting `int cmd_<name>(int argc, char **argv)`
 * that returns the process exit status. Only cli/ prints and exits.
 * Errors: one line on stderr, "quarry: <message>", exit status 2.
 */
#ifndef QX_CLI_H
#define QX_CLI_H

#include <stdio.h>

/* Print "quarry: <msg>\n" to stderr and return 2 (the error exit status). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with quarry_error_last() appended after ": " when non-empty. */
int cli_fail_lib(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 if stdout is a terminal and colour is allowed (NO_COLOR unset). */
int cli_color_stdout(void);

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} cli_command;

int cmd_version(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* cli_util.c */
#include <stdint.h>
/* The index directory: `given` if set, else $QUARRY_INDEX, else ".quarry". */
const char *cli_index_dir(const char *given);
/* Write s[0..n) as a JSON string (quoted, escaped, invalid UTF-8 -> U+FFFD). */
void cli_json_str(FILE *f, const char *s, size_t n);
const char *cli_human_bytes(char *buf, size_t cap, uint64_t n);
/* Parse an integer in [lo, hi] / a finite double; 0 or -1. */
int cli_parse_u32(uint32_t *out, const char *s, uint32_t lo, uint32_t hi);
int cli_parse_double(double *out, const char *s);
int cmd_eval(int argc, char **argv);
int cmd_grep(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_embed(int argc, char **argv);

#endif
