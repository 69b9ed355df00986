/*
 * grep_translate.c: GNU grep pattern syntax -> PCRE2 pattern syntax.
 *
 * POSIX basic and extended regular expressions (IEEE Std 1003.1, "Regular
 * Expressions", chapter 9) with the GNU extensions grep accepts (\< \> \b \B
 * \w \W \s \S \` \' \| \+ \? in BRE, back-references in ERE) differ from
 * Perl syntax in which characters are special, in where ^ $ * are anchors or
 * literals, in bracket expressions (a backslash is literal there) and in
 * stacked quantifiers (ERE "a+?" is "(a+)?", not a lazy "a+"). This file
 * rewrites one pattern token by token so that PCRE2 matches the same lines.
 * Quirks copied from GNU grep 3.8 (checked against it): a leading * is
 * literal in BRE and ignored in ERE; an ERE "{" that does not start a valid
 * interval is literal; an unmatched ERE ")" is literal; "\{,n\}" means
 * "{0,n}"; "\d" and other unknown escapes are the plain character.
 *
 * On the side it records the longest literal run that every match must
 * contain (outside groups, without alternation), which the matcher uses as
 * a memchr-style prefilter, as GNU grep's kwset "must" strings do.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "grep_int.h"

size_t grep_utf8_len(const uint8_t *p, size_t avail) {
  size_t n = 1;
  if (p[0] >= 0xC2 && p[0] <= 0xDF) n = 2;
  else if (p[0] >= 0xE0 && p[0] <= 0xEF) n = 3;
  else if (p[0] >= 0xF0 && p[0] <= 0xF4) n = 4;
  if (n > avail) return 1;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 1;
  return n;
}

#define TR_MAX_DEPTH 256

typedef struct tr {
  qx_buf out;
  const uint8_t *p;
  size_t n, i;
  int ere;
  size_t group_base, ngroups;
  long atom;         /* index in out where the last quantifiable atom starts, -1 if none */
  int quantified;    /* the last atom already carries a quantifier */
  size_t atom_lit;   /* bytes the last atom added to seg (0 if not a literal) */
  int after_open;    /* at the start of the RE, after ( or | (BRE anchor rules) */
  size_t stack[TR_MAX_DEPTH];
  size_t depth;
  /* literal analysis */
  qx_buf seg, best;
  int pure, has_alt;
  int err;
} tr;

static int tr_fail(tr *t, const char *msg) {
  t->err = qx_err(QUARRY_EINVAL, "%s", msg);
  return t->err;
}

static void seg_close(tr *t) {
  if (t->seg.len > t->best.len) {
    t->best.len = 0;
    if (qx_buf_append(&t->best, t->seg.data, t->seg.len) < 0) t->err = QUARRY_ENOMEM;
  }
  t->seg.len = 0;
}

static void emit(tr *t, const char *s, size_t n) {
  if (qx_buf_append(&t->out, s, n) < 0) t->err = QUARRY_ENOMEM;
}
static void emits(tr *t, const char *s) { emit(t, s, strlen(s)); }

/* An item that is not a literal (class, group, anchor, escape class). */
static void non_literal(tr *t) {
  t->pure = 0;
  seg_close(t);
}

/* Start a new quantifiable atom that is not a literal. */
static void atom_begin(tr *t) {
  t->atom = (long)t->out.len;
  t->quantified = 0;
  t->atom_lit = 0;
  t->after_open = 0;
}

/* A literal character (n bytes of UTF-8 or one byte) as an atom. */
static void literal(tr *t, const uint8_t *c, size_t n) {
  atom_begin(t);
  if (n == 1 && c[0] < 0x80 && !isalnum(c[0]) && c[0] != ' ' && c[0] >= 0x20) {
    char esc[2] = {'\\', (char)c[0]};
    emit(t, esc, 2);
  } else {
    emit(t, (const char *)c, n);
  }
  if (t->depth == 0) {
    if (qx_buf_append(&t->seg, c, n) < 0) t->err = QUARRY_ENOMEM;
    t->atom_lit = n;
  } else {
    t->pure = 0;
  }
}

/* Apply quantifier text q to the last atom. Returns 0 if applied, 1 if there
 * was no atom (the caller decides what a leading quantifier means). */
