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
#include "qx_vectors.h"

/* ---- dictionaries: open addressing (FNV-1a), slot = hash32 << 32 | id+1 ---- */

static uint32_t hash32(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return (uint32_t)(h ^ (h >> 32));
}

static int dict_rehash(qx_dict *d) {
  size_t ncap = d->cap ? d->cap * 2 : 1024;
  uint64_t *slots = qx_calloc(ncap, sizeof *slots);
  if (!slots) return qx_err(QUARRY_ENOMEM, "out of memory");
  for (size_t i = 0; i < d->cap; i++) {
    uint64_t v = d->slots[i];
    if (!v) continue;
    size_t j = (uint32_t)(v >> 32) & (ncap - 1);
    while (slots[j]) j = (j + 1) & (ncap - 1);
    slots[j] = v;
  }
  free(d->slots);
  d->slots = slots;
  d->cap = ncap;
  return 0;
}

/* Find s; *slot gets the slot to fill if absent, *h its hash. Returns id+1 or 0. */
static uint32_t dict_find(const qx_dict *d, const qx_buf *strs, const uint64_t *offs, const uint32_t *lens,
                          const char *s, size_t n, size_t *slot, uint32_t *h) {
  *h = hash32(s, n);
  size_t j = *h & (d->cap - 1);
  for (;;) {
    uint64_t v = d->slots[j];
    uint32_t id = (uint32_t)v;
    if (!v || ((uint32_t)(v >> 32) == *h && lens[id - 1] == n && !memcmp(strs->data + offs[id - 1], s, n))) {
      *slot = j;
      return id;
    }
    j = (j + 1) & (d->cap - 1);
  }
}

static int intern_str(qx_buf *strs, uint64_t *off, const char *s, size_t n) {
  *off = strs->len;
  int rc = qx_buf_append(strs, s, n);
  return rc ? rc : qx_buf_putc(strs, 0);
}

static int term_intern(qx_build *b, uint32_t *out, const char *s, size_t n) {
  if (n > QX_STORED_TERM_MAX) n = QX_STORED_TERM_MAX;
  int rc;
  if ((b->nterms + 1) * 2 > b->terms_dict.cap && (rc = dict_rehash(&b->terms_dict))) return rc;
  size_t slot;
  uint32_t h;
  uint32_t id = dict_find(&b->terms_dict, &b->term_strs, b->term_off, b->term_len, s, n, &slot, &h);
  if (id) {
    *out = id - 1;
    return 0;
  }
  size_t need = b->nterms + 1;
  void *p = b->term_off;
  size_t c = b->cap_terms;
  if ((rc = qx_grow(&p, &c, need, sizeof *b->term_off))) return rc;
  b->term_off = p;
  p = b->term_len;
  c = b->cap_terms;
  if ((rc = qx_grow(&p, &c, need, sizeof *b->term_len))) return rc;
  b->term_len = p;
  p = b->terms;
  c = b->cap_terms;
  if ((rc = qx_grow(&p, &c, need, sizeof *b->terms))) return rc;
  b->terms = p;
  b->cap_terms = c;
  if ((rc = intern_str(&b->term_strs, &b->term_off[b->nterms], s, n))) return rc;
  b->term_len[b->nterms] = (uint32_t)n;
  memset(&b->terms[b->nterms], 0, sizeof b->terms[0]);
  b->terms_dict.slots[slot] = (uint64_t)h << 32 | (uint32_t)++b->nterms;
  *out = (uint32_t)b->nterms - 1;
  return 0;
}

/* The term id of a token. The folded surface form determines the term (the
 * stem is a function of it), so the surface dictionary is looked up first
 * and the term dictionary only for a new surface form. */
