/*
 * cmd_grep.c: `quarry grep [OPTIONS] PATTERN [FILE...]`, a grep-compatible
 * filter (GNU grep 3.8 options and output, checked by tests/grep/) that can
 * also rank lines by relevance (--rank, see grep_rank.c).
 *
 * This file reads the options with getopt_long (argument permutation,
 * bundled short options, and -NUM for --context=NUM as grep's manual
 * documents; digits written together form one number), gathers the
 * patterns (-e, -f, or the first operand; newlines separate patterns), and
 * walks the operands: stdin for "-" or no operand, recursion for -r/-R
 * (directory entries sorted by name so output is reproducible), --include /
 * --exclude / --exclude-dir globs with GNU's rules. grep_out.c does the
 * scanning and printing. Locale: quarry always behaves as GNU grep does in a
 * UTF-8 locale (LC_ALL=C.UTF-8), whatever the environment says.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grep_cli.h"
#include "qx_cli.h"
#include "qx_common.h"

typedef struct glob_rule {
  const char *glob;
  bool include;
} glob_rule;

typedef struct walk {
  grep_run *r;
  glob_rule *rules;
  size_t nrules;
  const char **xdirs;
  size_t nxdirs;
  bool recursive, deref, opt_H, opt_h;
  int nops;
  grep_ranker *ranker; /* --rank: files go to the ranker instead of grep_fd */
} walk;

enum {
  OPT_COLOR = 256, OPT_INCLUDE, OPT_EXCLUDE, OPT_EXCLUDE_DIR, OPT_JSON, OPT_LABEL, OPT_BINARY_FILES,
  OPT_RANK, OPT_TOP, OPT_UNIT, OPT_MIN_SCORE, OPT_SCORES, OPT_HELP, OPT_NO_IGNORE_CASE, OPT_LANG,
  OPT_K1, OPT_B, OPT_SEMANTIC, OPT_HYBRID, OPT_THRESHOLD, OPT_MODEL, OPT_INDEX, OPT_LINE_BUFFERED
};

static const struct option long_opts[] = {
    {"extended-regexp", no_argument, NULL, 'E'},
    {"fixed-strings", no_argument, NULL, 'F'},
    {"basic-regexp", no_argument, NULL, 'G'},
    {"perl-regexp", no_argument, NULL, 'P'},
    {"regexp", required_argument, NULL, 'e'},
    {"file", required_argument, NULL, 'f'},
    {"ignore-case", no_argument, NULL, 'i'},
    {"no-ignore-case", no_argument, NULL, OPT_NO_IGNORE_CASE},
    {"word-regexp", no_argument, NULL, 'w'},
    {"line-regexp", no_argument, NULL, 'x'},
    {"no-messages", no_argument, NULL, 's'},
    {"invert-match", no_argument, NULL, 'v'},
    {"max-count", required_argument, NULL, 'm'},
    {"byte-offset", no_argument, NULL, 'b'},
    {"line-number", no_argument, NULL, 'n'},
    {"with-filename", no_argument, NULL, 'H'},
    {"no-filename", no_argument, NULL, 'h'},
    {"label", required_argument, NULL, OPT_LABEL},
    {"only-matching", no_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"silent", no_argument, NULL, 'q'},
    {"binary-files", required_argument, NULL, OPT_BINARY_FILES},
    {"text", no_argument, NULL, 'a'},
    {"recursive", no_argument, NULL, 'r'},
    {"dereference-recursive", no_argument, NULL, 'R'},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"exclude-dir", required_argument, NULL, OPT_EXCLUDE_DIR},
    {"files-without-match", no_argument, NULL, 'L'},
    {"files-with-matches", no_argument, NULL, 'l'},
    {"count", no_argument, NULL, 'c'},
    {"null", no_argument, NULL, 'Z'},
    {"null-data", no_argument, NULL, 'z'},
    {"initial-tab", no_argument, NULL, 'T'},
    {"binary", no_argument, NULL, 'U'},
    {"unix-byte-offsets", no_argument, NULL, 'u'},
    {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
    {"before-context", required_argument, NULL, 'B'},
    {"after-context", required_argument, NULL, 'A'},
    {"context", required_argument, NULL, 'C'},
    {"color", optional_argument, NULL, OPT_COLOR},
    {"colour", optional_argument, NULL, OPT_COLOR},
    {"json", no_argument, NULL, OPT_JSON},
    {"rank", no_argument, NULL, OPT_RANK},
    {"top", required_argument, NULL, OPT_TOP},
    {"unit", required_argument, NULL, OPT_UNIT},
    {"min-score", required_argument, NULL, OPT_MIN_SCORE},
    {"scores", no_argument, NULL, OPT_SCORES},
    {"lang", required_argument, NULL, OPT_LANG},
    {"semantic", no_argument, NULL, OPT_SEMANTIC},
    {"hybrid", no_argument, NULL, OPT_HYBRID},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"model", required_argument, NULL, OPT_MODEL},
    {"index", required_argument, NULL, OPT_INDEX},
    {"k1", required_argument, NULL, OPT_K1},
    {"b", required_argument, NULL, OPT_B},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

