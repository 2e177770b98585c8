#!/usr/bin/env bash
# Prints the path of a CPython 3.8 interpreter, for the second test pass of the code that ships to
# Python 3.8. Looks, in order, at $PYTHON38, pyenv's standard layout ($PYENV_ROOT or ~/.pyenv,
# newest 3.8.x first), then `python3.8` on PATH, so a laptop with its own 3.8 works too.
# Exit 3 with a one-line reason when there is none.
set -euo pipefail

check() { [[ -x $1 ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 8))' 2>/dev/null; }

if [[ -n ${PYTHON38:-} ]]; then
  check "$PYTHON38" && { echo "$PYTHON38"; exit 0; }
  echo "python38: PYTHON38=$PYTHON38 is not a Python 3.8 interpreter" >&2
  exit 3
fi
root=${PYENV_ROOT:-$HOME/.pyenv}
for candidate in $(ls -d "$root"/versions/3.8.* 2>/dev/null | sort -V -r); do
  check "$candidate/bin/python3.8" && { echo "$candidate/bin/python3.8"; exit 0; }
done
if command -v python3.8 >/dev/null && check "$(command -v python3.8)"; then
  command -v python3.8
  exit 0
fi
echo "python38: no CPython 3.8 found (set PYTHON38, or install 3.8 with pyenv)" >&2
exit 3
