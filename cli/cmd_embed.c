/*
 * cmd_embed.c: `quarry embed [--model M] [--query|--passage] [--ids] [-0]`,
 * reads texts on stdin (one per line, or NUL-separated with -0) and prints
 * each text's embedding as a JSON array on its own line (L2-normalised,
 * model dimension). With --ids each line is an object
 * {"ids": [...], "windows": N, "embedding": [...]} giving the token ids fed
 * to the encoder (prefix and specials included, before windowing). Used by
 * people who want vectors from the shell and by the encoder reference tests.
 * Inputs too long for one window are embedded as overlapping windows; the
 * count is reported on stderr, never silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_cli.h"
#include "qx_common.h"
#include "qx_embed.h"

static const char *usage_text =
    "usage: quarry embed [--model M] [--query | --passage] [--ids] [--first-window] [--batch N] [--time] [-0]\n"
    "Embed each line of stdin; print one JSON array of floats per line.\n"
    "  --model M    model name (multilingual-e5-small, all-MiniLM-L6-v2), folder or E5S1 file\n"
    "               (default: $QUARRY_MODEL, else " QX_DEFAULT_MODEL ")\n"
    "  --query      embed as queries (E5: \"query: \" prefix)\n"
    "  --passage    embed as passages (E5: \"passage: \" prefix; the default)\n"
    "  --ids        print {\"ids\":[...],\"windows\":N,\"embedding\":[...]} per line\n"
    "  --first-window  embed a text longer than the model's window from its first window\n"
    "               (truncation, as the indexer does for passages) instead of the mean of all windows\n"
    "  --batch N    texts per encoder call (default 64)\n"
    "  --time       print load time, throughput and per-call latency (p50, p95) on stderr\n"
    "  -0           texts are NUL-separated instead of one per line\n";

typedef struct texts {
  char **s;
  size_t *len, n, cap;
} texts;

static void texts_clear(texts *t) {
  for (size_t i = 0; i < t->n; i++) free(t->s[i]);
  t->n = 0;
}

/* Per-call times for --time (seconds). */
typedef struct timings {
  double *v;
  size_t n, cap;
} timings;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int print_batch(qx_model *m, qx_embed_kind kind, texts *t, float *vec, int ids_too, int first_window,
                       timings *tm) {
  int dim = qx_model_dim(m);
  double t0 = qx_now();
  if (qx_embed_batch(m, kind, (const char *const *)t->s, t->len, t->n, vec))
    return cli_fail_lib("embed");
  if (!qx_grow((void **)&tm->v, &tm->cap, tm->n + 1, sizeof *tm->v)) tm->v[tm->n++] = qx_now() - t0;
  for (size_t i = 0; i < t->n; i++) {
    if (ids_too) {
      int32_t *ids;
      size_t n;
      if (qx_model_tokenize(m, kind, t->s[i], t->len[i], &ids, &n)) return cli_fail_lib("embed");
      size_t c = (size_t)qx_model_max_tokens(m) - 2, content = n >= 2 ? n - 2 : 0, win = 1;
      if (content > c && !first_window) win = (content - c / 8 - 1) / (c - c / 8) + 1;
      fputs("{\"ids\":[", stdout);
      for (size_t k = 0; k < n; k++) printf(k ? ",%d" : "%d", ids[k]);
      printf("],\"windows\":%zu,\"embedding\":", win);
      free(ids);
    }
    putchar('[');
    for (int k = 0; k < dim; k++) printf(k ? ",%.8g" : "%.8g", vec[i * (size_t)dim + (size_t)k]);
    fputs(ids_too ? "]}\n" : "]\n", stdout);
  }
  return 0;
}