static int quantify(tr *t, const char *q) {
  if (t->atom < 0) return 1;
  if (t->quantified) {
    /* "a*{2}" or ERE "a+?": wrap so PCRE2 does not read it as lazy/possessive. */
    if (qx_buf_reserve(&t->out, 3) < 0) {
      t->err = QUARRY_ENOMEM;
      return 0;
    }
    memmove(t->out.data + t->atom + 3, t->out.data + t->atom, t->out.len - (size_t)t->atom);
    memcpy(t->out.data + t->atom, "(?:", 3);
    t->out.len += 3;
    emit(t, ")", 1);
  }
  if (t->atom_lit) {
    t->seg.len -= t->atom_lit;
    t->atom_lit = 0;
  }
  non_literal(t);
  emits(t, q);
  t->quantified = 1;
  return 0;
}

/* Parse an interval body at t->i ("m}", "m,}", "m,n}", ",n}"); `close` is
 * "}" (ERE) or "\\}" (BRE). On success writes the PCRE2 form into q and
 * advances t->i past the closing brace. Returns 1 if valid, 0 if not. */
static int parse_interval(tr *t, const char *close, char *q, size_t qcap) {
  size_t i = t->i;
  long m = -1, nmax = -1;
  int comma = 0;
  while (i < t->n && isdigit(t->p[i])) {
    m = (m < 0 ? 0 : m) * 10 + (t->p[i++] - '0');
    if (m > 32767) return 0;
  }
  if (i < t->n && t->p[i] == ',') {
    comma = 1;
    i++;
    while (i < t->n && isdigit(t->p[i])) {
      nmax = (nmax < 0 ? 0 : nmax) * 10 + (t->p[i++] - '0');
      if (nmax > 32767) return 0;
    }
  }
  size_t cl = strlen(close);
  if (i + cl > t->n || memcmp(t->p + i, close, cl)) return 0;
  if (m < 0 && !comma) return 0;
  if (m < 0) m = 0;
  if (comma && nmax >= 0 && nmax < m) return 0;
  if (!comma) snprintf(q, qcap, "{%ld}", m);
  else if (nmax < 0) snprintf(q, qcap, "{%ld,}", m);
  else snprintf(q, qcap, "{%ld,%ld}", m, nmax);
  t->i = i + cl;
  return 1;
}

static const char *const posix_classes[] = {"alpha", "upper", "lower", "digit", "xdigit", "space",
                                            "print", "punct", "graph", "cntrl", "blank", "alnum"};

/* Bracket expression starting at t->p[t->i] == '['. */
static void bracket(tr *t) {
  size_t j = t->i + 1;
  int neg = 0;
  non_literal(t);
  atom_begin(t);
  emit(t, "[", 1);
  if (j < t->n && t->p[j] == '^') {
    neg = 1;
    emit(t, "^", 1);
    j++;
  }
  if (j < t->n && t->p[j] == ']') {
    emit(t, "\\]", 2);
    j++;
  }
  while (j < t->n && t->p[j] != ']') {
    uint8_t c = t->p[j];
    if (c == '[' && j + 1 < t->n && (t->p[j + 1] == ':' || t->p[j + 1] == '.' || t->p[j + 1] == '=')) {
      uint8_t d = t->p[j + 1];
      size_t k = j + 2;
      while (k + 1 < t->n && !(t->p[k] == d && t->p[k + 1] == ']')) k++;
      if (k + 1 >= t->n) {
        tr_fail(t, "Unmatched [, [^, [:, [., or [=");
        return;
      }
      if (d == ':') {
        size_t nl = k - (j + 2);
        int ok = 0;
        for (size_t c2 = 0; c2 < QX_ARRAY_LEN(posix_classes); c2++)
          if (strlen(posix_classes[c2]) == nl && !memcmp(posix_classes[c2], t->p + j + 2, nl)) ok = 1;
        if (!ok) {
          tr_fail(t, "Invalid character class name");
          return;
        }
        emit(t, (const char *)t->p + j, k + 2 - j);
      } else {
        /* [.x.] and [=x=]: the character itself (single characters only). */
        size_t cl = k - (j + 2);
        if (cl == 0 || grep_utf8_len(t->p + j + 2, cl) != cl) {
          tr_fail(t, "Invalid collation character");
          return;
        }
        if (cl == 1 && !isalnum(t->p[j + 2])) emit(t, "\\", 1);
        emit(t, (const char *)t->p + j + 2, cl);
      }
      j = k + 2;
    } else if (c == '\\' || c == '[') {
      char esc[2] = {'\\', (char)c};
      emit(t, esc, 2);
      j++;
    } else {
      emit(t, (const char *)&c, 1);
      j++;
    }
  }
  if (j >= t->n) {
    tr_fail(t, "Unmatched [, [^, [:, [., or [=");
    return;
  }
  if (neg) emit(t, "\\n", 2); /* a negated class never matches the line end */
  emit(t, "]", 1);
  t->i = j + 1;
}

