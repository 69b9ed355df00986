/*
 * grep_rank.c: `quarry grep --rank` (placeholder until the BM25 ranking lands).
 */
#include "grep_cli.h"
#include "qx_cli.h"

int grep_rank_main(grep_run *r, const grep_rank_opts *ro, char **files, int nfiles, bool recursive);
int grep_rank_main(grep_run *r, const grep_rank_opts *ro, char **files, int nfiles, bool recursive) {
  (void)r, (void)ro, (void)files, (void)nfiles, (void)recursive;
  return cli_fail("grep: --rank is not available yet");
}