int cmd_embed(int argc, char **argv) {
  const char *model = getenv("QUARRY_MODEL");
  qx_embed_kind kind = QX_EMBED_PASSAGE;
  int ids_too = 0, nul = 0, timing = 0, first_window = 0;
  long batch = 64;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
    else if (!strcmp(argv[i], "--query")) kind = QX_EMBED_QUERY;
    else if (!strcmp(argv[i], "--passage")) kind = QX_EMBED_PASSAGE;
    else if (!strcmp(argv[i], "--ids")) ids_too = 1;
    else if (!strcmp(argv[i], "--first-window")) first_window = 1;
    else if (!strcmp(argv[i], "--time")) timing = 1;
    else if (!strcmp(argv[i], "-0")) nul = 1;
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
      char *end;
      batch = strtol(argv[++i], &end, 10);
      if (*end || batch < 1 || batch > 100000) return cli_fail("embed: bad --batch '%s'", argv[i]);
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_text, stdout);
      return 0;
    } else {
      fputs(usage_text, stderr);
      return cli_fail("embed: unknown option '%s'", argv[i]);
    }
  }
  double t0 = qx_now();
  qx_model *m;
  if (qx_model_load(&m, model)) return cli_fail_lib("embed: cannot load model");
  if (first_window) qx_model_set_long(m, QX_LONG_FIRST);
  double t_load = qx_now() - t0;
  texts t = {0};
  timings tm = {0};
  float *vec = malloc((size_t)batch * (size_t)qx_model_dim(m) * sizeof(float));
  t.s = calloc((size_t)batch, sizeof *t.s);
  t.len = calloc((size_t)batch, sizeof *t.len);
  int rc = 0;
  if (!vec || !t.s || !t.len) rc = cli_fail("embed: out of memory");
  char *line = NULL;
  size_t cap = 0, total = 0;
  ssize_t n;
  t0 = qx_now();
  while (!rc && (n = getdelim(&line, &cap, nul ? '\0' : '\n', stdin)) >= 0) {
    if (n > 0 && line[n - 1] == (nul ? '\0' : '\n')) n--;
    if (!(t.s[t.n] = qx_strndup(line, (size_t)n))) {
      rc = cli_fail("embed: out of memory");
      break;
    }
    t.len[t.n++] = (size_t)n;
    if (t.n == (size_t)batch) {
      rc = print_batch(m, kind, &t, vec, ids_too, first_window, &tm);
      total += t.n;
      texts_clear(&t);
    }
  }
  if (!rc && t.n) {
    rc = print_batch(m, kind, &t, vec, ids_too, first_window, &tm);
    total += t.n;
  }
  double dt = qx_now() - t0;
  texts_clear(&t);
  free(line);
  if (!rc && fflush(stdout) != 0 && errno != EPIPE)
    rc = cli_fail("embed: write error: %s", strerror(errno));
  if (!rc && qx_model_windowed(m))
    fprintf(stderr,
            "quarry: embed: %llu input(s) longer than %d tokens were embedded %s (see embed/README.md)\n",
            (unsigned long long)qx_model_windowed(m), qx_model_max_tokens(m),
            first_window ? "from their first window (truncated)" : "as overlapping windows (token-weighted mean)");
  if (timing && !rc) {
    double enc = 0;
    for (size_t i = 0; i < tm.n; i++) enc += tm.v[i];
    qsort(tm.v, tm.n, sizeof *tm.v, cmp_double);
    fprintf(stderr,
            "%s (dim %d): loaded in %.1f ms; %zu texts in %.3f s (%.3f s in the encoder): "
            "%.1f texts/s; per call of %ld: p50 %.2f ms, p95 %.2f ms\n",
            qx_model_name(m), qx_model_dim(m), t_load * 1e3, total, dt, enc,
            enc > 0 ? (double)total / enc : 0.0, batch, tm.n ? tm.v[tm.n / 2] * 1e3 : 0.0,
            tm.n ? tm.v[(tm.n * 95) / 100 < tm.n ? (tm.n * 95) / 100 : tm.n - 1] * 1e3 : 0.0);
  }
  free(tm.v);
  free(t.s);
  free(t.len);
  free(vec);
  qx_model_free(m);
  return rc;
}
