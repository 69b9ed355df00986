/*
 * encoder.c: the forward pass of a BERT-style transformer encoder
 * (Devlin et al. 2019; XLM-RoBERTa, Conneau et al. 2020, is the same network
 * with positions starting at padding_idx + 1), producing mean-pooled
 * sentence vectors as sentence-transformers and E5 do.
 *
 *   x = LN(word[id] + pos[p] + type[0])
 *   per layer (post-LN):  x = LN(x + Attn(x) Wo + bo);  x = LN(x + GELU(x Wi + bi) Wf + bf)
 *   Attn: per head h, softmax(Q_h K_h^T / sqrt(d)) V_h, restricted to the sequence
 *
 * Sequences are packed one after the other without padding; attention is
 * computed per sequence, so no compute is spent on pad tokens and the result
 * equals a padded batch with an attention mask. Every token-wise product
 * (Q, K, V, attention output, FFN) covers all the tokens of the batch at
 * once, so each weight matrix is streamed once per batch: cblas_sgemm from
 * QX_SMALL_T tokens on (Q4_0 matrices dequantised whole first), below it a
 * kernel that reads the weights in place (sgemm would first copy the whole
 * matrix into its packed layout, which costs more than the product for a
 * query of ten tokens). Element-wise work goes through encoder_kern.h.
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "encoder_kern.h"
#include "qx_common.h"
#include "qx_encoder.h"

static const qx_enc_kern *kern(void) {
  static const qx_enc_kern *k;
  if (!k) k = qx_enc_kern_best();
  return k;
}

void qx_q4_dequant(const uint8_t *blocks, size_t n, float *out) { kern()->q4_dequant(blocks, n, out); }

/* Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not know CPUs newer than it
 * (Sapphire Rapids here) and falls back to its generic "Prescott" SSE3
 * kernels, 3.5x slower than its AVX-512 ones on the encoder's products. It
 * only reads OPENBLAS_CORETYPE when the library is loaded, so when the user
 * did not set it and the fallback was taken on a CPU with AVX-512 (AVX2),
 * re-run OpenBLAS's own core selection with SkylakeX (Haswell) forced.
 * The entry points are looked up weakly: any other BLAS build is left alone. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static void blas_setup_once(void) {
  const char *core = openblas_get_corename();
  if (!getenv("OPENBLAS_CORETYPE") && gotoblas_dynamic_init && gotoblas_dynamic_quit && core &&
      !strcasecmp(core, "prescott")) {
    __builtin_cpu_init();
    const char *want = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
      want = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      want = "Haswell";
    if (want) {
      setenv("OPENBLAS_CORETYPE", want, 0);
      gotoblas_dynamic_quit();
      gotoblas_dynamic_init();
      unsetenv("OPENBLAS_CORETYPE");
    }
  }
  const char *env = getenv("QUARRY_THREADS");
  long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  openblas_set_num_threads((int)n);
}

void qx_blas_setup(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, blas_setup_once);
}

/* OpenBLAS gives each thread a work buffer (BUFFER_SIZE, 128 MiB of address
 * space on x86-64) the first time the thread runs a product, and when the
 * allocation fails it retries forever: under a tight `ulimit -v` the forward
 * pass would hang instead of failing. Before the first product, check the
 * headroom the address-space limit leaves (limit minus VmSize): without room
 * for the calling thread's buffer, fail with a clear error; without room for
 * every thread's, run the products on the calling thread only. Once a
 * product has run, the buffers exist and the check is skipped. */
#define QX_BLAS_BUFFER ((size_t)128 << 20)
#define QX_BLAS_SLACK ((size_t)16 << 20)
static int blas_warm;

static int blas_headroom_check(void) {
  if (__atomic_load_n(&blas_warm, __ATOMIC_ACQUIRE)) return 0;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!f) return 0;
  int got = fscanf(f, "%lu", &pages);
  fclose(f);
  if (got != 1) return 0;
  size_t used = (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
  size_t room = rl.rlim_cur > used ? (size_t)rl.rlim_cur - used : 0;
  if (room < QX_BLAS_BUFFER + QX_BLAS_SLACK)
    return qx_err(QUARRY_ENOMEM,
                  "out of memory: the encoder needs about %zu MiB more address space than the "
                  "limit leaves (ulimit -v %llu kB, %zu MiB in use)",
                  (QX_BLAS_BUFFER + QX_BLAS_SLACK - room) >> 20, (unsigned long long)(rl.rlim_cur >> 10),
                  used >> 20);
  int n = openblas_get_num_threads();
  if (n > 1 && room < (size_t)n * QX_BLAS_BUFFER + QX_BLAS_SLACK) openblas_set_num_threads(1);
  return 0;
}

const char *qx_blas_core(void) {
  qx_blas_setup();
  return openblas_get_corename();
}

