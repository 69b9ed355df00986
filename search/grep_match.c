/*
 * grep_match.c: compile grep patterns into one PCRE2 program (with JIT) and
 * find matching lines in large buffers.
 *
 * Line search runs the regex over the whole buffer in multiline mode (one
 * pcre2_match call finds the next match however many lines lie between),
 * then maps the match back to its line. A match that crosses a newline (a
 * negated class or \s can swallow one) is re-checked on its line alone, so
 * lines match exactly as if each were searched separately, as grep does.
 * When the pattern holds a required literal, candidates are found with the
 * SIMD literal search first and only their lines go to PCRE2 (GNU grep's
 * "kwset must" idea); a pattern that is a plain literal never calls PCRE2.
 * Without a literal, when every match must start with one of a few rare
 * bytes (PCRE2's start bitmap, e.g. [QXZ] or a digit), those bytes are
 * searched with SIMD (grep_byteset_find) and PCRE2 runs from each
 * candidate with an offset limit 32 bytes on, so it tries only the start
 * positions near the candidate instead of crawling the whole buffer one byte
 * at a time (ripgrep and Hyperscan prefilter start bytes the same way). If
 * candidates turn out dense the prefilter switches itself off. A pattern
 * that starts with a class of ASCII bytes repeated k times (`[0-9]{7}`,
 * common bytes, rare runs) looks for runs of k such bytes instead
 * (grep_classrun.c), and when the run is the whole pattern no PCRE2 call is
 * needed to find a line. With a NUL watch (binary detection), the
 * start-set scan checks NULs in the same pass, as the literal scan does.
 *
 * Inside a line, matches for -o / --color / --json are leftmost-longest
 * for the POSIX syntaxes (pcre2_dfa_match returns the longest match at the
 * first position, which is what POSIX requires), and Perl's leftmost-first
 * for -P.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "grep_int.h"

#define DFA_WS 4096
/* A partial literal whose rejected candidate lines come more often than
 * once per LIT_MIN_GAP bytes is dropped (find_line_nul). */
#define LIT_MIN_GAP 1024

struct qx_grep {
  pcre2_code *code;
  pcre2_code *dfa_code; /* same pattern without MATCH_INVALID_UTF (the DFA matcher refuses it) */
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  pcre2_jit_stack *jit;
  qx_grep_syntax syntax;
  int never;     /* no patterns: nothing matches */
  int use_lit;   /* literal prefilter */
  int lit_drop;  /* candidates are dense: use_lit goes off at the next call */
  int lit_only;  /* the literal is the whole pattern: no PCRE2 at all */
  int no_dfa;    /* pattern has items the DFA matcher cannot do (back-references) */
  int per_line;  /* -w with a pattern that can match empty: search line by line */
  int use_set;   /* start-byte prefilter; code was compiled with PCRE2_USE_OFFSET_LIMIT */
  int set_drop;  /* candidates are dense: use_set (use_run) goes off at the next call */
  int use_run;   /* class-run prefilter (run.pure: no PCRE2 for line search) */
  grep_classrun run;
  uint32_t cflags; /* pcre2_compile options of code */
  size_t set_bytes, set_calls; /* prefilter statistics (it turns itself off when useless) */
  size_t lit_bytes, lit_rejects; /* the same for a partial literal: bytes per rejected line */
  grep_byteset set;
  pcre2_match_context *smctx; /* mctx plus an offset limit, for the prefiltered search */
  qx_lit lit;
  char *pattern; /* the PCRE2 source (NUL-terminated for display; may hold NULs) */
  size_t pattern_len;
  int *dfa_ws;
};

const char *qx_grep_pattern(const qx_grep *g) { return g->pattern ? g->pattern : ""; }

void qx_grep_free(qx_grep *g) {
  if (!g) return;
  pcre2_code_free(g->code);
  pcre2_code_free(g->dfa_code);
  pcre2_match_data_free(g->md);
  pcre2_match_context_free(g->mctx);
  pcre2_match_context_free(g->smctx);
  pcre2_jit_stack_free(g->jit);
  qx_lit_free(&g->lit);
  free(g->pattern);
  free(g->dfa_ws);
  free(g);
}

