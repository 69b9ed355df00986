/*
 * toplevel.c: the two files of format 2.0 that sit beside the segments
 * (docs/FORMAT.md, "Format 2.0"): the top-level MANIFEST (settings, live
 * counts, one `segment` line per segment, trailing checksum: the same text
 * syntax as a segment's MANIFEST, manifest.c) and the deletion bitmaps
 * sNNNNNN.del. The reader (reader.c) parses and checks them; the writer of
 * updates and the tests assemble them with qx_toplevel_* / qx_del_write.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qx_index.h"

const char *qx_seg_name(char *buf, uint32_t id) {
  snprintf(buf, QX_SEG_NAME_MAX, "s%06u", id % 1000000u);
  return buf;
}

/* "sNNNNNN" -> id; -1 if malformed. */
static int64_t parse_seg_name(const char *s) {
  if (s[0] != 's') return -1;
  int64_t v = 0;
  for (int i = 1; i <= 6; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return s[7] == '\0' ? v : -1;
}

int qx_toplevel_add(qx_toplevel *t, const qx_topseg *s) {
  void *p = t->segs;
  int rc = qx_grow(&p, &t->cap_segs, t->nsegs + 1, sizeof *t->segs);
  t->segs = p;
  if (rc) return rc;
  t->segs[t->nsegs++] = *s;
  return 0;
}

int qx_toplevel_parse(qx_toplevel *t, const char *text, size_t len, const char *path) {
  memset(t, 0, sizeof *t);
  int rc = qx_manifest_parse(&t->man, text, len, path);
  if (rc) return rc;
  if (t->man.major != QX_TOP_FORMAT_MAJOR)
    rc = qx_err(QUARRY_ECORRUPT, "%s: format %d.%d is not a segmented (2.x) index", path, t->man.major, t->man.minor);
  if (!rc && t->man.nfiles) rc = qx_err(QUARRY_ECORRUPT, "%s: `file` line in a 2.x MANIFEST", path);
  if (!rc && t->man.nsegs == 0) rc = qx_err(QUARRY_ECORRUPT, "%s: no segment", path);
  for (size_t i = 0; !rc && i < t->man.nsegs; i++) {
    char name[32];
    qx_topseg s = {0};
    int n = 0;
    if (sscanf(t->man.segs[i], "%31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNx64 "%n", name, &s.docs,
               &s.passages, &s.deleted, &s.del_size, &s.del_xxh64, &n) != 6 ||
        t->man.segs[i][n] != '\0') {
      rc = qx_err(QUARRY_ECORRUPT, "%s: malformed segment line %zu", path, i + 1);
      break;
    }
    int64_t id = parse_seg_name(name);
    if (id < 0 || (t->nsegs && (uint32_t)id <= t->segs[t->nsegs - 1].id))
      rc = qx_err(QUARRY_ECORRUPT, "%s: segment name '%s' malformed or out of order", path, name);
    else if (s.deleted > s.passages || (s.del_size == 0) != (s.deleted == 0 && s.del_xxh64 == 0) ||
             s.passages >= UINT32_MAX || s.docs >= UINT32_MAX || s.docs > s.passages)
      rc = qx_err(QUARRY_ECORRUPT, "%s: segment %s: counts out of range", path, name);
    else {
      s.id = (uint32_t)id;
      rc = qx_toplevel_add(t, &s);
    }
  }
  if (rc) qx_toplevel_free(t);
  return rc;
}

/* Keys copied from a segment's MANIFEST into the top one, in this order. */
static const char *const copied_keys[] = {"created_by",      "input.format",    "analyzer.lang",  "analyzer.flags",
                                          "passage.tokens",  "passage.overlap", "vectors.model",  "vectors.checksum",
                                          "vectors.dim"};

int qx_toplevel_init(qx_toplevel *t, const qx_manifest *seg, uint64_t generation) {
  memset(t, 0, sizeof *t);
  t->man.major = QX_TOP_FORMAT_MAJOR;
  t->man.minor = QX_TOP_FORMAT_MINOR;
  long long now = (long long)time(NULL);
  const char *created = qx_manifest_get(seg, "created_at");
  int rc = 0;
  for (size_t i = 0; !rc && i < QX_ARRAY_LEN(copied_keys); i++) {
    const char *v = qx_manifest_get(seg, copied_keys[i]);
    if (!strcmp(copied_keys[i], "input.format")) { /* after created_by: the timestamps and generation */
      rc = qx_manifest_set(&t->man, "created_at", "%s", created ? created : "0");
      if (!rc) rc = qx_manifest_set(&t->man, "updated_at", "%lld", now);
      if (!rc) rc = qx_manifest_set(&t->man, "generation", "%" PRIu64, generation);
      if (!rc && !v) v = "files";
    }
    if (!rc && v) rc = qx_manifest_set(&t->man, copied_keys[i], "%s", v);
  }
  if (rc) qx_toplevel_free(t);
  return rc;
}

int qx_toplevel_format(qx_buf *out, qx_toplevel *t, uint64_t live_docs) {
  uint64_t live_passages = 0;
  for (size_t i = 0; i < t->nsegs; i++) live_passages += t->segs[i].passages - t->segs[i].deleted;
  int rc = qx_manifest_set(&t->man, "docs", "%" PRIu64, live_docs);
  if (!rc) rc = qx_manifest_set(&t->man, "passages", "%" PRIu64, live_passages);
  for (size_t i = 0; i < t->man.nsegs; i++) free(t->man.segs[i]);
  t->man.nsegs = 0;
  t->man.major = QX_TOP_FORMAT_MAJOR;
  t->man.minor = QX_TOP_FORMAT_MINOR;
  for (size_t i = 0; !rc && i < t->nsegs; i++) {
    const qx_topseg *s = &t->segs[i];
    char name[QX_SEG_NAME_MAX], line[160];
    snprintf(line, sizeof line, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64,
             qx_seg_name(name, s->id), s->docs, s->passages, s->deleted, s->del_size, s->del_xxh64);
    if (!s->del_size) snprintf(line, sizeof line, "%s %" PRIu64 " %" PRIu64 " 0 0 0", name, s->docs, s->passages);
    rc = qx_manifest_add_segment_line(&t->man, line);
  }
  if (!rc) rc = qx_manifest_format(out, &t->man);
  return rc;
}

int qx_toplevel_write(int dirfd, const char *dir, qx_toplevel *t, uint64_t live_docs) {
  qx_buf b = {0};
  char *path = qx_path_join(dir, "MANIFEST");
  int rc = path ? qx_toplevel_format(&b, t, live_docs) : qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_file_write_at(dirfd, "MANIFEST", path, b.data, b.len);
  qx_buf_free(&b);
  free(path);
  return rc;
}

void qx_toplevel_free(qx_toplevel *t) {
  qx_manifest_free(&t->man);
  free(t->segs);
  memset(t, 0, sizeof *t);
}

/* ---- deletion files --------------------------------------------------------- */

static void put_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); } /* little-endian hosts only, as the rest */
static void put_le64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint64_t del_words(uint64_t passages) { return (passages + 63) / 64; }

