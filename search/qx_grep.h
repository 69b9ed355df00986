/*
 * qx_grep.h: the line-matching engine behind `quarry grep`.
 *
 * A qx_grep compiles one or more patterns (GNU grep syntax: basic regex,
 * extended regex, fixed strings, or Perl through PCRE2) into a single PCRE2
 * program with JIT, plus a literal prefilter (SIMD "packed pair" search,
 * after the memchr crate / Wojciech Mula's SIMD-friendly substring search)
 * when the pattern contains a string every match must include. The engine
 * only answers two questions, both over caller-owned memory:
 *   - which is the next line of a buffer that contains a match?
 *   - where are the matches inside one line (leftmost-longest for the POSIX
 *     syntaxes, as GNU grep's -o and --color show them)?
 * Printing, context, files and binary detection live in cli/.
 *
 * Lines end with '\n'. Matches never span lines, as in grep.
 *
 * Padding: PCRE2's JIT code reads whole 16-byte vectors, aligned, so its
 * loads run up to 15 bytes past the end of a subject (never across a page:
 * it cannot fault, but it reads outside a heap block, which valgrind
 * reports). Every buffer handed to qx_grep_find_line, qx_grep_find_line_nul,
 * qx_grep_find_unmatched and qx_grep_match_in_line must therefore be
 * followed by QX_GREP_PAD readable, initialised bytes (zeros will do) past
 * `end` (or `len`). Twice what PCRE2 10.42 needs, for AVX2 loads of later
 * versions. The literal and byte-set kernels of this module never over-read.
 */
#ifndef QX_GREP_H
#define QX_GREP_H

#include <stddef.h>
#include <stdint.h>

#include "qx_text.h"

#define QX_GREP_PAD 32

typedef enum qx_grep_syntax {
  QX_GREP_BRE = 0,   /* -G: POSIX basic regex with GNU extensions */
  QX_GREP_ERE = 1,   /* -E: POSIX extended regex with GNU extensions */
  QX_GREP_FIXED = 2, /* -F: fixed strings */
  QX_GREP_PCRE = 3   /* -P: Perl-compatible, passed to PCRE2 as is */
} qx_grep_syntax;

typedef struct qx_grep_opts {
  qx_grep_syntax syntax;
  int icase; /* -i */
  int word;  /* -w: match only whole words */
  int line;  /* -x: match only whole lines (wins over word) */
} qx_grep_opts;

typedef struct qx_grep qx_grep;

/* Compile n patterns (each pats[i] of lens[i] bytes, no newline inside; the
 * caller splits on newlines as grep does). n == 0 gives a matcher that
 * matches nothing. On a bad pattern returns QUARRY_EINVAL with a message. */
int qx_grep_compile(qx_grep **out, const char *const *pats, const size_t *lens, size_t n,
                    const qx_grep_opts *opts);
void qx_grep_free(qx_grep *g);

/* Find the first line of buf[from, end) holding a match. `from` must be at a
 * line start, and buf[end-1] must be '\n' (every line is terminated).
 * Returns 1 and the line as [*ls, *le) (le just past its '\n'), 0 if none,
 * or a negative code (PCRE2 resource errors). */
int qx_grep_find_line(qx_grep *g, const char *buf, size_t from, size_t end, size_t *ls,
                      size_t *le);

/* Like qx_grep_find_line, watching for NUL bytes in the same pass when the
 * matcher scans with a literal (see qx_grep_watches_nul): returns 2 with
 * *nul_at set when a NUL byte lies in the bytes examined before the next
 * matching line. Bytes of [from, *ls) are then known NUL-free on return 1,
 * and all of [from, end) on return 0. */
int qx_grep_find_line_nul(qx_grep *g, const char *buf, size_t from, size_t end, size_t *ls,
                          size_t *le, size_t *nul_at);
/* 1 if qx_grep_find_line_nul really watches NUL bytes (literal scan). */
int qx_grep_watches_nul(const qx_grep *g);

/* For -v: the first run of consecutive lines of buf[from, end) that hold no
 * match (same preconditions as qx_grep_find_line). Returns 1 with the run
 * as [*rs, *re) (whole lines), 0 if every line matches, or a negative code.
 * With a plain literal (qx_grep_fast_invert) it is one SIMD pass that
 * tests each line as it goes; otherwise it is built on qx_grep_find_line. */
int qx_grep_find_unmatched(qx_grep *g, const char *buf, size_t from, size_t end, size_t *rs, size_t *re);
/* 1 if qx_grep_find_unmatched has its one-pass kernel for this pattern. */
int qx_grep_fast_invert(const qx_grep *g);

