/*
 * qx_dot.h: the float dot product used to re-score fused hybrid candidates
 * against the query embedding. One scalar reference and AVX2 / AVX-512
 * variants, chosen once at start-up (__builtin_cpu_supports).
 *
 * All variants give bit-identical results: each accumulates element i into
 * lane i % 16 with a fused multiply-add (the scalar twin uses fmaf), and the
 * 16 lanes are reduced in the same fixed pairwise order (qx_dot_reduce16).
 */
#ifndef QX_DOT_H
#define QX_DOT_H
#include <stddef.h>

typedef float (*qx_dot_fn)(const float *a, const float *b, size_t n);

float qx_dot_scalar(const float *a, const float *b, size_t n);
float qx_dot_avx2(const float *a, const float *b, size_t n);
float qx_dot_avx512(const float *a, const float *b, size_t n);

/* Fixed-order reduction of 16 lane sums, shared by every variant. */
float qx_dot_reduce16(const float lanes[16]);
/* Tail elements [from, n) into lanes (element i -> lane i % 16), with fmaf. */
void qx_dot_tail(float lanes[16], const float *a, const float *b, size_t from, size_t n);

/* The best variant for this CPU (resolved once, thread-safe). */
qx_dot_fn qx_dot_best(void);
const char *qx_dot_best_name(void);
/* 1 if this CPU can run the variant ("scalar", "avx2", "avx512"). */
int qx_dot_supported(const char *name);
static inline float qx_dot(const float *a, const float *b, size_t n) { return qx_dot_best()(a, b, n); }
#endif
