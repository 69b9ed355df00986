/*
 * corpus_beir.c: BEIR JSON lines (Thakur et al., "BEIR: A Heterogeneous
 * Benchmark for Zero-shot Evaluation of Information Retrieval Models",
 * NeurIPS 2021): corpus.jsonl {"_id", "title", "text"} and queries.jsonl
 * {"_id", "text", "metadata"}. One object per line, parsed with jansson;
 * "_id" may be a string or an integer; a missing title or text reads as "".
 */
#include <jansson.h>
#include <stdio.h>
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
