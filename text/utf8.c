/*
 * utf8.c: UTF-8 decoding with repair, validation and binary detection.
 *
 * Decoding follows RFC 3629 / Unicode 15 §3.9 (table 3-7, well-formed byte
 * sequences): overlong forms, surrogates (U+D800..U+DFFF), code points above
 * U+10FFFF and truncated sequences are invalid. An invalid byte decodes to
 * U+FFFD and consumes exactly one byte, so the decoder resynchronises on the
 * next byte and never reads past `end`.
 *
 * Binary detection mimics GNU grep (a NUL byte in the first buffer means
 * binary) and adds a ratio test for files that are mostly undecodable or
 * control bytes (a Latin-1 file with a few accented letters stays text).
 */
#include <string.h>

#include "qx_text.h"

#define QX_BINARY_SAMPLE (32u * 1024u)

static inline int is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

size_t qx_utf8_decode(const uint8_t *p, const uint8_t *end, int32_t *cp) {
  if (p >= end) {
    *cp = -1;
    return 0;
  }
  uint8_t c = p[0];
  size_t avail = (size_t)(end - p);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    if (avail >= 2 && is_cont(p[1])) {
      *cp = (int32_t)(((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F));
      return 2;
    }
  } else if (c >= 0xE0 && c <= 0xEF) {
    if (avail >= 3 && is_cont(p[1]) && is_cont(p[2])) {
      uint32_t v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
      if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
        *cp = (int32_t)v;
        return 3;
      }
    }
  } else if (c >= 0xF0 && c <= 0xF4) {
    if (avail >= 4 && is_cont(p[1]) && is_cont(p[2]) && is_cont(p[3])) {
      uint32_t v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                   ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
      if (v >= 0x10000 && v <= 0x10FFFF) {
        *cp = (int32_t)v;
        return 4;
      }
    }
  }
  *cp = 0xFFFD;
  return 1;
}

int qx_utf8_valid(const char *s, size_t len) {
  const uint8_t *p = (const uint8_t *)s, *end = p + len;
  while (p < end) {
    /* ASCII fast path, 8 bytes at a time */
    while ((size_t)(end - p) >= 8) {
      uint64_t w;
      memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p >= end) break;
    if (*p < 0x80) {
      p++;
      continue;
    }
    int32_t cp;
    size_t n = qx_utf8_decode(p, end, &cp);
    if (n == 1) return 0; /* a non-ASCII byte decoded alone is always an error */
    p += n;
  }
  return 1;
}

int qx_text_is_binary(const char *s, size_t len) {
  size_t n = len < QX_BINARY_SAMPLE ? len : QX_BINARY_SAMPLE;
  if (n == 0) return 0;
  if (memchr(s, 0, n)) return 1;
  const uint8_t *p = (const uint8_t *)s, *end = p + n;
  size_t bad = 0;
  while (p < end) {
    uint8_t c = *p;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != '\b' &&
           c != 0x1B) ||
          c == 0x7F)
        bad++;
      p++;
      continue;
    }
    int32_t cp;
    size_t k = qx_utf8_decode(p, end, &cp);
    /* a sequence cut by the end of the sample (not of the buffer) is not an error */
    if (k == 1 && !(n < len && (size_t)(end - p) < 4)) bad++;
    p += k;
  }
  return bad * 10 > n * 3;
}
