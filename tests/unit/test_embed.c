/*
 * test_embed.c: the encoder runtime without real models: SIMD kernels
 * against their scalar twin, the safetensors reader on good and damaged
 * files, and the forward pass (packed batches equal one-by-one runs, and a
 * naive re-implementation on a tiny random encoder). The real models are
 * checked against PyTorch in tests/e2e/embed_ref_*.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encoder_kern.h"
#include "qx_common.h"
#include "qx_embed.h"
#include "qx_encoder.h"
#include "qx_safetensors.h"
#include "qx_test.h"

static uint64_t rng = 88172645463325252ULL;
static float frand(void) { /* xorshift64, uniform in [-1, 1) */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((rng >> 40) / (double)(1 << 24)) * 2.f - 1.f;
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
  return m;
}

static void test_kernels(void) {
  const qx_enc_kern *vars[] = {&qx_enc_kern_avx2, &qx_enc_kern_avx512};
  const qx_enc_kern *sc = &qx_enc_kern_scalar;
  enum { N = 1000, H = 50, R = 7 };
  static float a[N], b[N], g[H], bb[H], r[R * H], x0[R * H], x1[R * H];
  static uint8_t q4[18 * 8];
  for (size_t v = 0; v < QX_ARRAY_LEN(vars); v++) {
    if (!qx_enc_kern_supported(vars[v])) {
      fprintf(stderr, "kernel %s: not supported by this CPU, skipped\n", vars[v]->name);
      continue;
    }
    const qx_enc_kern *k = vars[v];
    /* GELU over a wide range, odd length (tails) */
    for (size_t n = 1; n < 40; n += 3) {
      for (size_t i = 0; i < n; i++) a[i] = b[i] = frand() * 12.f;
      sc->gelu(a, n);
      k->gelu(b, n);
      CHECK(max_abs_diff(a, b, n) < 2e-6f * 12.f);
    }
    for (size_t i = 0; i < N; i++) a[i] = b[i] = frand() * 8.f;
    sc->gelu(a, N);
    k->gelu(b, N);
    CHECK(max_abs_diff(a, b, N) < 1e-5f);
    /* LayerNorm with and without residual, odd width */
    for (int i = 0; i < H; i++) g[i] = 1.f + frand() * 0.5f, bb[i] = frand();
    for (int i = 0; i < R * H; i++) x0[i] = x1[i] = frand() * 3.f, r[i] = frand();
    sc->add_layernorm(x0, r, g, bb, R, H, 1e-12f);
    k->add_layernorm(x1, r, g, bb, R, H, 1e-12f);
    CHECK(max_abs_diff(x0, x1, R * H) < 1e-5f);
    sc->add_layernorm(x0, NULL, g, bb, R, H, 1e-5f);
    k->add_layernorm(x1, NULL, g, bb, R, H, 1e-5f);
    CHECK(max_abs_diff(x0, x1, R * H) < 1e-5f);
    /* softmax rows of odd lengths, strided */
    for (size_t n = 1; n < 45; n += 4) {
      for (size_t i = 0; i < 3 * 48; i++) a[i] = b[i] = frand() * 20.f;
      sc->softmax_rows(a, 3, n, 48);
      k->softmax_rows(b, 3, n, 48);
      CHECK(max_abs_diff(a, b, 3 * 48) < 1e-6f);
      float s = 0;
      for (size_t i = 0; i < n; i++) s += b[48 + i];
      CHECK_NEAR(s, 1.0, 1e-5);
    }
    /* Q4_0 dequantisation: exact */
    for (size_t i = 0; i < sizeof q4; i++) q4[i] = (uint8_t)(rng = rng * 6364136223846793005ULL + 1) >> 3;
    for (int blk = 0; blk < 8; blk++) q4[18 * blk] = 0x00, q4[18 * blk + 1] = (uint8_t)(0x2c + blk);
    sc->q4_dequant(q4, 256, a);
    k->q4_dequant(q4, 256, b);
    CHECK(max_abs_diff(a, b, 256) == 0.f);
  }
  /* scalar GELU against known values */
  float gv[3] = {0.f, 1.f, -2.f};
  sc->gelu(gv, 3);
  CHECK_NEAR(gv[0], 0.0, 1e-7);
  CHECK_NEAR(gv[1], 0.8413447, 1e-6);
  CHECK_NEAR(gv[2], -0.0455003, 1e-6);
  /* Q4 block: scale 1.0 (0x3c00), nibble 9 -> +1, high nibble 0 -> -8 */
  uint8_t blk[18] = {0x00, 0x3c};
  for (int j = 0; j < 16; j++) blk[2 + j] = 0x09;
  sc->q4_dequant(blk, 32, a);
  CHECK(a[0] == 1.f && a[15] == 1.f && a[16] == -8.f && a[31] == -8.f);
}

