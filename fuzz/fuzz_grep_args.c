/*
 * fuzz_grep_args.c: `quarry grep`'s command line (cli/cmd_grep.c) end to
 * end: option parsing (short clusters, digit context, long options and
 * their abbreviations, --color, --include/--exclude globs, -e/-f pattern
 * lists, -m/-A/-B/-C numbers), pattern compilation, and the scan of stdin
 * and of a few small files, with output thrown away.
 *
 * Input: up to 16 arguments separated by NUL bytes and ended by two NULs;
 * whatever follows is stdin. Checked: cmd_grep returns 0, 1 or 2 (grep's
 * exit statuses) and never crashes, leaks or reads out of bounds (ASan,
 * UBSan, LeakSanitizer).
 *
 * The harness runs in a private temporary folder holding a text file, an
 * empty file, a CRLF file without a final newline, a binary file and a
 * subfolder, so that FILE operands, -r and -f have something to read. To
 * keep runs fast and side-effect free it skips inputs whose arguments could
 * leave that folder (a leading '/', "..") or that need what a fuzzer cannot
 * give quickly: -q/--quiet/--silent (exits the process on the first match,
 * as grep does), --semantic/--hybrid/--model/--index (load a model or an
 * index).
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "qx_cli.h"

#define MAX_ARGS 16
#define MAX_ARG_LEN 64

static int put_file(const char *name, const char *data, size_t len) {
  FILE *f = fopen(name, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, len, f);
  return fclose(f) == 0 && w == len ? 0 : -1;
}

static char tmp_dir[] = "/tmp/quarry-fuzz-grep-XXXXXX";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void rm_tmp_dir(void) { nftw(tmp_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (!mkdtemp(tmp_dir) || chdir(tmp_dir) != 0) abort();
  atexit(rm_tmp_dir);
  static const char text[] = "Le Tennessee accueille un centre de calcul.\nlevée de fonds: 6 milliards\n"
                             "l'investisseur d'xAI\nERROR disk full\nerror: retry\n\n42 lines\n";
  static const char crlf[] = "alpha beta\r\ngamma\r\ndelta";
  static const char bin[] = "text\0\x01\x02 binary error\n\xff\xfe invalid\n";
  if (put_file("a.txt", text, sizeof text - 1) || put_file("empty", "", 0) ||
      put_file("crlf.txt", crlf, sizeof crlf - 1) || put_file("b.bin", bin, sizeof bin - 1) ||
      mkdir("sub", 0700) != 0 || put_file("sub/c.log", "error in sub\nok\n", 16) ||
      put_file("pats", "error\nlev.e\n", 12))
    abort();
  /* Output goes nowhere; stdio's stdout too (--help, --version). */
  int null = open("/dev/null", O_WRONLY);
  if (null < 0 || dup2(null, STDOUT_FILENO) < 0) abort();
  close(null);
  return 0;
}

/* 1 if `arg` is "--" followed by a non-empty prefix of the long option `opt`
 * (getopt_long expands unambiguous abbreviations). */
static int long_prefix(const char *arg, const char *opt) {
  if (strncmp(arg, "--", 2) != 0) return 0;
  size_t n = strcspn(arg + 2, "=");
  return n >= 1 && strncmp(opt, arg + 2, n) == 0;
}

static int unsafe(const char *a) {
  if (a[0] == '/' || strstr(a, "..")) return 1;
  if (a[0] == '-' && a[1] != '-' && strchr(a, 'q')) return 1;
  static const char *const skip[] = {"quiet", "silent", "semantic", "hybrid", "model", "index", "threshold"};
  for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
    if (long_prefix(a, skip[i])) return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  argv[argc++] = "grep";
  size_t i = 0;
  int ok = 1;
  while (i < size && argc <= MAX_ARGS) {
    const uint8_t *end = memchr(data + i, 0, size - i);
    size_t len = end ? (size_t)(end - (data + i)) : size - i;
    if (len == 0) { /* "\0\0": end of arguments */
      i++;
      break;
    }
    if (len > MAX_ARG_LEN) ok = 0;
    argv[argc] = fz_strndup(data + i, len);
    if (unsafe(argv[argc])) ok = 0;
    argc++;
    i += len + (end != NULL);
  }
  argv[argc] = NULL;
  if (ok && argc > 1) {
    int fd = memfd_create("quarry-fuzz-stdin", MFD_CLOEXEC);
    if (fd < 0) abort();
    size_t off = i;
    while (off < size) {
      ssize_t w = write(fd, data + off, size - off);
      if (w <= 0) abort();
      off += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0) abort();
    close(fd);
    /* cmd_grep may permute argv (getopt): give it a copy of the pointers. */
    char *args[MAX_ARGS + 2];
    memcpy(args, argv, sizeof(char *) * (size_t)(argc + 1));
    int rc = cmd_grep(argc, args);
    fflush(stdout);
    FZ_CHECK(rc == 0 || rc == 1 || rc == 2);
  }
  for (int k = 1; k < argc; k++) free(argv[k]);
  return 0;
}
