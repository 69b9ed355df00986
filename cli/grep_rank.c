/*
 * grep_rank.c: `quarry grep --rank QUERY [FILE...]`: PATTERN is a search
 * query; every unit (line, paragraph or passage) of the inputs is scored
 * with BM25 against the inputs themselves (search/grep_rank.c), and the
 * units holding a query term are printed best first, in grep's format
 * (name:line:text, -H/-h rules, colours, --json), with the words whose
 * analysed form matched highlighted. --top N / --min-score S cut the list;
 * --scores prints the score as the first field.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grep_cli.h"
#include "qx_cli.h"
#include "qx_common.h"
#include "qx_embed.h"

typedef struct rdoc {
  char *name;
  char *data;
  size_t len, map_len;
  bool mapped, with_fname;
} rdoc;

struct grep_ranker {
  grep_run *r;
  const grep_rank_opts *ro;
  qx_rank *rk;
  qx_model *model;
  rdoc *docs;
  size_t ndocs, cap;
  bool failed;
};

int grep_rank_begin(grep_ranker **out, grep_run *r, const grep_rank_opts *ro) {
  *out = NULL;
  grep_ranker *k = qx_calloc(1, sizeof *k);
  if (!k) return cli_fail("grep: out of memory");
  k->r = r;
  k->ro = ro;
  int rc = qx_rank_new(&k->rk, ro->query, ro->lang, (qx_rank_unit)ro->unit, ro->k1, ro->b,
                       ro->mode == GREP_RANK_BM25 ? 0 : QX_RANK_KEEP_ALL);
  if (rc) {
    free(k);
    return cli_fail("grep: %s", quarry_error_last());
  }
  if (ro->mode != GREP_RANK_BM25 && qx_model_load(&k->model, ro->model) < 0) {
    qx_rank_free(k->rk);
    free(k);
    return cli_fail("grep: cannot load the embedding model: %s", quarry_error_last());
  }
  *out = k;
  return 0;
}

static bool load(rdoc *d, int fd) {
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      d->data = p;
      d->len = d->map_len = (size_t)st.st_size;
      d->mapped = true;
      return true;
    }
  }
  qx_buf b = {0};
  char tmp[1 << 16];
  for (;;) {
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      qx_buf_free(&b);
      return false;
    }
    if (n == 0) break;
    if (qx_buf_append(&b, tmp, (size_t)n) < 0) {
      qx_buf_free(&b);
      errno = ENOMEM;
      return false;
    }
  }
  d->data = (char *)b.data;
  d->len = b.len;
  return true;
}

void grep_rank_fd(grep_ranker *k, int fd, const char *name, bool with_fname) {
  if (qx_grow((void **)&k->docs, &k->cap, k->ndocs + 1, sizeof *k->docs) < 0) {
    k->failed = true;
    return;
  }
  rdoc *d = &k->docs[k->ndocs];
  memset(d, 0, sizeof *d);
  d->with_fname = with_fname;
  if (!load(d, fd)) {
    k->r->errseen = true;
    if (!k->r->no_messages) fprintf(stderr, "quarry: %s: %s\n", name, strerror(errno));
    return;
  }
  d->name = qx_strdup(name);
  /* binary files (a NUL in the first 32 KiB) are skipped unless -a */
  if (k->r->binary_mode != GREP_BIN_TEXT && d->len && memchr(d->data, 0, QX_MIN(d->len, (size_t)32768))) {
    if (d->mapped) munmap(d->data, d->map_len);
    else free(d->data);
    free(d->name);
    return;
  }
  if (qx_rank_add(k->rk, (uint32_t)k->ndocs, d->data, d->len) < 0) {
    k->failed = true;
    cli_fail("grep: %s: %s", name, quarry_error_last());
  }
  k->ndocs++;
}

static void out_sep(const grep_run *r, char c) {
  grep_out_sgr_start(r, r->col.se);
  grep_out(&c, 1);
  grep_out_sgr_end(r, r->col.se);
}

