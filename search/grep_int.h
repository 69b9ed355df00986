/*
 * grep_int.h: internals shared by the grep_*.c files of search/ (not used
 * outside the matching engine).
 */
#ifndef QX_GREP_INT_H
#define QX_GREP_INT_H

#include "qx_common.h"
#include "qx_grep.h"

/* What the translator learned about one pattern besides its PCRE2 form. */
typedef struct grep_tr_info {
  qx_buf must; /* a literal every match contains (may be empty) */
  int pure;    /* 1 if the whole pattern is exactly the literal `must` */
} grep_tr_info;

/* qx_grep_translate plus the literal analysis (info may be NULL) and the
 * length of *out (out_len may be NULL): a NUL byte of the pattern stays a
 * NUL in the PCRE2 source, which is therefore compiled with its length. */
int grep_translate_ex(char **out, size_t *out_len, size_t *ngroups, const char *pat, size_t len,
                      qx_grep_syntax syntax, size_t group_base, grep_tr_info *info);

/* Length of the UTF-8 sequence starting at p[0] (1 when invalid or truncated). */
size_t grep_utf8_len(const uint8_t *p, size_t avail);

/* A set of bytes a match can start with (PCRE2's start bitmap or first code
 * unit), searched for ahead of the regex: `bits` is the exact set; lo/hi are
 * nibble tables for the SIMD test, which finds a superset (bytes whose high
 * nibbles differ by 8 share a bucket) that `bits` then confirms. */
typedef struct grep_byteset {
  uint8_t bits[32];
  uint8_t lo[16], hi[16];
} grep_byteset;

/* Thousandths of typical (English or French) text taken by byte b. */
unsigned grep_byte_permille(unsigned b);

void grep_byteset_init(grep_byteset *s, const uint8_t bits[32]);
/* Rough frequency of the set's bytes in text, in thousandths. */
unsigned grep_byteset_cost(const grep_byteset *s);
/* First byte of hay[0, len) in the set, or NULL. With nul non-NULL, NUL
 * bytes are watched in the same pass: a NUL before the first byte of the
 * set (or at it) gives NULL with *nul set to it; otherwise *nul is NULL and
 * no NUL lies in the bytes before the answer (or in all of hay). */
const char *grep_byteset_find(const grep_byteset *s, const char *hay, size_t len, const char **nul);

/* A class run: a pattern that begins with a bracket class of ASCII bytes
 * repeated k or more times (grep_classrun.c). */
#define GREP_CLASSRUN_RANGES 4
typedef struct grep_classrun {
  uint8_t lo[GREP_CLASSRUN_RANGES], hi[GREP_CLASSRUN_RANGES]; /* the class: byte ranges */
  unsigned nranges;
  unsigned k;       /* 2..64 */
  int pure;         /* the pattern is the class run alone: a run is a match */
  uint8_t bits[32]; /* the class as a bitmap */
} grep_classrun;

/* 1 if the PCRE2 pattern pat[0, len) starts with such a class run (with
 * icase, classes holding letters are refused); 0 otherwise. */
int grep_classrun_parse(grep_classrun *r, const char *pat, size_t len, int icase);
/* Start of the first run of k class bytes in hay[0, len), or NULL. */
const char *grep_classrun_find(const grep_classrun *r, const char *hay, size_t len);
/* The scalar search, with `run` class bytes just before hay (the answer may
 * then start up to `run` bytes before hay). */
const char *grep_classrun_find_tail(const grep_classrun *r, const char *hay, size_t len, size_t run);

/* SIMD kernels (grep_simd_avx2.c), used when the CPU supports AVX2. */
const char *grep_classrun_find_avx2(const grep_classrun *r, const char *hay, size_t len);
const char *grep_lit_find_avx2(const qx_lit *l, const char *hay, size_t len, const char **nul);
const char *grep_byteset_find_avx2(const grep_byteset *s, const char *hay, size_t len, const char **nul);
size_t grep_count_nl_avx2(const char *p, size_t len);
int grep_lit_unmatched_avx2(const qx_lit *l, const char *buf, size_t from, size_t end, size_t *rs, size_t *re);
/* 1 when the AVX2 kernels are in use (checked once; QUARRY_NO_SIMD turns them off). */
int grep_simd(void);

#endif