static int compile_pcre(qx_grep *g, const qx_grep_opts *o) {
  uint32_t flags = PCRE2_MULTILINE;
  if (o->icase) flags |= PCRE2_CASELESS;
  if (o->syntax != QX_GREP_PCRE) flags |= PCRE2_UCP; /* \w, [[:alpha:]] as in a UTF-8 locale */
  int ecode;
  PCRE2_SIZE eoff;
  const char *src = g->pattern;
  size_t srclen = g->pattern_len; /* not ZERO_TERMINATED: a pattern may hold NUL bytes */
  g->cflags = flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  g->code = pcre2_compile((PCRE2_SPTR)src, srclen, g->cflags, &ecode, &eoff, NULL);
  if (!g->code && ecode >= PCRE2_ERROR_UTF8_ERR21 && ecode <= PCRE2_ERROR_UTF8_ERR1) {
    /* The pattern itself is not UTF-8: match bytes. */
    g->cflags = flags & ~PCRE2_UCP;
    g->code = pcre2_compile((PCRE2_SPTR)src, srclen, g->cflags, &ecode, &eoff, NULL);
  }
  if (!g->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ecode, msg, sizeof msg);
    return qx_err(QUARRY_EINVAL, "%s", (const char *)msg);
  }
  (void)pcre2_jit_compile(g->code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
  if (o->syntax != QX_GREP_PCRE)
    g->dfa_code = pcre2_compile((PCRE2_SPTR)src, srclen, flags | PCRE2_UTF, &ecode, &eoff, NULL);
  g->md = pcre2_match_data_create(32, NULL);
  g->mctx = pcre2_match_context_create(NULL);
  g->jit = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, NULL);
  g->dfa_ws = qx_malloc(DFA_WS * sizeof(int));
  if (!g->md || !g->mctx || !g->jit || !g->dfa_ws) return qx_err(QUARRY_ENOMEM, "out of memory");
  pcre2_jit_stack_assign(g->mctx, NULL, g->jit);
  return 0;
}

/* Recompile the program with PCRE2_USE_OFFSET_LIMIT for the prefiltered
 * searches (find_line_cand), which try only the start positions near a
 * candidate. Returns 1 on success (0: the prefilter is not used). */
static int offset_limited(qx_grep *g) {
  int ecode;
  PCRE2_SIZE eoff;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)g->pattern, g->pattern_len, g->cflags | PCRE2_USE_OFFSET_LIMIT, &ecode,
                                &eoff, NULL);
  if (!g->smctx) g->smctx = pcre2_match_context_create(NULL);
  if (!c || !g->smctx || pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0) {
    pcre2_code_free(c);
    return 0;
  }
  pcre2_jit_stack_assign(g->smctx, NULL, g->jit);
  pcre2_code_free(g->code);
  g->code = c;
  return 1;
}

/* The start-byte prefilter: used when PCRE2 knows the bytes every match
 * starts with and they are rare in text (grep_byteset_cost). The program is
 * then recompiled with PCRE2_USE_OFFSET_LIMIT (find_line_cand). */
static void setup_byteset(qx_grep *g) {
  uint32_t type = 0, minlen = 0, fcu = 0;
  const uint8_t *bm = NULL;
  uint8_t bits[32] = {0};
  if (pcre2_pattern_info(g->code, PCRE2_INFO_FIRSTCODETYPE, &type) || pcre2_pattern_info(g->code, PCRE2_INFO_MINLENGTH, &minlen) ||
      minlen == 0)
    return;
  if (type == 1) {
    /* PCRE2 may report a first code unit that matches caselessly without
     * saying so (W|wwwww gives 'W', from -i or from alternatives that
     * differ in case): both cases of an ASCII letter go in the set, and a
     * non-ASCII first byte (whose other case may start differently) is
     * not used. */
    pcre2_pattern_info(g->code, PCRE2_INFO_FIRSTCODEUNIT, &fcu);
    if (fcu >= 0x80) return;
    bits[fcu >> 3] |= (uint8_t)(1u << (fcu & 7));
    if ((fcu | 0x20) >= 'a' && (fcu | 0x20) <= 'z') {
      fcu ^= 0x20;
      bits[fcu >> 3] |= (uint8_t)(1u << (fcu & 7));
    }
  } else if (type == 0) {
    if (pcre2_pattern_info(g->code, PCRE2_INFO_FIRSTBITMAP, &bm) || !bm) return;
    memcpy(bits, bm, 32);
  } else {
    return; /* ^ patterns: PCRE2 already jumps from line start to line start */
  }
  grep_byteset_init(&g->set, bits);
  if (grep_byteset_cost(&g->set) > 20) return;
  g->use_set = offset_limited(g);
}