static void out_num(const grep_run *r, uint64_t v, const char *color) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
  grep_out_sgr_start(r, color);
  grep_out(tmp, (size_t)n);
  grep_out_sgr_end(r, color);
}

void grep_rank_print_unit(const grep_run *r, const grep_rank_opts *ro, const char *name, bool with_fname,
                          const char *s, size_t len, uint64_t line, uint64_t offset, double score,
                          const size_t *hl, size_t nhl, bool first_unit) {
  char tmp[64];
  if (!first_unit && ro->unit != 0 && !r->json) {
    grep_out_sgr_start(r, r->col.se);
    grep_out("--", 2);
    grep_out_sgr_end(r, r->col.se);
    grep_out("\n", 1);
  }
  if (r->json) {
    grep_out_str("{\"type\":\"match\",\"path\":");
    grep_out_json_str(name, strlen(name));
    snprintf(tmp, sizeof tmp, ",\"line_number\":%" PRIu64 ",\"byte_offset\":%" PRIu64, line, offset);
    grep_out_str(tmp);
    snprintf(tmp, sizeof tmp, ",\"score\":%.6f,\"text\":", score);
    grep_out_str(tmp);
    grep_out_json_str(s, len);
    grep_out_str(",\"submatches\":[");
    for (size_t i = 0; i < nhl; i++) {
      if (i) grep_out(",", 1);
      grep_out_str("{\"match\":");
      grep_out_json_str(s + hl[2 * i], hl[2 * i + 1] - hl[2 * i]);
      snprintf(tmp, sizeof tmp, ",\"start\":%zu,\"end\":%zu}", hl[2 * i], hl[2 * i + 1]);
      grep_out_str(tmp);
    }
    grep_out_str("]}\n");
    return;
  }
  size_t pos = 0, hi = 0;
  bool first = true;
  while (pos <= len) {
    const char *nl = memchr(s + pos, '\n', len - pos);
    size_t le = nl ? (size_t)(nl - s) : len;
    char sep = first ? ':' : '-';
    if (ro->scores) {
      if (first) snprintf(tmp, sizeof tmp, "%.4f", score);
      else snprintf(tmp, sizeof tmp, "%*s", (int)strlen("0.0000"), "");
      grep_out_str(tmp);
      out_sep(r, sep);
    }
    if (with_fname) {
      grep_out_sgr_start(r, r->col.fn);
      grep_out_str(name);
      grep_out_sgr_end(r, r->col.fn);
      out_sep(r, sep);
    }
    out_num(r, line, r->col.ln);
    out_sep(r, sep);
    size_t p = pos;
    while (hi < nhl && hl[2 * hi] < le) {
      size_t a = QX_MAX(hl[2 * hi], p), b = QX_MIN(hl[2 * hi + 1], le);
      if (a < b) {
        grep_out(s + p, a - p);
        if (r->color) {
          grep_out_sgr_start(r, r->col.ms);
          grep_out(s + a, b - a);
          grep_out_sgr_end(r, r->col.ms);
        } else {
          grep_out(s + a, b - a);
        }
        p = b;
      }
      if (hl[2 * hi + 1] <= le) hi++;
      else break;
    }
    grep_out(s + p, le - p);
    grep_out("\n", 1);
    first = false;
    line++;
    if (!nl) break;
    pos = le + 1;
  }
}

typedef struct fused {
  size_t i; /* index in the BM25 order */
  double score;
} fused;