int qx_encoder_check(const qx_encoder *e, const char *what) {
  if (e->hidden <= 0 || e->layers <= 0 || e->heads <= 0 || e->ffn <= 0 || e->vocab <= 0 ||
      e->max_pos <= 0 || e->type_vocab <= 0)
    return qx_err(QUARRY_EMODEL, "%s: non-positive hyper-parameter (hidden %d, layers %d, heads %d, "
                                 "ffn %d, vocab %d, positions %d, types %d)",
                  what, e->hidden, e->layers, e->heads, e->ffn, e->vocab, e->max_pos, e->type_vocab);
  if (e->hidden % e->heads)
    return qx_err(QUARRY_EMODEL, "%s: hidden size %d is not a multiple of %d heads", what, e->hidden,
                  e->heads);
  if (e->hidden > 65536 || e->ffn > 262144 || e->layers > 256)
    return qx_err(QUARRY_EMODEL, "%s: implausible sizes (hidden %d, ffn %d, layers %d)", what,
                  e->hidden, e->ffn, e->layers);
  if (e->pos_offset < 0 || e->pos_offset >= e->max_pos)
    return qx_err(QUARRY_EMODEL, "%s: position offset %d outside %d positions", what, e->pos_offset,
                  e->max_pos);
  if (!(e->eps > 0 && e->eps < 1))
    return qx_err(QUARRY_EMODEL, "%s: layer-norm epsilon %g out of range", what, (double)e->eps);
  if (e->word.q4 && e->hidden % QX_Q4_BLOCK)
    return qx_err(QUARRY_EMODEL, "%s: Q4 rows need hidden %% 32 == 0 (hidden %d)", what, e->hidden);
  return 0;
}

static int grow(float **p, size_t n) {
  float *q = realloc(*p, n * sizeof(float));
  if (!q) return QUARRY_ENOMEM;
  *p = q;
  return 0;
}

static int scratch_reserve(qx_enc_scratch *s, const qx_encoder *e, size_t tokens, size_t maxlen) {
  if (tokens > s->cap_tokens) {
    size_t th = tokens * (size_t)e->hidden;
    if (grow(&s->x, th) || grow(&s->q, th) || grow(&s->k, th) || grow(&s->v, th) ||
        grow(&s->ctx, th) || grow(&s->tmp, th) || grow(&s->mid, tokens * (size_t)e->ffn))
      return qx_err(QUARRY_ENOMEM, "encoder: out of memory for %zu tokens", tokens);
    s->cap_tokens = tokens;
  }
  size_t wb = (size_t)e->hidden * (size_t)e->ffn; /* largest matrix, dequantised */
  if (wb > s->cap_wbuf) {
    if (grow(&s->wbuf, wb)) return qx_err(QUARRY_ENOMEM, "encoder: out of memory");
    s->cap_wbuf = wb;
  }
  if (maxlen * maxlen > s->cap_att) {
    if (grow(&s->att, maxlen * maxlen))
      return qx_err(QUARRY_ENOMEM, "encoder: out of memory for attention of %zu tokens", maxlen);
    s->cap_att = maxlen * maxlen;
  }
  return 0;
}

void qx_enc_scratch_free(qx_enc_scratch *s) {
  free(s->x);
  free(s->q);
  free(s->k);
  free(s->v);
  free(s->ctx);
  free(s->tmp);
  free(s->mid);
  free(s->att);
  free(s->wbuf);
  memset(s, 0, sizeof *s);
}

/* Below this many tokens a product reads the weights in place (kern->gemm_nt);
 * from it on, cblas_sgemm, whose packing of the weight matrix then pays off.
 * Measured on Sapphire Rapids, OpenBLAS SkylakeX kernels (embed/README.md). */
#define QX_SMALL_T 32
/* Q4 rows dequantised at a time for the small-token path (16 x 1536 floats: L2). */
#define QX_Q4_ROWS 16

/* y[T, n] = x[T, k] W^T + b, W stored [n, k] as f32 or Q4_0. */
static void linear(qx_enc_scratch *s, const float *x, qx_enc_mat w, const float *b, float *y,
                   size_t T, int n, int k) {
  const qx_enc_kern *kn = kern();
  const float *wf = w.f32;
  size_t rowb = (size_t)k / QX_Q4_BLOCK * QX_Q4_BYTES;
  if (T < QX_SMALL_T) {
    if (wf) {
      kn->gemm_nt(x, T, wf, b, (size_t)n, (size_t)k, y, (size_t)n);
      return;
    }
    for (int j = 0; j < n; j += QX_Q4_ROWS) {
      int r = QX_MIN(QX_Q4_ROWS, n - j);
      kn->q4_dequant(w.q4 + (size_t)j * rowb, (size_t)r * (size_t)k, s->wbuf);
      kn->gemm_nt(x, T, s->wbuf, b + j, (size_t)r, (size_t)k, y + j, (size_t)n);
    }
    return;
  }
  if (!wf) {
    kn->q4_dequant(w.q4, (size_t)n * (size_t)k, s->wbuf);
    wf = s->wbuf;
  }
  for (size_t t = 0; t < T; t++) memcpy(y + t * (size_t)n, b, (size_t)n * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, n, k, 1.f, x, k, wf, k, 1.f, y, n);
}

