# Sourced by the other scripts: make .venv (Python >= 3.11) and install the project into it.
# Usage: . scripts/venv.sh [extra]   (extra: "test" installs the test tools too)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON_BIN="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON_BIN" ] || { echo "error: Python 3.11 or newer is needed" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON_BIN" -m venv .venv
spec="."
[ "${1:-}" = "test" ] && spec=".[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
