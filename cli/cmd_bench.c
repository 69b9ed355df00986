/*
 * cmd_bench.c: `quarry bench -x DIR --queries FILE [-k N[,N...]]
 * [--mode M[,M...]] [--json] [--latencies] [--threads N] [--repeat R]
 * [--budget S] [--k1 X] [--b Y]`
 *
 * Query latency and throughput through the public API, with the protocol of
 * the peer runners in bench/peers (so the numbers compare): the index is
 * opened once; for each mode (bm25, vector, hybrid) and each k, one untimed
 * warm pass over the queries, then R timed passes, single thread, a query's
 * latency being the median of its R timings (a shared machine interrupts a
 * few calls; the median drops those without hiding slow queries); the
 * thread's CPU time per query is kept too (on a loaded machine it is the
 * steadier measure). Reported: p50, p95, p99, max, mean, QPS on one thread
 * (1 / mean) and with N threads (N threads searching the same index handle,
 * as an application would: the library keeps one searcher per concurrent
 * thread; queries dealt from a shared counter, R passes). Per stage, as
 * measured inside quarry_search (quarry_results_times), median of the R
 * timed passes per query:
 *   analyse   parsing and analysing the query text, and embedding it
 *             (vector, hybrid);
 *   retrieve  BM25 evaluation and/or the vector index search, hit metadata;
 *   fuse      vector, hybrid: union of the legs, exact cosines, fusion;
 *   snippets  quarry_snippet for the first 10 hits, in a pass of its own
 *             (not part of the latency, as the peers make none).
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
#include "quarry.h"

static const char usage[] =
    "usage: quarry bench [-x DIR] --queries FILE [-k N[,N...]] [--mode M[,M...]] [--json]\n"
    "                    [--latencies] [--threads N] [--repeat R] [--budget S] [--k1 X] [--b Y]\n"
    "  -x, --index DIR     index directory (default: $QUARRY_INDEX or .quarry)\n"
    "      --queries FILE  one query per line (quarry's query syntax)\n"
    "  -k N[,N...]         hits per query, one benchmark per value (default 10)\n"
    "      --mode M[,M...] bm25 (default), vector, hybrid: one benchmark per mode\n"
    "                      (vector and hybrid need an index built with vectors)\n"
    "      --json          one JSON object instead of the table\n"
    "      --latencies     with --json: every query's latency (us) and hit count\n"
    "      --threads N     threads for the throughput run (default: all cores)\n"
    "      --repeat R      timed passes; a query's latency is the median of its R timings (default 3)\n"
    "      --budget S      stop each timed phase after S seconds (default 60)\n"
    "      --k1 X, --b Y   BM25 parameters (default 0.9, 0.4)\n";

#define MAX_KS 8
#define MAX_MODES 3
#define SNIPPET_HITS 10
#define NSTAGES 3 /* analyse, retrieve, fuse (from quarry_results_times) */

static const char *const stage_names[NSTAGES + 1] = {"analyse", "retrieve", "fuse", "snippets"};
static const char *const mode_names[] = {"auto", "bm25", "vector", "hybrid"};

typedef struct bench_cfg {
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
  quarry_mode mode;
  uint32_t k;
  size_t n;         /* queries timed */
  double *lat;      /* [n] median latency per query, us */
  double *cpu;      /* [n] median thread CPU time per query, us */
  uint32_t *hits;   /* [n] hits per query */
  summary all, cpu_all, stage[NSTAGES + 1];
  size_t n_snip;    /* queries measured for snippets */
  double qps1, qpsn;
  double tp_wall, tp_cpu; /* throughput run: seconds of wall and of process CPU time */
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

/* Median of v[0..n) (sorts v in place). */
static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  return n ? v[(n - 1) / 2] : 0;
}

/* One search; returns its latency (us), its thread CPU time in *cpu and its
 * stage times in *st (both may be NULL), the hit count in *hits, or -1 on a
 * hard error (message in quarry_error_last). QUARRY_EINVAL counts as an
 * answered query with no hit (a query the syntax rejects is still timed). */
