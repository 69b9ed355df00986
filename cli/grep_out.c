/*
 * grep_out.c: the scan loop and output of `quarry grep`, kept structurally
 * close to GNU grep 3.8's grep.c (grep(), grepbuf(), prtext(), prline(),
 * prpending(), print_line_head(), print_line_middle()) so that context
 * groups, "--" separators, -m with trailing context, -o, colours, binary
 * files (NUL bytes) and lines with invalid UTF-8 come out byte for byte as
 * GNU grep prints them in a UTF-8 locale. The matching itself is ours
 * (search/qx_grep.h: PCRE2 JIT + SIMD literal prefilter).
 *
 * Input: regular files are mapped whole (one extra zero page past the end
 * so a missing final newline can be supplied in place); pipes and special
 * files are read in large blocks, keeping the incomplete last line and the
 * lines needed as leading context between blocks, as GNU grep's fillbuf().
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

#define SEP_SELECTED ':'
#define SEP_REJECTED '-'
#define READ_INITIAL (256 * 1024)

/* ---- buffered output ----------------------------------------------------- */
static char obuf[64 * 1024];
static size_t olen;
int grep_out_epipe_status = 0;

void grep_out_flush(void) {
  size_t off = 0;
  while (off < olen) {
    ssize_t w = write(STDOUT_FILENO, obuf + off, olen - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) _exit(grep_out_epipe_status);
      olen = 0;
      fprintf(stderr, "quarry: write error: %s\n", strerror(errno));
      _exit(2);
    }
    off += (size_t)w;
  }
  olen = 0;
}

void grep_out(const void *p, size_t n) {
  if (n >= sizeof obuf) {
    grep_out_flush();
    olen = n; /* write directly from the caller's memory */
    size_t off = 0;
    while (off < n) {
      ssize_t w = write(STDOUT_FILENO, (const char *)p + off, n - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EPIPE) _exit(grep_out_epipe_status);
        fprintf(stderr, "quarry: write error: %s\n", strerror(errno));
        _exit(2);
      }
      off += (size_t)w;
    }
    olen = 0;
    return;
  }
  if (olen + n > sizeof obuf) grep_out_flush();
  memcpy(obuf + olen, p, n);
  olen += n;
}

void grep_out_str(const char *s) { grep_out(s, strlen(s)); }

static void out_c(char c) {
  if (olen == sizeof obuf) grep_out_flush();
  obuf[olen++] = c;
}

void grep_out_sgr_start(const grep_run *r, const char *code) {
  if (!r->color || !code || !*code) return;
  grep_out("\33[", 2);
  grep_out_str(code);
  grep_out(r->col.ne ? "m" : "m\33[K", r->col.ne ? 1 : 4);
}

void grep_out_sgr_end(const grep_run *r, const char *code) {
  if (!r->color || !code || !*code) return;
  grep_out(r->col.ne ? "\33[m" : "\33[m\33[K", r->col.ne ? 3 : 6);
}

static void print_num(grep_run *r, intmax_t v, const char *color) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%" PRIdMAX, v);
  grep_out_sgr_start(r, color);
  grep_out(tmp, (size_t)n);
  grep_out_sgr_end(r, color);
}

static void print_sep(grep_run *r, char sep) {
  grep_out_sgr_start(r, r->col.se);
  out_c(sep);
  grep_out_sgr_end(r, r->col.se);
}

static void print_filename(grep_run *r) {
  grep_out_sgr_start(r, r->col.fn);
  grep_out_str(r->fname);
  grep_out_sgr_end(r, r->col.fn);
}

/* ---- line heads ------------------------------------------------------------ */
static void nlscan(grep_run *r, const char *lim) {
  if (lim > r->lastnl) r->totalnl += (intmax_t)qx_count_newlines(r->lastnl, (size_t)(lim - r->lastnl));
  r->lastnl = (char *)lim;
}

/* line: start of the line (for its number); beg/len: what is printed. */
static bool print_line_head(grep_run *r, const char *line, const char *beg, size_t len, char sep) {
  if (r->binary_mode != GREP_BIN_TEXT && !qx_grep_utf8_valid(beg, len)) {
    r->encoding_error_output = true;
    return false;
  }
  if (r->with_fname) {
    print_filename(r);
    if (r->null_after_name) out_c(0);
    else print_sep(r, sep);
  }
  if (r->lineno) {
    nlscan(r, line);
    print_num(r, r->totalnl + 1, r->col.ln);
    print_sep(r, sep);
  }
  if (r->byteoff) {
    print_num(r, r->totalcc + (beg - r->bufbeg), r->col.bn);
    print_sep(r, sep);
  }
  return true;
}

