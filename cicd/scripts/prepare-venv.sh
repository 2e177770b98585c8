#!/usr/bin/env bash
# Make (or reuse) the checker's virtualenv on the agent and print its python's path on stdout.
#
# Usage: prepare-venv.sh REQUIREMENTS_FILE
# The venv lives in ${ROUTE53_CHECK_CACHE:-$HOME/.cache/route53-check}/venv-<sha256 of the
# requirements>, so it survives workspace wipes and a change of pins builds a fresh one.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

requirements=${1:?usage: prepare-venv.sh REQUIREMENTS_FILE}
python=${PYTHON:-python3}
cache=${ROUTE53_CHECK_CACHE:-${HOME}/.cache/route53-check}

key=$(sha256sum "$requirements" | cut -c1-16)
venv="$cache/venv-$key"

if [[ -x "$venv/bin/python" && -f "$venv/.complete" ]]; then
  echo "reusing $venv" >&2
else
  echo "building $venv from $requirements" >&2
  mkdir -p "$cache"
  # Build beside the final path and rename, so a killed build never leaves a half venv in use.
  tmp=$(mktemp -d "$cache/.venv-$key.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m venv "$tmp"
  "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --requirement "$requirements" >&2
  touch "$tmp/.complete"
  rm -rf "$venv"
  mv "$tmp" "$venv"
  trap - EXIT
fi
echo "$venv/bin/python"
