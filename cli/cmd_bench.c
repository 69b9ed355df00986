/*
 * cmd_bench.c: `quarry bench -x DIR --queries FILE [-k N[,N...]] [--mode bm25]
 * [--json] [--latencies] [--threads N] [--repeat R] [--budget S] [--k1 X] [--b Y]`
 *
 * Query latency through the public API, with the protocol of the peer
 * runners in bench/peers (so the numbers compare): the index is opened once;
 * for each k, one untimed warm pass over the queries, then R timed passes,
 * single thread, a query's latency being the median of its R timings (a
 * shared machine interrupts a few calls; the median drops those without
 * hiding slow queries); the thread's CPU time per query is kept too (on a
 * loaded machine it is the steadier measure). Reported: p50, p95, p99, max, mean, QPS on one
 * thread (1 / mean) and with N threads (each with its own index handle,
 * queries dealt from a shared counter, R passes). Per stage:
 *   analyse   parsing and analysing the query text (qx_query_parse);
 *   retrieve  the rest of quarry_search: postings, scoring, top-k, hit
 *             metadata (per query: search latency - analyse);
 *   fuse      hybrid only (not in this build: bm25 is the only mode);
 *   snippets  quarry_snippet for the first 10 hits (not part of latency,
 *             as the peers make none).
 * Each timed phase stops after --budget seconds (the queries come in random
 * order, so a prefix is a fair sample; "n" says how many were timed).
 * Output: a table, or with --json one object (bench/README.md documents the
 * fields; --latencies adds every query's latency for the driver).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qx_cli.h"
#include "qx_search.h"
#include "quarry.h"

static const char usage[] =
    "usage: quarry bench [-x DIR] --queries FILE [-k N[,N...]] [--mode bm25|vector|hybrid] [--json]\n"
    "                    [--latencies] [--threads N] [--repeat R] [--budget S] [--k1 X] [--b Y]\n"
    "  -x, --index DIR     index directory (default: $QUARRY_INDEX or .quarry)\n"
    "      --queries FILE  one query per line (quarry's query syntax)\n"
    "  -k N[,N...]         hits per query, one benchmark per value (default 10)\n"
    "      --mode M        bm25 (default; vector and hybrid need an index with vectors)\n"
    "      --json          one JSON object instead of the table\n"
    "      --latencies     with --json: every query's latency (us) and hit count\n"
    "      --threads N     threads for the throughput run (default: all cores)\n"
    "      --repeat R      timed passes; a query's latency is the median of its R timings (default 3)\n"
    "      --budget S      stop each timed phase after S seconds (default 60)\n"
    "      --k1 X, --b Y   BM25 parameters (default 0.9, 0.4)\n";

#define MAX_KS 8
#define SNIPPET_HITS 10

typedef struct bench_cfg {
  const char *dir;
  char **queries;
  size_t nq;
  quarry_search_opts so;
  uint32_t repeat, threads;
  double budget;
} bench_cfg;

typedef struct summary {
  double p50, p95, p99, max, mean;
} summary;

typedef struct kresult {
  uint32_t k;
  size_t n;         /* queries timed */
  double *lat;      /* [n] median latency per query, us */
  double *cpu;      /* [n] median thread CPU time per query, us */
  uint32_t *hits;   /* [n] hits per query */
  summary all, cpu_all, analyse, retrieve, snippets;
  size_t n_stage;   /* queries measured for the stages */
  double qps1, qpsn;
  uint64_t errors;  /* queries rejected (QUARRY_EINVAL), timed anyway */
} kresult;

