/*
 * build.c: `quarry index`, the orchestration. A build walks the inputs, then
 * runs a list of steps over one qx_build:
 *   collect   read each file, analyse it (text/), cut passages, accumulate
 *             postings in memory and stream the text into store.zst
 *   postings  lexicon + postings + positions        (index/write.c)
 *   tables    norms, passages, docs, surface        (index/write.c)
 *   [vectors] the embedding step of issue 4 goes here: it reads passage text
 *             back with qx_build_passage_text(), writes its file into the
 *             tmpdir, registers it with qx_build_add_file() and records
 *             model/dim in the MANIFEST via qx_build_manifest()
 *   manifest  MANIFEST last: it lists every file with its xxHash64
 * These steps build one segment (a 1.0 index directory, qx_segment_build)
 * from files, corpus records or documents stored in other segments (merges,
 * index/update.c). A full build writes its one segment as DIR.tmp-XXXXXX/
 * s000001 and the top MANIFEST of format 2.0 beside it; the tree is fsynced,
 * then swapped with DIR by renameat2(RENAME_EXCHANGE) (or two renames where
 * unsupported), so a killed build leaves the previous index intact. Updates
 * and merges commit the same way (qx_tree_commit). The whole build holds
 * the writer lock DIR.lock (index/lock.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qx_build.h"
#include "qx_update.h"
#include "qx_vectors.h"

/* ---- notes and progress ---------------------------------------------------- */

void qx_build_note(qx_build *b, const char *fmt, ...) {
  if (!b->opts->note) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  b->opts->note(b->opts->ctx, msg);
}

void qx_build_progress(qx_build *b, const char *phase, uint64_t done, uint64_t total) {
  if (!b->opts->progress) return;
  quarry_build_progress p = {phase, done, total, b->bytes_done, b->bytes_total};
  b->opts->progress(b->opts->ctx, &p);
}

static int step_manifest(qx_build *b) {
  qx_manifest *m = &b->man;
  int rc = qx_manifest_set(m, "created_by", "quarry %s", QUARRY_VERSION_STRING);
  if (!rc) rc = qx_manifest_set(m, "created_at", "%lld", (long long)time(NULL));
  if (!rc) rc = qx_manifest_set(m, "analyzer.lang", "%s", qx_lang_name(b->lang));
  if (!rc) rc = qx_manifest_set(m, "analyzer.flags", "stopwords,stem,fold");
  if (!rc) rc = qx_manifest_set(m, "input.format", "%s", qx_corpus_format_name(b->format));
  if (!rc) rc = qx_manifest_set(m, "passage.tokens", "%u", b->opts->passage_tokens);
  if (!rc) rc = qx_manifest_set(m, "passage.overlap", "%u", b->opts->passage_overlap);
  if (!rc) rc = qx_manifest_set(m, "docs", "%u", b->ndocs);
  if (!rc) rc = qx_manifest_set(m, "passages", "%llu", (unsigned long long)b->npassages);
  if (!rc) rc = qx_manifest_set(m, "terms", "%zu", b->nterms);
  if (!rc) rc = qx_manifest_set(m, "surface_forms", "%zu", b->nsurf);
  if (!rc) rc = qx_manifest_set(m, "postings", "%llu", (unsigned long long)b->npostings);
  if (!rc) rc = qx_manifest_set(m, "total_tokens", "%llu", (unsigned long long)b->total_tokens);
  if (!rc)
    rc = qx_manifest_set(m, "bm25.avgdl", "%.6f",
                         b->npassages ? (double)b->total_tokens / (double)b->npassages : 0.0);
  qx_buf out = {0};
  if (!rc) rc = qx_manifest_format(&out, m);
  char *path = rc ? NULL : qx_path_join(b->tmpdir, "MANIFEST");
  if (!rc && !path) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc) rc = qx_file_write(path, out.data, out.len);
  free(path);
  qx_buf_free(&out);
  return rc;
}

