/*
 * corpus_trec.c: TREC SGML document files (the TREC ad hoc collections:
 * "<DOC> <DOCNO> FT911-3 </DOCNO> <HEADLINE>...</HEADLINE> <TEXT>...</TEXT>
 * </DOC>", several documents per file). Tags are matched case-insensitively.
 * id = DOCNO; title = the first TITLE, HEADLINE, HEAD or HL element; text =
 * every TEXT element in order, or, when there is none, the document body
 * after </DOCNO> without the title element. Inner tags (<P>, <F ...>) are
 * replaced by a space so that words on either side stay apart.
 */
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "qx_common.h"
#include "qx_corpus.h"

/* First case-insensitive occurrence of needle in [s, e), or NULL. */
static const char *find_ci(const char *s, const char *e, const char *needle) {
  size_t n = strlen(needle);
  for (; s + n <= e; s++)
    if (!strncasecmp(s, needle, n)) return s;
  return NULL;
}

/* Content of the first <tag>...</tag> in [s, e): sets [*cs, *ce), returns 1 if found. */
static int element(const char *s, const char *e, const char *tag, const char **cs, const char **ce) {
  char open[24], close[24];
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  const char *o = find_ci(s, e, open);
  if (!o) return 0;
  *cs = o + strlen(open);
  const char *c = find_ci(*cs, e, close);
  *ce = c ? c : e;
  return 1;
}

/* Append [s, e) to the title or text, tags replaced by a space. */
static int append_plain(qx_corpus_buf *b, int to_title, const char *s, const char *e) {
  char **dst = to_title ? &b->title : &b->text;
  size_t *cap = to_title ? &b->title_cap : &b->text_cap;
  size_t *len = to_title ? &b->title_len : &b->text_len;
  int rc = qx_grow((void **)dst, cap, *len + (size_t)(e - s) + 2, 1);
  if (rc) return rc;
  char *d = *dst + *len;
  if (*len) *d++ = '\n';
  int in_tag = 0;
  for (const char *p = s; p < e; p++) {
    if (*p == '<') in_tag = 1;
    if (!in_tag)
      *d++ = *p;
    else if (*p == '>') {
      in_tag = 0;
      *d++ = ' ';
    }
  }
  *len = (size_t)(d - *dst);
  (*dst)[*len] = '\0';
  return 0;
}

static void trim(const char **s, const char **e) {
  while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r'))
    (*s)++;
  while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\n' || (*e)[-1] == '\r'))
    (*e)--;
}

int qx_corpus_trec_next(qx_corpus_buf *b, const char *path, const char *data, size_t len, size_t *pos) {
  const char *end = data + len;
  const char *doc = find_ci(data + *pos, end, "<DOC>");
  if (!doc) {
    for (const char *p = data + *pos; p < end; p++)
      if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
        return qx_err(QUARRY_EINVAL, "%s: offset %zu: text outside <DOC> ... </DOC>", path,
                      (size_t)(p - data));
    *pos = len;
    return 0;
  }
  const char *body = doc + 5;
  const char *close = find_ci(body, end, "</DOC>");
  if (!close)
    return qx_err(QUARRY_EINVAL, "%s: offset %zu: <DOC> without </DOC>", path, (size_t)(doc - data));
  *pos = (size_t)(close - data) + 6;
  const char *is, *ie;
  if (!element(body, close, "DOCNO", &is, &ie))
    return qx_err(QUARRY_EINVAL, "%s: offset %zu: <DOC> without <DOCNO>", path, (size_t)(doc - data));
  const char *id_end = ie;
  trim(&is, &ie);
  if (is == ie) return qx_err(QUARRY_EINVAL, "%s: offset %zu: empty <DOCNO>", path, (size_t)(doc - data));
  int rc = qx_corpus_set(&b->id, &b->id_cap, NULL, is, (size_t)(ie - is));
  if (!rc) rc = qx_corpus_set(&b->title, &b->title_cap, &b->title_len, "", 0);
  if (!rc) rc = qx_corpus_set(&b->text, &b->text_cap, &b->text_len, "", 0);
  if (rc) return rc;
  static const char *title_tags[] = {"TITLE", "HEADLINE", "HEAD", "HL"};
  const char *ts = NULL, *te = NULL;
  for (size_t i = 0; i < QX_ARRAY_LEN(title_tags) && !ts; i++)
    if (element(body, close, title_tags[i], &ts, &te)) {
      const char *a = ts, *z = te;
      trim(&a, &z);
      if ((rc = append_plain(b, 1, a, z))) return rc;
    }
  const char *p = body, *cs, *ce;
  int found = 0;
  while (element(p, close, "TEXT", &cs, &ce)) {
    found = 1;
    if ((rc = append_plain(b, 0, cs, ce))) return rc;
    p = ce;
  }
  if (!found) { /* the body after </DOCNO>, without the title element */
    const char *gt = find_ci(id_end, close, ">");
    const char *a = gt ? gt + 1 : id_end;
    if (ts && ts > a) {
      const char *tgt = find_ci(te, close, ">");
      if ((rc = append_plain(b, 0, a, ts))) return rc;
      a = tgt ? tgt + 1 : close;
    }
    if ((rc = append_plain(b, 0, a, close))) return rc;
  }
  return 1;
}
