/*
 * qx_test.h: a minimal unit-test harness. CHECK records a failure and goes
 * on; the test's main returns qx_test_result() (0 pass, 1 fail, 77 skip).
 */
#ifndef QX_TEST_H
#define QX_TEST_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int qx_test_failures = 0, qx_test_checks = 0;

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    qx_test_checks++;                                                                  \
    if (!(cond)) {                                                                     \
      qx_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);         \
    }                                                                                  \
  } while (0)
#define CHECK_EQ_INT(a, b)                                                             \
  do {                                                                                 \
    long long qx_a = (long long)(a), qx_b = (long long)(b);                            \
    qx_test_checks++;                                                                  \
    if (qx_a != qx_b) {                                                                \
      qx_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld vs %lld\n", __FILE__, __LINE__, #a, \
              #b, qx_a, qx_b);                                                         \
    }                                                                                  \
  } while (0)
#define CHECK_EQ_STR(a, b)                                                             \
  do {                                                                                 \
    const char *qx_a = (a), *qx_b = (b);                                               \
    qx_test_checks++;                                                                  \
    if (!qx_a || !qx_b || strcmp(qx_a, qx_b)) {                                        \
      qx_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" vs \"%s\"\n", __FILE__, __LINE__, \
              #a, #b, qx_a ? qx_a : "(null)", qx_b ? qx_b : "(null)");                 \
    }                                                                                  \
  } while (0)
#define CHECK_NEAR(a, b, eps) CHECK(fabs((double)(a) - (double)(b)) <= (eps))

static inline int qx_test_result(void) {
  fprintf(stderr, "%d checks, %d failed\n", qx_test_checks, qx_test_failures);
  return qx_test_failures ? 1 : 0;
}
#endif