/* ---- safetensors -------------------------------------------------------- */
static char tmpdir[] = "/tmp/qx_test_embed_XXXXXX";

static char *write_st(const char *name, const char *header, const void *data, size_t dlen,
                      size_t cut) {
  qx_buf b = {0};
  qx_buf_put_u64(&b, strlen(header));
  qx_buf_append(&b, header, strlen(header));
  qx_buf_append(&b, data, dlen);
  char *p = qx_path_join(tmpdir, name);
  qx_file_write(p, b.data, b.len - cut);
  qx_buf_free(&b);
  return p;
}

static void test_safetensors(void) {
  float f32[6] = {1, -2, 3.5f, 0, 1e-3f, -7};
  uint16_t f16[2] = {0x3c00, 0xc000}; /* 1, -2 */
  uint16_t bf16[2] = {0x3f80, 0x4040}; /* 1, 3 */
  uint8_t data[24 + 4 + 4];
  memcpy(data, f32, 24);
  memcpy(data + 24, f16, 4);
  memcpy(data + 28, bf16, 4);
  const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                    "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[28,32]}}";
  char *p = write_st("ok.safetensors", hdr, data, sizeof data, 0);
  qx_safetensors *st;
  CHECK_EQ_INT(qx_safetensors_open(&st, p), 0);
  if (st) {
    float *f;
    int64_t s23[2] = {2, 3}, s2[1] = {2}, s32[2] = {3, 2};
    CHECK_EQ_INT(qx_safetensors_read_f32(&f, st, "a", 2, s23), 0);
    CHECK(f && f[2] == 3.5f && f[5] == -7.f);
    free(f);
    CHECK_EQ_INT(qx_safetensors_read_f32(&f, st, "h", 1, s2), 0);
    CHECK(f && f[0] == 1.f && f[1] == -2.f);
    free(f);
    CHECK_EQ_INT(qx_safetensors_read_f32(&f, st, "b", 1, s2), 0);
    CHECK(f && f[0] == 1.f && f[1] == 3.f);
    free(f);
    CHECK_EQ_INT(qx_safetensors_read_f32(&f, st, "a", 2, s32), QUARRY_EMODEL);
    CHECK(strstr(quarry_error_last(), "shape [2x3], expected [3x2]") != NULL);
    CHECK_EQ_INT(qx_safetensors_read_f32(&f, st, "zz", 1, s2), QUARRY_EMODEL);
    CHECK(strstr(quarry_error_last(), "missing tensor 'zz'") != NULL);
    qx_safetensors_close(st);
  }
  free(p);
  /* damaged copies: truncated data, truncated header, bad JSON, size mismatch, bad dtype */
  struct {
    const char *name, *hdr;
    size_t cut;
    const char *msg;
  } bad[] = {
      {"trunc.safetensors", hdr, 5, "outside"},
      {"hdr.safetensors", hdr, sizeof data + 20, "truncated"},
      {"json.safetensors", "{\"a\":", 0, "JSON"},
      {"size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,24]}}", 0,
       "expected 20"},
      {"dtype.safetensors", "{\"a\":{\"dtype\":\"Q9\",\"shape\":[6],\"data_offsets\":[0,24]}}", 0,
       "unknown dtype"},
      {"neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[24,0]}}", 0,
       "outside"},
  };
  for (size_t i = 0; i < QX_ARRAY_LEN(bad); i++) {
    p = write_st(bad[i].name, bad[i].hdr, data, sizeof data, bad[i].cut);
    st = NULL;
    CHECK_EQ_INT(qx_safetensors_open(&st, p), QUARRY_EMODEL);
    CHECK(st == NULL);
    CHECK(strstr(quarry_error_last(), bad[i].name) && strstr(quarry_error_last(), bad[i].msg));
    if (!strstr(quarry_error_last(), bad[i].msg)) fprintf(stderr, "  got: %s\n", quarry_error_last());
    free(p);
  }
  char *tiny = qx_path_join(tmpdir, "tiny");
  qx_file_write(tiny, "abc", 3);
  CHECK_EQ_INT(qx_safetensors_open(&st, tiny), QUARRY_EMODEL);
  free(tiny);
}