static void match_error(void) {
  grep_out_flush();
  cli_fail_lib("grep");
  exit(2);
}

/* Print the matches of a line (-o) or the line with its matches coloured.
 * Returns where the caller continues printing, or NULL if a match could not
 * be printed (invalid UTF-8 under -o). */
static const char *print_line_middle(grep_run *r, const char *beg, const char *lim,
                                     const char *line_color, const char *match_color) {
  size_t len = (size_t)(lim - beg) - 1, cur = 0, mid = (size_t)-1;
  while (cur <= len) {
    size_t ms, me;
    int rc = qx_grep_match_in_line(r->m, beg, len, cur, &ms, &me);
    if (rc < 0) match_error();
    if (rc == 0) break;
    size_t msize = me - ms;
    if (msize == 0) {
      /* Empty match: make minimal progress (GNU grep does the same). */
      msize = 1;
      if (mid == (size_t)-1) mid = cur;
    } else {
      if (r->only) {
        if (!print_line_head(r, beg, beg + ms, msize, r->invert ? SEP_REJECTED : SEP_SELECTED))
          return NULL;
      } else {
        grep_out_sgr_start(r, line_color);
        if (mid != (size_t)-1) {
          cur = mid;
          mid = (size_t)-1;
        }
        grep_out(beg + cur, ms - cur);
      }
      grep_out_sgr_start(r, match_color);
      grep_out(beg + ms, msize);
      grep_out_sgr_end(r, match_color);
      if (r->only) out_c('\n');
    }
    cur = ms + msize;
  }
  if (r->only) return lim;
  if (mid != (size_t)-1) cur = mid;
  return beg + cur;
}

static const char *print_line_tail(grep_run *r, const char *beg, const char *lim, const char *line_color) {
  size_t eol = (lim > beg && lim[-1] == '\n');
  eol += (lim - eol > beg && lim[-(1 + (long)eol)] == '\r');
  size_t tail = (size_t)(lim - beg) - eol;
  if (tail > 0) {
    grep_out_sgr_start(r, line_color);
    grep_out(beg, tail);
    beg += tail;
    grep_out_sgr_end(r, line_color);
  }
  return beg;
}

/* ---- JSON ------------------------------------------------------------------ */
void grep_out_json_str(const char *s, size_t n) {
  out_c('"');
  const uint8_t *p = (const uint8_t *)s, *end = p + n;
  while (p < end) {
    uint8_t c = *p;
    if (c == '"' || c == '\\') {
      out_c('\\');
      out_c((char)c);
      p++;
    } else if (c < 0x20) {
      char tmp[8];
      const char *e = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
      if (e) grep_out_str(e);
      else {
        snprintf(tmp, sizeof tmp, "\\u%04x", c);
        grep_out_str(tmp);
      }
      p++;
    } else if (c < 0x80) {
      out_c((char)c);
      p++;
    } else {
      size_t cl = 1;
      if (c >= 0xC2 && c <= 0xF4) {
        size_t want = c <= 0xDF ? 2 : c <= 0xEF ? 3 : 4;
        if ((size_t)(end - p) >= want && qx_grep_utf8_valid((const char *)p, want)) cl = want;
      }
      if (cl == 1) grep_out_str("\\ufffd"); /* invalid UTF-8 cannot go into JSON as is */
      else grep_out(p, cl);
      p += cl;
    }
  }
  out_c('"');
}

static void json_line(grep_run *r, const char *beg, const char *lim, char sep) {
  char tmp[96];
  size_t len = (size_t)(lim - beg) - 1;
  bool selected = sep == SEP_SELECTED;
  bool matching = selected ^ r->invert;
  nlscan(r, beg);
  grep_out_str(selected ? "{\"type\":\"match\",\"path\":" : "{\"type\":\"context\",\"path\":");
  grep_out_json_str(r->fname, strlen(r->fname));
  snprintf(tmp, sizeof tmp, ",\"line_number\":%" PRIdMAX ",\"byte_offset\":%" PRIdMAX ",\"text\":",
           r->totalnl + 1, r->totalcc + (beg - r->bufbeg));
  grep_out_str(tmp);
  grep_out_json_str(beg, len);
  grep_out_str(",\"submatches\":[");
  size_t cur = 0;
  int n = 0;
  while (matching && cur <= len) {
    size_t ms, me;
    int rc = qx_grep_match_in_line(r->m, beg, len, cur, &ms, &me);
    if (rc < 0) match_error();
    if (rc == 0) break;
    if (me == ms) {
      cur = ms + 1;
      continue;
    }
    if (n++) out_c(',');
    grep_out_str("{\"match\":");
    grep_out_json_str(beg + ms, me - ms);
    snprintf(tmp, sizeof tmp, ",\"start\":%zu,\"end\":%zu}", ms, me);
    grep_out_str(tmp);
    cur = me;
  }
  grep_out_str("]}\n");
}

