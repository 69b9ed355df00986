/*
 * scratch.c: the per-query scratch arena of search/ and the pool of
 * searchers (analyzer + arena) that an index keeps for quarry_search.
 *
 * A query allocates from one bump arena (matchers, cursors, idf tables,
 * phrase position buffers, MaxScore's arrays) and releases everything at
 * once with qx_scratch_reset. When a query needs more than the arena holds,
 * the excess comes from malloc and the arena grows to the peak at the next
 * reset: after the largest query has been seen once ("warm-up"), evaluation
 * allocates nothing. Searchers are pooled per index (a mutex-protected
 * stack), one per concurrently searching thread; quarry_index_close frees
 * them through ix->search_pool_free.
 */
#include <pthread.h>
#include <stdlib.h>

#include "qx_daat.h"

void *qx_scratch_alloc(qx_scratch *s, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  if (s->cap - s->used >= n) {
    void *p = s->buf + s->used;
    s->used += n;
    return p;
  }
  s->want = QX_MAX(s->want, s->used + s->over + n);
  void **big = realloc(s->big, (s->nbig + 1) * sizeof *big);
  if (!big) return NULL;
  s->big = big;
  void *p = malloc(n);
  if (!p) return NULL;
  s->big[s->nbig++] = p;
  s->over += n;
  s->mallocs++;
  return p;
}

void qx_scratch_reset(qx_scratch *s) {
  for (size_t i = 0; i < s->nbig; i++) free(s->big[i]);
  free(s->big);
  s->big = NULL;
  s->nbig = 0;
  s->over = 0;
  s->used = 0;
  if (s->want > s->cap) {
    size_t cap = s->want + s->want / 2;
    uint8_t *b = malloc(cap);
    if (b) {
      free(s->buf);
      s->buf = b;
      s->cap = cap;
      s->mallocs++;
    }
  }
}

void qx_scratch_free(qx_scratch *s) {
  qx_scratch_reset(s);
  free(s->buf);
  memset(s, 0, sizeof *s);
}

/* ---- searcher pool ------------------------------------------------------------ */

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;

static void pool_free(void *head) {
  for (qx_searcher *s = head, *next; s; s = next) {
    next = s->next;
    qx_analyzer_free(s->an);
    qx_scratch_free(&s->sc);
    free(s);
  }
}

int qx_searcher_get(qx_searcher **out, quarry_index *ix) {
  pthread_mutex_lock(&pool_mu);
  qx_searcher *s = ix->search_pool;
  if (s) ix->search_pool = s->next;
  pthread_mutex_unlock(&pool_mu);
  if (!s) {
    s = qx_calloc(1, sizeof *s);
    if (!s) return qx_err(QUARRY_ENOMEM, "out of memory");
    int rc = qx_analyzer_new(&s->an, ix->lang);
    if (rc) {
      free(s);
      return rc;
    }
  }
  s->next = NULL;
  *out = s;
  return 0;
}

void qx_searcher_put(quarry_index *ix, qx_searcher *s) {
  if (!s) return;
  qx_scratch_reset(&s->sc);
  pthread_mutex_lock(&pool_mu);
  s->next = ix->search_pool;
  ix->search_pool = s;
  ix->search_pool_free = pool_free;
  pthread_mutex_unlock(&pool_mu);
}