static int token_term(qx_build *b, uint32_t *out, const char *folded, size_t fl, const char *term, size_t tl) {
  if (fl == 0) return term_intern(b, out, term, tl);
  if (fl > QX_STORED_TERM_MAX) fl = QX_STORED_TERM_MAX;
  int rc;
  if ((b->nsurf + 1) * 2 > b->surf_dict.cap && (rc = dict_rehash(&b->surf_dict))) return rc;
  size_t slot;
  uint32_t h;
  uint32_t id = dict_find(&b->surf_dict, &b->surf_strs, b->surf_off, b->surf_len, folded, fl, &slot, &h);
  if (id) {
    *out = b->surf_term[id - 1];
    return 0;
  }
  if ((rc = term_intern(b, out, term, tl))) return rc;
  size_t need = b->nsurf + 1, c = b->cap_surf;
  void *p = b->surf_off;
  if ((rc = qx_grow(&p, &c, need, sizeof *b->surf_off))) return rc;
  b->surf_off = p;
  p = b->surf_len;
  c = b->cap_surf;
  if ((rc = qx_grow(&p, &c, need, sizeof *b->surf_len))) return rc;
  b->surf_len = p;
  p = b->surf_term;
  c = b->cap_surf;
  if ((rc = qx_grow(&p, &c, need, sizeof *b->surf_term))) return rc;
  b->surf_term = p;
  b->cap_surf = c;
  if ((rc = intern_str(&b->surf_strs, &b->surf_off[b->nsurf], folded, fl))) return rc;
  b->surf_len[b->nsurf] = (uint32_t)fl;
  b->surf_term[b->nsurf] = *out;
  b->surf_dict.slots[slot] = (uint64_t)h << 32 | (uint32_t)++b->nsurf;
  return 0;
}

/* LEB128 varint append with a fast path (postings are written per token). */
static inline int put_varint(qx_buf *o, uint64_t v) {
  if (o->cap - o->len < 10) {
    int rc = qx_buf_reserve(o, 10);
    if (rc) return rc;
  }
  uint8_t *p = o->data + o->len;
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  o->len = (size_t)(p - o->data);
  return 0;
}

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

static void progress(qx_build *b, const char *phase, uint64_t done, uint64_t total) {
  if (!b->opts->progress) return;
  quarry_build_progress p = {phase, done, total, b->bytes_done, b->bytes_total};
  b->opts->progress(b->opts->ctx, &p);
}

/* ---- collect: analyse documents and cut passages --------------------------- */

typedef struct pt {
  uint32_t term, pos;
} pt;

static int cmp_pt(const void *a, const void *b) {
  const pt *x = a, *y = b;
  if (x->term != y->term) return x->term < y->term ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int on_passage(void *ctx, const qx_ptok *toks, uint32_t n, uint64_t start, uint64_t end) {
  qx_build *b = ctx;
  if (b->npassages >= UINT32_MAX - 1) return qx_err(QUARRY_EINVAL, "too many passages (more than 2^32)");
  uint32_t pid = (uint32_t)b->npassages++;
  /* line number of `start`: count newlines since the last passage start */
  for (uint64_t i = b->line_off; i < start; i++)
    if (b->text[i] == '\n') b->line++;
  b->line_off = start;
  uint32_t rec32[2] = {b->ndocs, n}, line = b->line, zero = 0;
  int rc = qx_buf_append(&b->passages, rec32, 8);
  if (!rc) rc = qx_buf_put_u64(&b->passages, start);
  if (!rc) rc = qx_buf_put_u64(&b->passages, end);
  if (!rc) rc = qx_buf_put_u32(&b->passages, line);
  if (!rc) rc = qx_buf_put_u32(&b->passages, zero);
  if (!rc) rc = qx_buf_putc(&b->norms, qx_norm_encode(n));
  if (rc) return rc;
  b->total_tokens += n;
  b->doc_passages++;
  /* postings: group this passage's tokens by term */
  pt *s = b->scratch;
  for (uint32_t i = 0; i < n; i++) s[i] = (pt){toks[i].term, toks[i].pos - toks[0].pos};
  qsort(s, n, sizeof *s, cmp_pt);
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i;
    while (j < n && s[j].term == s[i].term) j++;
    qx_bterm *t = &b->terms[s[i].term];
    rc = put_varint(&t->post, t->df ? pid - t->last_pid : pid);
    if (!rc) rc = put_varint(&t->post, j - i);
    for (uint32_t k = i; !rc && k < j; k++) rc = put_varint(&t->post, k > i ? s[k].pos - s[k - 1].pos : s[k].pos);
    if (rc) return rc;
    t->df++;
    t->cf += j - i;
    t->last_pid = pid;
    b->npostings++;
    i = j;
  }
  return 0;
}