static int cmp_fused(const void *a, const void *b) {
  const fused *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* --semantic / --hybrid: reorder the units. Returns the list (malloc'd) or NULL. */
static fused *semantic_order(grep_ranker *k, const qx_rank_hit *hits, size_t n) {
  const char **texts = qx_malloc((n ? n : 1) * sizeof *texts);
  size_t *lens = qx_malloc((n ? n : 1) * sizeof *lens);
  float *cos = qx_malloc((n ? n : 1) * sizeof *cos);
  fused *f = qx_malloc((n ? n : 1) * sizeof *f);
  fused *sem = qx_malloc((n ? n : 1) * sizeof *sem);
  int rc = texts && lens && cos && f && sem ? 0 : qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < n && !rc; i++) {
    texts[i] = k->docs[hits[i].doc].data + hits[i].start;
    lens[i] = hits[i].end - hits[i].start;
  }
  if (!rc) rc = qx_rank_cosines(cos, k->model, k->ro->query, texts, lens, n);
  if (!rc) {
    for (size_t i = 0; i < n; i++) sem[i] = (fused){i, cos[i]};
    qsort(sem, n, sizeof *sem, cmp_fused);
    if (k->ro->mode == GREP_RANK_SEMANTIC) {
      memcpy(f, sem, n * sizeof *f);
    } else {
      /* reciprocal rank fusion (Cormack et al. 2009): BM25 ranks count only
       * for units holding a query term */
      for (size_t i = 0; i < n; i++) f[i] = (fused){i, hits[i].score > 0 ? 1.0 / (GREP_RRF_K + (double)i + 1) : 0};
      for (size_t r = 0; r < n; r++) f[sem[r].i].score += 1.0 / (GREP_RRF_K + (double)r + 1);
      qsort(f, n, sizeof *f, cmp_fused);
    }
  }
  free(texts);
  free(lens);
  free(cos);
  free(sem);
  if (rc) {
    free(f);
    cli_fail("grep: %s", quarry_error_last());
    return NULL;
  }
  return f;
}

int grep_rank_end(grep_ranker *k) {
  int status = 1;
  if (!k->failed) {
    const qx_rank_hit *hits;
    size_t n;
    qx_buf ranges = {0};
    if (qx_rank_finish(k->rk, &hits, &n) < 0) {
      cli_fail_lib("grep");
      k->failed = true;
      n = 0;
    }
    size_t shown = 0;
    fused *order = NULL;
    long top = k->ro->top;
    double min = k->ro->have_min_score ? k->ro->min_score : -1e300;
    if (k->ro->mode != GREP_RANK_BM25 && n) {
      order = semantic_order(k, hits, n);
      if (!order) k->failed = true, n = 0;
      if (k->ro->mode == GREP_RANK_SEMANTIC)
        min = k->ro->have_threshold ? k->ro->threshold : k->ro->have_min_score ? min : GREP_SEMANTIC_THRESHOLD;
      if (k->ro->mode == GREP_RANK_HYBRID && !top && !k->ro->have_min_score) top = GREP_HYBRID_TOP;
    }
    for (size_t j = 0; j < n; j++) {
      qx_rank_hit hit = order ? hits[order[j].i] : hits[j];
      if (order) hit.score = order[j].score;
      if (top && shown >= (size_t)top) break;
      if (hit.score < min) break;
      const rdoc *d = &k->docs[hit.doc];
      if (qx_rank_highlight(k->rk, d->data + hit.start, hit.end - hit.start, &ranges) < 0) {
        cli_fail_lib("grep");
        k->failed = true;
        break;
      }
      grep_rank_print_unit(k->r, k->ro, d->name, d->with_fname, d->data + hit.start, hit.end - hit.start,
                           hit.line, hit.start, hit.score, (const size_t *)ranges.data,
                           ranges.len / (2 * sizeof(size_t)), shown == 0);
      shown++;
    }
    free(order);
    qx_buf_free(&ranges);
    grep_out_flush();
    if (shown) status = 0;
  }
  if (k->failed || k->r->errseen) status = 2;
  for (size_t i = 0; i < k->ndocs; i++) {
    if (k->docs[i].mapped) munmap(k->docs[i].data, k->docs[i].map_len);
    else free(k->docs[i].data);
    free(k->docs[i].name);
  }
  free(k->docs);
  qx_rank_free(k->rk);
  qx_model_free(k->model);
  free(k);
  return status;
}
