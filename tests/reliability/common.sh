# common.sh: sourced by the reliability tests (tests/reliability/*.sh, run
# through their wrappers in tests/e2e/rel_*.sh with QUARRY, SRC, BUILD set).
set -euo pipefail
: "${QUARRY:?QUARRY must name the built quarry binary}" "${SRC:?}" "${BUILD:?}"

# 1 if this build tree is the ASan/UBSan one (some checks run in one build only).
rel_sanitized() { grep -q '^QUARRY_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; }

rel_skip() { echo "SKIP: $*"; exit 77; }
rel_fail() { echo "FAIL: $*" >&2; exit 1; }
