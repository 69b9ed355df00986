/*
 * block_bounds.c: how tight the block-max bounds of an index are. For each
 * term given, as a one-term top-k query at (k1, b): the term's k-th best
 * score (the final threshold), then how many of its blocks have a bound
 * above it with one corner per block (max tf, min norm: postings 3), with
 * the corners the index stores (postings 4), and with the exact block
 * maximum (what a bound can at best achieve). A block above the threshold
 * is one an evaluator must decode; search/README.md and docs/FORMAT.md
 * quote these counts.
 *
 *   build/bench/search/block_bounds -x INDEX [-k 10] [--k1 0.9 --b 0.4] TERM...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx_daat.h"

static int cmp_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  long k = 10;
  double k1 = 0.9, b = 0.4;
  int a = 1;
  for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
    if (!strcmp(argv[a], "-x")) dir = argv[a + 1];
    else if (!strcmp(argv[a], "-k")) k = atol(argv[a + 1]);
    else if (!strcmp(argv[a], "--k1")) k1 = atof(argv[a + 1]);
    else if (!strcmp(argv[a], "--b")) b = atof(argv[a + 1]);
    else break;
  }
  if (!dir || k <= 0 || a >= argc) {
    fprintf(stderr, "usage: block_bounds -x INDEX [-k 10] [--k1 0.9 --b 0.4] TERM...\n");
    return 2;
  }
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, dir)) {
    fprintf(stderr, "block_bounds: %s\n", quarry_error_last());
    return 2;
  }
  double K[256];
  qx_bm25_norm_cache(K, k1, b, ix->avgdl);
  unsigned long tot[4] = {0};
  printf("%-16s %9s %7s %10s %10s %10s\n", "term", "df", "blocks", "one-corner", "corners", "exact");
  for (; a < argc; a++) {
    for (uint32_t s = 0; s < ix->nseg; s++) { /* each segment's list on its own */
      const qx_seg *sg = ix->seg[s];
      qx_term_info t;
      qx_pcursor c;
      if (qx_seg_find_term(&t, sg, argv[a], strlen(argv[a])) != 1 || qx_pcursor_open(&c, sg, &t)) continue;
      double *sat = malloc(t.df * sizeof *sat), *bmax = calloc(t.nblocks, sizeof *bmax);
      uint32_t n = 0;
      for (; c.doc != QX_DOC_END && n < t.df; n++) { /* saturation tf / (tf + K): the score / idf */
        double f = qx_pcursor_freq(&c), v = f / (f + K[qx_seg_norm(sg, c.doc)]);
        sat[n] = v;
        if (v > bmax[c.block]) bmax[c.block] = v;
        if (qx_pcursor_next(&c)) break;
      }
      double *sorted = malloc(n * sizeof *sorted);
      memcpy(sorted, sat, n * sizeof *sorted);
      qsort(sorted, n, sizeof *sorted, cmp_desc);
      double th = n >= (uint32_t)k ? sorted[k - 1] : 0;
      unsigned long cnt[3] = {0};
      for (uint32_t bl = 0; bl < t.nblocks; bl++) {
        qx_block_bound bb, one;
        uint32_t last, mt, mdl;
        qx_pcursor_block_bound(&c, bl, &bb);
        qx_pcursor_block_info(&c, bl, &last, &mt, &mdl);
        for (int i = 0; i < QX_SKIP_CORNERS; i++) {
          one.tf[i] = mt;
          one.norm[i] = bb.norm[0];
        }
        cnt[0] += qx_block_ub(K, 1.0, &one) > th;
        cnt[1] += qx_block_ub(K, 1.0, &bb) > th;
        cnt[2] += bmax[bl] > th;
      }
      printf("%-16s %9u %7u %10lu %10lu %10lu\n", argv[a], t.df, t.nblocks, cnt[0], cnt[1], cnt[2]);
      tot[0] += t.nblocks;
      for (int i = 0; i < 3; i++) tot[i + 1] += cnt[i];
      free(sat);
      free(bmax);
      free(sorted);
    }
  }
  printf("%-16s %9s %7lu %10lu %10lu %10lu\n", "total", "", tot[0], tot[1], tot[2], tot[3]);
  quarry_index_close(ix);
  return 0;
}