static void usage(FILE *f) {
  fputs("usage: quarry grep [OPTION]... PATTERNS [FILE]...\n"
        "Search for PATTERNS in each FILE (GNU grep compatible; '-' or no FILE is stdin).\n\n"
        "Patterns:   -E extended regex, -F fixed strings, -G basic regex (default),\n"
        "            -P Perl regex, -e PATTERNS, -f FILE, -i, -w, -x\n"
        "Output:     -v, -c, -l, -L, -o, -q, -s, -n, -b, -H, -h, -Z, -z, -T, --label=LABEL,\n"
        "            -m NUM, -A NUM, -B NUM, -C NUM, --color[=WHEN], --line-buffered, --json\n"
        "Files:      -r, -R, --include=GLOB, --exclude=GLOB, --exclude-dir=GLOB,\n"
        "            -a, -I, --binary-files=TYPE\n"
        "Ranking:    --rank (BM25 over the input; PATTERN is a query), --unit line|paragraph|passage,\n"
        "            --top N, --min-score S, --scores, --lang fr|en|none (default fr),\n"
        "            --k1 K (0.9), --b B (0.4)\n"
        "Meaning:    --semantic (cosine of embeddings, --threshold T, default 0.82),\n"
        "            --hybrid (BM25 + embeddings, reciprocal rank fusion; --top, default 10),\n"
        "            --model NAME|PATH (default multilingual-e5-small)\n"
        "Index:      --index DIR: answer from an index built by 'quarry index' (--rank: its\n"
        "            BM25 search; --semantic/--hybrid: its vectors; patterns: its stored\n"
        "            text) instead of reading FILEs (FILEs then select stored files)\n"
        "Exit status: 0 if a line is selected, 1 if none, 2 on error.\n",
        f);
}

/* GREP_COLORS, e.g. "ms=01;31:mc=01;31:sl=:cx=:fn=35:ln=32:bn=32:se=36". */
static void parse_grep_colors(grep_colors *c, char *spec) {
  for (char *tok = strtok(spec, ":"); tok; tok = strtok(NULL, ":")) {
    char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : NULL;
    if (eq) *eq = 0;
    if (!strcmp(tok, "ne")) c->ne = true;
    if (!val) continue;
    for (const char *v = val; *v; v++)
      if (!(*v == ';' || (*v >= '0' && *v <= '9'))) return; /* bad spec: stop as grep does */
    if (!strcmp(tok, "mt")) c->ms = c->mc = val;
    else if (!strcmp(tok, "ms")) c->ms = val;
    else if (!strcmp(tok, "mc")) c->mc = val;
    else if (!strcmp(tok, "sl")) c->sl = val;
    else if (!strcmp(tok, "cx")) c->cx = val;
    else if (!strcmp(tok, "fn")) c->fn = val;
    else if (!strcmp(tok, "ln")) c->ln = val;
    else if (!strcmp(tok, "bn")) c->bn = val;
    else if (!strcmp(tok, "se")) c->se = val;
  }
}

/* -NUM: digits that follow each other in one argument ("-12") make one
 * number; any other option or a new argument ("-1 -2") starts a new one.
 * getopt leaves optind unchanged while it is inside an argument, which
 * tells whether the next digit can continue the number. */
typedef struct digit_ctx {
  bool open; /* the last option was a digit with more characters after it */
  intmax_t value;
} digit_ctx;

static intmax_t digit_ctx_push(digit_ctx *d, int digit, bool more_in_arg) {
  if (!d->open) d->value = 0;
  d->value = d->value > (INTMAX_MAX - 9) / 10 ? INTMAX_MAX : d->value * 10 + digit;
  d->open = more_in_arg;
  return d->value;
}