/* The class-run prefilter (grep_classrun.c) for a pattern that starts with
 * one; a pure class run needs no PCRE2 program for line search. */
static void setup_classrun(qx_grep *g, const grep_classrun *run, int pure) {
  g->run = *run;
  g->run.pure = pure;
  g->use_run = pure || offset_limited(g);
}

int qx_grep_compile(qx_grep **out, const char *const *pats, const size_t *lens, size_t n,
                    const qx_grep_opts *o) {
  *out = NULL;
  qx_grep *g = qx_calloc(1, sizeof *g);
  if (!g) return qx_err(QUARRY_ENOMEM, "out of memory");
  g->syntax = o->syntax;
  if (n == 0) {
    g->never = 1;
    *out = g;
    return 0;
  }
  qx_buf body = {0};
  size_t groups = 0;
  grep_tr_info info = {{0}, 0};
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char *t = NULL;
    size_t tl = 0, ng = 0;
    rc = grep_translate_ex(&t, &tl, &ng, pats[i], lens[i], o->syntax, groups, n == 1 ? &info : NULL);
    if (rc) break;
    groups += ng;
    /* lengths, not "%s": a pattern may hold NUL bytes (grep -f binary-file) */
    if (n > 1) rc = qx_buf_printf(&body, "%s(?:", i ? "|" : "");
    if (rc == 0) rc = qx_buf_append(&body, t, tl);
    if (rc == 0 && n > 1) rc = qx_buf_append(&body, ")", 1);
    free(t);
  }
  grep_classrun run;
  int have_run = rc == 0 && n == 1 && grep_classrun_parse(&run, (const char *)body.data, body.len, o->icase);
  qx_buf full = {0};
  if (rc == 0) {
    const char *pre = o->line ? "^(?:" : o->word ? "(?<!\\w)(?:" : "";
    const char *post = o->line ? ")$" : o->word ? ")(?!\\w)" : "";
    rc = qx_buf_append(&full, pre, strlen(pre));
    if (rc == 0 && body.len) rc = qx_buf_append(&full, body.data, body.len);
    if (rc == 0) rc = qx_buf_append(&full, post, strlen(post));
    g->pattern_len = full.len;
    if (rc == 0) rc = qx_buf_putc(&full, 0);
  }
  qx_buf_free(&body);
  if (rc) {
    qx_buf_free(&full);
    qx_buf_free(&info.must);
    qx_grep_free(g);
    return rc < 0 && rc != QUARRY_ENOMEM ? rc : qx_err(QUARRY_ENOMEM, "out of memory");
  }
  g->pattern = (char *)full.data;
  rc = compile_pcre(g, o);
  if (rc) {
    qx_buf_free(&info.must);
    qx_grep_free(g);
    return rc;
  }
  /* Literal prefilter: ASCII-only needles when case-insensitive. A partial
   * literal must be selective (3+ bytes, 2 without a lowercase letter or
   * space, or 1 byte that is rare in text, like the "-" of ^[0-9]{4}-): a
   * lone " " or "e" would send nearly every line to PCRE2 twice. If the
   * candidates still turn out dense, find_line_lit switches it off. */
  int selective = info.pure || info.must.len >= 3;
  if (info.must.len == 2) {
    selective = 1;
    for (size_t i = 0; i < 2; i++)
      if (info.must.data[i] == ' ' || (info.must.data[i] >= 'a' && info.must.data[i] <= 'z')) selective = 0;
  }
  if (info.must.len == 1) {
    unsigned b = info.must.data[0];
    if (o->icase && (b | 0x20) >= 'a' && (b | 0x20) <= 'z') b |= 0x20;
    selective = info.pure || grep_byte_permille(b) <= 3;
  }
  if (n == 1 && info.must.len > 0 && selective) {
    int ascii = 1;
    for (size_t i = 0; i < info.must.len; i++)
      if (info.must.data[i] >= 0x80) ascii = 0;
    if (!o->icase || ascii) {
      if (qx_lit_init(&g->lit, (const char *)info.must.data, info.must.len, o->icase) == 0) {
        g->use_lit = 1;
        g->lit_only = info.pure && !o->word && !o->line;
      }
    }
  }
  qx_buf_free(&info.must);
  if (!g->use_lit && have_run) setup_classrun(g, &run, run.pure && !o->word && !o->line);
  if (!g->use_lit && !g->use_run) setup_byteset(g);
  /* -w and an empty match: PCRE2's invalid-UTF segments hide an empty match
   * just before an invalid byte at a line start from the buffer search
   * ("de\n\x82x" | grep -w '': GNU grep selects the second line), so these
   * patterns are searched one line at a time, as a line alone is seen right. */
  uint32_t minlen = 1;
  pcre2_pattern_info(g->code, PCRE2_INFO_MINLENGTH, &minlen);
  g->per_line = o->word && !o->line && minlen == 0 && !g->use_lit;
  uint32_t cap = 0;
  pcre2_pattern_info(g->code, PCRE2_INFO_BACKREFMAX, &cap);
  g->no_dfa = cap > 0 || o->syntax == QX_GREP_PCRE;
  *out = g;
  return 0;
}