static double clock_us(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static double now_us(void) { return clock_us(CLOCK_MONOTONIC); }
/* CPU time of the calling thread: what a loaded machine barely disturbs. */
static double cpu_us(void) { return clock_us(CLOCK_THREAD_CPUTIME_ID); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentiles over a copy (the driver uses the same rule). */
static int summarize(summary *s, const double *v, size_t n) {
  memset(s, 0, sizeof *s);
  if (!n) return 0;
  double *c = malloc(n * sizeof *c);
  if (!c) return -1;
  memcpy(c, v, n * sizeof *c);
  qsort(c, n, sizeof *c, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += c[i];
  size_t r50 = (n * 50 + 99) / 100, r95 = (n * 95 + 99) / 100, r99 = (n * 99 + 99) / 100;
  s->p50 = c[r50 ? r50 - 1 : 0];
  s->p95 = c[r95 ? r95 - 1 : 0];
  s->p99 = c[r99 ? r99 - 1 : 0];
  s->max = c[n - 1];
  s->mean = sum / (double)n;
  free(c);
  return 0;
}

/* One search; returns its latency (us), its thread CPU time in *cpu (may be
 * NULL), the hit count in *hits, or -1 on a hard error (message in
 * quarry_error_last). QUARRY_EINVAL counts as an answered query with no hit
 * (a query the syntax rejects is still timed). */
static double one_search(quarry_index *ix, const char *q, const quarry_search_opts *so, uint32_t *hits,
                         uint64_t *errors, double *cpu) {
  quarry_results *r = NULL;
  double c0 = cpu ? cpu_us() : 0, t0 = now_us();
  int rc = quarry_search(&r, ix, q, so);
  double dt = now_us() - t0;
  if (cpu) *cpu = cpu_us() - c0;
  if (rc == QUARRY_EINVAL) {
    ++*errors;
    *hits = 0;
    return dt;
  }
  if (rc) return -1;
  *hits = (uint32_t)quarry_results_count(r);
  quarry_results_free(r);
  return dt;
}

static int load_queries(bench_cfg *c, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return cli_fail("--queries %s: %s", path, strerror(errno));
  char *line = NULL;
  size_t cap = 0, qcap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, f)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    size_t sp = strspn(line, " \t");
    if (!line[sp]) continue;
    if (c->nq == qcap) {
      qcap = qcap ? qcap * 2 : 256;
      char **nqs = realloc(c->queries, qcap * sizeof *nqs);
      if (!nqs) break;
      c->queries = nqs;
    }
    if (!(c->queries[c->nq] = strdup(line))) break;
    c->nq++;
  }
  int bad = ferror(f) || !feof(f);
  free(line);
  fclose(f);
  if (bad) return cli_fail("--queries %s: read error or out of memory", path);
  if (!c->nq) return cli_fail("--queries %s: no query in the file", path);
  return 0;
}

/* ---- throughput with N threads --------------------------------------------- */
typedef struct tp_shared {
  const bench_cfg *c;
  quarry_search_opts so;
  size_t total; /* queries to deal: repeat passes over the list */
  atomic_size_t next;
  atomic_int failed;
  double deadline;
} tp_shared;

static void *tp_worker(void *arg) {
  tp_shared *s = arg;
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, s->c->dir)) {
    atomic_store(&s->failed, 1);
    return NULL;
  }
  uint64_t errors = 0;
  for (;;) {
    size_t i = atomic_fetch_add(&s->next, 1);
    if (i >= s->total || now_us() > s->deadline) break;
    uint32_t h;
    if (one_search(ix, s->c->queries[i % s->c->nq], &s->so, &h, &errors, NULL) < 0) {
      atomic_store(&s->failed, 1);
      break;
    }
  }
  quarry_index_close(ix);
  return NULL;
}

static int throughput(double *qps, const bench_cfg *c, const quarry_search_opts *so) {
  tp_shared s = {.c = c, .so = *so, .total = c->nq * c->repeat};
  atomic_init(&s.next, 0);
  atomic_init(&s.failed, 0);
  pthread_t th[256];
  uint32_t nt = c->threads > 256 ? 256 : c->threads, started = 0;
  double t0 = now_us();
  s.deadline = t0 + c->budget * 1e6;
  for (uint32_t i = 0; i < nt; i++)
    if (!pthread_create(&th[i], NULL, tp_worker, &s)) started++;
  for (uint32_t i = 0; i < started; i++) pthread_join(th[i], NULL);
  double wall = now_us() - t0;
  size_t done = atomic_load(&s.next);
  if (done > s.total) done = s.total;
  if (atomic_load(&s.failed) || !started) return -1;
  *qps = wall > 0 ? (double)done / (wall / 1e6) : 0;
  return 0;
}