static double one_search(quarry_index *ix, const char *q, const quarry_search_opts *so, uint32_t *hits,
                         uint64_t *errors, double *cpu, quarry_search_times *st) {
  quarry_results *r = NULL;
  double c0 = cpu ? cpu_us() : 0, t0 = now_us();
  int rc = quarry_search(&r, ix, q, so);
  double dt = now_us() - t0;
  if (cpu) *cpu = cpu_us() - c0;
  if (st) memset(st, 0, sizeof *st);
  if (rc == QUARRY_EINVAL) {
    ++*errors;
    *hits = 0;
    return dt;
  }
  if (rc) return -1;
  *hits = (uint32_t)quarry_results_count(r);
  if (st) quarry_results_times(st, r);
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

/* ---- throughput with N threads on one index handle ------------------------------- */
typedef struct tp_shared {
  const bench_cfg *c;
  quarry_index *ix;
  quarry_search_opts so;
  size_t total; /* queries to deal: repeat passes over the list */
  atomic_size_t next;
  atomic_int failed;
  double deadline;
} tp_shared;

static void *tp_worker(void *arg) {
  tp_shared *s = arg;
  uint64_t errors = 0;
  for (;;) {
    size_t i = atomic_fetch_add(&s->next, 1);
    if (i >= s->total || now_us() > s->deadline) break;
    uint32_t h;
    if (one_search(s->ix, s->c->queries[i % s->c->nq], &s->so, &h, &errors, NULL, NULL) < 0) {
      atomic_store(&s->failed, 1);
      break;
    }
  }
  return NULL;
}

static int throughput(kresult *kr, quarry_index *ix, const bench_cfg *c, const quarry_search_opts *so) {
  tp_shared s = {.c = c, .ix = ix, .so = *so, .total = c->nq * c->repeat};
  atomic_init(&s.next, 0);
  atomic_init(&s.failed, 0);
  pthread_t th[256];
  uint32_t nt = c->threads > 256 ? 256 : c->threads, started = 0;
  double t0 = now_us(), c0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
  s.deadline = t0 + c->budget * 1e6;
  for (uint32_t i = 0; i < nt; i++)
    if (!pthread_create(&th[i], NULL, tp_worker, &s)) started++;
  for (uint32_t i = 0; i < started; i++) pthread_join(th[i], NULL);
  double wall = now_us() - t0;
  kr->tp_cpu = (clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e6;
  kr->tp_wall = wall / 1e6;
  size_t done = atomic_load(&s.next);
  if (done > s.total) done = s.total;
  if (atomic_load(&s.failed) || !started) return -1;
  kr->qpsn = wall > 0 ? (double)done / (wall / 1e6) : 0;
  return 0;
}

/* ---- one mode and k ------------------------------------------------------------- */
static int bench_k(kresult *kr, quarry_index *ix, const bench_cfg *c, quarry_mode mode, uint32_t k) {
  quarry_search_opts so = c->so;
  so.k = k;
  so.mode = mode;
  kr->k = k;
  kr->mode = mode;
  size_t nq = c->nq, R = c->repeat;
  double *times = calloc(nq * R, sizeof *times), *cpus = calloc(nq * R, sizeof *cpus);
  double *stt = calloc(nq * R * NSTAGES, sizeof *stt); /* [query][stage][repeat] */
  double *stage_us = calloc(nq * (NSTAGES + 1), sizeof *stage_us); /* [stage][query] */
  uint32_t *nt = calloc(nq, sizeof *nt);
  kr->lat = calloc(nq, sizeof *kr->lat);
  kr->cpu = calloc(nq, sizeof *kr->cpu);
  kr->hits = calloc(nq, sizeof *kr->hits);
  int rc = -1;
  if (!times || !cpus || !stt || !stage_us || !kr->cpu || !nt || !kr->lat || !kr->hits) goto oom;
  uint32_t h;
  uint64_t warm_errors = 0;
  double end = now_us() + c->budget * 1e6;
  for (size_t i = 0; i < nq && now_us() < end; i++) /* warm-up pass */
    if (one_search(ix, c->queries[i], &so, &h, &warm_errors, NULL, NULL) < 0) goto fail;
  end = now_us() + c->budget * 1e6;
  for (uint32_t r = 0; r < R && now_us() < end; r++)
    for (size_t i = 0; i < nq && now_us() < end; i++) {
      uint64_t *errs = r == 0 ? &kr->errors : &warm_errors;
      quarry_search_times st;
      double u, t = one_search(ix, c->queries[i], &so, &h, errs, &u, &st);
      if (t < 0) goto fail;
      double *q = stt + i * R * NSTAGES;
      q[0 * R + nt[i]] = st.analyse_us;
      q[1 * R + nt[i]] = st.retrieve_us;
      q[2 * R + nt[i]] = st.fuse_us;
      cpus[i * R + nt[i]] = u;
      times[i * R + nt[i]++] = t;
      if (r == 0) kr->hits[i] = h;
    }
  for (size_t i = 0; i < nq && nt[i]; i++) {
    for (int s = 0; s < NSTAGES; s++) stage_us[s * nq + kr->n] = median(stt + (i * NSTAGES + s) * R, nt[i]);
    kr->cpu[kr->n] = median(cpus + i * R, nt[i]);
    kr->lat[kr->n++] = median(times + i * R, nt[i]);
  }
  if (summarize(&kr->all, kr->lat, kr->n) || summarize(&kr->cpu_all, kr->cpu, kr->n)) goto oom;
  kr->qps1 = kr->all.mean > 0 ? 1e6 / kr->all.mean : 0;

  /* Snippets, in their own pass over the timed queries. */
  double *sn_us = stage_us + NSTAGES * nq;
  quarry_snippet_opts sno = QUARRY_SNIPPET_OPTS_INIT;
  end = now_us() + c->budget * 1e6;
  for (size_t i = 0; i < kr->n && now_us() < end; i++) {
    quarry_results *res = NULL;
    sn_us[i] = 0;
    if (!quarry_search(&res, ix, c->queries[i], &so)) {
      size_t nh = quarry_results_count(res);
      double t0 = now_us();
      for (size_t j = 0; j < nh && j < SNIPPET_HITS; j++) {
        char *snip = NULL;
        if (!quarry_snippet(&snip, ix, res, j, &sno)) quarry_free(snip);
      }
      sn_us[i] = now_us() - t0;
      quarry_results_free(res);
    }
    kr->n_snip = i + 1;
  }
  for (int s = 0; s < NSTAGES; s++)
    if (summarize(&kr->stage[s], stage_us + s * nq, kr->n)) goto oom;
  if (summarize(&kr->stage[NSTAGES], sn_us, kr->n_snip)) goto oom;
  if (throughput(kr, ix, c, &so)) goto fail;
  rc = 0;
  goto out;
oom:
  cli_fail("out of memory");
  goto out;
fail:
  cli_fail_lib("bench --mode %s -k %u", mode_names[mode], k);
out:
  free(times), free(cpus), free(stt), free(stage_us), free(nt);
  return rc;
}

/* ---- output -------------------------------------------------------------------- */
static void json_summary(const char *name, const summary *s, int comma) {
  printf("%s\"%s\":{\"p50_us\":%.3f,\"p95_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,\"mean_us\":%.3f}",
         comma ? "," : "", name, s->p50, s->p95, s->p99, s->max, s->mean);
}

static void json_k(const bench_cfg *c, const kresult *r, int latencies) {
  printf("{\"n\":%zu,\"p50_us\":%.3f,\"p95_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,\"mean_us\":%.3f,"
         "\"qps_1\":%.3f,\"qps_threads\":%.3f,\"threads\":%u,\"threads_wall_s\":%.6f,\"threads_cpu_s\":%.6f,"
         "\"rejected\":%llu,\"clocks\":{",
         r->n, r->all.p50, r->all.p95, r->all.p99, r->all.max, r->all.mean, r->qps1, r->qpsn, c->threads, r->tp_wall,
         r->tp_cpu, (unsigned long long)r->errors);
  json_summary("cpu", &r->cpu_all, 0);
  printf("},\"stages\":{");
  for (int s = 0; s <= NSTAGES; s++) json_summary(stage_names[s], &r->stage[s], s > 0);
  printf(",\"n\":%zu,\"n_snippets\":%zu}", r->n, r->n_snip);
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

/* kr holds nm modes x nk values of k, mode-major. The first mode's results
 * are also at the top level ("mode", "k": the form the driver reads). */
static void print_json(const bench_cfg *c, const char *dir, const quarry_index_info *info, double open_us,
                       const kresult *kr, size_t nm, size_t nk, int latencies) {
  printf("{\"index\":");
  cli_json_str(stdout, dir, strlen(dir));
  printf(",\"passages\":%llu,\"index_bytes\":%llu,\"open_us\":%.1f,\"mode\":\"%s\",\"queries\":%zu,"
         "\"repeat\":%u,\"threads\":%u,\"k1\":%g,\"b\":%g,\"modes\":{",
         (unsigned long long)info->passages, (unsigned long long)info->bytes, open_us, mode_names[kr[0].mode], c->nq,
         c->repeat, c->threads, c->so.k1, c->so.b);
  for (size_t m = 0; m < nm; m++) {
    printf("%s\"%s\":{\"k\":{", m ? "," : "", mode_names[kr[m * nk].mode]);
    for (size_t j = 0; j < nk; j++) {
      printf("%s\"%u\":", j ? "," : "", kr[m * nk + j].k);
      json_k(c, &kr[m * nk + j], latencies);
    }
    printf("}}");
  }
  printf("},\"k\":{");
  for (size_t j = 0; j < nk; j++) {
    printf("%s\"%u\":", j ? "," : "", kr[j].k);
    json_k(c, &kr[j], latencies);
  }
  printf("}}\n");
}

static void print_table(const bench_cfg *c, const char *dir, const quarry_index_info *info, double open_us,
                        const kresult *kr, size_t n) {
  char hb[32];
  printf("index %s: %llu passages, %s, opened in %.0f us; %zu queries (BM25 k1 %g, b %g)\n", dir,
         (unsigned long long)info->passages, cli_human_bytes(hb, sizeof hb, info->bytes), open_us, c->nq, c->so.k1,
         c->so.b);
  printf("latency per query in us (single thread, warm, median of %u passes); QPS 1 = 1 / mean, "
         "QPS %u = %u threads on one index handle\n\n", c->repeat, c->threads, c->threads);
  printf("%-6s %6s %7s %9s %9s %9s %9s %9s %9s %9s\n", "mode", "k", "queries", "p50", "p95", "p99", "max", "mean",
         "QPS 1", "QPS N");
  for (size_t j = 0; j < n; j++) {
    const kresult *r = &kr[j];
    printf("%-6s %6u %7zu %9.1f %9.1f %9.1f %9.1f %9.1f %9.0f %9.0f\n", mode_names[r->mode], r->k, r->n, r->all.p50,
           r->all.p95, r->all.p99, r->all.max, r->all.mean, r->qps1, r->qpsn);
  }
  printf("\nthread CPU time per query (us)\n");
  for (size_t j = 0; j < n; j++)
    printf("%-6s %6u %7s %9.1f %9.1f %9.1f %9.1f %9.1f\n", mode_names[kr[j].mode], kr[j].k, "", kr[j].cpu_all.p50,
           kr[j].cpu_all.p95, kr[j].cpu_all.p99, kr[j].cpu_all.max, kr[j].cpu_all.mean);
  printf("\nstages (us)             %9s %9s %9s %9s %9s\n", "p50", "p95", "p99", "max", "mean");
  for (size_t j = 0; j < n; j++)
    for (int s = 0; s <= NSTAGES; s++) {
      const summary *x = &kr[j].stage[s];
      printf("%-6s k=%-6u %-8s %9.1f %9.1f %9.1f %9.1f %9.1f\n", mode_names[kr[j].mode], kr[j].k, stage_names[s],
             x->p50, x->p95, x->p99, x->max, x->mean);
    }
  printf("(snippets: the first %d hits, not part of the latency)\n", SNIPPET_HITS);
  for (size_t j = 0; j < n; j++)
    if (kr[j].errors)
      printf("%s k=%u: %llu queries rejected by the parser (timed anyway)\n", mode_names[kr[j].mode], kr[j].k,
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

static int parse_modes(quarry_mode *ms, size_t *nm, const char *s) {
  *nm = 0;
  for (;;) {
    size_t len = strcspn(s, ",");
    quarry_mode m = QUARRY_MODE_AUTO;
    for (int i = QUARRY_MODE_BM25; i <= QUARRY_MODE_HYBRID; i++)
      if (strlen(mode_names[i]) == len && !strncmp(s, mode_names[i], len)) m = (quarry_mode)i;
    if (m == QUARRY_MODE_AUTO || *nm == MAX_MODES) return -1;
    for (size_t i = 0; i < *nm; i++)
      if (ms[i] == m) return -1;
    ms[(*nm)++] = m;
    s += len;
    if (!*s) return 0;
    s++; /* past the comma: another mode must follow */
  }
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
  const char *qpath = NULL, *dir = NULL;
  uint32_t ks[MAX_KS] = {10};
  quarry_mode modes[MAX_MODES] = {QUARRY_MODE_BM25};
  size_t nk = 1, nm = 1;
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
    case 'M':
      if (parse_modes(modes, &nm, optarg))
        return cli_fail("--mode: expected bm25, vector or hybrid (comma-separated, each once), got '%s'", optarg);
      break;
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
  dir = cli_index_dir(dir);
  int rc = load_queries(&c, qpath);
  quarry_index *ix = NULL;
  kresult kr[MAX_MODES * MAX_KS];
  memset(kr, 0, sizeof kr);
  quarry_index_info info;
  double open_us = 0;
  if (rc) goto out;
  double t0 = now_us();
  if (quarry_index_open(&ix, dir)) {
    rc = cli_fail_lib("bench: cannot open index %s", dir);
    goto out;
  }
  open_us = now_us() - t0;
  if (quarry_index_stat(&info, ix)) {
    rc = cli_fail_lib("bench: %s", dir);
    goto out;
  }
  for (size_t m = 0; m < nm; m++)
    if (modes[m] != QUARRY_MODE_BM25 && !quarry_index_has_vectors(ix)) {
      rc = cli_fail("bench --mode %s: the index %s has no vectors (built with --no-vectors): use --mode bm25",
                    mode_names[modes[m]], dir);
      goto out;
    }
  for (size_t m = 0; m < nm; m++)
    for (size_t j = 0; j < nk; j++)
      if (bench_k(&kr[m * nk + j], ix, &c, modes[m], ks[j])) {
        rc = 2;
        goto out;
      }
  if (json) print_json(&c, dir, &info, open_us, kr, nm, nk, latencies);
  else print_table(&c, dir, &info, open_us, kr, nm * nk);
  if (fflush(stdout) || ferror(stdout)) rc = 2;
out:
  for (size_t j = 0; j < MAX_MODES * MAX_KS; j++) free(kr[j].lat), free(kr[j].cpu), free(kr[j].hits);
  for (size_t i = 0; i < c.nq; i++) free(c.queries[i]);
  free(c.queries);
  quarry_index_close(ix);
  return rc;
}
