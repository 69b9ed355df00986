/*
 * cmd_tokenize.c: `quarry tokenize [--model PATH] [--tokens] [-0] [TEXT...]`,
 * a debugging tool: prints the token ids (or tokens) the model's tokenizer
 * gives each text, with the special tokens around them and no truncation.
 * Texts come from the arguments, or from stdin one per line (NUL-separated
 * with -0). PATH is a tokenizer.json, an uncased BERT vocab.txt, an E5S1
 * file (.bin), or a model directory holding one of them. Used by the tokenizer reference tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_cli.h"
#include "qx_common.h"
#include "qx_tokenizer.h"

static const char *usage_text =
    "usage: quarry tokenize [--model PATH] [--tokens] [--time] [-0] [TEXT...]\n"
    "  --model PATH  tokenizer.json, BERT vocab.txt (uncased), E5S1 model file, a model\n"
    "                folder, or a model name in the cache (default: multilingual-e5-small)\n"
    "  --tokens      print token strings instead of ids\n"
    "  --time        print throughput (tokens/s) on stderr\n"
    "  -0            stdin texts are NUL-separated instead of one per line\n";

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Load the tokenizer of a model path (file or directory). */
static int load(qx_tokenizer **t, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return qx_err_errno(QUARRY_ENOTFOUND, "%s", path);
  if (is_file(path)) {
    size_t n = strlen(path);
    if (n >= 5 && !strcmp(path + n - 5, ".json")) return qx_tokenizer_load_hf(t, path);
    if (n >= 4 && !strcmp(path + n - 4, ".txt")) return qx_tokenizer_load_vocab_txt(t, path, 1);
    return qx_tokenizer_load_e5s1(t, path);
  }
  const char *names[] = {"tokenizer.json", "e5-small-q4.bin"};
  for (size_t i = 0; i < QX_ARRAY_LEN(names); i++) {
    char *p = qx_path_join(path, names[i]);
    if (!p) return QUARRY_ENOMEM;
    int rc = is_file(p) ? (i == 0 ? qx_tokenizer_load_hf(t, p) : qx_tokenizer_load_e5s1(t, p)) : 1;
    free(p);
    if (rc <= 0) return rc;
  }
  return qx_err(QUARRY_ENOTFOUND, "%s: no tokenizer.json or e5-small-q4.bin there", path);
}

/* A bare name (no '/') that is not a path: its folder in $QUARRY_CACHE/models
 * or ~/.cache/quarry/models, where scripts/fetch-models.sh puts models. */
static char *model_dir(const char *name) {
  struct stat st;
  if (strchr(name, '/') || stat(name, &st) == 0) return qx_strdup(name);
  const char *roots[2] = {getenv("QUARRY_CACHE"), getenv("HOME")};
  const char *sub[2] = {"models", ".cache/quarry/models"};
  for (int i = 0; i < 2; i++) {
    if (!roots[i] || !*roots[i]) continue;
    char *base = qx_path_join(roots[i], sub[i]), *p = base ? qx_path_join(base, name) : NULL;
    free(base);
    if (p && stat(p, &st) == 0) return p;
    free(p);
  }
  return qx_strdup(name);
}

static int print_ids(const qx_tokenizer *t, const char *text, size_t len, int tokens, size_t *count) {
  int32_t *ids;
  size_t n;
  if (qx_tokenizer_encode((qx_tokenizer *)t, text, len, &ids, &n)) return -1;
  for (size_t i = 0; i < n; i++) {
    if (tokens)
      printf(i ? " %s" : "%s", qx_tokenizer_id_to_token(t, ids[i]));
    else
      printf(i ? " %d" : "%d", ids[i]);
  }
  putchar('\n');
  *count += n;
  free(ids);
  return 0;
}

int cmd_tokenize(int argc, char **argv) {
  const char *model = "multilingual-e5-small";
  int tokens = 0, nul = 0, timing = 0, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc)
      model = argv[++i];
    else if (!strcmp(argv[i], "--tokens"))
      tokens = 1;
    else if (!strcmp(argv[i], "--time"))
      timing = 1;
    else if (!strcmp(argv[i], "-0"))
      nul = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_text, stdout);
      return 0;
    } else if (!strcmp(argv[i], "--")) {
      i++;
      break;
    } else {
      fputs(usage_text, stderr);
      return cli_fail("tokenize: unknown option '%s'", argv[i]);
    }
  }
  char *where = model_dir(model);
  qx_tokenizer *t = NULL;
  if (!where || load(&t, where)) {
    int rc = cli_fail_lib("tokenize: cannot load the tokenizer of %s", model);
    free(where);
    return rc;
  }
  free(where);
  size_t count = 0, bytes = 0;
  int rc = 0;
  double t0 = qx_now();
  if (i < argc) {
    for (; i < argc && rc == 0; i++) {
      rc = print_ids(t, argv[i], strlen(argv[i]), tokens, &count);
      bytes += strlen(argv[i]);
    }
  } else {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (rc == 0 && (n = getdelim(&line, &cap, nul ? '\0' : '\n', stdin)) >= 0) {
      if (n > 0 && line[n - 1] == (nul ? '\0' : '\n')) n--;
      rc = print_ids(t, line, (size_t)n, tokens, &count);
      bytes += (size_t)n;
    }
    free(line);
  }
  double dt = qx_now() - t0;
  if (rc)
    rc = cli_fail_lib("tokenize");
  else if (fflush(stdout) != 0 && errno != EPIPE)
    rc = cli_fail("tokenize: write error: %s", strerror(errno));
  if (timing && rc == 0)
    fprintf(stderr, "%zu tokens, %zu bytes in %.3f s: %.0f tokens/s, %.1f MB/s\n", count, bytes, dt,
            dt > 0 ? (double)count / dt : 0.0, dt > 0 ? (double)bytes / dt / 1e6 : 0.0);
  qx_tokenizer_free(t);
  return rc;
}
