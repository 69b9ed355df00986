/*
 * fuzz_index.c: the index reader (index/reader.c and what search reads) on
 * damaged index files.
 *
 * A small real index is built once (fuzz_index_common.h) and copied to a
 * work folder. Each input replaces ONE of its files:
 *   byte 0: bits 0-3 = which file (the MANIFEST, then its file list in
 *           order, modulo the count), bit 7 = re-seal: write the MANIFEST
 *           again with the new file's size and xxHash64 (and a new MANIFEST
 *           checksum), so that the damage gets past the checksums and the
 *           reader's bounds checks are what stands between it and a crash;
 *   rest:   the new content of that file.
 * Then: open; if it opens, verify, stat, search a dozen queries (terms,
 * phrases, prefixes, exclusions), look at the first and last document and
 * passage and their text. Checked: no crash, no sanitizer report, every
 * failure has a message naming the index folder; and without re-sealing,
 * any change to a data file (all are under 1 MiB, so hashed at open) is
 * detected by quarry_index_open itself.
 */
#include "fuzz_index_common.h"
#include "qx_index.h"

#define MAXF 16
static char work[300];
static char *names[MAXF];
static uint8_t *orig[MAXF];
static size_t orig_len[MAXF], nfiles;

static void put(size_t i, const void *data, size_t len) {
  char p[400];
  snprintf(p, sizeof p, "%s/%s", work, names[i]);
  fz_write(p, data, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *base = fz_index_build();
  quarry_index *ix = NULL;
  if (quarry_index_open(&ix, base) != 0) abort();
  names[nfiles++] = strdup("MANIFEST");
  const char *name;
  uint64_t sz;
  for (size_t i = 0; nfiles < MAXF && quarry_index_file(&name, &sz, ix, i) == 0; i++) names[nfiles++] = strdup(name);
  quarry_index_close(ix);
  snprintf(work, sizeof work, "%s/work", fz_root);
  if (mkdir(work, 0700) != 0) abort();
  for (size_t i = 0; i < nfiles; i++) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", base, names[i]);
    char *d;
    if (qx_file_read(&d, &orig_len[i], p) != 0) abort();
    orig[i] = (uint8_t *)d;
    put(i, orig[i], orig_len[i]);
  }
  /* QUARRY_FUZZ_DUMP_SEEDS=DIR: write the seed inputs for fuzz/corpus/index/
   * (the MANIFEST, and each data file as is with re-sealing on) */
  const char *dump = getenv("QUARRY_FUZZ_DUMP_SEEDS");
  for (size_t i = 0; dump && i < nfiles; i++)
    for (int seal = i > 0; seal < 2 - (i == 0); seal++) {
      char p[600];
      snprintf(p, sizeof p, "%s/%s%s", dump, names[i], seal ? "-sealed" : "");
      uint8_t *buf = malloc(orig_len[i] + 1);
      buf[0] = (uint8_t)(i | (seal ? 128 : 0));
      memcpy(buf + 1, orig[i], orig_len[i]);
      fz_write(p, buf, orig_len[i] + 1);
      free(buf);
    }
  return 0;
}

/* The MANIFEST with file `name` given a new size and hash, re-checksummed. */
static int reseal(qx_buf *out, const char *name, const uint8_t *data, size_t len) {
  qx_manifest m;
  memset(&m, 0, sizeof m);
  if (qx_manifest_parse(&m, (const char *)orig[0], orig_len[0], "MANIFEST") != 0) abort();
  for (size_t i = 0; i < m.nfiles; i++)
    if (!strcmp(m.files[i].name, name)) {
      m.files[i].size = len;
      m.files[i].xxh64 = qx_xxh64(data, len);
    }
  int rc = qx_manifest_format(out, &m);
  qx_manifest_free(&m);
  return rc;
}

static void exercise(quarry_index *ix) {
  (void)quarry_index_verify(ix);
  quarry_index_info info;
  FZ_CHECK(quarry_index_stat(&info, ix) == 0);
  for (size_t q = 0; q < sizeof fz_queries / sizeof fz_queries[0]; q++) fz_search_all(ix, fz_queries[q], 10, 0.9, 0.4);
  uint32_t docs[3] = {0, (uint32_t)(info.docs ? info.docs - 1 : 0), (uint32_t)info.docs};
  for (int i = 0; i < 3; i++) {
    quarry_doc_info d;
    if (quarry_index_doc(&d, ix, docs[i]) == 0) {
      char *t = NULL;
      size_t tl;
      if (quarry_index_text(&t, &tl, ix, docs[i], 0, UINT64_MAX) == 0) quarry_free(t);
    }
  }
  uint32_t ps[3] = {0, (uint32_t)(info.passages ? info.passages - 1 : 0), (uint32_t)info.passages};
  for (int i = 0; i < 3; i++) {
    quarry_passage_info p;
    (void)quarry_index_passage(&p, ix, ps[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!nfiles) LLVMFuzzerInitialize(NULL, NULL);
  uint8_t sel = fz_take_byte(&data, &size);
  size_t fi = (sel & 15) % nfiles;
  int seal = (sel & 128) && fi != 0;
  put(fi, data, size);
  if (seal) {
    qx_buf m = {0};
    if (reseal(&m, names[fi], data, size) != 0) abort();
    put(0, m.data, m.len);
    qx_buf_free(&m);
  }
  quarry_index *ix = NULL;
  int rc = quarry_index_open(&ix, work);
  int changed = size != orig_len[fi] || memcmp(data, orig[fi], size) != 0;
  if (rc != 0) {
    FZ_CHECK(rc < 0 && ix == NULL);
    FZ_CHECK(strstr(quarry_error_last(), work) != NULL);
  } else {
    if (!seal && fi != 0 && changed) {
      fprintf(stderr, "undetected change to %s (%zu bytes)\n", names[fi], size);
      FZ_CHECK(!"a changed file under 1 MiB passed quarry_index_open");
    }
    exercise(ix);
    quarry_index_close(ix);
  }
  put(fi, orig[fi], orig_len[fi]);
  if (seal) put(0, orig[0], orig_len[0]);
  return 0;
}