static int on_token(void *ctx, const qx_token *tok) {
  qx_build *b = ctx;
  uint8_t gap = tok->start >= b->prev_end ? qx_gap_boundary(b->text + b->prev_end, tok->start - b->prev_end) : 0;
  if (gap > b->pend_boundary) b->pend_boundary = gap;
  if (b->lead_start == UINT64_MAX) b->lead_start = tok->start;
  b->prev_end = tok->end;
  if (tok->is_stop) return 0;
  qx_ptok p = {0, tok->pos, b->lead_start, tok->end, b->pend_boundary};
  int rc = token_term(b, &p.term, tok->folded, tok->folded_len, tok->term, tok->term_len);
  if (!rc) rc = qx_cutter_push(&b->cut, &p);
  b->lead_start = UINT64_MAX;
  b->pend_boundary = 0;
  return rc;
}

/* First non-empty line, trimmed, at most QX_TITLE_MAX bytes cut on a UTF-8
 * character boundary; else the file name. */
static void doc_title(const char *text, size_t len, const char *path, const char **t, size_t *tl) {
  size_t i = 0;
  while (i < len) {
    size_t e = i;
    while (e < len && text[e] != '\n') e++;
    size_t a = i, z = e;
    while (a < z && (unsigned char)text[a] <= ' ') a++;
    while (z > a && (unsigned char)text[z - 1] <= ' ') z--;
    if (z > a) {
      if (z - a > QX_TITLE_MAX) {
        z = a + QX_TITLE_MAX;
        while (z > a && ((unsigned char)text[z] & 0xC0) == 0x80) z--;
      }
      *t = text + a;
      *tl = z - a;
      return;
    }
    i = e + 1;
  }
  const char *slash = strrchr(path, '/');
  *t = slash ? slash + 1 : path;
  *tl = strlen(*t);
}

/* One document to index, whatever its source (a plain file or a corpus record). */
typedef struct src_doc {
  const char *path, *id; /* id: external id (NULL: the path) */
  const char *title;     /* NULL: first non-empty line */
  size_t title_len;
  const char *text;
  size_t len;
  int64_t mtime_ns;
} src_doc;

static int add_doc(qx_build *b, const src_doc *d, uint32_t first) {
  const char *title = d->title;
  size_t tl = d->title_len;
  if (!title) doc_title(d->text, d->len, d->path, &title, &tl);
  if (tl > QX_TITLE_MAX) {
    tl = QX_TITLE_MAX;
    while (tl > 0 && ((unsigned char)title[tl] & 0xC0) == 0x80) tl--;
  }
  size_t pl = strlen(d->path), il = d->id ? strlen(d->id) : pl;
  uint64_t poff = b->doc_strs.len, toff, ioff;
  int rc = 0;
  if (b->last_path_len == pl && !memcmp(b->doc_strs.data + b->last_path_off, d->path, pl))
    poff = b->last_path_off; /* records of one corpus file share their path */
  else
    rc = qx_buf_append(&b->doc_strs, d->path, pl);
  b->last_path_off = poff;
  b->last_path_len = pl;
  ioff = poff;
  toff = b->doc_strs.len;
  if (!rc) rc = qx_buf_append(&b->doc_strs, title, tl);
  if (!rc && d->id) {
    ioff = b->doc_strs.len;
    rc = qx_buf_append(&b->doc_strs, d->id, il);
  }
  uint64_t rec[6] = {poff, toff, ioff, d->len, (uint64_t)d->mtime_ns, qx_xxh64(d->text, d->len)};
  uint32_t rec32[6] = {(uint32_t)pl, (uint32_t)tl, (uint32_t)il, first, b->doc_passages, 0};
  if (!rc) rc = qx_buf_append(&b->docs, rec, sizeof rec);
  if (!rc) rc = qx_buf_append(&b->docs, rec32, sizeof rec32);
  if (!rc) rc = qx_store_writer_add(b->store, d->text, d->len);
  if (!rc) b->ndocs++;
  return rc;
}