static int parse_num(intmax_t *out, const char *s, const char *what) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || v < 0) return cli_fail("grep: invalid %s argument '%s'", what, s);
  *out = errno == ERANGE ? INTMAX_MAX : (intmax_t)v;
  return 0;
}

/* Append the patterns of `text` (newline-separated) to the list. */
static int add_patterns(qx_buf *store, size_t *count, const char *text, size_t len, bool from_file) {
  if (from_file && len > 0 && text[len - 1] == '\n') len--;
  else if (from_file && len == 0) return 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || text[i] == '\n') {
      size_t n = i - start;
      if (qx_buf_append(store, &n, sizeof n) < 0 || qx_buf_append(store, text + start, n) < 0)
        return cli_fail("grep: out of memory");
      (*count)++;
      start = i + 1;
    }
  }
  return 0;
}

/* GNU rule: the last matching --include/--exclude wins; if none matches the
 * file is included unless the first rule is an --include. */
static bool name_excluded(const walk *w, const char *name, bool command_line) {
  if (!w->nrules) return false;
  int verdict = -1;
  for (size_t i = 0; i < w->nrules; i++) {
    bool m = fnmatch(w->rules[i].glob, name, 0) == 0;
    if (!m && command_line)
      for (const char *s = strchr(name, '/'); s && !m; s = strchr(s + 1, '/'))
        if (s[1] && s[1] != '/') m = fnmatch(w->rules[i].glob, s + 1, 0) == 0;
    if (m) verdict = !w->rules[i].include;
  }
  if (verdict < 0) return w->rules[0].include;
  return verdict == 1;
}

static bool dir_excluded(const walk *w, const char *name) {
  for (size_t i = 0; i < w->nxdirs; i++)
    if (fnmatch(w->xdirs[i], name, 0) == 0) return true;
  return false;
}

static void file_error(walk *w, const char *name, int err) {
  w->r->errseen = true;
  if (!w->r->no_messages) {
    grep_out_flush();
    fprintf(stderr, "quarry: %s: %s\n", name, strerror(err));
  }
}

static void grep_path(walk *w, const char *path, bool command_line, bool omit_dot);

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void grep_dir(walk *w, const char *path, bool omit_dot) {
  DIR *d = opendir(path);
  if (!d) {
    file_error(w, path, errno);
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (qx_grow((void **)&names, &cap, n + 1, sizeof *names) < 0) break;
    names[n] = qx_strdup(e->d_name);
    if (names[n]) n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  for (size_t i = 0; i < n; i++) {
    char *child = omit_dot ? qx_strdup(names[i]) : qx_path_join(path, names[i]);
    if (child) grep_path(w, child, false, false);
    free(child);
    free(names[i]);
  }
  free(names);
}

static void grep_path(walk *w, const char *path, bool command_line, bool omit_dot) {
  grep_run *r = w->r;
  if (!strcmp(path, "-") && command_line) {
    bool wf = w->opt_H || (!w->opt_h && w->nops > 1);
    if (w->ranker) grep_rank_fd(w->ranker, STDIN_FILENO, r->label, wf);
    else grep_fd(r, STDIN_FILENO, r->label, wf);
    return;
  }
  struct stat st;
  bool follow = command_line || w->deref;
  if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
    if (!command_line && errno == ENOENT) return; /* vanished or dangling link */
    file_error(w, path, errno);
    return;
  }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (S_ISDIR(st.st_mode)) {
    if (!w->recursive) {
      file_error(w, path, EISDIR);
      return;
    }
    if (!omit_dot && w->nxdirs && dir_excluded(w, command_line ? path : base)) return;
    grep_dir(w, path, omit_dot);
    return;
  }
  if (!command_line && !S_ISREG(st.st_mode)) return; /* links (-r), devices, fifos: skipped when recursing */
  if (name_excluded(w, command_line ? path : base, command_line)) return;
  int fd = open(path, O_RDONLY | O_NOCTTY);
  if (fd < 0) {
    file_error(w, path, errno);
    return;
  }
  bool with_fname = w->opt_H || (!w->opt_h && (w->nops > 1 || !command_line));
  if (w->ranker) grep_rank_fd(w->ranker, fd, path, with_fname);
  else grep_fd(r, fd, path, with_fname);
  close(fd);
}

