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
  int rc = qx_rank_new(&k->rk, ro->query, ro->lang, (qx_rank_unit)ro->unit, ro->k1, ro->b);
  if (rc) {
    free(k);
    return cli_fail("grep: %s", quarry_error_last());
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
  if (k->r->binary_mode != GREP_BIN_TEXT && memchr(d->data, 0, QX_MIN(d->len, (size_t)32768))) {
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

/* One unit: text [s, e) of document d, highlight ranges (relative to s). */
static void print_unit(grep_ranker *k, const rdoc *d, const qx_rank_hit *h, const size_t *hl, size_t nhl) {
  const grep_run *r = k->r;
  const char *s = d->data + h->start;
  size_t len = h->end - h->start;
  char tmp[64];
  if (r->json) {
    grep_out_str("{\"type\":\"match\",\"path\":");
    grep_out_json_str(d->name, strlen(d->name));
    snprintf(tmp, sizeof tmp, ",\"line_number\":%" PRIu64 ",\"byte_offset\":%" PRIu64, h->line, h->start);
    grep_out_str(tmp);
    snprintf(tmp, sizeof tmp, ",\"score\":%.6f,\"text\":", h->score);
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
  uint64_t line = h->line;
  size_t pos = 0, hi = 0;
  bool first = true;
  while (pos <= len) {
    const char *nl = memchr(s + pos, '\n', len - pos);
    size_t le = nl ? (size_t)(nl - s) : len;
    char sep = first ? ':' : '-';
    if (k->ro->scores) {
      if (first) snprintf(tmp, sizeof tmp, "%.4f", h->score);
      else snprintf(tmp, sizeof tmp, "%*s", (int)strlen("0.0000"), "");
      grep_out_str(tmp);
      out_sep(r, sep);
    }
    if (d->with_fname) {
      grep_out_sgr_start(r, r->col.fn);
      grep_out_str(d->name);
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
    for (size_t i = 0; i < n; i++) {
      if (k->ro->top && shown >= (size_t)k->ro->top) break;
      if (k->ro->have_min_score && hits[i].score < k->ro->min_score) break;
      const rdoc *d = &k->docs[hits[i].doc];
      if (qx_rank_highlight(k->rk, d->data + hits[i].start, hits[i].end - hits[i].start, &ranges) < 0) {
        cli_fail_lib("grep");
        k->failed = true;
        break;
      }
      if (shown && k->ro->unit != 0 && !k->r->json) {
        grep_out_sgr_start(k->r, k->r->col.se);
        grep_out("--", 2);
        grep_out_sgr_end(k->r, k->r->col.se);
        grep_out("\n", 1);
      }
      print_unit(k, d, &hits[i], (const size_t *)ranges.data, ranges.len / (2 * sizeof(size_t)));
      shown++;
    }
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
  free(k);
  return status;
}