/* ---- forward pass -------------------------------------------------------- */
enum { TH = 32, TNH = 2, TF = 64, TV = 11, TP = 40, TL = 2 };

static float *rnd(size_t n, float scale, float bias) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = bias + scale * frand();
  return p;
}

/* A random Q4_0 matrix (scale `scale`) and its exact f32 dequantisation. */
static qx_enc_mat rnd_mat(size_t rows, size_t cols, float scale, int q4, void **owned) {
  size_t nb = rows * cols / 32;
  uint8_t *blk = malloc(nb * 18);
  for (size_t i = 0; i < nb; i++) {
    uint16_t h = (uint16_t)(0x2000 + (int)((frand() + 1.f) * 0x400 * scale)); /* ~0.008..0.03 */
    blk[18 * i] = (uint8_t)h, blk[18 * i + 1] = (uint8_t)(h >> 8);
    for (int j = 0; j < 16; j++) blk[18 * i + 2 + j] = (uint8_t)((frand() + 1.f) * 127.99f);
  }
  float *f = malloc(rows * cols * sizeof *f);
  qx_enc_kern_scalar.q4_dequant(blk, rows * cols, f);
  qx_enc_mat m = {0};
  if (q4) {
    m.q4 = blk;
    owned[0] = blk, owned[1] = f; /* f kept for the naive reference */
    m.f32 = NULL;
  } else {
    free(blk);
    m.f32 = f;
    owned[0] = f, owned[1] = NULL;
  }
  return m;
}

typedef struct tiny {
  qx_encoder e;
  void *owned[64];
  float *ref[TL][6]; /* f32 values of each layer's matrices, for the naive pass */
  float *word;
} tiny;

static void make_encoder(tiny *t, int pos_offset, int q4) {
  memset(t, 0, sizeof *t);
  qx_encoder *e = &t->e;
  e->hidden = TH, e->layers = TL, e->heads = TNH, e->ffn = TF, e->vocab = TV, e->max_pos = TP;
  e->type_vocab = 2, e->eps = 1e-12f, e->pos_offset = pos_offset;
  e->pad_id = pos_offset ? 9 : -1; /* RoBERTa-like: id 9 takes the padding position */
  int no = 0;
  e->word = rnd_mat(TV, TH, 4.f, q4, t->owned + no);
  t->word = (float *)(q4 ? t->owned[no + 1] : t->owned[no]);
  no += 2;
  e->pos = rnd(TP * TH, 1, 0), e->type = rnd(2 * TH, 1, 0);
  e->emb_ln_g = rnd(TH, .2f, 1), e->emb_ln_b = rnd(TH, .2f, 0);
  e->layer = calloc(TL, sizeof *e->layer);
  for (int l = 0; l < TL; l++) {
    qx_enc_layer *y = &e->layer[l];
    qx_enc_mat *ms[6] = {&y->wq, &y->wk, &y->wv, &y->wo, &y->wi, &y->wf};
    size_t rows[6] = {TH, TH, TH, TH, TF, TH}, cols[6] = {TH, TH, TH, TH, TH, TF};
    for (int i = 0; i < 6; i++) {
      *ms[i] = rnd_mat(rows[i], cols[i], 1.f, q4, t->owned + no);
      t->ref[l][i] = (float *)(q4 ? t->owned[no + 1] : t->owned[no]);
      no += 2;
    }
    y->bq = rnd(TH, .1f, 0), y->bk = rnd(TH, .1f, 0), y->bv = rnd(TH, .1f, 0);
    y->bo = rnd(TH, .1f, 0), y->ln1_g = rnd(TH, .2f, 1), y->ln1_b = rnd(TH, .2f, 0);
    y->bi = rnd(TF, .1f, 0), y->bf = rnd(TH, .1f, 0), y->ln2_g = rnd(TH, .2f, 1);
    y->ln2_b = rnd(TH, .2f, 0);
  }
}

