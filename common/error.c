/*
 * error.c: thread-local "last error" messages, in the manner of libgit2's
 * git_error_last(). Library code never prints; it returns a QUARRY_E* code
 * and leaves a one-line message with context here for the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qx_common.h"

static _Thread_local char last_msg[1024];

const char *quarry_error_last(void) { return last_msg; }

void qx_err_clear(void) { last_msg[0] = '\0'; }

int qx_err(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_msg, sizeof last_msg, fmt, ap);
  va_end(ap);
  return code;
}

int qx_err_errno(int code, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last_msg, sizeof last_msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof last_msg)
    snprintf(last_msg + n, sizeof last_msg - (size_t)n, ": %s", strerror(saved));
  return code;
}

int qx_err_wrap(int code, const char *fmt, ...) {
  char prev[sizeof last_msg];
  memcpy(prev, last_msg, sizeof prev);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last_msg, sizeof last_msg, fmt, ap);
  va_end(ap);
  /* Append ": prev", cut to fit (spelled out: gcc -O0 flags the snprintf form). */
  if (n >= 0 && (size_t)n + 3 < sizeof last_msg && prev[0]) {
    size_t room = sizeof last_msg - (size_t)n - 3, pl = strnlen(prev, room);
    memcpy(last_msg + n, ": ", 2);
    memcpy(last_msg + n + 2, prev, pl);
    last_msg[(size_t)n + 2 + pl] = '\0';
  }
  return code;
}

const char *quarry_status_name(int status) {
  switch (status) {
  case QUARRY_OK: return "QUARRY_OK";
  case QUARRY_EIO: return "QUARRY_EIO";
  case QUARRY_ENOMEM: return "QUARRY_ENOMEM";
  case QUARRY_EINVAL: return "QUARRY_EINVAL";
  case QUARRY_ECORRUPT: return "QUARRY_ECORRUPT";
  case QUARRY_ENOTFOUND: return "QUARRY_ENOTFOUND";
  case QUARRY_EVERSION: return "QUARRY_EVERSION";
  case QUARRY_EMODEL: return "QUARRY_EMODEL";
  case QUARRY_ELOCKED: return "QUARRY_ELOCKED";
  case QUARRY_EUNSUPPORTED: return "QUARRY_EUNSUPPORTED";
  default: return "QUARRY_E?";
  }
}
