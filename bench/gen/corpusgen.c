/*
 * corpusgen.c: a seeded synthetic corpus and query generator for the BM25
 * benchmark (bench/README.md explains the model and the numbers it gives).
 *
 * The corpus imitates the statistics that matter to an inverted index:
 *   - vocabulary: V pseudo-words built from French/English-like syllables;
 *     frequent words are short ("le", "ta"), rare words long, as in natural
 *     language (Zipf's law of abbreviation);
 *   - token frequencies: Zipf-Mandelbrot, p(r) ~ 1 / (r + q)^s (Mandelbrot
 *     1953; s = 1, q = 2.7) up to rank 8000, then a steeper tail with
 *     exponent 1.6 (the two regimes of Ferrer i Cancho & Sole 2001), so the
 *     vocabulary grows like real collections (Heaps' law, beta ~ 0.5);
 *     sampled in O(1) with Walker/Vose's alias method;
 *   - burstiness: a content word already in the passage is repeated with
 *     probability `burst` (a cache model in the spirit of Church & Gale 1995),
 *     so term frequencies within a passage are not just Poisson;
 *   - passage lengths: log-normal (median `len` tokens, shape `sigma`),
 *     clipped to [4, 1024]; sentences of log-normal length end with ". ".
 * Everything is driven by one xoshiro256** stream seeded by --seed, so the
 * output is identical on every machine, and the first n passages of a larger
 * corpus are exactly the corpus of size n (same seed).
 *
 * Queries (1..6 distinct terms) mix three kinds of term, drawn among the
 * words that occur in the generated corpus: common (drawn by frequency, the
 * head of the Zipf curve), mid (log-uniform over the ranks: any order of
 * magnitude equally likely) and rare (uniform over the occurring words, so
 * mostly terms with a handful of postings).
 *
 * Output (streamed, constant memory in the corpus size):
 *   DIR/corpus.tsv    "id \t text" per line, ids 0..n-1
 *   DIR/corpus.jsonl  with --jsonl, the same passages as BEIR corpus records
 *                     {"_id":"N","text":"..."} (what `quarry index --format
 *                     beir` and other BEIR tools read)
 *   DIR/queries.txt   one query per line, terms separated by spaces
 *   DIR/stats.json    passages, tokens, postings (distinct term-passage
 *                     pairs), distinct terms, bytes, parameters, seconds
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- random numbers: xoshiro256** (Blackman & Vigna), seeded by splitmix64 */
typedef struct rng {
  uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static void rng_seed(rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t rng_next(rng *r) {
  uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
  return res;
}
static inline double rng_unif(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform integer in [0, n) (Lemire's multiply-shift; bias < n / 2^32, negligible here). */
static inline uint32_t rng_below(rng *r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
static double rng_normal(rng *r) {
  double u = rng_unif(r), v = rng_unif(r);
  return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

/* ---- Zipf-Mandelbrot sampling with an alias table (Vose 1991) ----------- */
typedef struct alias {
  uint32_t n;
  uint32_t *thresh; /* accept slot i when low 32 bits < thresh[i] */
  uint32_t *other;  /* otherwise take other[i] */
} alias;

static int alias_build(alias *a, uint32_t n, double s, double q, double rc, double s2) {
  double *p = malloc(n * sizeof *p), sum = 0;
  uint32_t *small = malloc(n * sizeof *small), *large = malloc(n * sizeof *large);
  a->n = n;
  a->thresh = malloc(n * sizeof *a->thresh);
  a->other = malloc(n * sizeof *a->other);
  if (!p || !small || !large || !a->thresh || !a->other) return -1;
  /* Two regimes (Ferrer i Cancho & Sole 2001): exponent s up to rank rc, s2
   * beyond, continuous at rc; this gives Heaps-law vocabulary growth close
   * to real collections (beta ~ 0.5) where a single exponent gives far too
   * many or too few distinct words. */
  for (uint32_t i = 0; i < n; i++)
    sum += p[i] = i + 1 <= rc ? pow(i + 1 + q, -s) : pow(rc + q, -s) * pow((i + 1 + q) / (rc + q), -s2);
  uint32_t ns = 0, nl = 0;
  for (uint32_t i = 0; i < n; i++) {
    p[i] = p[i] / sum * n;
    if (p[i] < 1.0) small[ns++] = i;
    else large[nl++] = i;
  }
  while (ns && nl) {
    uint32_t l = small[--ns], g = large[nl - 1];
    a->thresh[l] = (uint32_t)(p[l] * 4294967295.0);
    a->other[l] = g;
    p[g] -= 1.0 - p[l];
    if (p[g] < 1.0) nl--, small[ns++] = g;
  }
  while (nl) a->thresh[large[--nl]] = UINT32_MAX, a->other[large[nl]] = large[nl];
  while (ns) a->thresh[small[--ns]] = UINT32_MAX, a->other[small[ns]] = small[ns];
  free(p), free(small), free(large);
  return 0;
}
static inline uint32_t alias_draw(const alias *a, rng *r) {
  uint64_t u = rng_next(r);
  uint32_t i = (uint32_t)(((u >> 32) * (uint64_t)a->n) >> 32);
  return (uint32_t)u < a->thresh[i] ? i : a->other[i];
}

/* ---- pseudo-word vocabulary --------------------------------------------- */
/* Syllable parts with rough weights (repeated entries = more frequent). */
static const char *ONSET[] = {"",  "",  "",  "b",  "c",  "d",  "d",  "f",  "g",  "j",  "l",  "l",
                              "m", "m", "n", "p",  "p",  "r",  "r",  "s",  "s",  "t",  "t",  "v",
                              "w", "h", "ch", "qu", "br", "tr", "pl", "gr", "st", "th", "sh", "cr"};
static const char *NUCLEUS[] = {"a", "a", "e", "e", "e", "i", "i", "o", "o",  "u",  "ou", "ai",
                                "ea", "ie", "y", "au", "oi", "eu", "ee", "oo", "an", "on", "in"};
static const char *CODA[] = {"", "", "", "", "", "n", "r", "s", "t", "l", "m", "x", "nt", "st", "rd", "ck"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct vocab {
  uint32_t n;
  char *chars;        /* all words, NUL-separated */
  uint64_t *off;      /* word i at chars + off[i] */
  uint8_t *len;       /* its length */
} vocab;

static uint64_t fnv1a(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
  return h;
}

/* Frequent ranks get short words: the target length grows with log10(rank)
 * (2 characters at rank 1, ~8 at rank 10^4, ~10 at 10^6) plus noise, which
 * gives a token-weighted mean near 5 characters and a type-weighted mean
 * near 9 (English: 4.7 and 8; French: 4.9 and 9). */
static int vocab_build(vocab *v, uint32_t n, rng *r) {
  size_t cap = (size_t)n * 12 + 64, used = 0;
  size_t hcap = 1;
  while (hcap < (size_t)n * 2) hcap <<= 1;
  uint32_t *table = malloc(hcap * sizeof *table); /* word index + 1, 0 = empty */
  v->n = n;
  v->chars = malloc(cap);
  v->off = malloc((size_t)n * sizeof *v->off);
  v->len = malloc(n);
  if (!table || !v->chars || !v->off || !v->len) return -1;
  memset(table, 0, hcap * sizeof *table);
  char w[64];
  for (uint32_t i = 0; i < n; i++) {
    double mean = 0.6 + 1.3 * log10((double)i + 1.0);
    for (int attempt = 0;; attempt++) {
      double t = mean + 0.8 * rng_normal(r) + attempt / 6;
      size_t target = t < 2 ? 2 : t > 24 ? 24 : (size_t)(t + 0.5), len = 0;
      while (len < target) {
        const char *parts[3] = {ONSET[rng_below(r, NELEM(ONSET))], NUCLEUS[rng_below(r, NELEM(NUCLEUS))],
                                rng_unif(r) < 0.3 ? CODA[rng_below(r, NELEM(CODA))] : ""};
        for (int j = 0; j < 3; j++) {
          size_t pl = strlen(parts[j]);
          if (len + pl < sizeof w - 1) memcpy(w + len, parts[j], pl), len += pl;
        }
      }
      if (len < 2 || len > 40) continue; /* every peer's tokenizer keeps 2..40 chars */
      uint64_t h = fnv1a(w, len);
      size_t slot = h & (hcap - 1);
      int dup = 0;
      while (table[slot]) {
        uint32_t o = table[slot] - 1;
        if (v->len[o] == len && !memcmp(v->chars + v->off[o], w, len)) {
          dup = 1;
          break;
        }
        slot = (slot + 1) & (hcap - 1);
      }
      if (dup) continue;
      if (used + len + 1 > cap) {
        cap *= 2;
        char *nc = realloc(v->chars, cap);
        if (!nc) return -1;
        v->chars = nc;
      }
      memcpy(v->chars + used, w, len);
      v->chars[used + len] = 0;
      v->off[i] = used, v->len[i] = (uint8_t)len;
      used += len + 1;
      table[slot] = i + 1;
      break;
    }
  }
  free(table);
  return 0;
}

/* ---- options --------------------------------------------------------------- */
typedef struct opts {
  uint64_t passages, seed;
  uint32_t queries, vocab;
  double zipf_s, zipf_q, zipf_rc, zipf_s2, len_median, len_sigma, sent_median, burst;
  int jsonl;
  const char *out;
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: corpusgen -n PASSAGES -o DIR [options]\n"
          "  -n N            passages to generate (e.g. 10000 .. 10000000)\n"
          "  -o DIR          output folder (corpus.tsv, queries.txt, stats.json)\n"
          "  -q N            queries to generate (default 1000)\n"
          "  --seed S        random seed (default 42)\n"
          "  --vocab V       vocabulary size in pseudo-words (default 4000000)\n"
          "  --zipf-s S      Zipf-Mandelbrot exponent of the head (default 1.0)\n"
          "  --zipf-q Q      Zipf-Mandelbrot shift (default 2.7)\n"
          "  --zipf-rc R     rank where the tail regime starts (default 8000)\n"
          "  --zipf-s2 S     exponent of the tail (default 1.6)\n"
          "  --len L         median passage length in tokens (default 60)\n"
          "  --sigma S       log-normal shape of passage lengths (default 0.6)\n"
          "  --burst P       probability of repeating a content word (default 0.15)\n"
          "  --jsonl         also write corpus.jsonl (BEIR records {\"_id\",\"text\"})\n");
}

static int parse_opts(opts *o, int argc, char **argv) {
  *o = (opts){0, 42, 1000, 4000000, 1.0, 2.7, 8000, 1.6, 60, 0.6, 14, 0.15, 0, NULL};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) usage(stdout), exit(0);
    if (!strcmp(a, "--jsonl")) {
      o->jsonl = 1;
      continue;
    }
    if (!v) return fprintf(stderr, "corpusgen: %s needs a value\n", a), -1;
    errno = 0;
    if (!strcmp(a, "-o")) o->out = v;
    else if (!strcmp(a, "-n")) o->passages = strtoull(v, &end, 10);
    else if (!strcmp(a, "-q")) o->queries = (uint32_t)strtoul(v, &end, 10);
    else if (!strcmp(a, "--seed")) o->seed = strtoull(v, &end, 10);
    else if (!strcmp(a, "--vocab")) o->vocab = (uint32_t)strtoul(v, &end, 10);
    else if (!strcmp(a, "--zipf-s")) o->zipf_s = strtod(v, &end);
    else if (!strcmp(a, "--zipf-q")) o->zipf_q = strtod(v, &end);
    else if (!strcmp(a, "--zipf-rc")) o->zipf_rc = strtod(v, &end);
    else if (!strcmp(a, "--zipf-s2")) o->zipf_s2 = strtod(v, &end);
    else if (!strcmp(a, "--len")) o->len_median = strtod(v, &end);
    else if (!strcmp(a, "--sigma")) o->len_sigma = strtod(v, &end);
    else if (!strcmp(a, "--burst")) o->burst = strtod(v, &end);
    else return fprintf(stderr, "corpusgen: unknown option '%s' (try --help)\n", a), -1;
    if (end && (*end || errno)) return fprintf(stderr, "corpusgen: bad value '%s' for %s\n", v, a), -1;
    i++;
  }
  if (!o->out || !o->passages) return fprintf(stderr, "corpusgen: -n and -o are required (try --help)\n"), -1;
  if (o->vocab < 100 || o->vocab > 100000000)
    return fprintf(stderr, "corpusgen: --vocab must be in [100, 1e8]\n"), -1;
  if (!(o->zipf_s > 0.5 && o->zipf_s < 3) || !(o->zipf_q >= 0) || !(o->zipf_rc >= 1) || !(o->zipf_s2 > 0.5 && o->zipf_s2 < 4) || !(o->len_median >= 4) ||
      !(o->len_sigma >= 0 && o->len_sigma < 3) || !(o->burst >= 0 && o->burst < 1))
    return fprintf(stderr, "corpusgen: parameter out of range (see --help)\n"), -1;
  return 0;
}

/* ---- generation -------------------------------------------------------------- */
#define MAXLEN 1024
#define FUNCTION_WORDS 64 /* ranks below this are never "repeated" by the burst model */

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap) {
  snprintf(path, cap, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) fprintf(stderr, "corpusgen: cannot write %s: %s\n", path, strerror(errno));
  else setvbuf(f, NULL, _IOFBF, 1 << 20);
  return f;
}

static uint32_t draw_len(rng *r, double median, double sigma, uint32_t lo, uint32_t hi) {
  double x = median * exp(sigma * rng_normal(r));
  return x < lo ? lo : x > hi ? hi : (uint32_t)(x + 0.5);
}

/* Write one query of 1..6 distinct occurring terms; returns the term count. */
static int write_query(FILE *f, rng *r, const alias *zipf, const vocab *v, const uint32_t *count,
                       const uint32_t *seen, uint32_t nseen, uint32_t kinds[3]) {
  static const double LEN_CDF[6] = {0.15, 0.40, 0.65, 0.80, 0.90, 1.0};
  double u = rng_unif(r);
  int nt = 1;
  while (nt < 6 && u > LEN_CDF[nt - 1]) nt++;
  uint32_t terms[6];
  int got = 0;
  for (int tries = 0; got < nt && tries < 1000; tries++) {
    double k = rng_unif(r);
    uint32_t t;
    int kind;
    if (k < 0.3) t = alias_draw(zipf, r), kind = 0; /* common: by frequency */
    else if (k < 0.75) {                              /* mid: log-uniform rank */
      t = (uint32_t)exp(rng_unif(r) * log((double)v->n)), kind = 1;
      if (t >= v->n) t = v->n - 1;
    } else t = seen[rng_below(r, nseen)], kind = 2; /* rare: uniform over occurring words */
    if (!count[t]) continue;
    int dup = 0;
    for (int j = 0; j < got; j++) dup |= terms[j] == t;
    if (dup) continue;
    terms[got++] = t;
    kinds[kind]++;
  }
  for (int j = 0; j < got; j++) {
    if (j) fputc(' ', f);
    fwrite(v->chars + v->off[terms[j]], 1, v->len[terms[j]], f);
  }
  fputc('\n', f);
  return got;
}

int main(int argc, char **argv) {
  opts o;
  if (parse_opts(&o, argc, argv)) return 2;
  if (mkdir(o.out, 0777) && errno != EEXIST)
    return fprintf(stderr, "corpusgen: cannot create %s: %s\n", o.out, strerror(errno)), 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  rng r, rq;
  rng_seed(&r, o.seed);
  vocab v;
  alias zipf;
  if (vocab_build(&v, o.vocab, &r) || alias_build(&zipf, o.vocab, o.zipf_s, o.zipf_q, o.zipf_rc, o.zipf_s2))
    return fprintf(stderr, "corpusgen: out of memory\n"), 2;
  uint32_t *count = calloc(o.vocab, sizeof *count);    /* token count per word */
  uint32_t *last = malloc((size_t)o.vocab * sizeof *last); /* last passage + 1 that used the word */
  if (!count || !last) return fprintf(stderr, "corpusgen: out of memory\n"), 2;
  memset(last, 0, (size_t)o.vocab * sizeof *last);

  char path[4096];
  FILE *fc = open_out(o.out, "corpus.tsv", path, sizeof path), *fj = NULL;
  if (!fc) return 2;
  if (o.jsonl && !(fj = open_out(o.out, "corpus.jsonl", path, sizeof path))) return 2;
  uint64_t tokens = 0, postings = 0, text_bytes = 0, file_bytes = 0;
  uint32_t toks[MAXLEN], content[MAXLEN];
  char line[MAXLEN * 48];
  for (uint64_t d = 0; d < o.passages; d++) {
    uint32_t n = draw_len(&r, o.len_median, o.len_sigma, 4, MAXLEN), nc = 0;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t t;
      if (nc && rng_unif(&r) < o.burst) t = content[rng_below(&r, nc)];
      else t = alias_draw(&zipf, &r);
      toks[i] = t;
      if (t >= FUNCTION_WORDS) content[nc++] = t;
      count[t]++;
      if (last[t] != (uint32_t)(d + 1)) last[t] = (uint32_t)(d + 1), postings++;
    }
    /* Render: sentences of log-normal length, first letter capitalised. */
    size_t L = 0;
    uint32_t left = 0;
    for (uint32_t i = 0; i < n; i++) {
      int start = left == 0;
      if (start) left = draw_len(&r, o.sent_median, 0.5, 3, 60);
      if (i) line[L++] = ' ';
      memcpy(line + L, v.chars + v.off[toks[i]], v.len[toks[i]]);
      if (start) line[L] = (char)(line[L] - 'a' + 'A');
      L += v.len[toks[i]];
      if (--left == 0 || i == n - 1) line[L++] = '.';
      else if (rng_unif(&r) < 0.04) line[L++] = ',';
    }
    int h = fprintf(fc, "%llu\t", (unsigned long long)d);
    fwrite(line, 1, L, fc);
    fputc('\n', fc);
    if (fj) { /* the text has no quote, backslash or control character: no escaping needed */
      fprintf(fj, "{\"_id\":\"%llu\",\"text\":\"", (unsigned long long)d);
      fwrite(line, 1, L, fj);
      fputs("\"}\n", fj);
    }
    tokens += n, text_bytes += L, file_bytes += (uint64_t)h + L + 1;
  }
  if (fclose(fc) || (fj && fclose(fj)))
    return fprintf(stderr, "corpusgen: write %s/corpus.*: %s\n", o.out, strerror(errno)), 2;

  /* Queries come from their own stream so that changing -q never changes the corpus. */
  uint32_t nseen = 0, *seen = malloc((size_t)o.vocab * sizeof *seen), kinds[3] = {0, 0, 0};
  if (!seen) return fprintf(stderr, "corpusgen: out of memory\n"), 2;
  for (uint32_t t = 0; t < o.vocab; t++)
    if (count[t]) seen[nseen++] = t;
  rng_seed(&rq, o.seed ^ 0x5eed0f0e11e5ULL);
  FILE *fq = open_out(o.out, "queries.txt", path, sizeof path);
  if (!fq) return 2;
  uint64_t qterms = 0;
  for (uint32_t i = 0; i < o.queries; i++) qterms += (uint64_t)write_query(fq, &rq, &zipf, &v, count, seen, nseen, kinds);
  if (fclose(fq)) return fprintf(stderr, "corpusgen: write %s: %s\n", path, strerror(errno)), 2;

  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  FILE *fs = open_out(o.out, "stats.json", path, sizeof path);
  if (!fs) return 2;
  fprintf(fs,
          "{\n  \"generator\": \"quarry bench/gen/corpusgen 1\",\n  \"seed\": %llu,\n  \"passages\": %llu,\n"
          "  \"tokens\": %llu,\n  \"postings\": %llu,\n  \"distinct_terms\": %u,\n  \"vocab\": %u,\n"
          "  \"text_bytes\": %llu,\n  \"corpus_file\": \"%s\",\n  \"corpus_bytes\": %llu,\n"
          "  \"mean_passage_tokens\": %.2f,\n  \"queries\": %u,\n  \"mean_query_terms\": %.2f,\n"
          "  \"query_terms_common_mid_rare\": [%u, %u, %u],\n"
          "  \"zipf_s\": %g,\n  \"zipf_q\": %g,\n  \"zipf_rc\": %g,\n  \"zipf_s2\": %g,\n  \"len_median\": %g,\n  \"len_sigma\": %g,\n"
          "  \"burst\": %g,\n  \"seconds\": %.2f\n}\n",
          (unsigned long long)o.seed, (unsigned long long)o.passages, (unsigned long long)tokens,
          (unsigned long long)postings, nseen, o.vocab, (unsigned long long)text_bytes,
          "corpus.tsv", (unsigned long long)file_bytes,
          (double)tokens / (double)o.passages, o.queries, o.queries ? (double)qterms / o.queries : 0.0,
          kinds[0], kinds[1], kinds[2], o.zipf_s, o.zipf_q, o.zipf_rc, o.zipf_s2, o.len_median, o.len_sigma, o.burst, secs);
  if (fclose(fs)) return fprintf(stderr, "corpusgen: write %s: %s\n", path, strerror(errno)), 2;
  free(v.chars), free(v.off), free(v.len), free(zipf.thresh), free(zipf.other);
  free(count), free(last), free(seen);
  return 0;
}