static int pcre_fail(int rc) {
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
      rc == PCRE2_ERROR_HEAPLIMIT)
    return qx_err(QUARRY_EINVAL, "exceeded PCRE's backtracking limit");
  if (rc == PCRE2_ERROR_NOMEMORY) return qx_err(QUARRY_ENOMEM, "out of memory in PCRE2");
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(rc, msg, sizeof msg);
  return qx_err(QUARRY_EINVAL, "PCRE2 match failed: %s", (const char *)msg);
}

/* Does the line [ls, le) (le excluding '\n') match on its own? */
static int line_matches(qx_grep *g, const char *line, size_t len) {
  int rc = pcre2_match(g->code, (PCRE2_SPTR)line, len, 0, 0, g->md, g->mctx);
  if (rc >= 0) return 1;
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  return pcre_fail(rc);
}

static inline size_t line_start(const char *buf, size_t from, size_t at) {
  const char *p = at > from ? memrchr(buf + from, '\n', at - from) : NULL;
  return p ? (size_t)(p - buf) + 1 : from;
}

static inline size_t line_end(const char *buf, size_t at, size_t end) {
  const char *p = memchr(buf + at, '\n', end - at);
  return p ? (size_t)(p - buf) + 1 : end;
}

/* Map the match [s, e) of buf (found in a search that began at the line
 * start `from`) to its line. A match running over a newline is re-checked
 * on its line alone. Returns 1 (line in *ls, *le), 0 (the line does not
 * match on its own) or a negative error. */
static int match_to_line(qx_grep *g, const char *buf, size_t from, size_t end, size_t s, size_t e, size_t *ls,
                         size_t *le) {
  size_t lstart = line_start(buf, from, s), lend = line_end(buf, s, end);
  if (e > s && memchr(buf + s, '\n', e - s)) {
    int rc = line_matches(g, buf + lstart, lend - lstart - (buf[lend - 1] == '\n'));
    if (rc <= 0) {
      *le = lend;
      return rc;
    }
  }
  *ls = lstart;
  *le = lend;
  return 1;
}

/* Is there a NUL in sub[a, b)? Sets *nul_at (relative to sub) when so. */
static int nul_in(const char *sub, size_t a, size_t b, size_t *nul_at) {
  const char *z = b > a ? memchr(sub + a, 0, b - a) : NULL;
  if (z) *nul_at = (size_t)(z - sub);
  return z != NULL;
}

/* The prefiltered searches: SIMD finds where a match may start (a byte of
 * the start set, or the start of a class run), PCRE2 tries the start
 * positions of the next 32 bytes; a pure class run is a match by itself.
 * With nul_at (qx_grep_find_line_nul; start sets only), the SIMD scan also
 * watches NUL bytes, and the few bytes it skips (after a rejected
 * candidate: the rest of its 32, or the line a cross-line match was
 * re-checked on) are checked with memchr, so that every byte before the
 * answer has been seen. */