int cmd_grep(int argc, char **argv) {
  grep_run r;
  memset(&r, 0, sizeof r);
  r.before = r.after = -1;
  r.max_count = INTMAX_MAX;
  r.label = "(standard input)";
  r.col = (grep_colors){"01;31", "01;31", "", "", "35", "32", "32", "36", false};
  qx_grep_opts mo = {QX_GREP_BRE, 0, 0, 0};
  qx_buf pats = {0};
  size_t npats = 0;
  bool have_e = false, opt_H = false, opt_h = false, recursive = false, deref = false;
  intmax_t context = -1;
  digit_ctx digits = {false, 0};
  int color_when = 0, rank = 0, rc = 0;
  grep_rank_opts ro = {0};
  ro.k1 = 0.9;
  ro.b = 0.4;
  ro.lang = QX_LANG_FR;
  glob_rule *rules = NULL;
  size_t nrules = 0, rcap = 0;
  const char **xdirs = NULL;
  size_t nxdirs = 0, xcap = 0;
  char *colors_env = NULL;
  const char *index_dir = NULL;

  optind = 0; /* glibc: 0 resets getopt completely (a fuzz harness calls cmd_grep repeatedly) */
  opterr = 0;
  for (;;) {
    int arg_before = optind;
    int c = getopt_long(argc, argv, "0123456789A:B:C:EFGHILPRTUVZabce:f:hilm:noqrsuvwxyz", long_opts, NULL);
    if (c == -1) break;
    if (c >= '0' && c <= '9') {
      context = digit_ctx_push(&digits, c - '0', optind == arg_before);
      continue;
    }
    digits.open = false;
    switch (c) {
    case 'A': rc = parse_num(&r.after, optarg, "context length"); break;
    case 'B': rc = parse_num(&r.before, optarg, "context length"); break;
    case 'C': rc = parse_num(&context, optarg, "context length"); break;
    case 'E': mo.syntax = QX_GREP_ERE; break;
    case 'F': mo.syntax = QX_GREP_FIXED; break;
    case 'G': mo.syntax = QX_GREP_BRE; break;
    case 'P': mo.syntax = QX_GREP_PCRE; break;
    case 'H': opt_H = true, opt_h = false; break;
    case 'h': opt_h = true, opt_H = false; break;
    case 'I': r.binary_mode = GREP_BIN_WITHOUT_MATCH; break;
    case 'a': r.binary_mode = GREP_BIN_TEXT; break;
    case 'L': r.list = GREP_LIST_NONMATCHING; break;
    case 'l': r.list = GREP_LIST_MATCHING; break;
    case 'Z': r.null_after_name = true; break;
    case 'b': r.byteoff = true; break;
    case 'c': r.count = true; break;
    case 'e':
      rc = add_patterns(&pats, &npats, optarg, strlen(optarg), false);
      have_e = true;
      break;
    case 'f': {
      char *text = NULL;
      size_t len = 0;
      int frc;
      if (!strcmp(optarg, "-")) {
        qx_buf in = {0};
        char tmp[65536];
        ssize_t n;
        while ((n = read(STDIN_FILENO, tmp, sizeof tmp)) > 0) qx_buf_append(&in, tmp, (size_t)n);
        text = (char *)in.data;
        len = in.len;
        frc = 0;
      } else {
        frc = qx_file_read(&text, &len, optarg);
      }
      if (frc < 0) {
        rc = cli_fail("%s: %s", optarg, strerror(errno ? errno : ENOENT));
      } else {
        rc = add_patterns(&pats, &npats, text ? text : "", len, true);
      }
      free(text);
      have_e = true;
      break;
    }
    case 'i':
    case 'y': mo.icase = 1; break;
    case OPT_NO_IGNORE_CASE: mo.icase = 0; break;
    case 'm': rc = parse_num(&r.max_count, optarg, "max count"); break;
    case 'n': r.lineno = true; break;
    case 'o': r.only = true; break;
    case 'q': r.quiet = true; break;
    case 'R': deref = true; /* fall through */
    case 'r': recursive = true; break;
    case 's': r.no_messages = true; break;
    case 'v': r.invert = true; break;
    case 'w': mo.word = 1; break;
    case 'x': mo.line = 1; break;
    case 'z': r.null_data = true; break;
    case 'T': r.initial_tab = true; break;
    case 'U': break; /* --binary: no effect on POSIX systems, as in GNU grep */
    case 'u': /* GNU grep 3.8 warns and ignores it */
      fputs("quarry: warning: --unix-byte-offsets (-u) is obsolete\n", stderr);
      break;
    case OPT_LINE_BUFFERED: r.line_buffered = true; break;
    case 'V':
      rc = cli_fail("grep: option -%c is not supported", c);
      break;
    case OPT_COLOR:
      if (!optarg || !strcmp(optarg, "auto") || !strcmp(optarg, "tty") || !strcmp(optarg, "if-tty"))
        color_when = 2;
      else if (!strcmp(optarg, "always") || !strcmp(optarg, "yes") || !strcmp(optarg, "force"))
        color_when = 1;
      else if (!strcmp(optarg, "never") || !strcmp(optarg, "no") || !strcmp(optarg, "none"))
        color_when = 0;
      else rc = cli_fail("grep: invalid argument '%s' for '--color'", optarg);
      break;
    case OPT_INCLUDE:
    case OPT_EXCLUDE:
      if (qx_grow((void **)&rules, &rcap, nrules + 1, sizeof *rules) < 0) rc = cli_fail("grep: out of memory");
      else rules[nrules++] = (glob_rule){optarg, c == OPT_INCLUDE};
      break;
    case OPT_EXCLUDE_DIR:
      if (qx_grow((void **)&xdirs, &xcap, nxdirs + 1, sizeof *xdirs) < 0) rc = cli_fail("grep: out of memory");
      else xdirs[nxdirs++] = optarg;
      break;
    case OPT_JSON: r.json = true; break;
    case OPT_LABEL: r.label = optarg; break;
    case OPT_BINARY_FILES:
      if (!strcmp(optarg, "binary")) r.binary_mode = GREP_BIN_BINARY;
      else if (!strcmp(optarg, "text")) r.binary_mode = GREP_BIN_TEXT;
      else if (!strcmp(optarg, "without-match")) r.binary_mode = GREP_BIN_WITHOUT_MATCH;
      else rc = cli_fail("grep: unknown binary-files type");
      break;
    case OPT_RANK: rank = GREP_RANK_BM25; break;
    case OPT_SEMANTIC: rank = GREP_RANK_SEMANTIC; break;
    case OPT_HYBRID: rank = GREP_RANK_HYBRID; break;
    case OPT_MODEL: ro.model = optarg; break;
    case OPT_INDEX: index_dir = optarg; break;
    case OPT_THRESHOLD: {
      char *end;
      ro.threshold = strtod(optarg, &end);
      ro.have_threshold = true;
      if (!*optarg || *end || ro.threshold < -1 || ro.threshold > 1)
        rc = cli_fail("grep: invalid --threshold '%s' (a cosine in [-1, 1])", optarg);
      break;
    }
    case OPT_TOP: {
      intmax_t v;
      rc = parse_num(&v, optarg, "--top");
      ro.top = (long)QX_MIN(v, (intmax_t)LONG_MAX);
      break;
    }
    case OPT_UNIT:
      if (!strcmp(optarg, "line")) ro.unit = 0;
      else if (!strcmp(optarg, "paragraph")) ro.unit = 1;
      else if (!strcmp(optarg, "passage")) ro.unit = 2;
      else rc = cli_fail("grep: --unit must be line, paragraph or passage, not '%s'", optarg);
      break;
    case OPT_MIN_SCORE: {
      char *end;
      ro.min_score = strtod(optarg, &end);
      ro.have_min_score = true;
      if (!*optarg || *end) rc = cli_fail("grep: invalid --min-score '%s'", optarg);
      break;
    }
    case OPT_SCORES: ro.scores = true; break;
    case OPT_LANG:
      if (qx_lang_parse(&ro.lang, optarg) < 0) rc = cli_fail("grep: --lang must be fr, en or none, not '%s'", optarg);
      break;
    case OPT_K1:
    case OPT_B: {
      char *end;
      double v = strtod(optarg, &end);
      if (!*optarg || *end || v < 0 || (c == OPT_B && v > 1)) rc = cli_fail("grep: invalid --%s '%s'", c == OPT_K1 ? "k1" : "b", optarg);
      else if (c == OPT_K1) ro.k1 = v;
      else ro.b = v;
      break;
    }
    case OPT_HELP: usage(stdout); rc = -1; break;
    case '?':
    default:
      if (optopt && optopt < 256 && strchr("ABCefm", optopt))
        rc = cli_fail("grep: option requires an argument -- '%c'", optopt);
      else if (optopt && optopt < 256)
        rc = cli_fail("grep: invalid option -- '%c'", optopt);
      else
        rc = cli_fail("grep: unrecognized option '%s'", argv[optind - 1]);
      break;
    }
    if (rc) break;
  }
  if (rc) goto out;
  if (!have_e) {
    if (optind >= argc) {
      usage(stderr);
      rc = 2;
      goto out;
    }
    rc = add_patterns(&pats, &npats, argv[optind], strlen(argv[optind]), false);
    optind++;
    if (rc) goto out;
  }
  if (context >= 0) {
    if (r.after < 0) r.after = context;
    if (r.before < 0) r.before = context;
  }
  /* colours */
  if (color_when == 2) {
    const char *t = getenv("TERM");
    color_when = isatty(STDOUT_FILENO) && t && strcmp(t, "dumb") ? 1 : 0;
  }
  r.color = color_when;
  if (r.color && getenv("GREP_COLORS") && *getenv("GREP_COLORS")) {
    colors_env = qx_strdup(getenv("GREP_COLORS"));
    if (colors_env) parse_grep_colors(&r.col, colors_env);
  }
  /* An empty pattern list (-f /dev/null) selects no line: it is searched as
   * the empty pattern inverted. A search that cannot select any line (-m 0,
   * or every line's empty match inverted) ends with status 1 at once, as
   * grep does; -L still has to list the files. */
  size_t first_len = 0;
  if (npats) memcpy(&first_len, pats.data, sizeof first_len);
  bool no_pattern = npats == 0;
  bool only_empty = npats == 1 && first_len == 0;
  if (no_pattern) {
    r.invert = !r.invert;
    mo.word = mo.line = 0;
    add_patterns(&pats, &npats, "", 0, false);
  }
  bool selects_nothing = r.max_count == 0 || ((no_pattern || only_empty) && r.invert && !mo.line && !mo.word);
  if (!rank && selects_nothing && r.list != GREP_LIST_NONMATCHING) {
    rc = 1;
    goto out;
  }
  /* -q, -l and -L print no lines and no counts. */
  if (r.quiet || r.list != GREP_LIST_NONE) r.count = false;
  if (r.json && (r.count || r.list || r.quiet)) r.json = false;

  /* Patterns */
  {
    const char **pv = qx_calloc(npats ? npats : 1, sizeof *pv);
    size_t *lv = qx_calloc(npats ? npats : 1, sizeof *lv);
    if (!pv || !lv) {
      free(pv);
      free(lv);
      rc = cli_fail("grep: out of memory");
      goto out;
    }
    size_t off = 0;
    for (size_t i = 0; i < npats; i++) {
      memcpy(&lv[i], pats.data + off, sizeof(size_t));
      pv[i] = (const char *)pats.data + off + sizeof(size_t);
      off += sizeof(size_t) + lv[i];
    }
    int crc = rank ? 0 : qx_grep_compile(&r.m, pv, lv, npats, &mo);
    free(pv);
    free(lv);
    if (crc < 0) {
      rc = cli_fail("%s", quarry_error_last());
      goto out;
    }
  }

  int nops = argc - optind;
  if (rank) {
    ro.query = (const char *)pats.data + sizeof(size_t);
    /* the query is the first pattern; NUL-terminate it in place */
    size_t qlen;
    memcpy(&qlen, pats.data, sizeof qlen);
    char *q = qx_strndup(ro.query, qlen);
    ro.query = q;
    ro.mode = rank;
    if (r.color && !r.json) { /* highlighted terms only */ }
  }
  if (index_dir) {
    grep_out_epipe_status = 0;
    rc = grep_index_main(&r, &ro, rank, index_dir, argv + optind, nops, opt_H, opt_h);
    if (rank) free((char *)ro.query);
    goto out;
  }
  walk w = {&r, rules, nrules, xdirs, nxdirs, recursive, deref, opt_H, opt_h, nops, NULL};
  if (rank && (rc = grep_rank_begin(&w.ranker, &r, &ro))) {
    free((char *)ro.query);
    goto out;
  }
  grep_out_epipe_status = 0;
  if (nops == 0) {
    if (recursive) {
      w.nops = 1;
      grep_path(&w, ".", true, true);
    } else {
      grep_path(&w, "-", true, false);
    }
  } else {
    for (int i = optind; i < argc; i++) grep_path(&w, argv[i], true, false);
  }
  grep_out_flush();
  rc = r.errseen ? 2 : r.any_selected ? 0 : 1;
  if (w.ranker) {
    rc = grep_rank_end(w.ranker);
    free((char *)ro.query);
  }
out:
  if (rc == -1) rc = 0;
  qx_grep_free(r.m);
  free(r.rbuf);
  free(rules);
  free(xdirs);
  free(colors_env);
  qx_buf_free(&pats);
  return rc;
}
