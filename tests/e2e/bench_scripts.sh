#!/usr/bin/env bash
# The benchmark scripts (bench/peers/*.py, scripts/bench-venv.sh) parse: a
# syntax check only. Peers never run in tests (they need the bench venv).
set -euo pipefail
command -v python3 >/dev/null || exit 77
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
for f in "$SRC"/bench/peers/*.py "$SRC"/bench/gen/*.py; do
  [ -f "$f" ] || continue
  python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f"
done
bash -n "$SRC/scripts/bench-venv.sh"
# The driver's usage works without any peer installed.
python3 "$SRC/bench/peers/run.py" --help > "$t/help"
grep -q -- "--sizes" "$t/help"
echo ok
