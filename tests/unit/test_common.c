/* test_common.c: buffers, varints (including truncated input), checksums, errors. */
#include <stdlib.h>

#include "qx_common.h"
#include "qx_test.h"

int main(void) {
  qx_buf b = {0};
  uint64_t vals[] = {0, 1, 127, 128, 300, 16384, UINT32_MAX, UINT64_MAX};
  for (size_t i = 0; i < QX_ARRAY_LEN(vals); i++) CHECK_EQ_INT(qx_buf_put_varint(&b, vals[i]), 0);
  const uint8_t *p = b.data, *end = b.data + b.len;
  for (size_t i = 0; i < QX_ARRAY_LEN(vals); i++) {
    uint64_t v = 0;
    CHECK_EQ_INT(qx_varint_get(&p, end, &v), 0);
    CHECK(v == vals[i]);
  }
  CHECK(p == end);
  /* truncated varint: the last value (10 bytes) cut short must fail, not overrun */
  p = b.data + b.len - 3;
  uint64_t v;
  CHECK_EQ_INT(qx_varint_get(&p, end - 1, &v), -1);
  qx_buf_free(&b);

  CHECK(qx_xxh64("abc", 3) == qx_xxh64("abc", 3));
  CHECK(qx_xxh64("abc", 3) != qx_xxh64("abd", 3));

  CHECK_EQ_INT(qx_err(QUARRY_ECORRUPT, "file %s at %d", "x", 4), QUARRY_ECORRUPT);
  CHECK_EQ_STR(quarry_error_last(), "file x at 4");
  qx_err_wrap(QUARRY_EIO, "outer");
  CHECK_EQ_STR(quarry_error_last(), "outer: file x at 4");

  char *s = NULL;
  size_t n = 0;
  CHECK_EQ_INT(qx_file_read(&s, &n, "/nonexistent/quarry"), QUARRY_ENOTFOUND);
  CHECK_EQ_INT(qx_file_read(&s, &n, "seeds/000_446b4627d861f2ba.txt"), 0);
  CHECK(n > 1000 && s[n] == '\0');
  free(s);
  return qx_test_result();
}