static void free_encoder(tiny *t) {
  qx_encoder *e = &t->e;
  free((void *)e->pos), free((void *)e->type), free((void *)e->emb_ln_g), free((void *)e->emb_ln_b);
  for (int l = 0; l < TL; l++) {
    qx_enc_layer *y = &e->layer[l];
    const float *v[] = {y->bq, y->bk, y->bv, y->bo, y->bi, y->bf, y->ln1_g, y->ln1_b, y->ln2_g, y->ln2_b};
    for (size_t i = 0; i < QX_ARRAY_LEN(v); i++) free((void *)v[i]);
  }
  for (size_t i = 0; i < QX_ARRAY_LEN(t->owned); i++) free(t->owned[i]);
  free(e->layer);
}

static void naive_ln(double *x, const float *g, const float *b) {
  double m = 0, v = 0;
  for (int i = 0; i < TH; i++) m += x[i];
  m /= TH;
  for (int i = 0; i < TH; i++) v += (x[i] - m) * (x[i] - m);
  v /= TH;
  for (int i = 0; i < TH; i++) x[i] = (x[i] - m) / sqrt(v + 1e-12) * g[i] + b[i];
}

/* Textbook double-precision forward of one sequence, mean-pooled. */
static void naive_forward(const tiny *tn, const int32_t *ids, int L, int cls, double *pool) {
  const qx_encoder *e = &tn->e;
  double x[TP][TH], q[TP][TH], k[TP][TH], v[TP][TH], c[TP][TH], h[TP][TF];
  for (int t = 0, p = e->pos_offset; t < L; t++) {
    int pp = ids[t] == e->pad_id ? e->pos_offset - 1 : p++;
    for (int i = 0; i < TH; i++)
      x[t][i] = tn->word[ids[t] * TH + i] + e->pos[pp * TH + i] + e->type[i];
    naive_ln(x[t], e->emb_ln_g, e->emb_ln_b);
  }
  int hd = TH / TNH;
  for (int l = 0; l < TL; l++) {
    const qx_enc_layer *y = &e->layer[l];
    const float *wq = tn->ref[l][0], *wk = tn->ref[l][1], *wv = tn->ref[l][2], *wo = tn->ref[l][3],
                *wi = tn->ref[l][4], *wf = tn->ref[l][5];
    for (int t = 0; t < L; t++)
      for (int o = 0; o < TH; o++) {
        q[t][o] = y->bq[o], k[t][o] = y->bk[o], v[t][o] = y->bv[o];
        for (int i = 0; i < TH; i++)
          q[t][o] += x[t][i] * wq[o * TH + i], k[t][o] += x[t][i] * wk[o * TH + i],
              v[t][o] += x[t][i] * wv[o * TH + i];
      }
    for (int hh = 0; hh < TNH; hh++)
      for (int t = 0; t < L; t++) {
        double s[TP], mx = -1e300, sum = 0;
        for (int u = 0; u < L; u++) {
          s[u] = 0;
          for (int d = 0; d < hd; d++) s[u] += q[t][hh * hd + d] * k[u][hh * hd + d];
          s[u] /= sqrt(hd);
          mx = fmax(mx, s[u]);
        }
        for (int u = 0; u < L; u++) sum += (s[u] = exp(s[u] - mx));
        for (int d = 0; d < hd; d++) {
          c[t][hh * hd + d] = 0;
          for (int u = 0; u < L; u++) c[t][hh * hd + d] += s[u] / sum * v[u][hh * hd + d];
        }
      }
    for (int t = 0; t < L; t++) {
      double a[TH];
      for (int o = 0; o < TH; o++) {
        a[o] = y->bo[o];
        for (int i = 0; i < TH; i++) a[o] += c[t][i] * wo[o * TH + i];
        x[t][o] += a[o];
      }
      naive_ln(x[t], y->ln1_g, y->ln1_b);
      for (int o = 0; o < TF; o++) {
        h[t][o] = y->bi[o];
        for (int i = 0; i < TH; i++) h[t][o] += x[t][i] * wi[o * TH + i];
        h[t][o] = 0.5 * h[t][o] * (1 + erf(h[t][o] / sqrt(2)));
      }
      for (int o = 0; o < TH; o++) {
        a[o] = y->bf[o];
        for (int i = 0; i < TF; i++) a[o] += h[t][i] * wf[o * TF + i];
        x[t][o] += a[o];
      }
      naive_ln(x[t], y->ln2_g, y->ln2_b);
    }
  }
  for (int i = 0; i < TH; i++) {
    pool[i] = 0;
    for (int t = 0; t < L; t++) pool[i] += x[t][i] / L;
    if (cls) pool[i] = x[0][i];
  }
}