static void group_open(tr *t) {
  if (t->depth >= TR_MAX_DEPTH) {
    tr_fail(t, "Regular expression too big");
    return;
  }
  non_literal(t);
  t->stack[t->depth++] = t->out.len;
  emit(t, "(", 1);
  t->ngroups++;
  t->atom = -1;
  t->after_open = 1;
}

static void group_close(tr *t) {
  t->depth--;
  emit(t, ")", 1);
  t->atom = (long)t->stack[t->depth];
  t->quantified = 0;
  t->atom_lit = 0;
  t->after_open = 0;
}

static void alternation(tr *t) {
  non_literal(t);
  t->has_alt = 1;
  emit(t, "|", 1);
  t->atom = -1;
  t->after_open = 1;
}

static void anchor(tr *t, const char *s) {
  non_literal(t);
  emits(t, s);
  t->atom = -1;
}

/* Backslash sequence at t->p[t->i] == '\\'. */
static void escape(tr *t) {
  if (t->i + 1 >= t->n) {
    tr_fail(t, "Trailing backslash");
    return;
  }
  uint8_t d = t->p[t->i + 1];
  t->i += 2;
  if (!t->ere) {
    switch (d) {
    case '(': group_open(t); return;
    case ')':
      if (!t->depth) {
        tr_fail(t, "Unmatched ) or \\)");
        return;
      }
      group_close(t);
      return;
    case '|': alternation(t); return;
    case '{': {
      char q[48];
      if (t->atom < 0) {
        tr_fail(t, "Invalid preceding regular expression");
        return;
      }
      if (!parse_interval(t, "\\}", q, sizeof q)) {
        tr_fail(t, "Invalid content of \\{\\}");
        return;
      }
      quantify(t, q);
      return;
    }
    case '+':
    case '?':
      if (quantify(t, d == '+' ? "+" : "?")) literal(t, &d, 1);
      return;
    default: break;
    }
  }
  if (d >= '1' && d <= '9') {
    size_t k = (size_t)(d - '0');
    if (k > t->ngroups) {
      tr_fail(t, "Invalid back reference");
      return;
    }
    char q[32];
    non_literal(t);
    atom_begin(t);
    snprintf(q, sizeof q, "\\g{%zu}", k + t->group_base);
    emits(t, q);
    return;
  }
  switch (d) {
  case '<': anchor(t, "\\b(?=\\w)"); return;
  case '>': anchor(t, "\\b(?<=\\w)"); return;
  case 'b': anchor(t, "\\b"); return;
  case 'B': anchor(t, "\\B"); return;
  case '`': anchor(t, "^"); return;
  case '\'': anchor(t, "$"); return;
  case 'w':
  case 'W':
  case 's':
  case 'S': {
    char q[3] = {'\\', (char)d, 0};
    non_literal(t);
    atom_begin(t);
    emits(t, q);
    return;
  }
  default: break;
  }
  /* Any other escaped character stands for itself. */
  size_t cl = grep_utf8_len(t->p + t->i - 1, t->n - (t->i - 1));
  literal(t, t->p + t->i - 1, cl);
  t->i += cl - 1;
}