int qx_del_write(uint64_t *size, uint64_t *xxh64, uint64_t *deleted, int dirfd, const char *name,
                 const char *path, const uint64_t *words, uint64_t passages) {
  uint64_t nw = del_words(passages), pop = 0;
  size_t len = QX_DEL_HEADER + nw * 8;
  uint8_t *buf = qx_calloc(1, len);
  if (!buf) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (uint64_t i = 0; i < nw; i++) {
    uint64_t w = words[i];
    if (i == nw - 1 && passages % 64) w &= (UINT64_C(1) << (passages % 64)) - 1;
    pop += (uint64_t)__builtin_popcountll(w);
    put_le64(buf + QX_DEL_HEADER + i * 8, w);
  }
  memcpy(buf, QX_MAGIC_DEL, 8);
  put_le32(buf + 8, 1);
  put_le32(buf + 12, 0);
  put_le64(buf + 16, passages);
  put_le64(buf + 24, pop);
  int rc = qx_file_write_at(dirfd, name, path, buf, len);
  if (!rc) {
    *size = len;
    *xxh64 = qx_xxh64(buf, len);
    *deleted = pop;
  }
  free(buf);
  return rc;
}

int qx_del_check(const qx_map *m, const qx_topseg *s, const char *path) {
  if (m->len != s->del_size)
    return qx_err(QUARRY_ECORRUPT, "%s: %zu bytes, MANIFEST says %" PRIu64 " (truncated or damaged)", path, m->len,
                  s->del_size);
  if (qx_xxh64(m->data, m->len) != s->del_xxh64)
    return qx_err(QUARRY_ECORRUPT, "%s: checksum mismatch (damaged file)", path);
  if (m->len < QX_DEL_HEADER || memcmp(m->data, QX_MAGIC_DEL, 8))
    return qx_err(QUARRY_ECORRUPT, "%s: bad magic", path);
  if (qx_le32(m->data + 8) != 1)
    return qx_err(QUARRY_EVERSION, "%s: deletion format version %u, this quarry reads 1", path, qx_le32(m->data + 8));
  uint64_t passages = qx_le64(m->data + 16), deleted = qx_le64(m->data + 24), nw = del_words(s->passages);
  if (passages != s->passages || deleted != s->deleted || m->len != QX_DEL_HEADER + nw * 8)
    return qx_err(QUARRY_ECORRUPT, "%s: header disagrees with the MANIFEST (passages/deleted)", path);
  uint64_t pop = 0;
  for (uint64_t i = 0; i < nw; i++) {
    uint64_t w = qx_le64(m->data + QX_DEL_HEADER + i * 8);
    if (i == nw - 1 && passages % 64 && (w >> (passages % 64)))
      return qx_err(QUARRY_ECORRUPT, "%s: bit set past the last passage", path);
    pop += (uint64_t)__builtin_popcountll(w);
  }
  if (pop != deleted) return qx_err(QUARRY_ECORRUPT, "%s: %" PRIu64 " bits set, header says %" PRIu64, path, pop, deleted);
  return 0;
}

