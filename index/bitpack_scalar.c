/*
 * bitpack_scalar.c: binary packing of a block of postings (Lemire &
 * Boytsov, "Decoding billions of integers per second through vectorization",
 * SPE 2015): n values at one bit width, LSB first in a byte stream. This is
 * the reference twin of bitpack_avx2.c / bitpack_avx512.c, and the run-time
 * dispatch: the variant is chosen once at start-up (constructor) from
 * __builtin_cpu_supports, capped by QUARRY_SIMD=scalar|avx2|avx512.
 */
#include <pthread.h>
#include <stdlib.h>

#include "qx_postings.h"

void qx_bitpack(uint8_t *out, const uint32_t *vals, uint32_t n, unsigned bits) {
  if (bits == 0) return;
  uint64_t acc = 0;
  unsigned nb = 0;
  size_t o = 0;
  for (uint32_t i = 0; i < n; i++) {
    acc |= (uint64_t)vals[i] << nb;
    nb += bits;
    while (nb >= 8) {
      out[o++] = (uint8_t)acc;
      acc >>= 8;
      nb -= 8;
    }
  }
  if (nb) out[o++] = (uint8_t)acc;
}

void qx_bitunpack_scalar(uint32_t *out, const uint8_t *in, uint32_t n, unsigned bits) {
  if (bits == 0) {
    memset(out, 0, n * sizeof *out);
    return;
  }
  uint64_t mask = bits == 32 ? 0xffffffffu : ((1u << bits) - 1);
  uint64_t acc = 0;
  unsigned nb = 0;
  size_t o = 0;
  for (uint32_t i = 0; i < n; i++) {
    while (nb < bits) {
      acc |= (uint64_t)in[o++] << nb;
      nb += 8;
    }
    out[i] = (uint32_t)(acc & mask);
    acc >>= bits;
    nb -= bits;
  }
}

/* ---- dispatch ------------------------------------------------------------------ */

qx_unpack_fn qx_bitunpack = qx_bitunpack_scalar;
static const char *simd_level = "scalar";
static pthread_once_t simd_once = PTHREAD_ONCE_INIT;

int qx_simd_supported(const char *name) {
  __builtin_cpu_init();
  if (!strcmp(name, "scalar")) return 1;
  if (!strcmp(name, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
  if (!strcmp(name, "avx512"))
    return qx_simd_supported("avx2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return 0;
}

static void simd_select(void) {
  const char *cap = getenv("QUARRY_SIMD");
  int max = cap && !strcmp(cap, "scalar") ? 0 : cap && !strcmp(cap, "avx2") ? 1 : 2;
  if (max >= 2 && qx_simd_supported("avx512")) {
    qx_bitunpack = qx_bitunpack_avx512;
    simd_level = "avx512";
  } else if (max >= 1 && qx_simd_supported("avx2")) {
    qx_bitunpack = qx_bitunpack_avx2;
    simd_level = "avx2";
  }
}

const char *qx_simd_level(void) {
  pthread_once(&simd_once, simd_select);
  return simd_level;
}

/* Choose before main(): the query path then reads a plain pointer. */
__attribute__((constructor)) static void simd_init(void) { (void)qx_simd_level(); }