typedef struct build_step {
  const char *name;
  int (*run)(qx_build *b);
} build_step;

static const build_step steps[] = {
    {"reading", qx_build_collect},
    {"postings", qx_build_write_postings},
    {"tables", qx_build_write_tables},
    {"vectors", qx_build_vectors},
    {"manifest", step_manifest},
};

/* ---- public hooks for steps ------------------------------------------------ */

const char *qx_build_tmpdir(const qx_build *b) { return b->tmpdir; }
const quarry_build_opts *qx_build_opts(const qx_build *b) { return b->opts; }
uint64_t qx_build_passage_count(const qx_build *b) { return b->npassages; }

int qx_build_passage_text(char **out, size_t *out_len, qx_build *b, uint32_t pid) {
  *out = NULL;
  if (pid >= b->npassages || b->store) return qx_err(QUARRY_EINVAL, "passage %u not available", pid);
  if (!b->store_rd) {
    char *path = qx_path_join(b->tmpdir, "store.zst");
    int rc = path ? qx_map_open(&b->store_map, path) : qx_err(QUARRY_ENOMEM, "out of memory");
    free(path);
    if (!rc) rc = qx_store_open(&b->store_rd, b->store_map.data, b->store_map.len, "store.zst");
    if (rc) return rc;
  }
  if (!b->psg_map.data) { /* the passages and docs files of the segment (written by then) */
    char *p = qx_path_join(b->tmpdir, "passages"), *d = qx_path_join(b->tmpdir, "docs");
    int rc = p && d ? qx_map_open(&b->psg_map, p) : qx_err(QUARRY_ENOMEM, "out of memory");
    if (!rc) rc = qx_map_open(&b->docs_map, d);
    free(p);
    free(d);
    if (rc) return rc;
    if (b->psg_map.len < 32 + b->npassages * QX_PASSAGE_DISK_SIZE || b->docs_map.len < 32 + (size_t)b->ndocs * QX_DOC_DISK_SIZE)
      return qx_err(QUARRY_EIO, "internal: passages or docs");
  }
  const uint8_t *r = b->psg_map.data + 32 + (size_t)pid * QX_PASSAGE_DISK_SIZE;
  uint64_t start = qx_le64(r + 8);
  return qx_store_read(out, out_len, b->store_rd, qx_le32(r), start, start + qx_le32(r + 16));
}

int qx_build_passage_input(char **out, size_t *out_len, qx_build *b, uint32_t pid) {
  char *text = NULL;
  size_t len = 0;
  int rc = qx_build_passage_text(&text, &len, b, pid);
  if (rc) return rc;
  uint32_t doc = qx_le32(b->psg_map.data + 32 + (size_t)pid * QX_PASSAGE_DISK_SIZE);
  const uint8_t *d = b->docs_map.data + 32 + (size_t)doc * QX_DOC_DISK_SIZE; /* docs 2 (docs/FORMAT.md) */
  const char *strs = (const char *)b->docs_map.data + 32 + (size_t)b->ndocs * QX_DOC_DISK_SIZE;
  uint64_t toff = qx_le40(d + 43);
  uint32_t tl = d[48], first = qx_le32(d + 24);
  if (doc >= b->ndocs || 32 + (size_t)b->ndocs * QX_DOC_DISK_SIZE + toff + tl > b->docs_map.len)
    rc = qx_err(QUARRY_EIO, "internal: docs");
  if (!rc) rc = qx_vec_passage_input(out, out_len, strs + toff, tl, text, len, pid == first);
  free(text);
  return rc;
}
qx_manifest *qx_build_manifest(qx_build *b) { return &b->man; }

int qx_build_add_file(qx_build *b, const char *name) {
  char *path = qx_path_join(b->tmpdir, name);
  if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
  uint64_t h, size;
  int rc = qx_file_xxh64(&h, &size, path);
  free(path);
  if (!rc) rc = qx_manifest_add_file(&b->man, name, size, h);
  b->bytes_out += size;
  return rc;
}

