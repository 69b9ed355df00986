/*
 * manifest.c: the MANIFEST file, a small text file that says what an index
 * is: format version, who wrote it, analyzer and passage settings, counts and
 * BM25 statistics, optional extension keys (vectors: model, dim, ...) and the
 * list of data files with their sizes and xxHash64 checksums. Its last line
 * is the checksum of everything above it, so the manifest itself is trusted
 * only when intact. Unknown keys are kept and ignored (minor versions add
 * keys); a newer major version is refused. Format: docs/FORMAT.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "qx_index.h"

static char *clean_value(const char *s) {
  char *v = qx_strdup(s);
  if (!v) return NULL;
  for (char *p = v; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  return v;
}

int qx_manifest_set(qx_manifest *m, const char *key, const char *fmt, ...) {
  char tmp[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  char *v = clean_value(tmp);
  if (!v) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < m->nkv; i++)
    if (!strcmp(m->keys[i], key)) {
      free(m->vals[i]);
      m->vals[i] = v;
      return 0;
    }
  size_t cap = m->cap_kv;
  void *k = m->keys;
  int rc = qx_grow(&k, &cap, m->nkv + 1, sizeof(char *));
  m->keys = k;
  if (!rc) {
    void *vv = m->vals;
    size_t cap2 = m->cap_kv;
    rc = qx_grow(&vv, &cap2, m->nkv + 1, sizeof(char *));
    m->vals = vv;
    if (!rc) m->cap_kv = cap;
  }
  char *kd = qx_strdup(key);
  if (rc || !kd) {
    free(v);
    free(kd);
    return rc ? rc : qx_err(QUARRY_ENOMEM, "out of memory");
  }
  m->keys[m->nkv] = kd;
  m->vals[m->nkv++] = v;
  return 0;
}

const char *qx_manifest_get(const qx_manifest *m, const char *key) {
  for (size_t i = 0; i < m->nkv; i++)
    if (!strcmp(m->keys[i], key)) return m->vals[i];
  return NULL;
}

int qx_manifest_add_file(qx_manifest *m, const char *name, uint64_t size, uint64_t xxh64) {
  void *f = m->files;
  int rc = qx_grow(&f, &m->cap_files, m->nfiles + 1, sizeof(qx_manifest_file));
  m->files = f;
  if (rc) return rc;
  char *n = qx_strdup(name);
  if (!n) return qx_err(QUARRY_ENOMEM, "out of memory");
  m->files[m->nfiles++] = (qx_manifest_file){n, size, xxh64};
  return 0;
}

int qx_manifest_add_segment_line(qx_manifest *m, const char *value) {
  void *f = m->segs;
  int rc = qx_grow(&f, &m->cap_segs, m->nsegs + 1, sizeof(char *));
  m->segs = f;
  if (rc) return rc;
  char *v = clean_value(value);
  if (!v) return qx_err(QUARRY_ENOMEM, "out of memory");
  m->segs[m->nsegs++] = v;
  return 0;
}

int qx_manifest_format(qx_buf *out, const qx_manifest *m) {
  int rc = m->major ? qx_buf_printf(out, "quarry-index %d.%d\n", m->major, m->minor)
                    : qx_buf_printf(out, "quarry-index %d.%d\n", QX_FORMAT_MAJOR, QX_FORMAT_MINOR);
  for (size_t i = 0; !rc && i < m->nkv; i++) rc = qx_buf_printf(out, "%s %s\n", m->keys[i], m->vals[i]);
  for (size_t i = 0; !rc && i < m->nfiles; i++)
    rc = qx_buf_printf(out, "file %s %" PRIu64 " %016" PRIx64 "\n", m->files[i].name, m->files[i].size,
                       m->files[i].xxh64);
  for (size_t i = 0; !rc && i < m->nsegs; i++) rc = qx_buf_printf(out, "segment %s\n", m->segs[i]);
  if (!rc) rc = qx_buf_printf(out, "checksum %016" PRIx64 "\n", qx_xxh64(out->data, out->len));
  return rc;
}

int qx_manifest_parse(qx_manifest *m, const char *text, size_t len, const char *path) {
  memset(m, 0, sizeof *m);
  /* the checksum line is the last line */
  if (len < 2 || text[len - 1] != '\n') return qx_err(QUARRY_ECORRUPT, "%s: truncated", path);
  size_t last = len - 1;
  while (last > 0 && text[last - 1] != '\n') last--;
  uint64_t want;
  char tail[64];
  size_t tl = len - last;
  if (tl >= sizeof tail) return qx_err(QUARRY_ECORRUPT, "%s: bad checksum line", path);
  memcpy(tail, text + last, tl);
  tail[tl] = '\0';
  if (sscanf(tail, "checksum %" SCNx64, &want) != 1)
    return qx_err(QUARRY_ECORRUPT, "%s: no checksum line (truncated?)", path);
  uint64_t got = qx_xxh64(text, last);
  if (got != want)
    return qx_err(QUARRY_ECORRUPT, "%s: checksum mismatch (expected %016" PRIx64 ", found %016" PRIx64 ")",
                  path, want, got);
  int major = 0, minor = 0;
  if (sscanf(text, "quarry-index %d.%d\n", &major, &minor) != 2)
    return qx_err(QUARRY_ECORRUPT, "%s: not a quarry MANIFEST", path);
  if (major != QX_FORMAT_MAJOR && major != QX_TOP_FORMAT_MAJOR)
    return qx_err(QUARRY_EVERSION, "%s: index format %d.%d, this quarry reads %d.x and %d.x (rebuild the index)",
                  path, major, minor, QX_FORMAT_MAJOR, QX_TOP_FORMAT_MAJOR);
  m->major = major;
  m->minor = minor;
  const char *p = memchr(text, '\n', last);
  p = p ? p + 1 : text + last;
  int rc = 0;
  while (!rc && p < text + last) {
    const char *nl = memchr(p, '\n', (size_t)(text + last - p));
    if (!nl) break;
    char *line = qx_strndup(p, (size_t)(nl - p));
    if (!line) return qx_err(QUARRY_ENOMEM, "out of memory");
    char *sp = strchr(line, ' ');
    if (!sp || sp == line) {
      rc = qx_err(QUARRY_ECORRUPT, "%s: malformed line", path);
    } else {
      *sp = '\0';
      if (!strcmp(line, "file")) {
        char name[256];
        uint64_t size, h;
        if (sscanf(sp + 1, "%255s %" SCNu64 " %" SCNx64, name, &size, &h) != 3 || strchr(name, '/'))
          rc = qx_err(QUARRY_ECORRUPT, "%s: malformed file line", path);
        else
          rc = qx_manifest_add_file(m, name, size, h);
      } else if (!strcmp(line, "segment")) {
        rc = qx_manifest_add_segment_line(m, sp + 1);
      } else {
        rc = qx_manifest_set(m, line, "%s", sp + 1);
      }
    }
    free(line);
    p = nl + 1;
  }
  if (rc) qx_manifest_free(m);
  return rc;
}

void qx_manifest_free(qx_manifest *m) {
  for (size_t i = 0; i < m->nkv; i++) {
    free(m->keys[i]);
    free(m->vals[i]);
  }
  for (size_t i = 0; i < m->nfiles; i++) free(m->files[i].name);
  for (size_t i = 0; i < m->nsegs; i++) free(m->segs[i]);
  free(m->segs);
  free(m->keys);
  free(m->vals);
  free(m->files);
  memset(m, 0, sizeof *m);
}
