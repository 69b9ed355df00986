/*
 * corpus_beir.c: BEIR JSON lines (Thakur et al., "BEIR: A Heterogeneous
 * Benchmark for Zero-shot Evaluation of Information Retrieval Models",
 * NeurIPS 2021): corpus.jsonl {"_id", "title", "text"} and queries.jsonl
 * {"_id", "text", "metadata"}. One object per line; "_id" may be a string
 * or an integer; a missing title or text reads as "". The usual line (ASCII
 * strings, an integer or string "_id", null) is read by a small scanner
 * that accepts exactly what jansson would and gives the same record; any
 * other line (non-ASCII or \u escapes, nested values, errors) goes to
 * jansson, which was a third of a 10^5-passage build's instructions.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx_common.h"
#include "qx_corpus.h"

static size_t line_of(const char *data, size_t pos) {
  size_t n = 1;
  for (size_t i = 0; i < pos; i++)
    n += data[i] == '\n';
  return n;
}

static int get_str(json_t *o, const char *key, const char **s, size_t *n) {
  json_t *v = json_object_get(o, key);
  if (!v || json_is_null(v)) {
    *s = "";
    *n = 0;
    return 0;
  }
  if (!json_is_string(v)) return -1;
  *s = json_string_value(v);
  *n = json_string_length(v);
  return 0;
}

/* ---- the fast path ---- */

typedef struct jstr {
  const char *s;
  size_t n;
  int esc, set;
} jstr;

static const char *skip_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  return p;
}

/* A string at p (the opening quote) of ASCII characters and the short
 * escapes; NULL for anything else. */
static const char *scan_str(const char *p, const char *e, jstr *out) {
  const char *s = ++p;
  int esc = 0;
  while (p < e) {
    unsigned char c = (unsigned char)*p;
    if (c == '"') {
      *out = (jstr){s, (size_t)(p - s), esc, 1};
      return p + 1;
    }
    if (c < 0x20 || c >= 0x80) return NULL;
    if (c == '\\') {
      if (p + 1 >= e || !p[1] || !strchr("\"\\/bfnrt", p[1])) return NULL;
      esc = 1;
      p += 2;
      continue;
    }
    p++;
  }
  return NULL;
}

static int set_str(char **dst, size_t *cap, size_t *len, const jstr *v) {
  if (!v->esc) return qx_corpus_set(dst, cap, len, v->s, v->n);
  char *t = malloc(v->n + 1);
  if (!t) return qx_err(QUARRY_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < v->n; i++) {
    char c = v->s[i];
    if (c == '\\') {
      c = v->s[++i];
      c = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
    }
    t[k++] = c;
  }
  int rc = qx_corpus_set(dst, cap, len, t, k);
  free(t);
  return rc;
}

static int key_is(const jstr *k, const char *name) { return k->n == strlen(name) && !memcmp(k->s, name, k->n); }

/* 1: the record is in b; 0: let jansson read the line; or an error. */
static int fast_line(qx_corpus_buf *b, const char *p, const char *e) {
  jstr id = {0}, title = {0}, text = {0};
  char idnum[32];
  p = skip_ws(p, e);
  if (p >= e || *p != '{') return 0;
  p = skip_ws(p + 1, e);
  for (;;) {
    jstr k, v = {0};
    if (p >= e || *p != '"' || !(p = scan_str(p, e, &k)) || k.esc) return 0;
    p = skip_ws(p, e);
    if (p >= e || *p != ':') return 0;
    p = skip_ws(p + 1, e);
    if (p >= e) return 0;
    int is_id = key_is(&k, "_id");
    if (*p == '"') {
      if (!(p = scan_str(p, e, &v))) return 0;
    } else if (!is_id && e - p >= 4 && !memcmp(p, "null", 4)) {
      p += 4;
      v = (jstr){"", 0, 0, 1};
    } else if (is_id && (*p == '-' || (*p >= '0' && *p <= '9'))) { /* an integer, as jansson prints it */
      const char *q = p + (*p == '-');
      size_t nd = 0;
      while (q + nd < e && q[nd] >= '0' && q[nd] <= '9') nd++;
      if (nd == 0 || nd > 18 || (nd > 1 && *q == '0')) return 0;
      if (q + nd < e && (q[nd] == '.' || q[nd] == 'e' || q[nd] == 'E')) return 0;
      long long x = 0;
      for (size_t i = 0; i < nd; i++) x = x * 10 + (q[i] - '0');
      snprintf(idnum, sizeof idnum, "%lld", *p == '-' ? -x : x);
      v = (jstr){idnum, strlen(idnum), 0, 1};
      p = q + nd;
    } else {
      return 0;
    }
    if (is_id) id = v;
    else if (key_is(&k, "title")) title = v;
    else if (key_is(&k, "text")) text = v;
    p = skip_ws(p, e);
    if (p < e && *p == ',') {
      p = skip_ws(p + 1, e);
      continue;
    }
    if (p >= e || *p != '}') return 0;
    p = skip_ws(p + 1, e);
    break;
  }
  if (p != e || !id.set || id.n == 0) return 0;
  size_t idlen = 0;
  int rc = set_str(&b->id, &b->id_cap, &idlen, &id);
  if (!rc && memchr(b->id, 0, idlen)) return 0; /* as jansson's strlen(id) would cut it: let it */
  if (!rc) rc = set_str(&b->title, &b->title_cap, &b->title_len, &title);
  if (!rc) rc = set_str(&b->text, &b->text_cap, &b->text_len, &text);
  return rc ? rc : 1;
}

int qx_corpus_beir_next(qx_corpus_buf *b, const char *path, const char *data, size_t len, size_t *pos) {
  while (*pos < len) {
    size_t start = *pos;
    const char *nl = memchr(data + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - data) : len;
    *pos = nl ? end + 1 : len;
    size_t s = start;
    while (s < end && (data[s] == ' ' || data[s] == '\t' || data[s] == '\r'))
      s++;
    if (s == end) continue; /* blank line */
    int fast = fast_line(b, data + s, data + end);
    if (fast) return fast;
    json_error_t jerr;
    json_t *o = json_loadb(data + s, end - s, JSON_ALLOW_NUL, &jerr);
    if (!o) return qx_err(QUARRY_EINVAL, "%s:%zu: bad JSON: %s", path, line_of(data, start), jerr.text);
    int rc = 0;
    const char *title = "", *text = "";
    size_t tlen = 0, xlen = 0;
    char idnum[32];
    json_t *id = json_object_get(o, "_id");
    const char *ids = NULL;
    if (json_is_string(id))
      ids = json_string_value(id);
    else if (json_is_integer(id)) {
      snprintf(idnum, sizeof idnum, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
      ids = idnum;
    }
    if (!json_is_object(o) || !ids || !*ids)
      rc = qx_err(QUARRY_EINVAL, "%s:%zu: expected an object with a string \"_id\"", path,
                  line_of(data, start));
    else if (get_str(o, "title", &title, &tlen) || get_str(o, "text", &text, &xlen))
      rc =
          qx_err(QUARRY_EINVAL, "%s:%zu: \"title\" and \"text\" must be strings", path, line_of(data, start));
    if (!rc) rc = qx_corpus_set(&b->id, &b->id_cap, NULL, ids, strlen(ids));
    if (!rc) rc = qx_corpus_set(&b->title, &b->title_cap, &b->title_len, title, tlen);
    if (!rc) rc = qx_corpus_set(&b->text, &b->text_cap, &b->text_len, text, xlen);
    json_decref(o);
    return rc ? rc : 1;
  }
  return 0;
}