/* Analyse one document, cut it into passages, record it. */
static int index_doc(qx_build *b, const src_doc *d) {
  if (b->ndocs >= UINT32_MAX - 1) return qx_err(QUARRY_EINVAL, "too many documents (more than 2^32)");
  if (!qx_utf8_valid(d->text, d->len)) {
    if (d->id) qx_build_note(b, "%s: document %s: invalid UTF-8 (read as U+FFFD)", d->path, d->id);
    else qx_build_note(b, "%s: invalid UTF-8 (read as U+FFFD)", d->path);
  }
  b->text = d->text;
  b->line = 1;
  b->line_off = 0;
  b->prev_end = 0;
  b->lead_start = UINT64_MAX;
  b->pend_boundary = 2;
  b->doc_passages = 0;
  uint32_t first = (uint32_t)b->npassages;
  qx_cutter_begin(&b->cut, d->text, d->len);
  int rc = qx_analyze(b->an, d->text, d->len, QX_ANALYZE_KEEP_STOP, on_token, b);
  if (!rc) rc = qx_cutter_end(&b->cut);
  if (!rc) rc = add_doc(b, d, first);
  /* name the file, and within a BEIR/TREC file the document */
  if (rc && d->id) rc = qx_err_wrap(rc, "%s: document %s", d->path, d->id);
  else if (rc) rc = qx_err_wrap(rc, "%s", d->path);
  b->text = NULL;
  return rc;
}

static int index_file(qx_build *b, const qx_walk_file *f) {
  char *text = NULL;
  size_t len = 0;
  int rc = qx_file_read(&text, &len, f->path);
  if (rc) {
    qx_build_note(b, "%s: skipped (%s)", f->path, quarry_error_last());
    b->skipped++;
    return 0;
  }
  b->bytes_in += len;
  if (len == 0 || strspn(text, " \t\r\n\f\v") == len) {
    qx_build_note(b, "%s: skipped (empty file)", f->path);
    b->skipped++;
  } else if (qx_text_is_binary(text, len)) {
    qx_build_note(b, "%s: skipped (binary file)", f->path);
    b->skipped++;
  } else {
    src_doc d = {f->path, NULL, NULL, 0, text, len, f->mtime_ns};
    rc = index_doc(b, &d);
  }
  free(text);
  return rc;
}

/* A document stored in an existing segment (merges): its text from the
 * segment's store.zst, its path, id, title and mtime kept. */
static int index_stored(qx_build *b, const qx_src_item *it) {
  qx_stored_doc sd;
  int rc = qx_stored_doc_read(&sd, it->seg, it->doc);
  if (rc) return rc;
  b->bytes_in += sd.len;
  b->bytes_done += sd.len;
  src_doc d = {sd.path, sd.id, sd.title, sd.title_len, sd.text, sd.len, sd.mtime_ns};
  rc = index_doc(b, &d);
  qx_stored_doc_free(&sd);
  return rc;
}

/* Test-collection records (BEIR, TREC, SMART; index/qx_corpus.h): the
 * document text is the title, a blank line, then the body, as Anserini
 * indexes BEIR "title + text in one field". */
static int collect_corpus(qx_build *b, qx_corpus_format fmt, const char *const *paths, size_t npaths) {
  qx_corpus *c = NULL;
  int rc = qx_corpus_open(&c, fmt, paths, npaths);
  qx_buf text = {0};
  uint64_t n = 0;
  while (!rc) {
    qx_corpus_rec r;
    int got = qx_corpus_next(c, &r);
    if (got <= 0) {
      rc = got;
      break;
    }
    text.len = 0;
    if (r.title_len) rc = qx_buf_append(&text, r.title, r.title_len);
    if (!rc && r.title_len && r.text_len) rc = qx_buf_append(&text, "\n\n", 2);
    if (!rc) rc = qx_buf_append(&text, r.text, r.text_len);
    if (!rc) rc = qx_buf_putc(&text, 0); /* NUL-terminated; take text.data only after this */
    if (rc) break;
    size_t len = text.len - 1;
    b->bytes_in += len;
    if (len == 0 || strspn((const char *)text.data, " \t\r\n\f\v") == len) {
      qx_build_note(b, "%s: document %s skipped (empty)", r.path, r.id);
      b->skipped++;
    } else {
      src_doc d = {r.path, r.id, r.title, r.title_len, (const char *)text.data, len, 0};
      rc = index_doc(b, &d);
    }
    if (++n % 1000 == 0) progress(b, "reading", n, 0);
  }
  qx_buf_free(&text);
  qx_corpus_free(c);
  return rc;
}