/* ---- one k ------------------------------------------------------------------ */
static int bench_k(kresult *kr, quarry_index *ix, qx_analyzer *an, const bench_cfg *c, uint32_t k) {
  quarry_search_opts so = c->so;
  so.k = k;
  kr->k = k;
  size_t nq = c->nq;
  double *times = calloc(nq * c->repeat, sizeof *times), *cpus = calloc(nq * c->repeat, sizeof *cpus);
  uint32_t *nt = calloc(nq, sizeof *nt);
  kr->lat = calloc(nq, sizeof *kr->lat);
  kr->cpu = calloc(nq, sizeof *kr->cpu);
  kr->hits = calloc(nq, sizeof *kr->hits);
  double *an_us = calloc(nq, sizeof *an_us), *rt_us = calloc(nq, sizeof *rt_us), *sn_us = calloc(nq, sizeof *sn_us);
  int rc = -1;
  if (!times || !cpus || !kr->cpu || !nt || !kr->lat || !kr->hits || !an_us || !rt_us || !sn_us) {
    cli_fail("out of memory");
    goto out;
  }
  uint32_t h;
  uint64_t warm_errors = 0;
  double end = now_us() + c->budget * 1e6;
  for (size_t i = 0; i < nq && now_us() < end; i++) /* warm-up pass */
    if (one_search(ix, c->queries[i], &so, &h, &warm_errors, NULL) < 0) goto fail;
  end = now_us() + c->budget * 1e6;
  for (uint32_t r = 0; r < c->repeat && now_us() < end; r++)
    for (size_t i = 0; i < nq && now_us() < end; i++) {
      uint64_t *errs = r == 0 ? &kr->errors : &warm_errors;
      double u, t = one_search(ix, c->queries[i], &so, &h, errs, &u);
      if (t < 0) goto fail;
      cpus[i * c->repeat + nt[i]] = u;
      times[i * c->repeat + nt[i]++] = t;
      if (r == 0) kr->hits[i] = h;
    }
  for (size_t i = 0; i < nq && nt[i]; i++) {
    qsort(times + i * c->repeat, nt[i], sizeof *times, cmp_double);
    qsort(cpus + i * c->repeat, nt[i], sizeof *cpus, cmp_double);
    kr->cpu[kr->n] = cpus[i * c->repeat + (nt[i] - 1) / 2];
    kr->lat[kr->n++] = times[i * c->repeat + (nt[i] - 1) / 2];
  }
  if (summarize(&kr->all, kr->lat, kr->n) || summarize(&kr->cpu_all, kr->cpu, kr->n)) goto oom;
  kr->qps1 = kr->all.mean > 0 ? 1e6 / kr->all.mean : 0;

  /* Stages, in their own pass over the timed queries. */
  quarry_snippet_opts sno = QUARRY_SNIPPET_OPTS_INIT;
  end = now_us() + c->budget * 1e6;
  for (size_t i = 0; i < kr->n && now_us() < end; i++) {
    qx_query q;
    double t0 = now_us();
    int prc = qx_query_parse(&q, an, c->queries[i]);
    an_us[i] = now_us() - t0;
    if (!prc) qx_query_free(&q);
    rt_us[i] = kr->lat[i] > an_us[i] ? kr->lat[i] - an_us[i] : 0;
    quarry_results *res = NULL;
    sn_us[i] = 0;
    if (!quarry_search(&res, ix, c->queries[i], &so)) {
      size_t nh = quarry_results_count(res);
      t0 = now_us();
      for (size_t j = 0; j < nh && j < SNIPPET_HITS; j++) {
        char *snip = NULL;
        if (!quarry_snippet(&snip, ix, res, j, &sno)) quarry_free(snip);
      }
      sn_us[i] = now_us() - t0;
      quarry_results_free(res);
    }
    kr->n_stage = i + 1;
  }
  if (summarize(&kr->analyse, an_us, kr->n_stage) || summarize(&kr->retrieve, rt_us, kr->n_stage) ||
      summarize(&kr->snippets, sn_us, kr->n_stage))
    goto oom;
  if (throughput(&kr->qpsn, c, &so)) goto fail;
  rc = 0;
  goto out;
oom:
  cli_fail("out of memory");
  goto out;
fail:
  cli_fail_lib("bench -k %u", k);
out:
  free(times), free(cpus), free(nt), free(an_us), free(rt_us), free(sn_us);
  return rc;
}

/* ---- output -------------------------------------------------------------------- */
static void json_summary(const char *name, const summary *s, int comma) {
  printf("%s\"%s\":{\"p50_us\":%.3f,\"p95_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,\"mean_us\":%.3f}",
         comma ? "," : "", name, s->p50, s->p95, s->p99, s->max, s->mean);
}