static void embed_tokens(const qx_encoder *e, const int32_t *ids, const size_t *off, size_t nseq,
                         float *x) {
  size_t H = (size_t)e->hidden;
  for (size_t s = 0; s < nseq; s++) {
    size_t p = (size_t)e->pos_offset;
    for (size_t t = off[s]; t < off[s + 1]; t++) {
      float *row = x + t * H;
      if (e->word.q4)
        kern()->q4_dequant(e->word.q4 + (size_t)ids[t] * (H / QX_Q4_BLOCK) * QX_Q4_BYTES, H, row);
      else
        memcpy(row, e->word.f32 + (size_t)ids[t] * H, H * sizeof(float));
      const float *pe = e->pos + p * H;
      if (ids[t] == e->pad_id)
        pe = e->pos_offset > 0 ? e->pos + (size_t)(e->pos_offset - 1) * H : NULL;
      else
        p++;
      for (size_t i = 0; i < H; i++) row[i] += (pe ? pe[i] : 0.f) + e->type[i];
    }
  }
  kern()->add_layernorm(x, NULL, e->emb_ln_g, e->emb_ln_b, off[nseq], H, e->eps);
}

static void attention(const qx_encoder *e, qx_enc_scratch *s, const size_t *off, size_t nseq) {
  int H = e->hidden, nh = e->heads, hd = H / nh;
  float scale = 1.f / sqrtf((float)hd);
  for (size_t sq = 0; sq < nseq; sq++) {
    int L = (int)(off[sq + 1] - off[sq]);
    size_t base = off[sq] * (size_t)H;
    for (int h = 0; h < nh; h++) {
      const float *qh = s->q + base + (size_t)h * hd, *kh = s->k + base + (size_t)h * hd;
      const float *vh = s->v + base + (size_t)h * hd;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, hd, scale, qh, H, kh, H, 0.f, s->att,
                  L);
      kern()->softmax_rows(s->att, (size_t)L, (size_t)L, (size_t)L);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, hd, L, 1.f, s->att, L, vh, H, 0.f,
                  s->ctx + base + (size_t)h * hd, H);
    }
  }
}

int qx_encoder_forward(const qx_encoder *e, qx_enc_scratch *s, const int32_t *ids,
                       const size_t *off, size_t nseq, float *pooled) {
  size_t T = off[nseq], maxlen = 0, H = (size_t)e->hidden;
  for (size_t sq = 0; sq < nseq; sq++) {
    size_t L = off[sq + 1] - off[sq];
    if (L == 0 || L > (size_t)(e->max_pos - e->pos_offset))
      return qx_err(QUARRY_EINVAL, "encoder: sequence of %zu tokens (1..%d allowed)", L,
                    e->max_pos - e->pos_offset);
    maxlen = L > maxlen ? L : maxlen;
  }
  for (size_t t = 0; t < T; t++)
    if (ids[t] < 0 || ids[t] >= e->vocab)
      return qx_err(QUARRY_EINVAL, "encoder: token id %d outside vocabulary of %d", (int)ids[t],
                    e->vocab);
  if (T == 0) return 0;
  int rc = scratch_reserve(s, e, T, maxlen);
  if (rc) return rc;
  if ((rc = qx_dense_ready())) return rc;
  qx_blas_setup();
  if ((rc = blas_headroom_check())) return rc;
  const qx_enc_kern *k = kern();

  embed_tokens(e, ids, off, nseq, s->x);
  for (int l = 0; l < e->layers; l++) {
    const qx_enc_layer *ly = &e->layer[l];
    linear(s, s->x, ly->wq, ly->bq, s->q, T, e->hidden, e->hidden);
    linear(s, s->x, ly->wk, ly->bk, s->k, T, e->hidden, e->hidden);
    linear(s, s->x, ly->wv, ly->bv, s->v, T, e->hidden, e->hidden);
    attention(e, s, off, nseq);
    linear(s, s->ctx, ly->wo, ly->bo, s->tmp, T, e->hidden, e->hidden);
    k->add_layernorm(s->x, s->tmp, ly->ln1_g, ly->ln1_b, T, H, e->eps);
    linear(s, s->x, ly->wi, ly->bi, s->mid, T, e->ffn, e->hidden);
    k->gelu(s->mid, T * (size_t)e->ffn);
    linear(s, s->mid, ly->wf, ly->bf, s->tmp, T, e->hidden, e->ffn);
    k->add_layernorm(s->x, s->tmp, ly->ln2_g, ly->ln2_b, T, H, e->eps);
  }

  for (size_t sq = 0; sq < nseq; sq++) {
    float *o = pooled + sq * H;
    if (e->pool_cls) {
      memcpy(o, s->x + off[sq] * H, H * sizeof(float));
      continue;
    }
    memset(o, 0, H * sizeof(float));
    for (size_t t = off[sq]; t < off[sq + 1]; t++)
      for (size_t i = 0; i < H; i++) o[i] += s->x[t * H + i];
    float inv = 1.f / (float)(off[sq + 1] - off[sq]);
    for (size_t i = 0; i < H; i++) o[i] *= inv;
  }
  __atomic_store_n(&blas_warm, 1, __ATOMIC_RELEASE); /* the products ran: OpenBLAS has its buffers */
  return 0;
}
