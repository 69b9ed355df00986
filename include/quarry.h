/*
 * quarry.h: the public interface of libquarry.
 *
 * quarry is a local search engine: an inverted BM25 index and a vector index
 * of passage embeddings built side by side, searched separately or fused.
 * Conventions (after libgit2 / zstd):
 *   - every function that can fail returns 0 (QUARRY_OK) or a negative
 *     QUARRY_E* code; outputs come first among the parameters;
 *   - quarry_error_last() gives a one-line message with context (file,
 *     offset, expected vs found) for the last failure in this thread;
 *   - every object has one owner and a matching _free / _close.
 */
#ifndef QUARRY_H
#define QUARRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QUARRY_VERSION_STRING "0.1.0"

/*! Status codes: 0 is success, every error is negative. */
typedef enum quarry_status {
  QUARRY_OK = 0,
  QUARRY_EIO = -1,       /* read/write/open failed (errno in the message) */
  QUARRY_ENOMEM = -2,    /* allocation failed */
  QUARRY_EINVAL = -3,    /* bad argument, bad query, bad option */
  QUARRY_ECORRUPT = -4,  /* a file failed its checksum or a bounds check */
  QUARRY_ENOTFOUND = -5, /* no such index, file or model */
  QUARRY_EVERSION = -6,  /* index written by an incompatible format version */
  QUARRY_EMODEL = -7,    /* model file missing, malformed or mismatched */
  QUARRY_ELOCKED = -8,   /* another writer holds the index lock */
  QUARRY_EUNSUPPORTED = -9 /* feature not available in this build / index */
} quarry_status;

/*! quarry_error_last() :
 *  @return : the message of the last error raised in this thread ("" if none).
 *  The pointer stays valid until the next failing call in the same thread. */
const char *quarry_error_last(void);

/*! quarry_status_name() : @return : a short constant name for a status code. */
const char *quarry_status_name(int status);

#ifdef __cplusplus
}
#endif
#endif /* QUARRY_H */