static void print_json(const bench_cfg *c, const quarry_index_info *info, double open_us, const kresult *kr,
                       size_t nk, int latencies) {
  printf("{\"index\":");
  cli_json_str(stdout, c->dir, strlen(c->dir));
  printf(",\"passages\":%llu,\"index_bytes\":%llu,\"open_us\":%.1f,\"mode\":\"bm25\",\"queries\":%zu,"
         "\"repeat\":%u,\"threads\":%u,\"k1\":%g,\"b\":%g,\"k\":{",
         (unsigned long long)info->passages, (unsigned long long)info->bytes, open_us, c->nq, c->repeat,
         c->threads, c->so.k1, c->so.b);
  for (size_t j = 0; j < nk; j++) {
    const kresult *r = &kr[j];
    printf("%s\"%u\":{\"n\":%zu,\"p50_us\":%.3f,\"p95_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,\"mean_us\":%.3f,"
           "\"qps_1\":%.1f,\"qps_threads\":%.1f,\"rejected\":%llu,\"clocks\":{",
           j ? "," : "", r->k, r->n, r->all.p50, r->all.p95, r->all.p99, r->all.max, r->all.mean, r->qps1, r->qpsn,
           (unsigned long long)r->errors);
    json_summary("cpu", &r->cpu_all, 0);
    printf("}");
    printf(",\"stages\":{");
    json_summary("analyse", &r->analyse, 0);
    json_summary("retrieve", &r->retrieve, 1);
    json_summary("snippets", &r->snippets, 1);
    printf(",\"n\":%zu}", r->n_stage);
    if (latencies) {
      printf(",\"lat_us\":[");
      for (size_t i = 0; i < r->n; i++) printf("%s%.3f", i ? "," : "", r->lat[i]);
      printf("],\"cpu_us\":[");
      for (size_t i = 0; i < r->n; i++) printf("%s%.3f", i ? "," : "", r->cpu[i]);
      printf("],\"hits\":[");
      for (size_t i = 0; i < r->n; i++) printf("%s%u", i ? "," : "", r->hits[i]);
      printf("]");
    }
    printf("}");
  }
  printf("}}\n");
}

static void print_table(const bench_cfg *c, const quarry_index_info *info, double open_us, const kresult *kr,
                        size_t nk) {
  char hb[32];
  printf("index %s: %llu passages, %s, opened in %.0f us; %zu queries, mode bm25 (k1 %g, b %g)\n", c->dir,
         (unsigned long long)info->passages, cli_human_bytes(hb, sizeof hb, info->bytes), open_us, c->nq,
         c->so.k1, c->so.b);
  printf("latency per query in us (single thread, warm, median of %u passes)\n\n", c->repeat);
  printf("%6s %7s %9s %9s %9s %9s %9s %10s %10s\n", "k", "queries", "p50", "p95", "p99", "max", "mean", "QPS 1",
         "QPS");
  for (size_t j = 0; j < nk; j++) {
    const kresult *r = &kr[j];
    printf("%6u %7zu %9.1f %9.1f %9.1f %9.1f %9.1f %10.0f %10.0f\n", r->k, r->n, r->all.p50, r->all.p95,
           r->all.p99, r->all.max, r->all.mean, r->qps1, r->qpsn);
  }
  for (size_t j = 0; j < nk; j++)
    printf("%6u %7s %9.1f %9.1f %9.1f %9.1f %9.1f   (thread CPU time)\n", kr[j].k, "", kr[j].cpu_all.p50,
           kr[j].cpu_all.p95, kr[j].cpu_all.p99, kr[j].cpu_all.max, kr[j].cpu_all.mean);
  printf("\n(last column: %u threads)\n\nstages (us)    %9s %9s %9s %9s\n", c->threads, "p50", "p99", "mean",
         "max");
  for (size_t j = 0; j < nk; j++) {
    const kresult *r = &kr[j];
    const summary *s[3] = {&r->analyse, &r->retrieve, &r->snippets};
    static const char *names[3] = {"analyse", "retrieve", "snippets"};
    for (int i = 0; i < 3; i++)
      printf("k=%-5u %-8s %9.1f %9.1f %9.1f %9.1f\n", r->k, names[i], s[i]->p50, s[i]->p99, s[i]->mean,
             s[i]->max);
  }
  for (size_t j = 0; j < nk; j++)
    if (kr[j].errors) printf("k=%u: %llu queries rejected by the parser (timed anyway)\n", kr[j].k,
                             (unsigned long long)kr[j].errors);
}

static int parse_ks(uint32_t *ks, size_t *nk, const char *s) {
  *nk = 0;
  while (*s) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || v < 1 || v > 1000000 || *nk == MAX_KS || (*end && *end != ',')) return -1;
    ks[(*nk)++] = (uint32_t)v;
    s = *end ? end + 1 : end;
  }
  return *nk ? 0 : -1;
}