/* ---- lines, groups --------------------------------------------------------- */
static bool prline(grep_run *r, const char *beg, const char *lim, char sep) {
  if (r->json) {
    json_line(r, beg, lim, sep);
    r->lastout = (char *)lim;
    return true;
  }
  if (!r->only && !print_line_head(r, beg, beg, (size_t)(lim - beg) - 1, sep)) return false;
  bool matching = (sep == SEP_SELECTED) ^ r->invert;
  const char *line_color = NULL, *match_color = NULL;
  if (r->color) {
    line_color = sep == SEP_SELECTED ? r->col.sl : r->col.cx;
    match_color = sep == SEP_SELECTED ? r->col.ms : r->col.mc;
  }
  if ((r->only && matching) || (r->color && (*line_color || *match_color))) {
    if (matching && (r->only || (match_color && *match_color))) {
      beg = print_line_middle(r, beg, lim, line_color, match_color);
      if (!beg) return false;
    }
    if (!r->only && line_color && *line_color) beg = print_line_tail(r, beg, lim, line_color);
  }
  if (!r->only && lim > beg) grep_out(beg, (size_t)(lim - beg));
  r->lastout = (char *)lim;
  return true;
}

static void prpending(grep_run *r, const char *lim) {
  if (!r->lastout) r->lastout = r->bufbeg;
  for (; 0 < r->pending && r->lastout < lim; r->pending--) {
    char *nl = rawmemchr(r->lastout, '\n');
    prline(r, r->lastout, nl + 1, SEP_REJECTED);
  }
}

static void prtext(grep_run *r, char *beg, char *lim) {
  if (!r->out_quiet && r->pending > 0) prpending(r, beg);
  char *p = beg;
  if (!r->out_quiet) {
    const char *bp = r->lastout ? r->lastout : r->bufbeg;
    for (intmax_t i = 0; i < r->before; ++i)
      if (p > bp) do
          --p;
        while (p > r->bufbeg && p[-1] != '\n');
    if ((0 <= r->before || 0 <= r->after) && r->used && p != r->lastout && !r->json) {
      grep_out_sgr_start(r, r->col.se);
      grep_out("--", 2);
      grep_out_sgr_end(r, r->col.se);
      out_c('\n');
    }
    while (p < beg) {
      char *nl = rawmemchr(p, '\n');
      nl++;
      prline(r, p, nl, SEP_REJECTED);
      p = nl;
    }
  }
  intmax_t n;
  if (r->invert) {
    for (n = 0; p < lim && n < r->outleft; n++) {
      char *nl = rawmemchr(p, '\n');
      nl++;
      if (!r->out_quiet) prline(r, p, nl, SEP_SELECTED);
      p = nl;
    }
  } else {
    if (!r->out_quiet) prline(r, beg, lim, SEP_SELECTED);
    n = 1;
    p = lim;
  }
  r->pending = r->out_quiet ? 0 : QX_MAX(0, r->after);
  r->used = true;
  r->outleft -= n;
}

static intmax_t grepbuf(grep_run *r, char *beg, char *lim) {
  intmax_t outleft0 = r->outleft;
  char *endp;
  for (char *p = beg; p < lim; p = endp) {
    size_t ls, le, nulat;
    int rc = qx_grep_find_line_nul(r->m, p, 0, (size_t)(lim - p), &ls, &le, r->nul_watch ? &nulat : NULL);
    if (rc < 0) match_error();
    if (r->nul_watch) {
      /* Binary detection fused with the literal scan: before acting on this
       * window, make sure no NUL lies anywhere in it (GNU grep checks the
       * whole buffer before searching it). */
      const char *from = rc == 1 ? p + ls : lim;
      if (rc == 2 || memchr(from, 0, (size_t)(r->buflim - from))) {
        r->nul_found = true;
        break;
      }
      r->nul_watch = false;
    }
    char *b;
    if (rc == 0) {
      if (!r->invert) break;
      b = lim;
      endp = lim;
    } else {
      b = p + ls;
      endp = p + le;
    }
    if (!r->invert || p < b) {
      char *prbeg = r->invert ? p : b;
      char *prend = r->invert ? b : endp;
      prtext(r, prbeg, prend);
      if (!r->outleft || r->done_on_match) {
        if (r->quiet) {
          grep_out_flush();
          exit(0);
        }
        break;
      }
    }
  }
  return outleft0 - r->outleft;
}