/* ---- assembling a 2.0 directory from built segments ------------------------- */

static int read_seg_manifest(qx_manifest *m, int dfd, const char *dir, const char *name) {
  char rel[QX_SEG_NAME_MAX + 16];
  snprintf(rel, sizeof rel, "%s/MANIFEST", name);
  char *path = qx_path_join(dir, rel), *text = NULL;
  size_t len = 0;
  int rc = path ? qx_file_readat(&text, &len, dfd, rel, path) : qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_manifest_parse(m, text, len, path);
  if (!rc && m->major != QX_FORMAT_MAJOR) {
    rc = qx_err(QUARRY_ECORRUPT, "%s: a segment must be a %d.x index", path, QX_FORMAT_MAJOR);
    qx_manifest_free(m);
  }
  free(text);
  free(path);
  return rc;
}

static int count_u64(uint64_t *out, const qx_manifest *m, const char *key, const char *name) {
  const char *v = qx_manifest_get(m, key);
  char *end;
  if (!v) return qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: missing '%s'", name, key);
  *out = strtoull(v, &end, 10);
  return end == v || *end ? qx_err(QUARRY_ECORRUPT, "%s/MANIFEST: bad '%s'", name, key) : 0;
}

/* Documents of a segment whose first passage is not deleted. */
static int live_docs_of(uint64_t *live, int dfd, const char *dir, const char *name, uint64_t ndocs,
                        const uint64_t *del) {
  *live = ndocs;
  if (!del) return 0;
  char rel[QX_SEG_NAME_MAX + 16];
  snprintf(rel, sizeof rel, "%s/docs", name);
  char *path = qx_path_join(dir, rel);
  qx_map m = {0};
  int rc = path ? qx_map_openat(&m, dfd, rel, path) : qx_err(QUARRY_ENOMEM, "out of memory");
  /* docs 2: 56-byte records, first_passage at 24; docs 1: 72 bytes, at 60 */
  size_t rs = !rc && m.len >= 16 && qx_le32(m.data + 8) == 1 ? QX_DOC_REC_SIZE : QX_DOC_DISK_SIZE;
  size_t fp = rs == QX_DOC_REC_SIZE ? 60 : 24;
  if (!rc && m.len < 32 + ndocs * rs) rc = qx_err(QUARRY_ECORRUPT, "%s: truncated", path);
  for (uint64_t d = 0; !rc && d < ndocs; d++) {
    uint32_t first = qx_le32(m.data + 32 + d * rs + fp);
    if (del[first >> 6] >> (first & 63) & 1) (*live)--;
  }
  qx_map_close(&m);
  free(path);
  return rc;
}

int qx_toplevel_assemble(const char *dir, const uint32_t *ids, const uint64_t *const *del, size_t nsegs,
                         uint64_t generation) {
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return qx_err_errno(QUARRY_EIO, "%s", dir);
  qx_toplevel t = {0};
  uint64_t live_docs = 0;
  int rc = nsegs ? 0 : qx_err(QUARRY_EINVAL, "an index needs at least one segment");
  for (size_t i = 0; !rc && i < nsegs; i++) {
    char name[QX_SEG_NAME_MAX];
    qx_seg_name(name, ids[i]);
    qx_manifest m = {0};
    rc = read_seg_manifest(&m, dfd, dir, name);
    if (rc) break;
    qx_topseg s = {.id = ids[i]};
    if (i == 0) rc = qx_toplevel_init(&t, &m, generation);
    if (!rc) rc = count_u64(&s.docs, &m, "docs", name);
    if (!rc) rc = count_u64(&s.passages, &m, "passages", name);
    if (!rc && del && del[i]) {
      char dname[QX_SEG_NAME_MAX + 8];
      snprintf(dname, sizeof dname, "%s.del", name);
      char *path = qx_path_join(dir, dname);
      rc = path ? qx_del_write(&s.del_size, &s.del_xxh64, &s.deleted, dfd, dname, path, del[i], s.passages)
                : qx_err(QUARRY_ENOMEM, "out of memory");
      free(path);
      if (!rc && s.deleted == 0) { /* an empty bitmap is no bitmap */
        unlinkat(dfd, dname, 0);
        s.del_size = s.del_xxh64 = 0;
      }
    }
    uint64_t live = 0;
    if (!rc) rc = live_docs_of(&live, dfd, dir, name, s.docs, s.deleted ? del[i] : NULL);
    live_docs += live;
    if (!rc) rc = qx_toplevel_add(&t, &s);
    qx_manifest_free(&m);
  }
  if (!rc) rc = qx_toplevel_write(dfd, dir, &t, live_docs);
  if (!rc && fsync(dfd) != 0) rc = qx_err_errno(QUARRY_EIO, "%s: fsync", dir);
  qx_toplevel_free(&t);
  close(dfd);
  return rc;
}