int cmd_bench(int argc, char **argv) {
  static const struct option longopts[] = {
      {"index", required_argument, 0, 'x'},   {"queries", required_argument, 0, 'Q'},
      {"mode", required_argument, 0, 'M'},    {"json", no_argument, 0, 'J'},
      {"latencies", no_argument, 0, 'L'},     {"threads", required_argument, 0, 'T'},
      {"repeat", required_argument, 0, 'R'},  {"budget", required_argument, 0, 'B'},
      {"k1", required_argument, 0, '1'},      {"b", required_argument, 0, 'b'},
      {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
  bench_cfg c = {.so = QUARRY_SEARCH_OPTS_INIT, .repeat = 3, .budget = 60};
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  c.threads = nproc > 0 ? (uint32_t)nproc : 1;
  const char *qpath = NULL, *dir = NULL, *mode = "bm25";
  uint32_t ks[MAX_KS] = {10};
  size_t nk = 1;
  int json = 0, latencies = 0, ch;
  char *end;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "x:k:h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'x': dir = optarg; break;
    case 'Q': qpath = optarg; break;
    case 'k':
      if (parse_ks(ks, &nk, optarg)) return cli_fail("-k: expected N[,N...] with 1 <= N <= 1000000, got '%s'", optarg);
      break;
    case 'M': mode = optarg; break;
    case 'J': json = 1; break;
    case 'L': latencies = 1; break;
    case 'T': {
      unsigned long v = strtoul(optarg, &end, 10);
      if (*end || end == optarg || v < 1 || v > 256) return cli_fail("--threads: expected 1..256, got '%s'", optarg);
      c.threads = (uint32_t)v;
      break;
    }
    case 'R': {
      unsigned long v = strtoul(optarg, &end, 10);
      if (*end || end == optarg || v < 1 || v > 100) return cli_fail("--repeat: expected 1..100, got '%s'", optarg);
      c.repeat = (uint32_t)v;
      break;
    }
    case 'B':
      c.budget = strtod(optarg, &end);
      if (*end || end == optarg || !(c.budget > 0 && c.budget < 1e6))
        return cli_fail("--budget: expected seconds > 0, got '%s'", optarg);
      break;
    case '1':
      c.so.k1 = strtod(optarg, &end);
      if (*end || end == optarg || !(c.so.k1 >= 0 && c.so.k1 < 1e6)) return cli_fail("--k1: bad value '%s'", optarg);
      break;
    case 'b':
      c.so.b = strtod(optarg, &end);
      if (*end || end == optarg || !(c.so.b >= 0 && c.so.b <= 1)) return cli_fail("--b: expected 0..1, got '%s'", optarg);
      break;
    case 'h': fputs(usage, stdout); return 0;
    default: fputs(usage, stderr); return 2;
    }
  }
  if (optind < argc) return cli_fail("bench: unexpected argument '%s' (try 'quarry bench --help')", argv[optind]);
  if (!qpath) return cli_fail("bench: --queries FILE is required (try 'quarry bench --help')");
  if (strcmp(mode, "bm25")) {
    if (!strcmp(mode, "vector") || !strcmp(mode, "hybrid"))
      return cli_fail("bench --mode %s: not available in this build yet (bm25 only)", mode);
    return cli_fail("bench --mode: expected bm25, vector or hybrid, got '%s'", mode);
  }
  c.dir = cli_index_dir(dir);
  int rc = load_queries(&c, qpath);
  quarry_index *ix = NULL;
  qx_analyzer *an = NULL;
  kresult kr[MAX_KS];
  memset(kr, 0, sizeof kr);
  quarry_index_info info;
  double open_us = 0;
  if (rc) goto out;
  double t0 = now_us();
  if (quarry_index_open(&ix, c.dir)) {
    rc = cli_fail_lib("bench: cannot open index %s", c.dir);
    goto out;
  }
  open_us = now_us() - t0;
  if (quarry_index_stat(&info, ix) || qx_analyzer_new(&an, ix->lang)) {
    rc = cli_fail_lib("bench: %s", c.dir);
    goto out;
  }
  for (size_t j = 0; j < nk; j++)
    if (bench_k(&kr[j], ix, an, &c, ks[j])) {
      rc = 2;
      goto out;
    }
  if (json) print_json(&c, &info, open_us, kr, nk, latencies);
  else print_table(&c, &info, open_us, kr, nk);
  if (fflush(stdout) || ferror(stdout)) rc = 2;
out:
  for (size_t j = 0; j < MAX_KS; j++) free(kr[j].lat), free(kr[j].cpu), free(kr[j].hits);
  for (size_t i = 0; i < c.nq; i++) free(c.queries[i]);
  free(c.queries);
  qx_analyzer_free(an);
  quarry_index_close(ix);
  return rc;
}
