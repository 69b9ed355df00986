/*
 * walk.c: expanding the PATH arguments of `quarry index` into the list of
 * files to index. Directories are walked recursively in byte order of the
 * names (deterministic whatever the locale); names starting with '.' inside
 * directories are skipped, as are directories holding a quarry index
 * (a MANIFEST) and symbolic links to directories (no loops). The same file
 * reached twice (same device and inode) is indexed once. A PATH that does
 * not exist is an error; anything else odd is skipped with a note.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qx_index.h"

typedef struct walk {
  qx_walk_file *files;
  size_t n, cap;
  struct seen {
    dev_t dev;
    ino_t ino;
    size_t idx;
  } *seen;
  size_t nseen, cap_seen;
  qx_note_fn note;
  void *note_ctx;
} walk;

static void note(walk *w, const char *fmt, const char *path) {
  if (!w->note) return;
  char msg[1024];
  snprintf(msg, sizeof msg, fmt, path);
  w->note(w->note_ctx, msg);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int add_file(walk *w, const char *path, const struct stat *st) {
  void *p = w->seen;
  int rc = qx_grow(&p, &w->cap_seen, w->nseen + 1, sizeof *w->seen);
  w->seen = p;
  if (rc) return rc;
  w->seen[w->nseen].dev = st->st_dev;
  w->seen[w->nseen].idx = w->nseen;
  w->seen[w->nseen++].ino = st->st_ino;
  p = w->files;
  if ((rc = qx_grow(&p, &w->cap, w->n + 1, sizeof *w->files))) return rc;
  w->files = p;
  char *d = qx_strdup(path);
  if (!d) return qx_err(QUARRY_ENOMEM, "out of memory");
  w->files[w->n++] = (qx_walk_file){d, (uint64_t)st->st_size,
                                    (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec};
  return 0;
}

static int walk_path(walk *w, const char *path, int top, const struct stat *skip);

static int cmp_seen(const void *a, const void *b) {
  const struct seen *x = a, *y = b;
  if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Drop files reached twice (same device and inode), keeping the first. */
static void dedupe(walk *w) {
  if (w->n < 2) return;
  qsort(w->seen, w->nseen, sizeof *w->seen, cmp_seen);
  for (size_t i = 1; i < w->nseen; i++)
    if (w->seen[i].dev == w->seen[i - 1].dev && w->seen[i].ino == w->seen[i - 1].ino) {
      free(w->files[w->seen[i].idx].path);
      w->files[w->seen[i].idx].path = NULL;
    }
  size_t k = 0;
  for (size_t i = 0; i < w->n; i++)
    if (w->files[i].path) w->files[k++] = w->files[i];
  w->n = k;
}

static int walk_dir(walk *w, const char *path, const struct stat *skip) {
  char *man = qx_path_join(path, "MANIFEST");
  if (!man) return qx_err(QUARRY_ENOMEM, "out of memory");
  FILE *f = fopen(man, "rb");
  free(man);
  if (f) {
    char head[16] = {0};
    size_t got = fread(head, 1, 12, f);
    fclose(f);
    if (got == 12 && !memcmp(head, "quarry-index", 12)) {
      note(w, "%s: skipped (a quarry index)", path);
      return 0;
    }
  }
  DIR *d = opendir(path);
  if (!d) {
    note(w, "%s: skipped (cannot open directory)", path);
    return 0;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    void *p = names;
    if ((rc = qx_grow(&p, &cap, n + 1, sizeof *names))) break;
    names = p;
    if (!(names[n] = qx_strdup(e->d_name)))
      rc = qx_err(QUARRY_ENOMEM, "out of memory");
    else
      n++;
  }
  closedir(d);
  if (!rc && n) qsort(names, n, sizeof *names, cmp_str); /* names is NULL for an empty folder */
  for (size_t i = 0; !rc && i < n; i++) {
    char *child = qx_path_join(path, names[i]);
    if (!child) {
      rc = qx_err(QUARRY_ENOMEM, "out of memory");
      break;
    }
    rc = walk_path(w, child, 0, skip);
    free(child);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

static int walk_path(walk *w, const char *path, int top, const struct stat *skip) {
  struct stat st, lst;
  if (stat(path, &st) != 0) {
    if (top) return qx_err_errno(errno == ENOENT ? QUARRY_ENOTFOUND : QUARRY_EIO, "%s", path);
    note(w, "%s: skipped (cannot stat: broken link?)", path);
    return 0;
  }
  if (S_ISDIR(st.st_mode)) {
    if (skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino) return 0;
    if (!top && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
      note(w, "%s: skipped (symbolic link to a directory)", path);
      return 0;
    }
    return walk_dir(w, path, skip);
  }
  if (!S_ISREG(st.st_mode)) {
    note(w, "%s: skipped (not a regular file)", path);
    return 0;
  }
  return add_file(w, path, &st);
}

int qx_walk(qx_walk_file **out, size_t *count, const char *const *paths, size_t npaths, const char *skip_dir,
            qx_note_fn note_fn, void *note_ctx) {
  *out = NULL;
  *count = 0;
  walk w = {.note = note_fn, .note_ctx = note_ctx};
  struct stat skip, *skipp = NULL;
  if (skip_dir && stat(skip_dir, &skip) == 0) skipp = &skip;
  int rc = 0;
  for (size_t i = 0; !rc && i < npaths; i++) rc = walk_path(&w, paths[i], 1, skipp);
  if (!rc) dedupe(&w);
  free(w.seen);
  if (rc) {
    qx_walk_free(w.files, w.n);
    return rc;
  }
  *out = w.files;
  *count = w.n;
  return 0;
}

void qx_walk_free(qx_walk_file *files, size_t count) {
  for (size_t i = 0; i < count; i++) free(files[i].path);
  free(files);
}