/* Find the next match inside one line (line[0, len), without its '\n'),
 * starting the search at byte `start`. Returns 1 with [*ms, *me), 0 if none,
 * negative on error. Leftmost-longest for BRE/ERE/FIXED, leftmost-first
 * (Perl semantics) for PCRE. */
int qx_grep_match_in_line(qx_grep *g, const char *line, size_t len, size_t start, size_t *ms,
                          size_t *me);

/* The PCRE2 pattern actually compiled (for tests and --debug). */
const char *qx_grep_pattern(const qx_grep *g);

/* Translate one GNU BRE/ERE pattern into PCRE2 syntax. `group_base` is the
 * number of capturing groups in the patterns before this one (back-references
 * are shifted by it); *ngroups receives this pattern's group count. The
 * result is a heap string (caller frees). Exposed for unit tests. */
int qx_grep_translate(char **out, size_t *ngroups, const char *pat, size_t len,
                      qx_grep_syntax syntax, size_t group_base);

/* ---- fast byte-level helpers (SIMD where the CPU has it) ----------------- */

/* A literal searcher (optionally ASCII case-insensitive). */
typedef struct qx_lit {
  uint8_t *needle; /* lower-cased when icase */
  size_t len;
  int icase;
  size_t i1, i2; /* offsets of the two rarest bytes, used as the packed pair */
} qx_lit;

int qx_lit_init(qx_lit *l, const char *needle, size_t len, int icase);
void qx_lit_free(qx_lit *l);
/* First occurrence in hay[0, len), or NULL. */
const char *qx_lit_find(const qx_lit *l, const char *hay, size_t len);
/* Same, also watching for NUL bytes in the same pass (binary detection):
 * if a NUL is seen before a match is found, returns NULL with *nul set to
 * it; otherwise *nul is NULL and no NUL lies in the bytes scanned before the
 * returned match (or in all of hay when nothing matched). */
const char *qx_lit_find_nul(const qx_lit *l, const char *hay, size_t len, const char **nul);

/* Number of '\n' bytes in p[0, len). */
size_t qx_count_newlines(const char *p, size_t len);
/* 1 if p[0, len) is valid UTF-8 (strict: no overlongs, surrogates, > U+10FFFF). */
int qx_grep_utf8_valid(const char *p, size_t len);

/* ---- --rank: BM25 over the units of the input (grep_rank.c) ------------- */
typedef enum qx_rank_unit { QX_UNIT_LINE = 0, QX_UNIT_PARAGRAPH = 1, QX_UNIT_PASSAGE = 2 } qx_rank_unit;

typedef struct qx_rank_hit {
  uint32_t doc;        /* the caller's document number (qx_rank_add) */
  uint64_t start, end; /* byte range of the unit (end at its last line's end, no '\n') */
  uint64_t line;       /* 1-based number of its first line */
  double score;
} qx_rank_hit;

typedef struct qx_rank qx_rank;
struct qx_buf;

/* A ranker for `query` (analysed with lang). QUARRY_EINVAL when the query has
 * no searchable word. Units: lines; paragraphs (runs of non-blank lines);
 * passages (runs of lines closed at a blank line or once they hold 64 tokens). */
enum { QX_RANK_KEEP_ALL = 1 }; /* keep units without query terms (score 0); allow an empty query */
int qx_rank_new(qx_rank **out, const char *query, qx_lang lang, qx_rank_unit unit, double k1, double b,
                int flags);
void qx_rank_free(qx_rank *r);
size_t qx_rank_nterms(const qx_rank *r);
const char *qx_rank_term(const qx_rank *r, size_t i);
/* Cut and analyse one document; text must stay valid until qx_rank_finish. */
int qx_rank_add(qx_rank *r, uint32_t doc, const char *text, size_t len);
/* Score the units kept; *hits (owned by r) best first, ties by document
 * then offset. */
int qx_rank_finish(qx_rank *r, const qx_rank_hit **hits, size_t *n);
/* Byte ranges [start, end) (pairs of size_t appended to ranges) of the words
 * of text whose analysed form is a query term, for highlighting. */
int qx_rank_highlight(qx_rank *r, const char *text, size_t len, struct qx_buf *ranges);
/* --semantic / --hybrid (grep_semantic.c): out[i] = cosine between the query
 * (embedded as a query) and texts[i] (embedded as a passage). */
struct qx_model;
int qx_rank_cosines(float *out, struct qx_model *m, const char *query, const char *const *texts,
                    const size_t *lens, size_t n);

#endif /* QX_GREP_H */