/* ---- directories ------------------------------------------------------------ */

/* Remove the regular files of a directory and, when depth > 0, its
 * sub-directories the same way; then the directory. An index tree is two
 * levels deep at most (DIR/sNNNNNN/FILE). */
static void remove_tree(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char *p = qx_path_join(dir, e->d_name);
      if (!p) continue;
      struct stat st;
      if (depth > 0 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p, depth - 1);
      else unlink(p);
      free(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

void qx_tree_remove(const char *dir) { remove_tree(dir, 1); }

int qx_fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return qx_err_errno(QUARRY_EIO, "%s", path);
  int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : qx_err_errno(QUARRY_EIO, "%s: fsync", path);
  close(fd);
  return rc;
}

static char *parent_dir(const char *path) {
  char *p = qx_strdup(path);
  if (!p) return NULL;
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
  char *slash = strrchr(p, '/');
  if (!slash) {
    free(p);
    return qx_strdup(".");
  }
  if (slash == p) slash[1] = '\0';
  else *slash = '\0';
  return p;
}

/* The target must not exist, or be a quarry index, or an empty directory. */
static int check_target(const char *dir, int *exists) {
  struct stat st;
  *exists = 0;
  if (stat(dir, &st) != 0) return errno == ENOENT ? 0 : qx_err_errno(QUARRY_EIO, "%s", dir);
  if (!S_ISDIR(st.st_mode)) return qx_err(QUARRY_EINVAL, "%s exists and is not a directory", dir);
  *exists = 1;
  char *man = qx_path_join(dir, "MANIFEST");
  if (!man) return qx_err(QUARRY_ENOMEM, "out of memory");
  int is_index = access(man, F_OK) == 0;
  free(man);
  if (is_index) return 0;
  DIR *d = opendir(dir);
  if (!d) return qx_err_errno(QUARRY_EIO, "%s", dir);
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  if (!empty) return qx_err(QUARRY_EINVAL, "%s exists and is not a quarry index: refusing to replace it", dir);
  return 0;
}

int qx_tree_mktemp(char **out, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  char *t = qx_malloc(n + 16);
  *out = NULL;
  if (!t) return qx_err(QUARRY_ENOMEM, "out of memory");
  memcpy(t, dir, n);
  memcpy(t + n, ".tmp-XXXXXX", 12);
  if (!mkdtemp(t)) {
    int rc = qx_err_errno(QUARRY_EIO, "cannot create %s", t);
    free(t);
    return rc;
  }
  *out = t;
  return 0;
}

int qx_tree_commit(const char *tmp, const char *dir, int exists) {
  char *parent = parent_dir(dir);
  if (!parent) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = qx_fsync_dir(tmp);
  if (!rc && exists) {
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
      qx_tree_remove(tmp); /* tmp now holds the previous index */
    } else if (errno == EINVAL || errno == ENOSYS) {
      size_t n = strlen(dir);
      char *old = qx_malloc(n + 16);
      if (!old) rc = qx_err(QUARRY_ENOMEM, "out of memory");
      else {
        snprintf(old, n + 16, "%s.old-%d", dir, (int)getpid());
        if (rename(dir, old) != 0) rc = qx_err_errno(QUARRY_EIO, "rename %s", dir);
        else if (rename(tmp, dir) != 0) {
          rc = qx_err_errno(QUARRY_EIO, "rename %s", tmp);
          rename(old, dir);
        } else
          qx_tree_remove(old);
        free(old);
      }
    } else
      rc = qx_err_errno(QUARRY_EIO, "cannot swap %s into %s", tmp, dir);
  } else if (!rc) {
    if (rename(tmp, dir) != 0) rc = qx_err_errno(QUARRY_EIO, "rename %s to %s", tmp, dir);
  }
  if (!rc) rc = qx_fsync_dir(parent);
  free(parent);
  return rc;
}

