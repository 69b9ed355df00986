/*
 * grep_out.c: the scanning and printing half of `quarry grep`.
 *
 * Design. A file is seen through a window of bytes [win, win + wlen) whose
 * absolute file offset is `woff`; every piece of per-file state is kept as an
 * absolute offset, so refilling the window never invalidates it. Every input
 * (regular files too) is read() READ_CHUNK bytes at a time into one buffer
 * reused across files, which keeps the unfinished last line and the lines
 * that a later match may need as before-context. Measured on a 1 GB file in
 * the page cache, this costs less CPU than mapping the file whole (page
 * faults and the munmap of a large mapping cost more than the kernel's copy,
 * and every later pass over a chunk then hits the L2 cache); GNU grep reads
 * the same way.
 *
 * The matcher (search/qx_grep.h) answers "which is the next matching line";
 * a selected run is that line, or with -v the lines between two answers.
 * Each run goes to an output stage whose state is three numbers: `shown`
 * (end of the last line written, -1 if none yet in this file), `tail_from`
 * (where trailing context resumes) and `owed` (trailing context lines still
 * due). A run is one context group: "--" is written before it when its
 * first line (before-context included) does not start at `shown`. Colours
 * are the SGR sequences of GREP_COLORS.
 *
 * Binary files, following the GNU grep manual: the bytes ahead of the
 * search are classified 96 KiB at a time; a NUL byte makes the file binary
 * from that block on (NUL then ends lines), and the next selected line
 * prints "binary file matches" instead and ends the file. A line that is
 * not valid UTF-8 is held back, with the same notice at the end of the
 * file. --binary-files=text (-a) turns both off; without-match (-I) makes
 * the file count as not matching and holds back bad lines silently.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grep_cli.h"
#include "qx_cli.h"
#include "qx_common.h"

/* ---- buffered stdout ---------------------------------------------------- */

int grep_out_epipe_status = 0;
static char obuf[1 << 16];
static size_t olen;

void grep_out_flush(void) {
  size_t done = 0;
  while (done < olen) {
    ssize_t n = write(STDOUT_FILENO, obuf + done, olen - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EPIPE) exit(grep_out_epipe_status);
      fprintf(stderr, "quarry: write error: %s\n", strerror(errno));
      exit(2);
    }
    done += (size_t)n;
  }
  olen = 0;
}

void grep_out(const void *p, size_t n) {
  if (n > sizeof obuf - olen) {
    grep_out_flush();
    if (n >= sizeof obuf) {
      size_t done = 0;
      while (done < n) {
        ssize_t w = write(STDOUT_FILENO, (const char *)p + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          if (errno == EPIPE) exit(grep_out_epipe_status);
          fprintf(stderr, "quarry: write error: %s\n", strerror(errno));
          exit(2);
        }
        done += (size_t)w;
      }
      return;
    }
  }
  memcpy(obuf + olen, p, n);
  olen += n;
}

void grep_out_str(const char *s) { grep_out(s, strlen(s)); }