static int find_line_cand(qx_grep *g, const char *buf, size_t from, size_t end, size_t *ls, size_t *le,
                          size_t *nul_at) {
  const char *sub = buf + from;
  size_t slen = end - from, pos = 0, lfrom = 0, z;
  while (pos < slen) {
    const char *nul = NULL, *c;
    if (g->use_run) {
      c = grep_classrun_find(&g->run, sub + pos, slen - pos);
    } else {
      c = grep_byteset_find(&g->set, sub + pos, slen - pos, nul_at ? &nul : NULL);
      if (nul) {
        *nul_at = from + (size_t)(nul - sub);
        return 2;
      }
    }
    if (!c) {
      g->set_bytes += slen - pos;
      return 0;
    }
    size_t p = (size_t)(c - sub);
    if (g->use_run && g->run.pure) {
      *ls = from + line_start(sub, lfrom, p);
      *le = from + line_end(sub, p, slen);
      return 1;
    }
    g->set_bytes += p + 32 - pos;
    g->set_calls++;
    pcre2_set_offset_limit(g->smctx, p + 31);
    /* the JIT entry point directly: this runs once per candidate block,
     * and pcre2_match's argument checks cost as much as a short attempt */
    int rc = pcre2_jit_match(g->code, (PCRE2_SPTR)sub, slen, p, 0, g->md, g->smctx);
    if (rc == PCRE2_ERROR_NOMATCH) {
      pos = p + 32;
      if (nul_at && nul_in(sub, p, QX_MIN(pos, slen), &z)) {
        *nul_at = from + z;
        return 2;
      }
      if ((g->set_calls & 1023) == 0 && g->set_bytes < g->set_calls * 96) {
        /* candidates everywhere: PCRE2's own scan is cheaper (from the
         * next call on when a NUL watch depends on this one) */
        g->set_drop = 1;
        if (nul_at) continue;
        g->use_set = g->use_run = 0;
        if (pos >= slen) return 0;
        pcre2_set_offset_limit(g->smctx, PCRE2_UNSET);
        size_t l0 = line_start(sub, lfrom, pos);
        return qx_grep_find_line(g, buf, from + l0, end, ls, le);
      }
      continue;
    }
    if (rc < 0) return pcre_fail(rc);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(g->md);
    size_t s = ov[0], e = ov[1];
    if (s >= slen) return 0;
    rc = match_to_line(g, sub, lfrom, slen, s, e, ls, le);
    if (rc < 0) return rc;
    if (rc == 1) {
      if (nul_at && *ls > p && nul_in(sub, p, *ls, &z)) {
        *nul_at = from + z;
        return 2;
      }
      *ls += from;
      *le += from;
      return 1;
    }
    if (nul_at && nul_in(sub, p, *le, &z)) {
      *nul_at = from + z;
      return 2;
    }
    pos = lfrom = *le;
  }
  return 0;
}

int qx_grep_watches_nul(const qx_grep *g) {
  return !g->never && ((g->use_lit && !g->lit_drop) || (g->use_set && !g->set_drop));
}

int qx_grep_find_line(qx_grep *g, const char *buf, size_t from, size_t end, size_t *ls, size_t *le) {
  return qx_grep_find_line_nul(g, buf, from, end, ls, le, NULL);
}

