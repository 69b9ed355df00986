/*
 * passage.c: cutting a document into overlapping passages, the unit of
 * retrieval. A passage holds up to `size` analysed (non-stopword) tokens;
 * consecutive passages share up to `overlap` tokens. Where it is close, the
 * cut is moved to a paragraph or sentence boundary: the end may come back
 * by up to a quarter of `size` to land just before a line break (preferred)
 * or a sentence end, and the next passage starts at the earliest sentence
 * start within the last `overlap` tokens. A short tail is not left alone:
 * the cutter holds up to size + size/4 tokens before it cuts, so the last
 * passage of a document absorbs up to size/4 extra tokens (passages have at
 * most 1.25 x size tokens) instead of being a sliver of overlap. The cutter
 * streams with O(size) memory, so a 100 MB single-line file is fine.
 */
#include <stdlib.h>

#include "qx_index.h"

uint8_t qx_gap_boundary(const char *gap, size_t len) {
  uint8_t b = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)gap[i];
    if (c == '\n') return 2;
    if (c == '.' || c == '!' || c == '?' || c == ';' || c == ':') b = 1;
    if (c == 0xE2 && i + 2 < len && (unsigned char)gap[i + 1] == 0x80 && (unsigned char)gap[i + 2] == 0xA6)
      b = 1; /* U+2026 ellipsis */
  }
  return b;
}

int qx_cutter_init(qx_cutter *c, uint32_t size, uint32_t overlap, qx_passage_fn fn, void *ctx) {
  memset(c, 0, sizeof *c);
  if (size < 8 || overlap > size / 2)
    return qx_err(QUARRY_EINVAL, "passage size %u / overlap %u: need size >= 8 and overlap <= size/2", size,
                  overlap);
  c->size = size;
  c->overlap = overlap;
  c->fn = fn;
  c->ctx = ctx;
  c->buf = qx_malloc(((size_t)qx_cutter_max(size) + 1) * sizeof *c->buf);
  if (!c->buf) return qx_err(QUARRY_ENOMEM, "out of memory");
  return 0;
}

void qx_cutter_begin(qx_cutter *c, const char *text, size_t len) {
  c->text = text;
  c->text_len = len;
  c->n = c->emitted = c->npassages = 0;
}

/* End of a passage whose next token (if any) starts at `next`: back off over
 * whitespace, never before `min`. */
static uint64_t trim_end(const qx_cutter *c, uint64_t next, uint64_t min) {
  while (next > min) {
    unsigned char ch = (unsigned char)c->text[next - 1];
    if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t' && ch != '\f' && ch != '\v') break;
    next--;
  }
  return next;
}

static int emit(qx_cutter *c, uint32_t e, uint64_t next) {
  c->npassages++;
  return c->fn(c->ctx, c->buf, e, c->buf[0].start, trim_end(c, next, c->buf[e - 1].end));
}

static int cut(qx_cutter *c) {
  uint32_t size = c->size, lo = QX_MAX(size - size / 4, c->emitted + 1), e = size;
  uint32_t best = 0;
  for (uint32_t j = size; j >= lo && j > 0; j--)
    if (c->buf[j].boundary == 2) {
      best = j;
      break;
    }
  if (!best)
    for (uint32_t j = size; j >= lo && j > 0; j--)
      if (c->buf[j].boundary >= 1) {
        best = j;
        break;
      }
  if (best) e = best;
  int rc = emit(c, e, c->buf[e].start);
  if (rc) return rc;
  uint32_t s = e - c->overlap;
  for (uint32_t j = e - c->overlap; j < e; j++)
    if (c->buf[j].boundary >= 1) {
      s = j;
      break;
    }
  memmove(c->buf, c->buf + s, (c->n - s) * sizeof *c->buf);
  c->n -= s;
  c->emitted = e - s;
  return 0;
}

int qx_cutter_push(qx_cutter *c, const qx_ptok *t) {
  c->buf[c->n++] = *t;
  return c->n == qx_cutter_max(c->size) + 1 ? cut(c) : 0;
}

int qx_cutter_end(qx_cutter *c) {
  if (c->n > c->emitted) return emit(c, c->n, c->text_len);
  if (c->npassages == 0) { /* no indexable token: one empty passage for the whole document */
    c->npassages++;
    return c->fn(c->ctx, c->buf, 0, 0, trim_end(c, c->text_len, 0));
  }
  return 0;
}

void qx_cutter_free(qx_cutter *c) {
  free(c->buf);
  c->buf = NULL;
}