static void check_batch(tiny *t, qx_enc_scratch *s, const int32_t *ids, const size_t *off, size_t n) {
  float pooled[8 * TH], one[TH];
  CHECK_EQ_INT(qx_encoder_forward(&t->e, s, ids, off, n, pooled), 0);
  for (size_t sq = 0; sq < n; sq++) {
    double ref[TH], md = 0;
    naive_forward(t, ids + off[sq], (int)(off[sq + 1] - off[sq]), t->e.pool_cls, ref);
    for (int i = 0; i < TH; i++) md = fmax(md, fabs(ref[i] - pooled[sq * TH + i]));
    CHECK(md < 1e-4);
    if (md >= 1e-4) fprintf(stderr, "  seq %zu of %zu: max diff %g\n", sq, n, md);
    size_t o1[2] = {0, off[sq + 1] - off[sq]};
    CHECK_EQ_INT(qx_encoder_forward(&t->e, s, ids + off[sq], o1, 1, one), 0);
    CHECK(max_abs_diff(one, pooled + sq * TH, TH) < 1e-4f);
  }
}

static void test_forward(void) {
  for (int q4 = 0; q4 <= 1; q4++)
    for (int po = 0; po <= 2; po += 2) {
      tiny t;
      make_encoder(&t, po, q4);
      CHECK_EQ_INT(qx_encoder_check(&t.e, "tiny"), 0);
      qx_enc_scratch s = {0};
      /* few tokens (in-place kernels) */
      int32_t ids[] = {1, 5, 7, 2, /* */ 1, 2, /* */ 1, 9, 9, 9, 3, 4, 6, 2, /* */ 0};
      size_t off[] = {0, 4, 6, 14, 15};
      check_batch(&t, &s, ids, off, 4);
      /* many tokens (sgemm path): the longest allowed + 30 + 3 */
      int32_t big[80];
      for (int i = 0; i < 80; i++) big[i] = (int32_t)((i * 7 + 3) % TV);
      size_t boff[] = {0, (size_t)(TP - po), (size_t)(TP - po) + 30, (size_t)(TP - po) + 33};
      check_batch(&t, &s, big, boff, 3);
      /* CLS pooling = first token's state */
      t.e.pool_cls = 1;
      check_batch(&t, &s, ids, off, 4);
      check_batch(&t, &s, big, boff, 3);
      t.e.pool_cls = 0;
      /* bad input: id out of vocabulary, sequence too long, empty sequence */
      float one[TH];
      int32_t bad_id[] = {1, TV};
      size_t o2[] = {0, 2};
      CHECK_EQ_INT(qx_encoder_forward(&t.e, &s, bad_id, o2, 1, one), QUARRY_EINVAL);
      size_t o3[] = {0, (size_t)(TP - po + 1)};
      CHECK_EQ_INT(qx_encoder_forward(&t.e, &s, big, o3, 1, one), QUARRY_EINVAL);
      size_t o4[] = {0, 0};
      CHECK_EQ_INT(qx_encoder_forward(&t.e, &s, big, o4, 1, one), QUARRY_EINVAL);
      /* hyper-parameter checks */
      t.e.heads = 3;
      CHECK_EQ_INT(qx_encoder_check(&t.e, "tiny"), QUARRY_EMODEL);
      t.e.heads = TNH;
      t.e.eps = 0;
      CHECK_EQ_INT(qx_encoder_check(&t.e, "tiny"), QUARRY_EMODEL);
      t.e.eps = 1e-12f;
      qx_enc_scratch_free(&s);
      free_encoder(&t);
    }
}