/* ---- one segment ---------------------------------------------------------------- */

static void build_free(qx_build *b) {
  qx_build_collect_free(b);
  qx_map_close(&b->norms_map);
  qx_map_close(&b->psg_map);
  qx_map_close(&b->docs_map);
  qx_store_writer_free(b->store);
  qx_store_free(b->store_rd);
  qx_map_close(&b->store_map);
  qx_manifest_free(&b->man);
  free(b->tmpdir);
}

int qx_segment_build(qx_segment_out *out, const qx_segment_spec *spec, const quarry_build_opts *opts) {
  memset(out, 0, sizeof *out);
  qx_build b = {.opts = opts};
  int rc = qx_lang_parse(&b.lang, opts->lang ? opts->lang : "fr");
  if (rc) return qx_err(QUARRY_EINVAL, "unknown language '%s' (fr, en, none)", opts->lang);
  b.format = QX_CORPUS_FILES;
  if (opts->format && qx_corpus_format_parse(&b.format, opts->format))
    return qx_err(QUARRY_EINVAL, "unknown input format '%s' (files, beir, trec, smart)", opts->format);
  b.items = spec->items;
  b.nitems = spec->nitems;
  b.paths = spec->paths;
  b.npaths = spec->npaths;
  b.reuse = spec->reuse;
  b.allow_empty = spec->allow_empty;
  for (size_t i = 0; i < b.nitems; i++) b.bytes_total += b.items[i].file ? b.items[i].file->size : 0;
  if (!(b.tmpdir = qx_strdup(spec->dir))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && mkdir(b.tmpdir, 0755) != 0) rc = qx_err_errno(QUARRY_EIO, "cannot create %s", b.tmpdir);
  for (size_t i = 0; !rc && i < QX_ARRAY_LEN(steps); i++) {
    rc = steps[i].run(&b);
    if (i == 0 && !rc && b.ndocs == 0) break; /* allow_empty: nothing to write */
    if (i > 0) qx_build_progress(&b, "writing", i, QX_ARRAY_LEN(steps) - 1);
  }
  if (!rc && b.ndocs) rc = qx_fsync_dir(b.tmpdir);
  if (!rc) {
    out->docs = b.ndocs;
    out->passages = b.npassages;
    out->terms = b.nterms;
    out->postings = b.npostings;
    out->tokens = b.total_tokens;
    out->skipped = b.skipped;
    out->bytes_in = b.bytes_in;
    out->bytes_out = b.bytes_out;
    out->vec_reused = b.vec_reused;
    out->vec_embedded = b.vec_embedded;
  }
  build_free(&b);
  return rc;
}

/* ---- full builds ---------------------------------------------------------------- */

static void walk_note_opts(void *ctx, const char *msg) {
  const quarry_build_opts *o = ctx;
  if (o->note) o->note(o->ctx, msg);
}

/* Read the generation of the index in dir (0 if none or unreadable). */
static uint64_t old_generation(const char *dir) {
  char *path = qx_path_join(dir, "MANIFEST"), *text = NULL;
  size_t len = 0;
  uint64_t g = 0;
  if (path && qx_file_read(&text, &len, path) == 0) {
    const char *p = strstr(text, "\ngeneration ");
    if (p) g = strtoull(p + 12, NULL, 10);
  }
  free(text);
  free(path);
  return g;
}

