/*
 * corpus_smart.c: the SMART record format of the classic test collections
 * (Salton's SMART system; Cranfield cran.all.1400 and cran.qry, CISI.ALL and
 * CISI.QRY from the Glasgow IR test collections). A record starts with a line
 * ".I <id>"; each field starts with a line ".<letter>" (text may follow on the
 * same line): .T title, .W text (abstract or query), .A authors, .B source,
 * .X cross-references. quarry keeps .T as the title and .W as the text, the
 * fields the usual baselines index; the others are skipped.
 */
#include <string.h>

#include "qx_common.h"
#include "qx_corpus.h"

/* ".X" or ".X rest": a field marker (letter upper-case, then blank or end). */
static int marker(const char *l, size_t n) {
  return n >= 2 && l[0] == '.' && l[1] >= 'A' && l[1] <= 'Z' && (n == 2 || l[2] == ' ' || l[2] == '\t');
}

static void trim(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t'))
    (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
    (*n)--;
}

static int append(char **dst, size_t *cap, size_t *len, const char *s, size_t n) {
  if (n == 0) return 0;
  size_t sep = *len > 0;
  int rc = qx_grow((void **)dst, cap, *len + sep + n + 1, 1);
  if (rc) return rc;
  if (sep) (*dst)[(*len)++] = '\n';
  memcpy(*dst + *len, s, n);
  *len += n;
  (*dst)[*len] = '\0';
  return 0;
}

int qx_corpus_smart_next(qx_corpus_buf *b, const char *path, const char *data, size_t len, size_t *pos) {
  char field = 0;
  int have = 0;
  size_t lineno = 0;
  while (*pos < len) {
    size_t start = *pos;
    const char *nl = memchr(data + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - data) : len;
    const char *l = data + start;
    size_t n = end - start;
    if (n && l[n - 1] == '\r') n--;
    if (marker(l, n) && l[1] == 'I') {
      if (have) return 1; /* the next record starts here: leave *pos on it */
      const char *id = l + 2;
      size_t idn = n - 2;
      trim(&id, &idn);
      if (idn == 0) {
        for (size_t i = 0; i < start; i++)
          lineno += data[i] == '\n';
        return qx_err(QUARRY_EINVAL, "%s:%zu: '.I' without a record id", path, lineno + 1);
      }
      int rc = qx_corpus_set(&b->id, &b->id_cap, NULL, id, idn);
      if (!rc) rc = qx_corpus_set(&b->title, &b->title_cap, &b->title_len, "", 0);
      if (!rc) rc = qx_corpus_set(&b->text, &b->text_cap, &b->text_len, "", 0);
      if (rc) return rc;
      have = 1;
      field = 0;
    } else if (!have) {
      const char *t = l;
      size_t tn = n;
      trim(&t, &tn);
      if (tn) {
        for (size_t i = 0; i < start; i++)
          lineno += data[i] == '\n';
        return qx_err(QUARRY_EINVAL, "%s:%zu: expected a SMART record ('.I id'), found '%.*s'", path,
                      lineno + 1, (int)QX_MIN(tn, 40), t);
      }
    } else {
      const char *t = l;
      size_t tn = n;
      if (marker(l, n)) {
        field = l[1];
        t += 2, tn -= 2;
      }
      trim(&t, &tn);
      int rc = 0;
      if (field == 'T')
        rc = append(&b->title, &b->title_cap, &b->title_len, t, tn);
      else if (field == 'W')
        rc = append(&b->text, &b->text_cap, &b->text_len, t, tn);
      if (rc) return rc;
    }
    *pos = nl ? end + 1 : len;
  }
  return have;
}