static void test_gemm(void) {
  const qx_enc_kern *vars[] = {&qx_enc_kern_avx2, &qx_enc_kern_avx512};
  enum { K = 70, N = 11, T = 9 };
  float *x = rnd(T * K, 1, 0), *w = rnd(N * K, 1, 0), *b = rnd(N, 1, 0);
  float y0[T * 16], y1[T * 16];
  qx_enc_kern_scalar.gemm_nt(x, T, w, b, N, K, y0, 16);
  double md = 0;
  for (int t = 0; t < T; t++)
    for (int j = 0; j < N; j++) {
      double a = b[j];
      for (int i = 0; i < K; i++) a += (double)x[t * K + i] * w[j * K + i];
      md = fmax(md, fabs(a - y0[t * 16 + j]));
    }
  CHECK(md < 1e-4);
  for (size_t v = 0; v < QX_ARRAY_LEN(vars); v++) {
    if (!qx_enc_kern_supported(vars[v])) continue;
    for (size_t tt = 1; tt <= T; tt++) {
      memset(y1, 0, sizeof y1);
      vars[v]->gemm_nt(x, tt, w, b, N, K, y1, 16);
      float d = 0;
      for (size_t t = 0; t < tt; t++) d = fmaxf(d, max_abs_diff(y0 + t * 16, y1 + t * 16, N));
      CHECK(d < 1e-4f);
    }
  }
  free(x), free(w), free(b);
}

/* ---- real models: loading, damaged copies, the embedding API ------------- */
static char *cache_models(void) {
  const char *qc = getenv("QUARRY_CACHE"), *home = getenv("HOME");
  char buf[4096];
  if (qc && *qc) snprintf(buf, sizeof buf, "%s/models", qc);
  else snprintf(buf, sizeof buf, "%s/.cache/quarry/models", home ? home : ".");
  return qx_strdup(buf);
}

static int copy_file(const char *from, const char *to, size_t cut, const char *find,
                     const char *repl) {
  char *d;
  size_t n;
  if (qx_file_read(&d, &n, from)) return -1;
  if (find) {
    size_t fl = strlen(find);
    for (size_t i = 0; i + fl <= n; i++)
      if (!memcmp(d + i, find, fl)) {
        memcpy(d + i, repl, fl);
        break;
      }
  }
  int rc = qx_file_write(to, d, n > cut ? n - cut : 0);
  free(d);
  return rc;
}

/* Load `dir` and expect `code` with every needle in the message. */
static void expect_load(const char *path, int code, const char *n1, const char *n2) {
  qx_model *m = NULL;
  int rc = qx_model_load(&m, path);
  CHECK_EQ_INT(rc, code);
  CHECK(rc ? m == NULL : m != NULL);
  const char *msg = quarry_error_last();
  int ok = !rc || ((!n1 || strstr(msg, n1)) && (!n2 || strstr(msg, n2)));
  CHECK(ok);
  if (!ok) fprintf(stderr, "  %s: got \"%s\"\n", path, msg);
  qx_model_free(m);
}

