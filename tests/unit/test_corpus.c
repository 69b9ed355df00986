/* test_corpus.c: test-collection readers (BEIR jsonl, SMART, TREC, plain files)
 * on the small fixtures in tests/data/corpus, and malformed input. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qx_common.h"
#include "qx_corpus.h"
#include "qx_test.h"

/* Read every record of one path into "id|title|text\n" lines. */
static int dump(char **out, qx_corpus_format fmt, const char *path) {
  const char *paths[1] = {path};
  qx_corpus *c;
  int rc = qx_corpus_open(&c, fmt, paths, 1);
  if (rc) return rc;
  qx_buf b = {0};
  qx_corpus_rec r;
  while ((rc = qx_corpus_next(c, &r)) == 1) {
    CHECK(strlen(r.title) == r.title_len && strlen(r.text) == r.text_len);
    qx_buf_printf(&b, "%s|%s|%s\n", r.id, r.title, r.text);
  }
  qx_corpus_free(c);
  qx_buf_putc(&b, 0);
  *out = (char *)b.data;
  if (rc < 0) {
    free(b.data);
    *out = NULL;
  }
  return rc;
}

static void write_file(const char *path, const char *s) {
  FILE *f = fopen(path, "w");
  fputs(s, f);
  fclose(f);
}

int main(void) {
  char *s;
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, "tests/data/corpus/mini.jsonl"), 0);
  CHECK_EQ_STR(s,
               "4983|Microstructural development of white matter|Alterations of the architecture of cerebral "
               "white matter.\n17||An integer id and no title.\nx-3|Unicode \xc3\xa9t\xc3\xa9|\n");
  free(s);

  CHECK_EQ_INT(dump(&s, QX_CORPUS_SMART, "tests/data/corpus/mini.smart"), 0);
  CHECK_EQ_STR(s, "1|experimental investigation of the aerodynamics of a\nwing in a slipstream .|"
                  "experimental investigation of the aerodynamics of a\nwing in a slipstream .\n"
                  "an experimental study of a wing.\n"
                  "2|Use Made of Technical Libraries|This report is an analysis of 6300 acts of use\n"
                  "3||.5 percent of text, not a field\n");
  free(s);

  CHECK_EQ_INT(dump(&s, QX_CORPUS_TREC, "tests/data/corpus/mini.trec"), 0);
  CHECK(s && strstr(s, "FT911-3|FT  14 MAY 91 / International Company News: Contigas plans|") == s);
  CHECK(s && strstr(s, "plans  DM900m  of investment.") != NULL);
  CHECK(s && strstr(s, "\nSecond part.\n") != NULL);
  CHECK(s && strstr(s, "PROFILE") == NULL && strstr(s, "_AN-BEOA7AAIFT") == NULL);
  CHECK(s && strstr(s, "LA010189-0001|No text element|") != NULL);
  CHECK(s && strstr(s, "body words  bold  here") != NULL && strstr(s, "No text element\n") == NULL);
  free(s);

  CHECK_EQ_INT(dump(&s, QX_CORPUS_FILES, "tests/data/corpus/files"), 0);
  CHECK_EQ_STR(s, "tests/data/corpus/files/a.txt||alpha\n\ntests/data/corpus/files/b.txt||hello world\n\n"
                  "tests/data/corpus/files/sub/c.txt||nested\n\n");
  free(s);

  /* formats by name */
  qx_corpus_format f;
  CHECK_EQ_INT(qx_corpus_format_parse(&f, "smart"), 0);
  CHECK_EQ_INT(f, QX_CORPUS_SMART);
  CHECK_EQ_INT(qx_corpus_format_parse(&f, "xml"), QUARRY_EINVAL);
  CHECK_EQ_STR(qx_corpus_format_name(QX_CORPUS_BEIR), "beir");

  /* malformed input: clear errors with file and line, never a crash */
  char tmp[] = "/tmp/qx_corpus_XXXXXX";
  int fd = mkstemp(tmp);
  CHECK(fd >= 0);
  close(fd);
  write_file(tmp, "{\"_id\": \"1\", \"text\": \"ok\"}\n{\"_id\": \"2\", \"text\": \n");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, tmp), QUARRY_EINVAL);
  CHECK(strstr(quarry_error_last(), ":2: bad JSON") != NULL);
  write_file(tmp, "{\"title\": \"no id\"}\n");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, tmp), QUARRY_EINVAL);
  write_file(tmp, "{\"_id\": \"1\", \"text\": 5}\n");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, tmp), QUARRY_EINVAL);
  write_file(tmp, "[1, 2]\n");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, tmp), QUARRY_EINVAL);
  write_file(tmp, "junk before\n.I 1\n.W\ntext\n");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_SMART, tmp), QUARRY_EINVAL);
  CHECK(strstr(quarry_error_last(), ":1: expected a SMART record") != NULL);
  write_file(tmp, ".I\n.W\ntext\n");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_SMART, tmp), QUARRY_EINVAL);
  write_file(tmp, "<DOC><DOCNO>a</DOCNO>no end");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_TREC, tmp), QUARRY_EINVAL);
  write_file(tmp, "<DOC>no docno</DOC>");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_TREC, tmp), QUARRY_EINVAL);
  write_file(tmp, "<DOC><DOCNO> </DOCNO></DOC>");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_TREC, tmp), QUARRY_EINVAL);
  write_file(tmp, "stray");
  CHECK_EQ_INT(dump(&s, QX_CORPUS_TREC, tmp), QUARRY_EINVAL);
  write_file(tmp, ""); /* empty files are empty collections */
  CHECK_EQ_INT(dump(&s, QX_CORPUS_TREC, tmp), 0);
  CHECK_EQ_STR(s, "");
  free(s);
  CHECK_EQ_INT(dump(&s, QX_CORPUS_SMART, tmp), 0);
  free(s);
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, tmp), 0);
  free(s);
  unlink(tmp);
  CHECK_EQ_INT(dump(&s, QX_CORPUS_BEIR, "/nonexistent/corpus.jsonl"), QUARRY_ENOTFOUND);
  return qx_test_result();
}
