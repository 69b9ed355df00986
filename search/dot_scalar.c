/*
 * dot_scalar.c: the scalar reference of the dot-product kernel and the
 * run-time dispatch. Lane layout and reduction order are shared with the
 * AVX2 / AVX-512 variants so that every variant returns the same bits.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "qx_dot.h"

float qx_dot_reduce16(const float l[16]) {
  float s8[8], s4[4];
  for (int i = 0; i < 8; i++) s8[i] = l[i] + l[i + 8];
  for (int i = 0; i < 4; i++) s4[i] = s8[i] + s8[i + 4];
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

void qx_dot_tail(float lanes[16], const float *a, const float *b, size_t from, size_t n) {
  for (size_t i = from; i < n; i++) lanes[i % 16] = fmaf(a[i], b[i], lanes[i % 16]);
}

float qx_dot_scalar(const float *a, const float *b, size_t n) {
  float lanes[16] = {0};
  qx_dot_tail(lanes, a, b, 0, n);
  return qx_dot_reduce16(lanes);
}

static qx_dot_fn best_fn = qx_dot_scalar;
static const char *best_name = "scalar";
static pthread_once_t best_once = PTHREAD_ONCE_INIT;

int qx_dot_supported(const char *name) {
  __builtin_cpu_init();
  if (!strcmp(name, "scalar")) return 1;
  if (!strcmp(name, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!strcmp(name, "avx512")) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return 0;
}

static void pick(void) {
  if (qx_dot_supported("avx512")) {
    best_fn = qx_dot_avx512;
    best_name = "avx512";
  } else if (qx_dot_supported("avx2")) {
    best_fn = qx_dot_avx2;
    best_name = "avx2";
  }
}

qx_dot_fn qx_dot_best(void) {
  pthread_once(&best_once, pick);
  return best_fn;
}

const char *qx_dot_best_name(void) {
  pthread_once(&best_once, pick);
  return best_name;
}
