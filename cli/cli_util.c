/*
 * cli_util.c: small helpers shared by the commands: where the index is by
 * default, JSON string output (always valid UTF-8), human byte sizes,
 * one-line errors (cli_fail, cli_fail_lib) and whether stdout gets colour.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qx_cli.h"
#include "quarry.h"
#include "qx_text.h"

const char *cli_index_dir(const char *given) {
  if (given && *given) return given;
  const char *env = getenv("QUARRY_INDEX");
  return env && *env ? env : ".quarry";
}

void cli_json_str(FILE *f, const char *s, size_t n) {
  const uint8_t *p = (const uint8_t *)s, *e = p + n;
  fputc('"', f);
  while (p < e) {
    uint8_t c = *p;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc(c, f);
      p++;
    } else if (c < 0x20 || c == 0x7f) {
      switch (c) {
      case '\n': fputs("\\n", f); break;
      case '\t': fputs("\\t", f); break;
      case '\r': fputs("\\r", f); break;
      default: fprintf(f, "\\u%04x", c);
      }
      p++;
    } else if (c < 0x80) {
      fputc(c, f);
      p++;
    } else {
      int32_t cp;
      size_t k = qx_utf8_decode(p, e, &cp);
      if (k == 0) k = 1;
      if (cp == 0xFFFD && !(k == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] == 0xBD))
        fputs("\\ufffd", f);
      else
        fwrite(p, 1, k, f);
      p += k;
    }
  }
  fputc('"', f);
}

const char *cli_human_bytes(char *buf, size_t cap, uint64_t n) {
  if (n < 1024) snprintf(buf, cap, "%llu B", (unsigned long long)n);
  else if (n < 1024 * 1024) snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
  else if (n < 1024ull * 1024 * 1024) snprintf(buf, cap, "%.1f MiB", (double)n / (1024 * 1024));
  else snprintf(buf, cap, "%.2f GiB", (double)n / (1024.0 * 1024 * 1024));
  return buf;
}

int cli_parse_u32(uint32_t *out, const char *s, uint32_t lo, uint32_t hi) {
  char *end;
  if (!s || !*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || v < lo || v > hi) return -1;
  *out = (uint32_t)v;
  return 0;
}

int cli_parse_double(double *out, const char *s) {
  char *end;
  if (!s || !*s) return -1;
  double v = strtod(s, &end);
  if (*end || v != v) return -1;
  *out = v;
  return 0;
}

/* ---- one-line errors and colour (shared by every command) ---- */
int cli_fail(const char *fmt, ...) {
  va_list ap;
  fputs("quarry: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 2;
}

int cli_fail_lib(const char *fmt, ...) {
  va_list ap;
  fputs("quarry: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  const char *m = quarry_error_last();
  if (m && *m) fprintf(stderr, ": %s", m);
  fputc('\n', stderr);
  return 2;
}

int cli_color_stdout(void) {
  const char *nc = getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && !(nc && *nc);
}