static void test_damaged(const char *models) {
  char *minilm = qx_path_join(models, "all-MiniLM-L6-v2");
  char *e5dir = qx_path_join(models, "multilingual-e5-small");
  char *e5 = qx_path_join(e5dir, "e5-small-q4.bin");
  char *hf = qx_path_join(tmpdir, "hf");
  mkdir(hf, 0755);
  const char *small[] = {"config.json", "tokenizer.json", "sentence_bert_config.json",
                         "config_sentence_transformers.json"};
  char from[4096], to[4096];
  for (size_t i = 0; i < QX_ARRAY_LEN(small); i++) {
    snprintf(from, sizeof from, "%s/%s", minilm, small[i]);
    snprintf(to, sizeof to, "%s/%s", hf, small[i]);
    copy_file(from, to, 0, NULL, NULL);
  }
  snprintf(from, sizeof from, "%s/model.safetensors", minilm);
  snprintf(to, sizeof to, "%s/model.safetensors", hf);
  CHECK_EQ_INT(symlink(from, to), 0);
  expect_load(hf, 0, NULL, NULL); /* the healthy copy loads */
  char cfg[4096], cfg_save[4096], st[4096], tok[4096];
  snprintf(cfg, sizeof cfg, "%s/config.json", hf);
  snprintf(cfg_save, sizeof cfg_save, "%s/config.json", minilm);
  snprintf(st, sizeof st, "%s/model.safetensors", hf);
  snprintf(tok, sizeof tok, "%s/tokenizer.json", hf);
  /* config: bad JSON, unsupported model, wrong size (tensor shapes then disagree), missing */
  copy_file(cfg_save, cfg, 30, NULL, NULL);
  expect_load(hf, QUARRY_EMODEL, "config.json", "bad JSON");
  copy_file(cfg_save, cfg, 0, "\"bert\"", "\"gpt2\"");
  expect_load(hf, QUARRY_EMODEL, "config.json", "gpt2");
  copy_file(cfg_save, cfg, 0, "\"intermediate_size\": 1536", "\"intermediate_size\": 1535");
  expect_load(hf, QUARRY_EMODEL, "model.safetensors", "intermediate.dense.weight' has shape [1536x384], expected [1535x384]");
  copy_file(cfg_save, cfg, 0, "\"num_hidden_layers\": 6", "\"num_hidden_layers\": 7");
  expect_load(hf, QUARRY_EMODEL, "model.safetensors", "missing tensor 'encoder.layer.6.");
  unlink(cfg);
  expect_load(hf, QUARRY_EMODEL, hf, "no model here");
  copy_file(cfg_save, cfg, 0, NULL, NULL);
  /* weights: truncated, a tensor renamed, missing */
  unlink(st);
  copy_file(from, st, 1000, NULL, NULL);
  expect_load(hf, QUARRY_EMODEL, "model.safetensors", "truncated");
  copy_file(from, st, 0, "encoder.layer.3.output.dense.weight", "encoder.layer.3.output.dense.weighX");
  expect_load(hf, QUARRY_EMODEL, "model.safetensors", "missing tensor 'encoder.layer.3.output.dense.weight'");
  unlink(st);
  expect_load(hf, QUARRY_EMODEL, "model.safetensors", "missing");
  CHECK_EQ_INT(symlink(from, st), 0);
  /* tokenizer missing */
  unlink(tok);
  expect_load(hf, QUARRY_EMODEL, "tokenizer.json", "missing");

  /* E5S1: truncated, a tensor renamed, not a model at all, a folder holding one */
  char *bad = qx_path_join(tmpdir, "bad.bin");
  copy_file(e5, bad, 4096, NULL, NULL);
  expect_load(bad, QUARRY_EMODEL, "bad.bin", NULL);
  copy_file(e5, bad, 0, "l5.fi.w", "l5.fx.w");
  expect_load(bad, QUARRY_EMODEL, "bad.bin", "l5.fi.w");
  qx_file_write(bad, "hello, not a model", 18);
  expect_load(bad, QUARRY_EMODEL, "bad.bin", "unknown model format");
  expect_load(e5dir, 0, NULL, NULL);
  expect_load("no-such-model-name", QUARRY_ENOTFOUND, "no-such-model-name", "not found");
  expect_load("/no/such/dir", QUARRY_ENOTFOUND, "/no/such/dir", NULL);
  /* name resolution through $QUARRY_MODELS */
  char *prev = getenv("QUARRY_MODELS") ? qx_strdup(getenv("QUARRY_MODELS")) : NULL;
  setenv("QUARRY_MODELS", models, 1);
  qx_model *m = NULL;
  CHECK_EQ_INT(qx_model_load(&m, "all-MiniLM-L6-v2"), 0);
  if (m) CHECK_EQ_STR(qx_model_name(m), "all-MiniLM-L6-v2");
  qx_model_free(m);
  if (prev) setenv("QUARRY_MODELS", prev, 1);
  else unsetenv("QUARRY_MODELS");
  free(prev);
  free(bad), free(hf), free(e5), free(e5dir), free(minilm);
}

static float cosine(const float *a, const float *b, int d) {
  double s = 0, na = 0, nb = 0;
  for (int i = 0; i < d; i++) s += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
  return (float)(s / sqrt(na * nb));
}