/* ---- input ------------------------------------------------------------------ */
typedef struct src {
  int fd;
  bool mapped, eof;
  char *map;
  size_t map_total, size;
} src;

static size_t map_chunk(void) {
  static size_t chunk;
  if (!chunk) {
    const char *e = getenv("QUARRY_GREP_CHUNK");
    chunk = e && atol(e) > 0 ? (size_t)atol(e) : 1024 * 1024;
  }
  return chunk;
}

/* Keep the last `save` bytes and add new data after them. */
static bool fillbuf(grep_run *r, src *s, size_t save) {
  if (s->mapped) {
    /* Windows over the mapping: binary detection and search stay in cache. */
    size_t chunk = map_chunk();
    if (!r->bufbeg) {
      r->bufbeg = s->map;
      r->buflim = s->map + QX_MIN(s->size, chunk);
    } else {
      r->bufbeg = r->buflim - save;
      r->buflim += QX_MIN((size_t)(s->map + s->size - r->buflim), chunk);
    }
    return true;
  }
  char *old = save ? r->buflim - save : r->rbuf;
  if (save + READ_INITIAL / 2 > r->rcap) {
    size_t ncap = r->rcap ? r->rcap : READ_INITIAL;
    while (save + READ_INITIAL / 2 > ncap) ncap *= 2;
    char *nb = malloc(ncap + 1);
    if (!nb) {
      errno = ENOMEM;
      return false;
    }
    if (save) memcpy(nb, old, save);
    free(r->rbuf);
    r->rbuf = nb;
    r->rcap = ncap;
  } else if (save) {
    memmove(r->rbuf, old, save);
  }
  r->bufbeg = r->rbuf;
  size_t got = 0;
  while (!s->eof && save + got < r->rcap) {
    ssize_t n = read(s->fd, r->rbuf + save + got, r->rcap - save - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      r->buflim = r->rbuf + save + got;
      return false;
    }
    if (n == 0) {
      s->eof = true;
      break;
    }
    got += (size_t)n;
    if (got >= READ_INITIAL / 4) break; /* enough to work on; keeps pipes responsive */
  }
  r->buflim = r->rbuf + save + got;
  return true;
}

