/*
 * bench_text.c: throughput of the text analyzer (text/), the stage every
 * indexed byte and every `grep --rank` line goes through.
 *
 *   bench_text [-l fr|en|none] [-n REPS] [-r RUNS] [--keep-stop] [--no-stem] FILE...
 *
 * Concatenates the files REPS times (default 5000: the seeds give ~85 MB),
 * analyses the buffer RUNS times (default 3) with one analyzer and prints
 * the median as JSON: bytes, tokens, seconds, MB/s, Mtokens/s, and the
 * same from the thread's CPU time (steadier on a shared, loaded machine).
 * A checksum of the terms keeps the compiler from dropping the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qx_common.h"
#include "qx_text.h"

typedef struct sink {
  size_t tokens;
  uint64_t sum;
} sink;

static int on_token(void *ctx, const qx_token *t) {
  sink *s = ctx;
  s->tokens++;
  s->sum += t->term_len * 31u + (uint8_t)t->term[0] + t->pos;
  return 0;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  qx_lang lang = QX_LANG_FR;
  long reps = 5000, runs = 3;
  int flags = 0, nfiles = 0;
  const char *files[64];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-l") && i + 1 < argc) {
      if (qx_lang_parse(&lang, argv[++i])) {
        fprintf(stderr, "quarry: %s\n", quarry_error_last());
        return 2;
      }
    } else if (!strcmp(argv[i], "-n") && i + 1 < argc) reps = atol(argv[++i]);
    else if (!strcmp(argv[i], "-r") && i + 1 < argc) runs = atol(argv[++i]);
    else if (!strcmp(argv[i], "--keep-stop")) flags |= QX_ANALYZE_KEEP_STOP;
    else if (!strcmp(argv[i], "--no-stem")) flags |= QX_ANALYZE_NO_STEM;
    else if (argv[i][0] != '-' && nfiles < 64) files[nfiles++] = argv[i];
    else {
      fprintf(stderr, "usage: bench_text [-l fr|en|none] [-n REPS] [-r RUNS] [--keep-stop] [--no-stem] FILE...\n");
      return 2;
    }
  }
  if (!nfiles || reps < 1 || runs < 1 || runs > 100) {
    fprintf(stderr, "quarry: bench_text needs at least one FILE, REPS >= 1, 1 <= RUNS <= 100\n");
    return 2;
  }
  qx_buf one = {0}, all = {0};
  for (int i = 0; i < nfiles; i++) {
    char *s;
    size_t n;
    if (qx_file_read(&s, &n, files[i])) {
      fprintf(stderr, "quarry: %s\n", quarry_error_last());
      return 2;
    }
    if (qx_buf_append(&one, s, n) || qx_buf_putc(&one, '\n')) return 2;
    free(s);
  }
  for (long r = 0; r < reps; r++)
    if (qx_buf_append(&all, one.data, one.len)) {
      fprintf(stderr, "quarry: out of memory\n");
      return 2;
    }
  qx_analyzer *a;
  if (qx_analyzer_new(&a, lang)) {
    fprintf(stderr, "quarry: %s\n", quarry_error_last());
    return 2;
  }
  double t[100], c[100];
  sink s = {0, 0};
  for (long r = 0; r < runs; r++) {
    s.tokens = 0;
    s.sum = 0;
    double t0 = qx_now(), c0 = cpu_now();
    if (qx_analyze(a, (const char *)all.data, all.len, flags, on_token, &s) < 0) return 2;
    t[r] = qx_now() - t0;
    c[r] = cpu_now() - c0;
  }
  qsort(t, (size_t)runs, sizeof t[0], cmp_dbl);
  qsort(c, (size_t)runs, sizeof c[0], cmp_dbl);
  double med = t[runs / 2], cmed = c[runs / 2];
  printf("{\"bench\":\"text\",\"lang\":\"%s\",\"bytes\":%zu,\"tokens\":%zu,\"seconds\":%.4f,"
         "\"mb_per_s\":%.1f,\"mtokens_per_s\":%.2f,\"cpu_seconds\":%.4f,\"cpu_mb_per_s\":%.1f,"
         "\"checksum\":%llu}\n",
         qx_lang_name(lang), all.len, s.tokens, med, all.len / med / 1e6, s.tokens / med / 1e6, cmed, all.len / cmed / 1e6,
         (unsigned long long)s.sum);
  qx_analyzer_free(a);
  qx_buf_free(&one);
  qx_buf_free(&all);
  return 0;
}