static void out_byte(char c) {
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

/* Length of the valid UTF-8 sequence at s[0, n), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x3F >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void grep_out_json_str(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  out_byte('"');
  size_t i = 0;
  while (i < n) {
    unsigned c = u[i];
    if (c >= 0x80) {
      size_t k = utf8_seq(u + i, n - i);
      if (k) grep_out(s + i, k), i += k;
      else grep_out("\\ufffd", 6), i++;
      continue;
    }
    i++;
    if (c == '"' || c == '\\') out_byte('\\'), out_byte((char)c);
    else if (c == '\n') grep_out("\\n", 2);
    else if (c == '\t') grep_out("\\t", 2);
    else if (c == '\r') grep_out("\\r", 2);
    else if (c < 0x20 || c == 0x7F) {
      char t[8];
      snprintf(t, sizeof t, "\\u%04x", c);
      grep_out(t, 6);
    } else out_byte((char)c);
  }
  out_byte('"');
}

/* Line text: with -z the buffer holds the input with '\n' and NUL swapped
 * (see swap_nl_nul), so NUL bytes are written back as newlines. */
static void out_text(const grep_run *r, const char *p, size_t n) {
  if (!r->null_data) {
    grep_out(p, n);
    return;
  }
  for (size_t i = 0; i < n; i++) out_byte(p[i] ? p[i] : '\n');
}

/* The end of an output line: NUL with -z, as grep's "eolbyte". */
static void out_eol(const grep_run *r) { out_byte(r->null_data ? '\0' : '\n'); }

/* -z (--null-data): records end with NUL. The scanner and the matcher know
 * only '\n', so the two bytes trade places in the buffer on input and back
 * on output: '.', [^x] and ^/$ then treat a newline inside a record as an
 * ordinary character, as GNU grep -z does. */
static void swap_nl_nul(char *p, size_t n) {
  for (char *e = p + n; p < e; p++) {
    if (*p == '\n') *p = '\0';
    else if (*p == '\0') *p = '\n';
  }
}

/* ---- one file ----------------------------------------------------------- */

enum { NUL_BLOCK = 96 * 1024, READ_CHUNK = 128 * 1024, READ_ALIGN = 4096 };

typedef struct scan {
  grep_run *r;
  const char *name;
  bool with_fname;
  char *win;        /* window bytes; win[wlen - 1] == '\n' over complete lines */
  size_t wlen;      /* bytes of complete lines in the window */
  intmax_t woff;    /* file offset of win[0] */
  intmax_t shown;   /* end of the last line written, -1 if none */
  intmax_t tail_from, owed;
  intmax_t nl_off, nl_count; /* nl_count newlines lie before offset nl_off */
  intmax_t checked;          /* bytes before this offset are classified */
  intmax_t selected;
  bool binary, bad_utf8, stop, limit_hit, notice, skipped;
} scan;

static const char *at(const scan *s, intmax_t off) { return s->win + (off - s->woff); }

/* 1-based number of the line starting at `off` (off >= nl_off). */
static intmax_t line_number(scan *s, intmax_t off) {
  if (off > s->nl_off) {
    s->nl_count += (intmax_t)qx_count_newlines(at(s, s->nl_off), (size_t)(off - s->nl_off));
    s->nl_off = off;
  }
  return s->nl_count + 1;
}

/* End of the classification block that starts at window offset `from`:
 * NUL_BLOCK bytes extended to a line end, cut at the window's end. */
static size_t block_end(const scan *s, size_t from) {
  size_t end = s->wlen, upto = QX_MIN(end, from + NUL_BLOCK);
  if (upto < end) {
    const char *nl = memchr(s->win + upto - 1, '\n', end - (upto - 1));
    upto = (size_t)(nl - s->win) + 1;
  }
  return upto;
}

/* Binary detection, block by block ahead of the search: a NUL byte in the
 * next NUL_BLOCK bytes (extended to a line end) makes the file binary from
 * that block on. In binary files NUL bytes end lines, as the GNU grep manual
 * allows ("may treat non-text bytes as line terminators"). With -I the file
 * then counts as not matching. Returns the window offset up to which the
 * search may go. */
static size_t classify(scan *s, size_t pos) {
  grep_run *r = s->r;
  size_t end = s->wlen;
  if (r->binary_mode == GREP_BIN_TEXT || r->null_data) return end; /* -z: NUL ends records */
  size_t from = (size_t)(s->checked - s->woff);
  if (from > pos) return from;
  from = pos;
  size_t upto = end;
  if (!s->binary) {
    upto = block_end(s, from);
    if (memchr(s->win + from, 0, upto - from)) {
      s->binary = true;
      upto = end;
      if (r->binary_mode == GREP_BIN_WITHOUT_MATCH) {
        s->skipped = s->stop = true;
        return from;
      }
    }
  }
  if (s->binary)
    for (char *z = memchr(s->win + from, 0, upto - from); z; z = memchr(z + 1, 0, (size_t)(s->win + upto - z - 1)))
      *z = '\n';
  s->checked = s->woff + (intmax_t)upto;
  return upto;
}

static void put_num(const grep_run *r, intmax_t v, const char *color) {
  char t[48];
  int n = snprintf(t, sizeof t, "%*jd", r->initial_tab ? r->offset_width : 0, v);
  grep_out_sgr_start(r, color);
  grep_out(t, (size_t)n);
  grep_out_sgr_end(r, color);
}

static void put_sep(const grep_run *r, char c) {
  grep_out_sgr_start(r, r->col.se);
  out_byte(c);
  grep_out_sgr_end(r, r->col.se);
}

static void put_name(const grep_run *r, const char *name) {
  grep_out_sgr_start(r, r->col.fn);
  grep_out_str(name);
  grep_out_sgr_end(r, r->col.fn);
}

/* File name, line number and byte offset before a line (or an -o match) of
 * len bytes; -T pads the numbers and ends a non-empty prefix with a tab
 * before non-empty text, as GNU grep does. */
static void put_prefix(scan *s, intmax_t line_off, intmax_t byte_off, char sep, size_t len) {
  const grep_run *r = s->r;
  if (s->with_fname) {
    put_name(r, s->name);
    if (r->null_after_name) out_byte('\0');
    else put_sep(r, sep);
  }
  if (r->lineno) {
    put_num(r, line_number(s, line_off), r->col.ln);
    put_sep(r, sep);
  }
  if (r->byteoff) {
    put_num(r, byte_off, r->col.bn);
    put_sep(r, sep);
  }
  if (r->initial_tab && (s->with_fname || r->lineno || r->byteoff) && len) out_byte('\t');
}

/* Next non-empty match of line[0, len) at or after *pos. */
static bool next_match(const grep_run *r, const char *line, size_t len, size_t *pos, size_t *ms, size_t *me) {
  while (*pos <= len) {
    if (qx_grep_match_in_line(r->m, line, len, *pos, ms, me) != 1) return false;
    if (*me > *ms) {
      *pos = *me;
      return true;
    }
    /* an empty match: retry one character further */
    if (*ms >= len) return false;
    size_t k = utf8_seq((const unsigned char *)line + *ms, len - *ms);
    *pos = *ms + (k ? k : 1);
  }
  return false;
}

static void put_json(scan *s, const char *line, size_t len, intmax_t off, bool selected) {
  const grep_run *r = s->r;
  char t[96];
  grep_out_str(selected ? "{\"type\":\"match\",\"path\":" : "{\"type\":\"context\",\"path\":");
  grep_out_json_str(s->name, strlen(s->name));
  snprintf(t, sizeof t, ",\"line_number\":%jd,\"byte_offset\":%jd,\"text\":", line_number(s, off), off);
  grep_out_str(t);
  grep_out_json_str(line, len);
  grep_out_str(",\"submatches\":[");
  size_t pos = 0, ms, me;
  bool first = true;
  while (selected && !r->invert && next_match(r, line, len, &pos, &ms, &me)) {
    if (!first) out_byte(',');
    first = false;
    grep_out_str("{\"match\":");
    grep_out_json_str(line + ms, me - ms);
    snprintf(t, sizeof t, ",\"start\":%zu,\"end\":%zu}", ms, me);
    grep_out_str(t);
  }
  grep_out_str("]}\n");
}

/* -o: each non-empty match of a selected line on its own line. */
static void put_matches(scan *s, const char *line, size_t len, intmax_t off) {
  const grep_run *r = s->r;
  size_t pos = 0, ms, me;
  while (next_match(r, line, len, &pos, &ms, &me)) {
    if (r->binary_mode != GREP_BIN_TEXT && !qx_grep_utf8_valid(line + ms, me - ms)) {
      s->bad_utf8 = true;
      continue;
    }
    put_prefix(s, off, off + (intmax_t)ms, ':', me - ms);
    grep_out_sgr_start(r, r->col.ms);
    out_text(r, line + ms, me - ms);
    grep_out_sgr_end(r, r->col.ms);
    out_eol(r);
  }
}

/* A whole line, its matches coloured when it is a matching line. */
static void put_line(scan *s, const char *line, size_t len, bool selected) {
  const grep_run *r = s->r;
  size_t body = len > 0 && line[len - 1] == '\r' ? len - 1 : len;
  if (!r->color) {
    out_text(r, line, len);
    out_eol(r);
    return;
  }
  const char *lc = selected ? r->col.sl : r->col.cx;
  const char *mcol = selected ? r->col.ms : r->col.mc;
  size_t pos = 0, ms, me, done = 0;
  bool any = false;
  if (selected != r->invert) {
    while (next_match(r, line, len, &pos, &ms, &me)) {
      if (!any) grep_out_sgr_start(r, lc);
      any = true;
      if (done > 0 && ms > done) grep_out_sgr_start(r, lc);
      out_text(r, line + done, ms - done);
      grep_out_sgr_start(r, mcol);
      out_text(r, line + ms, me - ms);
      grep_out_sgr_end(r, mcol);
      done = me;
    }
  }
  if (done < body) {
    grep_out_sgr_start(r, lc);
    out_text(r, line + done, body - done);
    grep_out_sgr_end(r, lc);
    done = body;
  }
  out_text(r, line + done, len - done);
  out_eol(r);
}

/* Write the line [off, end) (end just past its '\n'), selected or context. */
static void emit(scan *s, intmax_t off, intmax_t end, bool selected) {
  grep_run *r = s->r;
  const char *line = at(s, off);
  size_t len = (size_t)(end - off - 1);
  bool json = r->json;
  if (!json && !r->only && r->binary_mode != GREP_BIN_TEXT &&
      !qx_grep_utf8_valid(line, len)) {
    s->bad_utf8 = true; /* not written, and not counted as shown */
    return;
  }
  s->shown = end;
  if (json) put_json(s, line, len, off, selected);
  else if (r->only) {
    if (selected && !r->invert) put_matches(s, line, len, off);
  } else {
    put_prefix(s, off, off, selected ? ':' : '-', len);
    put_line(s, line, len, selected);
  }
  if (r->line_buffered) grep_out_flush();
}

/* A group of lines starts at `off`: "--" first unless it follows the lines
 * shown last (only when context was asked for; not in JSON). */
static void group_start(scan *s, intmax_t off) {
  grep_run *r = s->r;
  if ((r->before >= 0 || r->after >= 0) && r->used && off != s->shown && !r->json) {
    grep_out_sgr_start(r, r->col.se);
    grep_out("--", 2);
    grep_out_sgr_end(r, r->col.se);
    out_byte('\n');
  }
  r->used = true;
}

static bool printing(const grep_run *r) {
  return !r->count && !r->quiet && r->list == GREP_LIST_NONE;
}

/* Trailing context owed after the last selected line, up to `limit`. */
static void pay_owed(scan *s, intmax_t limit) {
  s->tail_from = QX_MAX(s->tail_from, s->woff);
  while (s->owed > 0 && s->tail_from < limit) {
    const char *p = at(s, s->tail_from);
    const char *nl = memchr(p, '\n', (size_t)(limit - s->tail_from));
    intmax_t end = s->tail_from + (nl - p) + 1;
    if (s->binary) {
      s->owed = 0;
      return;
    }
    emit(s, s->tail_from, end, false);
    s->tail_from = end;
    s->owed--;
  }
}

/* Emit the lines of [from, to) as selected or context lines. */
static void emit_lines(scan *s, intmax_t from, intmax_t to, bool selected) {
  while (from < to) {
    const char *nl = memchr(at(s, from), '\n', (size_t)(to - from));
    intmax_t e = from + (nl - at(s, from)) + 1;
    emit(s, from, e, selected);
    from = e;
  }
}

/* A run of consecutive selected lines [off, end): one line, or with -v the
 * lines between two matching ones. The run is one group for context. */
static void take(scan *s, intmax_t off, intmax_t end) {
  grep_run *r = s->r;
  if (r->quiet) {
    grep_out_flush();
    exit(0); /* -q: the first selected line decides */
  }
  if (r->list != GREP_LIST_NONE) {
    s->selected++;
    s->stop = true;
    return;
  }
  intmax_t n = 1, room = r->max_count - s->selected;
  if (r->invert) {
    n = (intmax_t)qx_count_newlines(at(s, off), (size_t)(end - off));
    if (n > room) { /* -m: cut the run after `room` lines */
      intmax_t e = off;
      for (intmax_t k = 0; k < room; k++) e += (const char *)memchr(at(s, e), '\n', (size_t)(end - e)) - at(s, e) + 1;
      end = e;
      n = room;
    }
  }
  s->selected += n;
  if (s->selected >= r->max_count) s->stop = s->limit_hit = true;
  if (!printing(r)) {
    s->tail_from = end;
    return;
  }
  if (s->binary) {
    s->stop = s->notice = true; /* binary: the notice replaces the lines */
    return;
  }
  pay_owed(s, off);
  intmax_t b = off, lo = QX_MAX(s->shown, s->woff); /* before-context, not past what is shown */
  for (intmax_t k = 0; k < r->before && b > lo; k++) {
    const char *q = b - 1 > lo ? memrchr(at(s, lo), '\n', (size_t)(b - 1 - lo)) : NULL;
    b = q ? s->woff + (q - s->win) + 1 : lo;
  }
  group_start(s, b);
  emit_lines(s, b, off, false);
  emit_lines(s, off, end, true);
  /* trailing context resumes after the last line written: a line held back
   * (not UTF-8) leaves that point where it was */
  s->owed = r->after > 0 ? r->after : 0;
  s->tail_from = QX_MAX(s->shown, 0);
}

/* The bytes of the window before `clean` hold no NUL: the classification
 * blocks that end there count as checked (classify then resumes at the
 * block holding `clean`, the same blocks as if it had read them). */
static void mark_clean(scan *s, size_t clean) {
  size_t c = (size_t)(s->checked - s->woff);
  while (c < clean) {
    size_t t = block_end(s, c);
    if (t > clean) break;
    c = t;
  }
  s->checked = s->woff + (intmax_t)c;
}

/* The matcher's literal scan can watch for NUL bytes in the same pass
 * (qx_grep_find_line_nul), which saves classify's separate pass over text
 * files. Its answer is used only where classify would have given the same
 * one: the blocks before the first NUL or match are marked clean, the block
 * holding it is then classified as usual, and a NUL found sends the search
 * back to the ordinary path (which re-reads at most that block). Returns 1
 * with *ls, *le and *pos (the search start, which may have moved over lines
 * already taken) when a matching line was found and stands, 0 when the
 * loop should go on from *pos (new blocks to classify), or -1 on a matcher
 * error. With nothing found to the window's end, returns 2 (*pos unchanged). */
static int find_fused(scan *s, size_t *pos, size_t *ls, size_t *le) {
  grep_run *r = s->r;
  size_t end = s->wlen, nul = 0;
  int rc = qx_grep_find_line_nul(r->m, s->win, *pos, end, ls, le, &nul);
  if (rc < 0) return -1;
  if (rc == 0) {
    s->checked = s->woff + (intmax_t)end;
    return 2;
  }
  mark_clean(s, rc == 1 ? *ls : nul);
  size_t block = (size_t)(s->checked - s->woff);
  if (rc == 2) { /* [pos, block) is searched the ordinary way, then the block classified */
    if (block == *pos) classify(s, block);
    return 0;
  }
  /* rc == 1: no line of [pos, ls) matches; with -v they are selected, and
   * those before the match's block are taken before classify may turn the
   * file binary at that block */
  if (r->invert && block > *pos) take(s, s->woff + (intmax_t)*pos, s->woff + (intmax_t)block);
  if (!r->invert || !s->stop) *pos = QX_MAX(*pos, block);
  if (s->stop) return 0;
  classify(s, block);
  return s->binary || s->stop ? 0 : 1;
}

static bool can_fuse(const scan *s) {
  const grep_run *r = s->r;
  return !s->binary && r->binary_mode != GREP_BIN_TEXT && !r->null_data && qx_grep_watches_nul(r->m);
}

static void scan_error(scan *s) {
  grep_run *r = s->r;
  r->errseen = true;
  if (!r->no_messages) {
    grep_out_flush();
    fprintf(stderr, "quarry: %s: %s\n", s->name, quarry_error_last());
  }
  s->stop = true;
}

/* Scan the complete lines of [from, woff + wlen); returns where it stopped. */
static intmax_t scan_lines(scan *s, intmax_t from) {
  grep_run *r = s->r;
  size_t end = s->wlen, pos = (size_t)(from - s->woff), ls, le;
  bool runs = r->invert && qx_grep_fast_invert(r->m);
  while (pos < end && !s->stop) {
    size_t lim;
    int rc;
    if (runs) { /* -v with a plain literal: the matcher hands out the runs of unmatched lines */
      lim = classify(s, pos);
      if (s->stop) break;
      rc = qx_grep_find_unmatched(r->m, s->win, pos, lim, &ls, &le);
      if (rc < 0) {
        scan_error(s);
        break;
      }
      if (rc) take(s, s->woff + (intmax_t)ls, s->woff + (intmax_t)le);
      if (!s->stop) pos = rc ? le : lim;
      continue;
    }
    if (can_fuse(s) && pos >= (size_t)(s->checked - s->woff)) {
      int f = find_fused(s, &pos, &ls, &le);
      if (f == 0) continue;
      rc = f < 0 ? -1 : f == 1 ? 1 : 0;
      lim = end;
    } else {
      lim = classify(s, pos);
      if (s->stop) break;
      rc = qx_grep_find_line(r->m, s->win, pos, lim, &ls, &le);
    }
    if (rc < 0) {
      scan_error(s);
      break;
    }
    if (!r->invert) {
      if (rc == 0) {
        pos = lim;
        continue;
      }
      take(s, s->woff + (intmax_t)ls, s->woff + (intmax_t)le);
      pos = le;
      continue;
    }
    size_t upto = rc ? ls : lim;
    if (upto > pos) take(s, s->woff + (intmax_t)pos, s->woff + (intmax_t)upto);
    if (!s->stop) pos = rc ? le : lim;
  }
  return s->woff + (intmax_t)pos;
}

/* After -m's last line: its trailing context, whatever those lines hold. */
static void finish_limit(scan *s) {
  if (s->limit_hit && printing(s->r)) pay_owed(s, s->woff + (intmax_t)s->wlen);
}

static void begin(scan *s, grep_run *r, const char *name, bool with_fname) {
  memset(s, 0, sizeof *s);
  s->r = r;
  s->name = name;
  s->with_fname = with_fname;
  s->shown = -1;
}

static void report_read_error(grep_run *r, const char *name, int err) {
  r->errseen = true;
  if (!r->no_messages) {
    grep_out_flush();
    fprintf(stderr, "quarry: %s: %s\n", name, strerror(err));
  }
}

/* Whole buffer in memory (grep_mem): buf[len] is writable if needed, and
 * QX_GREP_PAD readable bytes follow it. */
static void scan_whole(scan *s, char *buf, size_t len) {
  s->win = buf;
  s->wlen = len;
  if (s->r->null_data) swap_nl_nul(buf, len);
  if (len && buf[len - 1] != '\n') buf[s->wlen++] = '\n';
  scan_lines(s, 0);
  finish_limit(s);
  pay_owed(s, (intmax_t)s->wlen);
}

/* Where the kept bytes go in r->rbuf so that the next read() lands on a
 * page boundary: the kernel's copy into a misaligned destination cost about
 * 15% more (1 GB file, perf samples in _copy_to_iter). */
static size_t align_lead(size_t have) { return (READ_ALIGN - have % READ_ALIGN) % READ_ALIGN; }

/* Streaming: read() into a growing buffer, keeping the partial last line
 * and up to `before` lines ahead of the scan position. */
static void scan_stream(scan *s, int fd) {
  grep_run *r = s->r;
  size_t lead = 0, have = 0; /* the window is r->rbuf[lead, lead + have): complete lines + partial */
  intmax_t pos = 0;
  bool eof = false;
  while (!eof && (!s->stop || (s->limit_hit && s->owed > 0))) {
    if (r->rcap < lead + have + READ_CHUNK + 1 + QX_GREP_PAD) {
      size_t cap = QX_MAX(r->rcap * 2, READ_ALIGN + have + READ_CHUNK + 1 + QX_GREP_PAD), nlead = align_lead(have);
      void *nb = NULL;
      if (posix_memalign(&nb, READ_ALIGN, cap)) {
        report_read_error(r, s->name, ENOMEM);
        return;
      }
      if (have) memcpy((char *)nb + nlead, r->rbuf + lead, have);
      free(r->rbuf);
      r->rbuf = nb;
      r->rcap = cap;
      lead = nlead;
    }
    char *w = r->rbuf + lead;
    ssize_t n = read(fd, w + have, READ_CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      report_read_error(r, s->name, errno);
      return;
    }
    if (n == 0) eof = true;
    if (r->null_data) swap_nl_nul(w + have, (size_t)n);
    have += (size_t)n;
    s->win = w;
    char *lastnl = have ? memrchr(w, '\n', have) : NULL;
    s->wlen = lastnl ? (size_t)(lastnl - w) + 1 : 0;
    if (eof && s->wlen < have) w[have++] = '\n', s->wlen = have;
    memset(w + have, 0, QX_GREP_PAD); /* the matcher's padding (qx_grep.h) */
    pos = scan_lines(s, pos);
    if (eof) break;
    if (s->limit_hit) finish_limit(s);
    else pay_owed(s, s->woff + (intmax_t)s->wlen);
    if (s->stop && !(s->limit_hit && s->owed > 0)) break;
    /* keep: the before-context of the next line and the partial tail */
    intmax_t keep = s->woff + (intmax_t)s->wlen;
    for (intmax_t k = 0; k < r->before && keep > s->woff; k++) {
      const char *q = keep - 1 > s->woff ? memrchr(s->win, '\n', (size_t)(keep - 1 - s->woff)) : NULL;
      keep = q ? s->woff + (q - s->win) + 1 : s->woff;
    }
    if (r->lineno) line_number(s, keep);
    size_t drop = (size_t)(keep - s->woff);
    have -= drop;
    lead = align_lead(have);
    memmove(r->rbuf + lead, w + drop, have);
    s->woff = keep;
  }
  finish_limit(s);
  pay_owed(s, s->woff + (intmax_t)s->wlen);
}

/* After a file: counts, file names, the binary notice. */
static intmax_t finish(scan *s) {
  grep_run *r = s->r;
  if (s->skipped) s->selected = 0;
  if (s->selected) r->any_selected = true;
  if (r->count) {
    if (s->with_fname) {
      put_name(r, s->name);
      if (r->null_after_name) out_byte('\0');
      else put_sep(r, ':');
    }
    char t[32];
    snprintf(t, sizeof t, "%jd\n", s->selected);
    grep_out_str(t);
  }
  if ((r->list == GREP_LIST_MATCHING && s->selected) || (r->list == GREP_LIST_NONMATCHING && !s->selected)) {
    put_name(r, s->name);
    if (r->null_after_name) out_byte('\0');
    else out_byte('\n');
  }
  if (printing(r) && (s->notice || (s->bad_utf8 && r->binary_mode == GREP_BIN_BINARY)) && !s->skipped) {
    grep_out_flush();
    fprintf(stderr, "quarry: %s: binary file matches\n", s->name);
  }
  if (r->quiet && s->selected) grep_out_flush();
  return s->selected;
}

/* -T: numbers are as wide as the largest one the file could need (its size,
 * plus one with -n; 19 digits when the size is unknown), as in GNU grep. */
static void set_offset_width(grep_run *r, intmax_t size) {
  if (size < INTMAX_MAX && r->lineno) size++;
  r->offset_width = 0;
  do r->offset_width++;
  while ((size /= 10) != 0);
}

intmax_t grep_mem(grep_run *r, char *buf, size_t len, const char *name, bool with_fname) {
  scan s;
  begin(&s, r, name, with_fname);
  set_offset_width(r, (intmax_t)len);
  scan_whole(&s, buf, len);
  return finish(&s);
}

intmax_t grep_fd(grep_run *r, int fd, const char *name, bool with_fname) {
  scan s;
  begin(&s, r, name, with_fname);
  struct stat st;
  bool have_st = fstat(fd, &st) == 0;
  set_offset_width(r, have_st && S_ISREG(st.st_mode) ? (intmax_t)st.st_size : INTMAX_MAX);
  scan_stream(&s, fd);
  return finish(&s);
}