int grep_translate_ex(char **out, size_t *out_len, size_t *ngroups, const char *pat, size_t len,
                      qx_grep_syntax syntax, size_t group_base, grep_tr_info *info) {
  tr t;
  memset(&t, 0, sizeof t);
  t.p = (const uint8_t *)pat;
  t.n = len;
  t.ere = syntax == QX_GREP_ERE;
  t.group_base = group_base;
  t.atom = -1;
  t.after_open = 1;
  t.pure = 1;
  *out = NULL;
  if (syntax == QX_GREP_FIXED || syntax == QX_GREP_PCRE) {
    /* Fixed strings: every byte literal. PCRE: copied; a pattern without
     * metacharacters is still recognised as a literal for the fast path. */
    int meta = 0;
    for (size_t i = 0; i < len && syntax == QX_GREP_PCRE; i++)
      if (strchr("\\^$.[|()?*+{", pat[i])) meta = 1;
    if (syntax == QX_GREP_PCRE) {
      emit(&t, pat, len);
      t.pure = !meta;
      if (!meta && qx_buf_append(&t.best, pat, len) < 0) t.err = QUARRY_ENOMEM;
      /* count capturing groups roughly: "(" not followed by "?" and not escaped */
      for (size_t i = 0; i < len; i++) {
        if (pat[i] == '\\') i++;
        else if (pat[i] == '(' && (i + 1 >= len || pat[i + 1] != '?')) t.ngroups++;
      }
    } else {
      for (size_t i = 0; i < len;) {
        size_t cl = grep_utf8_len(t.p + i, len - i);
        literal(&t, t.p + i, cl);
        i += cl;
      }
      seg_close(&t);
    }
    goto done;
  }
  while (t.i < t.n && !t.err) {
    uint8_t c = t.p[t.i];
    switch (c) {
    case '\\': escape(&t); continue;
    case '[': bracket(&t); continue;
    case '.':
      non_literal(&t);
      atom_begin(&t);
      emit(&t, ".", 1);
      t.i++;
      continue;
    case '*':
      t.i++;
      if (quantify(&t, "*")) {
        if (!t.ere) literal(&t, &c, 1); /* BRE: a leading * is literal; ERE: ignored */
      }
      continue;
    case '^':
      t.i++;
      if (t.ere || t.after_open) anchor(&t, "^");
      else literal(&t, &c, 1);
      continue;
    case '$': {
      t.i++;
      int end = t.i == t.n || (t.i + 1 < t.n && t.p[t.i] == '\\' && (t.p[t.i + 1] == ')' || t.p[t.i + 1] == '|'));
      if (t.ere || end) anchor(&t, "$");
      else literal(&t, &c, 1);
      continue;
    }
    default: break;
    }
    if (t.ere) {
      switch (c) {
      case '(': t.i++; group_open(&t); continue;
      case ')':
        t.i++;
        if (t.depth) group_close(&t);
        else literal(&t, &c, 1);
        continue;
      case '|': t.i++; alternation(&t); continue;
      case '+':
      case '?':
        t.i++;
        quantify(&t, c == '+' ? "+" : "?"); /* leading: ignored, as GNU grep does */
        continue;
      case '{': {
        char q[48];
        size_t save = t.i;
        t.i++;
        if (t.atom >= 0 && parse_interval(&t, "}", q, sizeof q)) {
          quantify(&t, q);
        } else {
          t.i = save + 1;
          literal(&t, &c, 1);
        }
        continue;
      }
      default: break;
      }
    }
    size_t cl = grep_utf8_len(t.p + t.i, t.n - t.i);
    literal(&t, t.p + t.i, cl);
    t.i += cl;
  }
  if (!t.err && t.depth) tr_fail(&t, "Unmatched ( or \\(");
  seg_close(&t);
done:
  if (t.err) {
    qx_buf_free(&t.out);
    qx_buf_free(&t.seg);
    qx_buf_free(&t.best);
    return t.err;
  }
  if (qx_buf_putc(&t.out, 0) < 0) {
    qx_buf_free(&t.seg);
    qx_buf_free(&t.best);
    qx_buf_free(&t.out);
    return qx_err(QUARRY_ENOMEM, "out of memory");
  }
  *out = (char *)t.out.data;
  if (out_len) *out_len = t.out.len - 1;
  if (ngroups) *ngroups = t.ngroups;
  qx_buf_free(&t.seg);
  if (info) {
    if (t.has_alt) t.best.len = 0;
    info->must = t.best;
    info->pure = t.pure && !t.has_alt;
  } else {
    qx_buf_free(&t.best);
  }
  return 0;
}

int qx_grep_translate(char **out, size_t *ngroups, const char *pat, size_t len,
                      qx_grep_syntax syntax, size_t group_base) {
  return grep_translate_ex(out, NULL, ngroups, pat, len, syntax, group_base, NULL);
}
