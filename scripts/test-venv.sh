#!/usr/bin/env bash
# Create (once) the Python venv used by reference tests only: quarry itself
# never needs Python. The venv lives in $QUARRY_CACHE/venv-<hash of the two
# package lists>, so worktrees with different lists never rebuild each
# other's venv under a running test; a new list makes a new venv. It is made from Debian's
# /usr/bin/python3 with --system-site-packages so Debian's python3-* packages
# (listed in tests/debian-packages.txt) are visible inside it.
# Prints the venv's python path on success; exits non-zero if it cannot be made
# (reference tests then report themselves as skipped).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${QUARRY_CACHE:-$HOME/.cache/quarry}
req=$here/tests/requirements.txt
deb=$here/tests/debian-packages.txt
stamp=$(cat "$req" "$deb" 2>/dev/null | sha256sum | cut -c1-16)
VENV=$CACHE/venv-$stamp
mkdir -p "$CACHE"
exec 9>"$CACHE/venv.lock"; flock 9
if [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$stamp" ]; then echo "$VENV/bin/python"; exit 0; fi
if [ -f "$deb" ]; then
  missing=()
  for p in $(grep -v '^#' "$deb"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi
rm -rf "$VENV"
/usr/bin/python3 -m venv --system-site-packages "$VENV" >&2
"$VENV/bin/python" -m pip install -q --upgrade pip >&2
[ -s "$req" ] && "$VENV/bin/python" -m pip install -q -r "$req" >&2
echo "$stamp" > "$VENV/.stamp"
echo "$VENV/bin/python"
