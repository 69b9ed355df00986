/*
 * segment_fixture.h: segmented (format 2.0) indexes for unit tests. The
 * same documents are written as in/a/dNNN.txt, in/b/..., one folder per
 * segment; `one` indexes the whole of in/ in one build, `seg` builds each
 * folder into its own segment (ids 1, 4, 7, ...: gaps as after merges)
 * and writes the top MANIFEST and deletion bitmaps with the library's
 * writer (qx_toplevel_assemble), as an update's commit does.
 */
#ifndef SEGMENT_FIXTURE_H
#define SEGMENT_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_index.h"
#include "qx_update.h"
#include "quarry.h"

typedef int (*seg_deleted_fn)(const char *path, size_t len);

/* Write texts[0..n) into root/in/<a+g>/dNNN.txt, group g = i * ngroups / n. */
static int seg_write_texts(const char *root, const char *const *texts, size_t n, size_t ngroups) {
  char path[512];
  snprintf(path, sizeof path, "%s/in", root);
  if (mkdir(path, 0755) != 0) return -1;
  for (size_t g = 0; g < ngroups; g++) {
    snprintf(path, sizeof path, "%s/in/%c", root, (int)('a' + g));
    if (mkdir(path, 0755) != 0) return -1;
  }
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/in/%c/d%03zu.txt", root, (int)('a' + i * ngroups / n), i);
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    fputs(texts[i], fp);
    fclose(fp);
  }
  return 0;
}

/* Write the top MANIFEST (and .del files) of the n segments already in dir
 * (ids 1, 4, 7, ...); documents whose path makes deleted() return 1 are
 * marked deleted. Returns 0 or a quarry status. */
static int seg_assemble(const char *dir, size_t n, seg_deleted_fn deleted) {
  uint32_t ids[16];
  uint64_t *del[16] = {0};
  int rc = n <= 16 ? 0 : -1;
  for (size_t i = 0; !rc && i < n; i++) {
    char name[QX_SEG_NAME_MAX], sdir[512];
    ids[i] = 1 + 3 * (uint32_t)i;
    snprintf(sdir, sizeof sdir, "%s/%s", dir, qx_seg_name(name, ids[i]));
    if (!deleted) continue;
    quarry_index *six = NULL;
    rc = quarry_index_open(&six, sdir);
    if (rc) break;
    quarry_index_info in;
    quarry_index_stat(&in, six);
    del[i] = calloc(in.passage_ids / 64 + 1, 8);
    for (uint32_t d = 0; del[i] && d < in.doc_ids; d++) {
      quarry_doc_info di;
      if (quarry_index_doc(&di, six, d) || !deleted(di.path, di.path_len)) continue;
      for (uint32_t p = di.first_passage; p < di.first_passage + di.npassages; p++) del[i][p / 64] |= 1ull << (p % 64);
    }
    quarry_index_close(six);
  }
  if (!rc) rc = qx_toplevel_assemble(dir, ids, (const uint64_t *const *)del, n, 1);
  for (size_t i = 0; i < n; i++) free(del[i]);
  return rc;
}

/* Build a 2.0 index at dir from the folders inputs[0..n) (one segment each),
 * then seg_assemble(dir, n, deleted). */
static int seg_build(const char *dir, const char *const *inputs, size_t n, seg_deleted_fn deleted,
                     const quarry_build_opts *o) {
  if (mkdir(dir, 0755) != 0 || n > 16) return -1;
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i++) {
    char name[QX_SEG_NAME_MAX], sdir[512];
    snprintf(sdir, sizeof sdir, "%s/%s", dir, qx_seg_name(name, 1 + 3 * (uint32_t)i));
    const char *paths[] = {inputs[i]};
    qx_segment_out so; /* one segment = a 1.0 directory (quarry_index_build writes a whole 2.0 tree) */
    rc = qx_segment_build_paths(&so, sdir, dir, paths, 1, o);
  }
  return rc ? rc : seg_assemble(dir, n, deleted);
}
#endif
