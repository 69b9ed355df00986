/*
 * e5s1_fixture.h: writes a tiny synthetic E5S1 file (a few pieces, a small
 * normalisation map, two tensors) for the parser and tokenizer unit tests.
 */
#ifndef E5S1_FIXTURE_H
#define E5S1_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qx_common.h"

/* Pieces and scores of the fixture. Ids: <s>=0 <pad>=1 </s>=2 <unk>=3. */
static const char *fx_pieces[] = {"<s>",
                                  "<pad>",
                                  "</s>",
                                  "<unk>",
                                  "\xe2\x96\x81",
                                  "a",
                                  "b",
                                  "ab",
                                  "\xe2\x96\x81"
                                  "ab",
                                  "c",
                                  "\xe2\x96\x81"
                                  "c",
                                  "abc"};
static const float fx_scores[] = {0, 0, 0, 0, -2.0f, -3.0f, -3.0f, -4.0f, -3.5f, -3.0f, -2.5f, -9.0f};

/* Build the file image in *b (hidden 64, 1 layer, 2 heads, ffn 64, vocab 16). */
static inline int fx_build(qx_buf *b) {
  const int n = (int)(sizeof fx_pieces / sizeof fx_pieces[0]);
  qx_buf_append(b, "E5S1", 4);
  qx_buf_put_u32(b, 1);
  int32_t hp[] = {64, 1, 2, 64, 16, 8, 2};
  for (size_t i = 0; i < 7; i++)
    qx_buf_put_u32(b, (uint32_t)hp[i]);
  qx_buf_put_f32(b, 1e-12f);
  qx_buf_put_u32(b, 32);
  int32_t ids[] = {n, 0, 2, 1, 3};
  for (size_t i = 0; i < 5; i++)
    qx_buf_put_u32(b, (uint32_t)ids[i]);
  uint32_t off = 0;
  for (int i = 0; i < n; i++)
    off += (uint32_t)strlen(fx_pieces[i]);
  qx_buf_put_u64(b, off);
  off = 0;
  qx_buf_put_u32(b, 0);
  for (int i = 0; i < n; i++)
    qx_buf_put_u32(b, off += (uint32_t)strlen(fx_pieces[i]));
  for (int i = 0; i < n; i++)
    qx_buf_put_f32(b, fx_scores[i]);
  for (int i = 0; i < n; i++)
    qx_buf_append(b, fx_pieces[i], strlen(fx_pieces[i]));
  /* normalisation: U+0009 -> ' ', 'A' -> 'a', U+00C6 (Æ) -> "ab", U+00AD (soft hyphen) -> deleted */
  qx_buf_put_u32(b, 4);
  qx_buf_put_u32(b, 5 * 4 + 4 * 4);
  qx_buf_put_u32(b, 0x09);
  qx_buf_putc(b, 1);
  qx_buf_put_u32(b, 0x20);
  qx_buf_put_u32(b, 0x41);
  qx_buf_putc(b, 1);
  qx_buf_put_u32(b, 0x61);
  qx_buf_put_u32(b, 0xAD);
  qx_buf_putc(b, 0);
  qx_buf_put_u32(b, 0xC6);
  qx_buf_putc(b, 2);
  qx_buf_put_u32(b, 0x61);
  qx_buf_put_u32(b, 0x62);
  /* tensors: emb.ln.w f32[64] and emb.word Q4_0 [16 x 64] */
  qx_buf_put_u32(b, 2);
  size_t dir = b->len + 2 * (2 + 8 + 1 + 4 + 8 + 8);
  uint64_t o1 = (dir + 63) / 64 * 64, o2 = o1 + 64 * 4;
  qx_buf_put_u16(b, 8);
  qx_buf_append(b, "emb.ln.w", 8);
  qx_buf_putc(b, 0);
  qx_buf_put_u32(b, 64);
  qx_buf_put_u64(b, o1);
  qx_buf_put_u64(b, 64 * 4);
  qx_buf_put_u16(b, 8);
  qx_buf_append(b, "emb.word", 8);
  qx_buf_putc(b, 1);
  qx_buf_put_u32(b, 16 * 64);
  qx_buf_put_u64(b, o2);
  qx_buf_put_u64(b, 16 * 2 * 18);
  qx_buf_pad(b, 64);
  for (int i = 0; i < 64; i++)
    qx_buf_put_f32(b, (float)i);
  for (int i = 0; i < 16 * 2; i++) {
    qx_buf_put_u16(b, 0x3C00); /* scale 1.0 */
    for (int j = 0; j < 16; j++)
      qx_buf_putc(b, (uint8_t)(j & 15) | (uint8_t)(15 - (j & 15)) << 4);
  }
  return b->data ? 0 : -1;
}

/* Write the first `len` bytes of the image (len = SIZE_MAX: all) to a temp file. */
static inline char *fx_write(const qx_buf *b, size_t len, const char *tag) {
  static char path[256];
  snprintf(path, sizeof path, "/tmp/quarry-test-%d-%s.bin", (int)getpid(), tag);
  FILE *f = fopen(path, "wb"); /* no fsync: the truncation test writes hundreds */
  if (!f) return NULL;
  size_t n = len < b->len ? len : b->len;
  int ok = fwrite(b->data, 1, n, f) == n;
  if (fclose(f) != 0 || !ok) return NULL;
  return path;
}
#endif
