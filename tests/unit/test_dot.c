/* test_dot.c: every dot-product variant this CPU runs returns the same bits
 * as the scalar reference, on random vectors of many lengths and alignments,
 * and agrees with a double-precision sum. */
#include <stdlib.h>

#include "qx_dot.h"
#include "qx_test.h"

static float frand(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return ((float)((*s >> 8) & 0xffff) / 32768.0f) - 1.0f;
}

int main(void) {
  unsigned seed = 42;
  float *a = malloc(1100 * sizeof *a), *b = malloc(1100 * sizeof *b);
  int variants = 0;
  for (size_t n = 0; n <= 1030; n += (n < 70 ? 1 : 37)) {
    for (size_t off = 0; off < 3; off++) {
      for (size_t i = 0; i < n + off; i++) {
        a[i] = frand(&seed);
        b[i] = frand(&seed);
      }
      float ref = qx_dot_scalar(a + off, b + off, n);
      double exact = 0;
      for (size_t i = 0; i < n; i++) exact += (double)a[off + i] * b[off + i];
      CHECK(fabs(ref - exact) <= 1e-4 * (1 + fabs(exact)));
      if (qx_dot_supported("avx2")) {
        float v = qx_dot_avx2(a + off, b + off, n);
        CHECK(memcmp(&v, &ref, sizeof v) == 0);
        variants |= 1;
      }
      if (qx_dot_supported("avx512")) {
        float v = qx_dot_avx512(a + off, b + off, n);
        CHECK(memcmp(&v, &ref, sizeof v) == 0);
        variants |= 2;
      }
      float d = qx_dot(a + off, b + off, n);
      CHECK(memcmp(&d, &ref, sizeof d) == 0);
    }
  }
  fprintf(stderr, "dispatch: %s (avx2 %s, avx512 %s)\n", qx_dot_best_name(), variants & 1 ? "checked" : "absent",
          variants & 2 ? "checked" : "absent");
  free(a);
  free(b);
  return qx_test_result();
}
