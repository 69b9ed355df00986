#!/usr/bin/env bash
# index-compare.sh: indexing only, quarry and Tantivy side by side on the
# bench corpus (bench/README.md), alternating runs, each under /usr/bin/time:
# CPU seconds (user + sys, all threads), wall seconds, peak RSS, index bytes,
# postings bytes per posting (quarry `postings`, Tantivy's `.idx` files) and
# the size of every index file. `make bench` measures indexing too, but with
# the searches; this is the quick loop for the indexing side.
#
#   bench/peers/index-compare.sh [--size N] [--runs R] [--quarry BIN] [--memory MB] [--threads T]
#
# The corpus must exist (make bench, or build/bench/corpusgen -n N --jsonl
# -o ~/.cache/quarry/bench/data/nN); Tantivy comes from scripts/bench-venv.sh.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
size=1000000 runs=1 quarry=$SRC/build/quarry memory="" threads=2
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --quarry) quarry=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: $0 [--size N] [--runs R] [--quarry BIN] [--memory MB] [--threads T]" >&2; exit 2 ;;
  esac
done
cache=${QUARRY_CACHE:-$HOME/.cache/quarry}
data=$cache/bench/data/n$size
work=$cache/bench/index-compare/n$size
[ -f "$data/corpus.jsonl" ] && [ -f "$data/stats.json" ] || { echo "$0: no corpus in $data (run make bench or corpusgen --jsonl)" >&2; exit 2; }
py=$(bash "$SRC/scripts/bench-venv.sh")
postings=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['postings'])" "$data/stats.json")
mb=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['text_bytes'] / 1e6)" "$data/stats.json")
mkdir -p "$work"
qargs=(index -q --lang none --passage-tokens 1024 --passage-overlap 0 --no-vectors --threads "$threads")
[ -n "$memory" ] && qargs+=(--memory "$memory")

measure() { # name, index dir, command...: one line "name cpu wall rss_kb bytes postings_bytes"
  local name=$1 dir=$2; shift 2
  rm -rf "$dir"
  nice -n 5 /usr/bin/time -f "%U %S %e %M" -o "$work/time" "$@" > "$work/$name.out" 2> "$work/$name.err" ||
    { echo "$0: $name failed, see $work/$name.err" >&2; exit 1; }
  read -r u s e m < <(tail -1 "$work/time")
  local bytes post
  bytes=$(du -sb "$dir" | cut -f1)
  if [ "$name" = quarry ]; then post=$(stat -c %s "$dir"/s000001/postings); else post=$(cat "$dir"/*.idx | wc -c); fi
  echo "$name $(echo "$u + $s" | bc) $e $m $bytes $post"
  (cd "$dir" && find . -type f ! -name '.*' -printf '%s %p\n' | sort -k2) > "$work/$name.files"
}

echo "| run | engine | CPU s | MB/s (CPU) | wall s | peak RSS MB | index MB | postings B/posting |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for r in $(seq 1 "$runs"); do
  for eng in quarry tantivy; do
    if [ $eng = quarry ]; then
      line=$(measure quarry "$work/quarry" "$quarry" "${qargs[@]}" -o "$work/quarry" --format beir "$data/corpus.jsonl")
    else
      line=$(cd "$SRC/bench/peers" && measure tantivy "$work/tantivy" "$py" peer_tantivy.py index "$data/corpus.tsv" "$work/tantivy" --threads "$threads")
    fi
    read -r n cpu wall rss bytes post <<< "$line"
    printf "| %s | %s | %.1f | %.1f | %.0f | %.0f | %.1f | %.3f |\n" "$r" "$n" "$cpu" "$(echo "$mb / $cpu" | bc -l)" \
      "$wall" "$(echo "$rss / 1024" | bc -l)" "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$post / $postings" | bc -l)"
  done
done
echo
echo "Files (bytes) of the last run: quarry"
sed 's/^/    /' "$work/quarry.files"
echo "Tantivy"
sed 's/^/    /' "$work/tantivy.files"
rm -rf "$work/quarry" "$work/tantivy"
