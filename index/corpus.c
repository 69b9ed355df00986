/*
 * corpus.c: the test-collection reader front: expands paths into a sorted
 * file list, maps each file and hands it to the parser of its format
 * (corpus_beir.c, corpus_trec.c, corpus_smart.c); the "files" format (one
 * record per plain file) lives here. See qx_corpus.h for the formats.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_common.h"
#include "qx_corpus.h"

struct qx_corpus {
  qx_corpus_format fmt;
  char **files;
  size_t nfiles, cap;
  size_t cur; /* index of the mapped file */
  qx_map map; /* current file */
  int mapped;
  size_t pos;     /* parser position in the current file */
  size_t dropped; /* bytes of the mapping before it given back (drop_read) */
  qx_corpus_buf buf;
};

int qx_corpus_format_parse(qx_corpus_format *out, const char *name) {
  static const char *names[] = {"beir", "trec", "smart", "files"};
  for (size_t i = 0; i < QX_ARRAY_LEN(names); i++)
    if (!strcmp(name, names[i])) {
      *out = (qx_corpus_format)i;
      return 0;
    }
  return qx_err(QUARRY_EINVAL, "unknown corpus format '%s' (beir, trec, smart, files)", name);
}

const char *qx_corpus_format_name(qx_corpus_format f) {
  static const char *names[] = {"beir", "trec", "smart", "files"};
  return (unsigned)f < QX_ARRAY_LEN(names) ? names[f] : "?";
}

int qx_corpus_set(char **dst, size_t *cap, size_t *len_out, const char *s, size_t n) {
  int rc = qx_grow((void **)dst, cap, n + 1, 1);
  if (rc) return rc;
  if (n) memcpy(*dst, s, n);
  (*dst)[n] = '\0';
  if (len_out) *len_out = n;
  return 0;
}

static int add_file(qx_corpus *c, const char *path) {
  int rc = qx_grow((void **)&c->files, &c->cap, c->nfiles + 1, sizeof *c->files);
  if (rc) return rc;
  if (!(c->files[c->nfiles] = qx_strdup(path))) return qx_err(QUARRY_ENOMEM, "out of memory");
  c->nfiles++;
  return 0;
}

static int skip_hidden(const struct dirent *d) { return d->d_name[0] != '.'; }

static int add_path(qx_corpus *c, const char *path, int depth) {
  struct stat st;
  if (stat(path, &st) != 0) return qx_err_errno(errno == ENOENT ? QUARRY_ENOTFOUND : QUARRY_EIO, "%s", path);
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? add_file(c, path) : 0;
  if (depth > 64) return qx_err(QUARRY_EINVAL, "%s: directories nested too deep", path);
  struct dirent **ents;
  int n = scandir(path, &ents, skip_hidden, alphasort);
  if (n < 0) return qx_err_errno(QUARRY_EIO, "%s", path);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    if (!rc) {
      char *sub = qx_path_join(path, ents[i]->d_name);
      rc = sub ? add_path(c, sub, depth + 1) : qx_err(QUARRY_ENOMEM, "out of memory");
      free(sub);
    }
    free(ents[i]);
  }
  free(ents);
  return rc;
}

int qx_corpus_open(qx_corpus **out, qx_corpus_format fmt, const char *const *paths, size_t npaths) {
  *out = NULL;
  qx_corpus *c = qx_calloc(1, sizeof *c);
  if (!c) return qx_err(QUARRY_ENOMEM, "out of memory");
  c->fmt = fmt;
  int rc = 0;
  for (size_t i = 0; i < npaths && !rc; i++)
    rc = add_path(c, paths[i], 0);
  if (rc) {
    qx_corpus_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

static int parse_next(qx_corpus *c) {
  const char *path = c->files[c->cur];
  /* an empty file maps to NULL; the parsers do pointer arithmetic on data */
  const char *data = c->map.data ? (const char *)c->map.data : "";
  size_t len = c->map.len;
  qx_corpus_buf *b = &c->buf;
  switch (c->fmt) {
  case QX_CORPUS_BEIR: return qx_corpus_beir_next(b, path, data, len, &c->pos);
  case QX_CORPUS_TREC: return qx_corpus_trec_next(b, path, data, len, &c->pos);
  case QX_CORPUS_SMART: return qx_corpus_smart_next(b, path, data, len, &c->pos);
  case QX_CORPUS_FILES: {
    if (c->pos) return 0;
    c->pos = 1;
    int rc = qx_corpus_set(&b->id, &b->id_cap, NULL, path, strlen(path));
    if (!rc) rc = qx_corpus_set(&b->title, &b->title_cap, &b->title_len, "", 0);
    if (!rc) rc = qx_corpus_set(&b->text, &b->text_cap, &b->text_len, data, len);
    return rc ? rc : 1;
  }
  }
  return qx_err(QUARRY_EINVAL, "bad corpus format");
}

/* The records are copied out of the mapping (c->buf), so the pages already
 * parsed are given back every 16 MiB: a mapped file's pages count in the
 * resident set, and a corpus can be bigger than the memory bound. */
static void drop_read(qx_corpus *c) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), upto = c->pos / page * page;
  if (!c->map.data || upto < c->dropped + (16u << 20)) return;
  madvise((void *)(c->map.data + c->dropped), upto - c->dropped, MADV_DONTNEED);
  c->dropped = upto;
}

int qx_corpus_next(qx_corpus *c, qx_corpus_rec *rec) {
  while (c->cur < c->nfiles) {
    if (!c->mapped) {
      int rc = qx_map_open(&c->map, c->files[c->cur]);
      if (rc) return rc;
      c->mapped = 1;
      c->pos = c->dropped = 0;
    }
    int rc = parse_next(c);
    if (rc < 0) return rc;
    if (rc == 1) {
      drop_read(c);
      rec->id = c->buf.id;
      rec->title = c->buf.title;
      rec->title_len = c->buf.title_len;
      rec->text = c->buf.text;
      rec->text_len = c->buf.text_len;
      rec->path = c->files[c->cur];
      return 1;
    }
    qx_map_close(&c->map);
    c->mapped = 0;
    c->cur++;
  }
  return 0;
}

void qx_corpus_free(qx_corpus *c) {
  if (!c) return;
  if (c->mapped) qx_map_close(&c->map);
  for (size_t i = 0; i < c->nfiles; i++)
    free(c->files[i]);
  free(c->files);
  free(c->buf.id);
  free(c->buf.title);
  free(c->buf.text);
  free(c);
}
