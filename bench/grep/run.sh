#!/usr/bin/env bash
# bench/grep/run.sh: throughput of `quarry grep` against GNU grep and ripgrep
# on the same seeded text file, side by side in one run, plus `--rank` time.
#
#   bench/grep/run.sh [--build DIR] [--size MB] [--rank-size MB] [--runs N] [--out FILE]
#
# The text is bench/gen/corpusgen's synthetic corpus (seed 42, one passage
# per line, about 470 bytes a line), cut to SIZE MB at a line end and kept in
# ~/.cache/quarry/bench-grep/. Each command runs RUNS times after one warm-up
# (the file stays in the page cache); the table gives median wall seconds,
# median CPU seconds (user+sys, to the millisecond: steadier than wall time
# on a shared machine)
# and MB/s, and quarry's ratios (>1 means quarry is faster). Every tool runs
# with LC_ALL=C.UTF-8; GNU grep is also timed with LC_ALL=C (its fastest mode).
# Outputs go to a file (GNU grep behaves like -q when stdout is /dev/null).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build SIZE=1024 RANK_SIZE=100 RUNS=3 OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --rank-size) RANK_SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--size MB] [--rank-size MB] [--runs N] [--out FILE]" >&2; exit 2 ;;
  esac
done
bash "$SRC/bench/grep/install-peers.sh"
Q=$BUILD/quarry GEN=$BUILD/bench/corpusgen
[ -x "$Q" ] && [ -x "$GEN" ] || { echo "build first (cmake --build $BUILD)" >&2; exit 2; }
CACHE=${QUARRY_CACHE:-$HOME/.cache/quarry}/bench-grep
mkdir -p "$CACHE"
export LC_ALL=C.UTF-8

make_text() { # make_text MB -> path
  local mb=$1 f=$CACHE/text-$1mb.txt
  if [ ! -s "$f" ]; then
    local n=$(( mb * 1024 * 1024 / 440 + 1000 )) tmp
    tmp=$(mktemp -d "$CACHE/gen.XXXXXX")
    "$GEN" -n "$n" -q 10 --seed 42 -o "$tmp" >/dev/null
    head -c $(( mb * 1024 * 1024 )) "$tmp/corpus.tsv" | sed '$d' > "$f.part" # drop the cut line
    mv "$f.part" "$f"
    rm -rf "$tmp"
  fi
  echo "$f"
}
TEXT=$(make_text "$SIZE")
BYTES=$(stat -c %s "$TEXT")
cat "$TEXT" > /dev/null # page cache

tmpo=$(mktemp)
trap 'rm -f "$tmpo" "$tmpo.grep"' EXIT
# measure LABEL CMD... -> "wall cpu" medians
measure() {
  local walls=() cpus=() i t w u s
  "$@" > "$tmpo" 2>/dev/null || true
  for ((i = 0; i < RUNS; i++)); do
    # bash's `time`: milliseconds (GNU time prints CPU seconds to 10 ms,
    # as large as the differences measured here)
    t=$( { TIMEFORMAT='%3R %3U %3S'; time "$@" > "$tmpo" 2>/dev/null; } 2>&1 ) || true
    read -r w u s <<< "$t"
    walls+=("$w"); cpus+=("$(echo "$u + $s" | bc)")
  done
  local mw mc
  mw=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  mc=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  echo "$mw $mc"
}
mbs() { echo "scale=0; $BYTES / 1048576 / ($1 + 0.0001)" | bc; }
ratio() { echo "scale=2; $1 / ($2 + 0.0001)" | bc; }

# name ; grep/quarry args ; ripgrep args (same meaning), shell words
CASES=(
  "literal, rare word;-c gronmiquie;-c gronmiquie"
  "literal, printing lines;-n gronmiquie;-n gronmiquie"
  "literal -i;-c -i gronmiquie;-c -i gronmiquie"
  "literal -w, common word;-c -w pie;-c -w pie"
  "regex with literal;-c -E '[A-Z][a-z]+ [a-z]*quie\\b';-c '[A-Z][a-z]+ [a-z]*quie\\b'"
  "regex, alternation;-c -E '(gronmi|plody)quie';-c '(gronmi|plody)quie'"
  "regex, no literal;-c -E '[0-9]{7}';-c '[0-9]{7}'"
  "regex, rare class;-c -E '[QXZ][a-z]+ [0-9]';-c '[QXZ][a-z]+ [0-9]'"
  "regex, suffix;-c -E '[a-z]+ing\\b';-c '[a-z]+ing\\b'"
  "regex, e-mail;-c -E '\\w+@\\w+\\.com';-c '\\w+@\\w+\\.com'"
  "regex, line start;-c -E '^[0-9]{4}-';-c '^[0-9]{4}-'"
  "invert count;-c -v e;-c -v e"
)
report() { if [ -n "$OUT" ]; then echo "$*" >> "$OUT"; fi; echo "$*"; }
[ -n "$OUT" ] && : > "$OUT"
report "## quarry grep vs GNU grep $(grep --version | head -1 | awk '{print $NF}') and ripgrep $(rg --version | head -1 | awk '{print $2}')"
report ""
report "$(( BYTES / 1048576 )) MB synthetic text (corpusgen seed 42), $(nproc) cores, median of $RUNS runs, $(date -u +%Y-%m-%d)."
report "Seconds are wall / CPU (user+sys); MB/s from wall time; ratios from CPU time (>1: quarry faster)."
report ""
report "| case | GNU grep (C.UTF-8) | GNU grep (C) | ripgrep | quarry | quarry MB/s | vs grep | vs ripgrep | same output as grep |"
report "|---|---|---|---|---|---|---|---|---|"
for c in "${CASES[@]}"; do
  IFS=';' read -r name gargs rargs <<< "$c"
  eval "ga=($gargs)"; eval "ra=($rargs)"
  read -r gw gc <<< "$(measure grep "${ga[@]}" "$TEXT")"
  cp "$tmpo" "$tmpo.grep"
  read -r cw cc <<< "$(LC_ALL=C measure grep "${ga[@]}" "$TEXT")"
  read -r rw rc <<< "$(measure rg --no-config "${ra[@]}" "$TEXT")"
  read -r qw qc <<< "$(measure "$Q" grep "${ga[@]}" "$TEXT")"
  same=no; cmp -s "$tmpo" "$tmpo.grep" && same=yes
  report "| $name | $gw / $gc | $cw / $cc | $rw / $rc | $qw / $qc | $(mbs "$qw") | $(ratio "$gc" "$qc") | $(ratio "$rc" "$qc") | $same |"
done

RTEXT=$(make_text "$RANK_SIZE")
report ""
read -r kw kc <<< "$(measure "$Q" grep --rank --top 10 "plody gronmiquie pie" "$RTEXT")"
report "quarry grep --rank --top 10 over $(( $(stat -c %s "$RTEXT") / 1048576 )) MB (lines): $kw s wall, $kc s CPU."
read -r kw kc <<< "$(measure "$Q" grep --rank --unit paragraph --top 10 "plody gronmiquie pie" "$RTEXT")"
report "quarry grep --rank --unit paragraph --top 10 over the same: $kw s wall, $kc s CPU."