static void test_api(const char *models) {
  char *path = qx_path_join(models, "all-MiniLM-L6-v2");
  qx_model *m;
  CHECK_EQ_INT(qx_model_load(&m, path), 0);
  free(path);
  if (!m) return;
  int d = qx_model_dim(m);
  CHECK_EQ_INT(d, 384);
  CHECK_EQ_INT(qx_model_max_tokens(m), 256);
  CHECK(qx_model_checksum(m) != 0);
  /* sentence-transformers 3.0.1 gives these first components for "Hello world" */
  const char *hello = "Hello world";
  float v[384 * 6];
  CHECK_EQ_INT(qx_embed_batch(m, QX_EMBED_QUERY, &hello, NULL, 1, v), 0);
  CHECK_NEAR(v[0], -0.03447724, 2e-5);
  CHECK_NEAR(v[1], 0.03102315, 2e-5);
  CHECK_NEAR(v[4], -0.03936203, 2e-5);
  /* a batch equals one-by-one calls; empty text, NUL byte, invalid UTF-8 all work */
  static char longtext[20000];
  for (size_t i = 0; i + 6 < sizeof longtext; i += 6) memcpy(longtext + i, "word. ", 6);
  const char *texts[6] = {"Hello world", "", "a\0b", "caf\xe9 \xff\xfe", longtext, "short"};
  size_t lens[6] = {11, 0, 3, 7, strlen(longtext), 5};
  CHECK_EQ_INT(qx_model_windowed(m), 0);
  CHECK_EQ_INT(qx_embed_batch(m, QX_EMBED_PASSAGE, texts, lens, 6, v), 0);
  CHECK_EQ_INT(qx_model_windowed(m), 1); /* the long text was cut into windows */
  for (int i = 0; i < 6; i++) {
    float one[384], n = 0;
    CHECK_EQ_INT(qx_embed_batch(m, QX_EMBED_PASSAGE, texts + i, lens + i, 1, one), 0);
    CHECK(cosine(one, v + i * d, d) > 0.99999f);
    for (int k = 0; k < d; k++) n += v[i * d + k] * v[i * d + k];
    CHECK_NEAR(n, 1.0, 1e-5);
  }
  int32_t *ids;
  size_t nid;
  CHECK_EQ_INT(qx_model_tokenize(m, QX_EMBED_QUERY, "Hello world", 11, &ids, &nid), 0);
  CHECK_EQ_INT(nid, 4);
  if (nid == 4) CHECK(ids[0] == 101 && ids[1] == 7592 && ids[2] == 2088 && ids[3] == 102);
  free(ids);
  qx_model_free(m);

  /* E5: prefixes make queries and passages differ */
  path = qx_path_join(models, "multilingual-e5-small");
  CHECK_EQ_INT(qx_model_load(&m, path), 0);
  free(path);
  if (!m) return;
  CHECK_EQ_STR(qx_model_name(m), "multilingual-e5-small");
  CHECK_EQ_INT(qx_model_max_tokens(m), 512);
  float q[384], p[384];
  CHECK_EQ_INT(qx_embed_batch(m, QX_EMBED_QUERY, &hello, NULL, 1, q), 0);
  CHECK_EQ_INT(qx_embed_batch(m, QX_EMBED_PASSAGE, &hello, NULL, 1, p), 0);
  CHECK(cosine(q, p, 384) < 0.999f && cosine(q, p, 384) > 0.8f);
  CHECK_EQ_INT(qx_model_tokenize(m, QX_EMBED_QUERY, "", 0, &ids, &nid), 0);
  CHECK(nid >= 3 && ids[0] == 0 && ids[nid - 1] == 2); /* <s> query: </s> */
  free(ids);
  qx_model_free(m);
}

static void test_models(void) {
  char *models = cache_models();
  char *probe = qx_path_join(models, "all-MiniLM-L6-v2/model.safetensors");
  char *probe2 = qx_path_join(models, "multilingual-e5-small/e5-small-q4.bin");
  if (access(probe, R_OK) || access(probe2, R_OK)) {
    fprintf(stderr, "models not in %s (scripts/fetch-models.sh): model tests skipped\n", models);
  } else {
    test_damaged(models);
    test_api(models);
  }
  free(probe), free(probe2), free(models);
}

int main(void) {
  if (!mkdtemp(tmpdir)) return 1;
  test_kernels();
  test_safetensors();
  test_gemm();
  test_forward();
  test_models();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
  return qx_test_result();
}