static int step_collect(qx_build *b) {
  char *path = qx_path_join(b->tmpdir, "store.zst");
  if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
  int rc = qx_store_writer_open(&b->store, path);
  free(path);
  if (rc) return rc;
  if (b->format != QX_CORPUS_FILES) {
    rc = collect_corpus(b, b->format, b->paths, b->npaths);
  } else {
    for (size_t i = 0; !rc && i < b->nitems; i++) {
      const qx_src_item *it = &b->items[i];
      if (it->file) {
        rc = index_file(b, it->file);
        b->bytes_done += it->file->size;
      } else {
        rc = index_stored(b, it);
      }
      progress(b, "reading", i + 1, b->nitems);
    }
  }
  if (!rc && b->ndocs == 0 && !b->allow_empty) rc = qx_err(QUARRY_EINVAL, "nothing to index (%llu skipped)", (unsigned long long)b->skipped);
  if (!rc) rc = qx_store_writer_close(b->store);
  qx_store_writer_free(b->store);
  b->store = NULL;
  if (!rc) rc = qx_build_add_file(b, "store.zst");
  return rc;
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
    {"reading", step_collect},
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
  const uint8_t *r = b->passages.data + (size_t)pid * QX_PASSAGE_REC_SIZE;
  return qx_store_read(out, out_len, b->store_rd, qx_le32(r), qx_le64(r + 8), qx_le64(r + 16));
}

int qx_build_passage_input(char **out, size_t *out_len, qx_build *b, uint32_t pid) {
  char *text = NULL;
  size_t len = 0;
  int rc = qx_build_passage_text(&text, &len, b, pid);
  if (rc) return rc;
  uint32_t doc = qx_le32(b->passages.data + (size_t)pid * QX_PASSAGE_REC_SIZE);
  const uint8_t *d = b->docs.data + (size_t)doc * QX_DOC_REC_SIZE; /* add_doc's rec, rec32 */
  uint64_t toff = qx_le64(d + 8);
  uint32_t tl = qx_le32(d + 52), first = qx_le32(d + 60);
  rc = qx_vec_passage_input(out, out_len, (const char *)b->doc_strs.data + toff, tl, text, len, pid == first);
  free(text);
  return rc;
}
qx_manifest *qx_build_manifest(qx_build *b) { return &b->man; }

int qx_build_add_file(qx_build *b, const char *name) {
  char *path = qx_path_join(b->tmpdir, name);
  if (!path) return qx_err(QUARRY_ENOMEM, "out of memory");
  qx_map m;
  int rc = qx_map_open(&m, path);
  free(path);
  if (rc) return rc;
  rc = qx_manifest_add_file(&b->man, name, m.len, qx_xxh64(m.data, m.len));
  b->bytes_out += m.len;
  qx_map_close(&m);
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
  for (size_t i = 0; i < b->nterms; i++) qx_buf_free(&b->terms[i].post);
  free(b->terms);
  free(b->term_off);
  free(b->term_len);
  free(b->terms_dict.slots);
  qx_buf_free(&b->term_strs);
  free(b->surf_off);
  free(b->surf_len);
  free(b->surf_term);
  free(b->surf_dict.slots);
  qx_buf_free(&b->surf_strs);
  qx_buf_free(&b->passages);
  qx_buf_free(&b->norms);
  qx_buf_free(&b->docs);
  qx_buf_free(&b->doc_strs);
  free(b->scratch);
  free(b->new_id);
  qx_cutter_free(&b->cut);
  qx_store_writer_free(b->store);
  qx_store_free(b->store_rd);
  qx_map_close(&b->store_map);
  qx_analyzer_free(b->an);
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
  rc = qx_cutter_init(&b.cut, opts->passage_tokens, opts->passage_overlap, on_passage, &b);
  if (!rc) rc = qx_analyzer_new(&b.an, b.lang);
  if (!rc && !(b.scratch = qx_malloc(((size_t)qx_cutter_max(opts->passage_tokens) + 1) * 2 * sizeof(uint32_t))))
    rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && !(b.tmpdir = qx_strdup(spec->dir))) rc = qx_err(QUARRY_ENOMEM, "out of memory");
  if (!rc && mkdir(b.tmpdir, 0755) != 0) rc = qx_err_errno(QUARRY_EIO, "cannot create %s", b.tmpdir);
  for (size_t i = 0; !rc && i < QX_ARRAY_LEN(steps); i++) {
    rc = steps[i].run(&b);
    if (i == 0 && !rc && b.ndocs == 0) break; /* allow_empty: nothing to write */
    if (i > 0) progress(&b, "writing", i, QX_ARRAY_LEN(steps) - 1);
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