static void src_open(src *s, int fd) {
  memset(s, 0, sizeof *s);
  s->fd = fd;
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) return;
  long pg = sysconf(_SC_PAGESIZE);
  size_t size = (size_t)st.st_size, total = (size + 1 + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
  void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return;
  void *f = mmap(base, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (f == MAP_FAILED) {
    munmap(base, total);
    return;
  }
  madvise(f, size, MADV_SEQUENTIAL);
  s->mapped = true;
  s->map = f;
  s->map_total = total;
  s->size = size;
}

static void src_close(src *s) {
  if (s->mapped) munmap(s->map, s->map_total);
}

static void zap_nuls(char *p, char *lim) {
  while ((p = memchr(p, 0, (size_t)(lim - p)))) *p++ = '\n';
}

static void read_error(grep_run *r, const char *name) {
  int e = errno;
  r->errseen = true;
  if (!r->no_messages) {
    grep_out_flush();
    fprintf(stderr, "quarry: %s: %s\n", name, strerror(e));
  }
}

/* A NUL byte was seen: from now on the file is binary (GNU grep's rules). */
static bool set_binary(grep_run *r, intmax_t nlines) {
  if (r->binary_mode == GREP_BIN_WITHOUT_MATCH) return false;
  if (!r->count) r->done_on_match = r->out_quiet = true;
  r->nlines_first_null = nlines;
  return true;
}

/* grepbuf, redone on a zapped window if the fused scan finds a NUL in it. */
static bool grepbuf_checked(grep_run *r, char *beg, char *lim, intmax_t *nlines, bool *zap) {
  *nlines += grepbuf(r, beg, lim);
  if (!r->nul_found) return true;
  r->nul_found = r->nul_watch = false;
  if (!set_binary(r, *nlines)) return false;
  *zap = true;
  zap_nuls(beg, r->buflim);
  *nlines += grepbuf(r, beg, lim);
  return true;
}

static intmax_t grep_src(grep_run *r, src *s) {
  intmax_t nlines = 0;
  size_t residue = 0, save = 0;
  r->bufbeg = r->buflim = NULL;
  r->lastout = NULL;
  r->totalnl = 0;
  r->totalcc = 0;
  r->pending = 0;
  r->outleft = r->max_count;
  r->nlines_first_null = -1;
  r->encoding_error_output = false;
  r->done_on_match = r->done_on_match_0;
  r->out_quiet = r->out_quiet_0;
  bool zap = false;
  r->nul_found = false;
  if (!fillbuf(r, s, 0)) {
    read_error(r, r->fname);
    return 0;
  }
  for (;;) {
    bool watch = r->nlines_first_null < 0 && r->binary_mode != GREP_BIN_TEXT;
    r->nul_watch = watch && qx_grep_watches_nul(r->m);
    if (watch && !r->nul_watch && r->buflim > r->bufbeg &&
        memchr(r->bufbeg, 0, (size_t)(r->buflim - r->bufbeg))) {
      if (!set_binary(r, nlines)) return 0;
      zap = true;
    }
    r->lastnl = r->bufbeg;
    if (r->lastout) r->lastout = r->bufbeg;
    char *beg = r->bufbeg + save;
    if (beg == r->buflim) break;
    if (zap) zap_nuls(beg, r->buflim);
    char *lim = beg == r->buflim ? NULL : memrchr(beg, '\n', (size_t)(r->buflim - beg));
    lim = lim ? lim + 1 : beg - residue;
    beg -= residue;
    residue = (size_t)(r->buflim - lim);
    if (beg < lim) {
      if (r->outleft && !grepbuf_checked(r, beg, lim, &nlines, &zap)) return 0;
      if (r->pending) prpending(r, lim);
      if ((!r->outleft && !r->pending) || (r->done_on_match && QX_MAX(0, r->nlines_first_null) < nlines))
        goto finish;
    }
    intmax_t i = 0;
    beg = lim;
    while (i < r->before && beg > r->bufbeg && beg != r->lastout) {
      ++i;
      do
        --beg;
      while (beg > r->bufbeg && beg[-1] != '\n');
    }
    if (beg != r->lastout) r->lastout = NULL;
    save = residue + (size_t)(lim - beg);
    r->totalcc += (r->buflim - r->bufbeg) - (intmax_t)save;
    if (r->lineno || r->json) nlscan(r, beg);
    if (!fillbuf(r, s, save)) {
      read_error(r, r->fname);
      goto finish;
    }
  }
  if (residue) {
    *r->buflim++ = '\n';
    if (r->outleft && !grepbuf_checked(r, r->bufbeg + save - residue, r->buflim, &nlines, &zap)) return 0;
    if (r->pending) prpending(r, r->buflim);
  }
finish:
  r->done_on_match = r->done_on_match_0;
  r->out_quiet = r->out_quiet_0;
  if (!r->out_quiet && (r->encoding_error_output || (0 <= r->nlines_first_null && r->nlines_first_null < nlines))) {
    grep_out_flush();
    fprintf(stderr, "quarry: %s: binary file matches\n", r->fname);
  }
  return nlines;
}

static intmax_t grep_one(grep_run *r, src *s, const char *name, bool with_fname) {
  r->fname = name;
  r->with_fname = with_fname;
  intmax_t count = grep_src(r, s);
  r->bufbeg = r->buflim = r->lastout = r->lastnl = NULL;
  if (r->count) {
    if (with_fname) {
      print_filename(r);
      if (r->null_after_name) out_c(0);
      else print_sep(r, SEP_SELECTED);
    }
    print_num(r, count, NULL);
    out_c('\n');
  }
  bool status = !count;
  if (r->list == (status ? GREP_LIST_NONMATCHING : GREP_LIST_MATCHING)) {
    print_filename(r);
    out_c(r->null_after_name ? 0 : '\n');
  }
  if (count) r->any_selected = true;
  return count;
}

intmax_t grep_fd(grep_run *r, int fd, const char *name, bool with_fname) {
  src s;
  src_open(&s, fd);
  intmax_t count = grep_one(r, &s, name, with_fname);
  src_close(&s);
  return count;
}

intmax_t grep_mem(grep_run *r, char *buf, size_t len, const char *name, bool with_fname) {
  src s;
  memset(&s, 0, sizeof s);
  s.fd = -1;
  s.mapped = true; /* a window over memory we own, with one spare byte */
  s.map = buf;
  s.size = len;
  return grep_one(r, &s, name, with_fname);
}