int qx_segment_build_paths(qx_segment_out *out, const char *segdir, const char *skip_dir,
                           const char *const *paths, size_t npaths, const quarry_build_opts *opts) {
  qx_corpus_format format = QX_CORPUS_FILES;
  quarry_build_opts defaults = QUARRY_BUILD_OPTS_INIT;
  if (!opts) opts = &defaults;
  memset(out, 0, sizeof *out);
  if (opts->format && qx_corpus_format_parse(&format, opts->format))
    return qx_err(QUARRY_EINVAL, "unknown input format '%s' (files, beir, trec, smart)", opts->format);
  qx_walk_file *files = NULL;
  size_t nfiles = 0;
  qx_src_item *items = NULL;
  int rc = 0;
  if (format == QX_CORPUS_FILES) {
    rc = qx_walk(&files, &nfiles, paths, npaths, skip_dir, walk_note_opts, (void *)opts);
    if (!rc && !(items = qx_calloc(nfiles ? nfiles : 1, sizeof *items))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nfiles; i++) items[i].file = &files[i];
  }
  qx_segment_spec spec = {.dir = segdir, .items = items, .nitems = nfiles, .paths = paths, .npaths = npaths};
  if (!rc) rc = qx_segment_build(out, &spec, opts);
  free(items);
  qx_walk_free(files, nfiles);
  return rc;
}

int qx_full_build_locked(quarry_build_stats *stats, const char *dir, const char *const *paths, size_t npaths,
                         const quarry_build_opts *opts) {
  double t0 = qx_now();
  int exists = 0;
  int rc = check_target(dir, &exists);
  char *tmp = NULL, *seg = NULL;
  if (!rc) rc = qx_tree_mktemp(&tmp, dir);
  int made_tmp = !rc;
  char name[QX_SEG_NAME_MAX];
  if (!rc && !(seg = qx_path_join(tmp, qx_seg_name(name, 1)))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  qx_segment_out so;
  if (!rc) rc = qx_segment_build_paths(&so, seg, dir, paths, npaths, opts);
  uint32_t id = 1;
  uint64_t gen = exists ? old_generation(dir) + 1 : 1;
  if (!rc) rc = qx_toplevel_assemble(tmp, &id, NULL, 1, gen);
  if (!rc) rc = qx_tree_commit(tmp, dir, exists);
  if (rc && made_tmp) qx_tree_remove(tmp);
  if (!rc && stats) {
    stats->docs = so.docs;
    stats->passages = so.passages;
    stats->terms = so.terms;
    stats->postings = so.postings;
    stats->tokens = so.tokens;
    stats->files_skipped = so.skipped;
    stats->bytes_in = so.bytes_in;
    stats->bytes_out = so.bytes_out;
    stats->added = so.docs;
    stats->live_docs = so.docs;
    stats->segments = 1;
    stats->vectors_embedded = so.vec_embedded;
    stats->vectors_reused = so.vec_reused;
    stats->committed = 1;
    stats->full_build = 1;
    stats->seconds = qx_now() - t0;
  }
  free(seg);
  free(tmp);
  return rc;
}

int qx_build_check_opts(const char *dir, const quarry_build_opts *opts) {
  if (opts->version != QUARRY_BUILD_OPTS_VERSION) return qx_err(QUARRY_EINVAL, "unknown build options version");
  if (!dir || !*dir) return qx_err(QUARRY_EINVAL, "no index directory given");
  qx_lang lang;
  if (qx_lang_parse(&lang, opts->lang ? opts->lang : "fr"))
    return qx_err(QUARRY_EINVAL, "unknown language '%s' (fr, en, none)", opts->lang);
  return 0;
}

int quarry_index_build(quarry_build_stats *stats, const char *dir, const char *const *paths, size_t npaths,
                       const quarry_build_opts *opts) {
  quarry_build_opts defaults = QUARRY_BUILD_OPTS_INIT;
  if (!opts) opts = &defaults;
  if (stats) memset(stats, 0, sizeof *stats);
  int rc = qx_build_check_opts(dir, opts);
  if (rc) return rc;
  if (npaths == 0) return qx_err(QUARRY_EINVAL, "no input paths given");
  int lock = -1;
  if ((rc = qx_lock_acquire(&lock, dir))) return rc;
  rc = qx_full_build_locked(stats, dir, paths, npaths, opts);
  qx_lock_release(lock);
  return rc;
}