int qx_grep_find_line_nul(qx_grep *g, const char *buf, size_t from, size_t end, size_t *ls,
                          size_t *le, size_t *nul_at) {
  if (g->never) return 0;
  size_t pos = from;
  if (g->lit_drop) g->use_lit = 0;
  if (g->use_lit) {
    while (pos < end) {
      const char *hit, *nul = NULL;
      if (nul_at) {
        hit = qx_lit_find_nul(&g->lit, buf + pos, end - pos, &nul);
        if (nul) {
          *nul_at = (size_t)(nul - buf);
          return 2;
        }
      } else {
        hit = qx_lit_find(&g->lit, buf + pos, end - pos);
      }
      if (!hit) return 0;
      size_t h = (size_t)(hit - buf);
      size_t s = line_start(buf, pos, h), e = line_end(buf, h, end);
      if (g->lit_only) {
        *ls = s;
        *le = e;
        return 1;
      }
      int rc = line_matches(g, buf + s, e - s - (buf[e - 1] == '\n'));
      if (rc < 0) return rc;
      if (rc) {
        *ls = s;
        *le = e;
        return 1;
      }
      /* A rejected candidate costs a search, two line-end scans and a PCRE2
       * call: when they come every few hundred bytes, PCRE2's own scan of
       * the buffer is cheaper, so the literal is dropped (at once when no
       * NUL watch depends on it, else from the next call on). */
      g->lit_rejects++;
      g->lit_bytes += e - pos;
      if ((g->lit_rejects & 1023) == 0 && g->lit_bytes < g->lit_rejects * LIT_MIN_GAP) {
        g->lit_drop = 1;
        if (!nul_at) {
          g->use_lit = 0;
          return qx_grep_find_line_nul(g, buf, e, end, ls, le, NULL);
        }
      }
      if (nul_at) {
        /* the rest of the rejected line was not scanned */
        const char *z = memchr(buf + h, 0, e - h);
        if (z) {
          *nul_at = (size_t)(z - buf);
          return 2;
        }
      }
      pos = e;
    }
    return 0;
  }
  if (g->set_drop) g->use_set = g->use_run = 0;
  if (g->use_set || g->use_run) return find_line_cand(g, buf, from, end, ls, le, nul_at);
  if (g->per_line) {
    for (size_t s = from; s < end;) {
      size_t e = line_end(buf, s, end);
      int rc = line_matches(g, buf + s, e - s - (buf[e - 1] == '\n'));
      if (rc < 0) return rc;
      if (rc) {
        *ls = s;
        *le = e;
        return 1;
      }
      s = e;
    }
    return 0;
  }
  const char *sub = buf + from;
  size_t slen = end - from, off = 0;
  while (off < slen) {
    int rc = pcre2_match(g->code, (PCRE2_SPTR)sub, slen, off, 0, g->md, g->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return pcre_fail(rc);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(g->md);
    size_t s = ov[0], e = ov[1];
    if (s >= slen) return 0; /* the empty "line" after the last newline */
    size_t lstart = line_start(sub, off, s), lend = line_end(sub, s, slen);
    if (e > s && memchr(sub + s, '\n', e - s)) {
      rc = line_matches(g, sub + lstart, lend - lstart - (sub[lend - 1] == '\n'));
      if (rc < 0) return rc;
      if (!rc) {
        off = lend;
        continue;
      }
    }
    *ls = from + lstart;
    *le = from + lend;
    return 1;
  }
  return 0;
}

int qx_grep_fast_invert(const qx_grep *g) { return g->lit_only && !g->never && grep_simd(); }

int qx_grep_find_unmatched(qx_grep *g, const char *buf, size_t from, size_t end, size_t *rs, size_t *re) {
  if (qx_grep_fast_invert(g)) return grep_lit_unmatched_avx2(&g->lit, buf, from, end, rs, re);
  for (size_t pos = from, ls, le; pos < end; pos = le) {
    int rc = qx_grep_find_line(g, buf, pos, end, &ls, &le);
    if (rc < 0) return rc;
    if (rc == 0 || ls > pos) {
      *rs = pos;
      *re = rc == 0 ? end : ls;
      return 1;
    }
  }
  return 0;
}

int qx_grep_match_in_line(qx_grep *g, const char *line, size_t len, size_t start, size_t *ms,
                          size_t *me) {
  if (g->never || start > len) return 0;
  if (g->lit_only) {
    const char *hit = qx_lit_find(&g->lit, line + start, len - start);
    if (!hit) return 0;
    *ms = (size_t)(hit - line);
    *me = *ms + g->lit.len;
    return 1;
  }
  int rc;
  if (!g->no_dfa && g->dfa_code) {
    /* An invalid UTF-8 line makes this fail; the backtracking matcher takes over. */
    rc = pcre2_dfa_match(g->dfa_code, (PCRE2_SPTR)line, len, start, 0, g->md, g->mctx, g->dfa_ws, DFA_WS);
    if (rc >= 0) {
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer(g->md);
      *ms = ov[0];
      *me = ov[1];
      return 1;
    }
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    /* Unsupported item or workspace too small: fall back to backtracking. */
  }
  rc = pcre2_match(g->code, (PCRE2_SPTR)line, len, start, 0, g->md, g->mctx);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) return pcre_fail(rc);
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(g->md);
  *ms = ov[0];
  *me = ov[1];
  if (*me < *ms) *me = *ms; /* \K tricks */
  return 1;
}
