#!/usr/bin/env bash
# Make (or reuse) the checker's virtualenv on the agent and print its python's path on stdout.
#
# Usage: prepare-venv.sh REQUIREMENTS_FILE
#
# The venv lives in ${ROUTE53_CHECK_CACHE:-$HOME/.cache/route53-check}/venv-<sha256 of the
# requirements and the interpreter>, so it survives workspace wipes and a change of pins (or of
# python3) builds a fresh one. Downloaded wheels are kept in ROUTE53_CHECK_WHEELS (default
# <cache>/wheels; point it at a shared or baked-in folder on ephemeral agents) and installed from
# there with --no-index when they are all present, so a new agent does not go to PyPI again.
#
# Concurrency: two builds on one agent (two executors, two jobs) take an exclusive flock on
# <cache>/.lock; the second waits, then finds the first one's venv. The venv is built in a
# temporary folder beside its final path and renamed into place only when complete, so a killed
# build never leaves a half venv that a later build would use.
# Progress goes to stderr; stdout carries only the path. Exit 2 on bad usage, 1 on failure.
set -euo pipefail

if [[ $# -ne 1 || ! -f ${1:-} ]]; then
  echo "usage: prepare-venv.sh REQUIREMENTS_FILE (an existing pip requirements file)" >&2
  exit 2
fi
requirements=$1
python=${PYTHON:-python3}
cache=${ROUTE53_CHECK_CACHE:-${HOME}/.cache/route53-check}
wheels=${ROUTE53_CHECK_WHEELS:-$cache/wheels}
lock_timeout=${ROUTE53_CHECK_LOCK_TIMEOUT:-300}

if ! command -v "$python" >/dev/null 2>&1; then
  echo "prepare-venv.sh: $python not found on this agent" >&2
  exit 1
fi
interpreter=$("$python" -c 'import sys; print(sys.implementation.name, *sys.version_info[:3])')
key=$({ sha256sum <"$requirements"; echo "$interpreter"; } | sha256sum | cut -c1-16)
venv="$cache/venv-$key"

mkdir -p "$cache" "$wheels"
exec 9>"$cache/.lock"
if ! flock -w "$lock_timeout" 9; then
  echo "prepare-venv.sh: another build held $cache/.lock for ${lock_timeout}s" >&2
  exit 1
fi

if [[ -x "$venv/bin/python" && -f "$venv/.complete" ]]; then
  echo "reusing $venv" >&2
else
  echo "building $venv from $requirements ($interpreter)" >&2
  tmp=$(mktemp -d "$cache/.venv-$key.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m venv "$tmp"
  pip=("$tmp/bin/python" -m pip --disable-pip-version-check --no-input --quiet)
  # Hash-checked wheels from the cache when they are all there; otherwise fill the cache first.
  if ! "${pip[@]}" install --no-index --find-links "$wheels" --requirement "$requirements" >&2 2>/dev/null; then
    echo "wheel cache $wheels incomplete: downloading into it" >&2
    "${pip[@]}" download --dest "$wheels" --requirement "$requirements" >&2
    "${pip[@]}" install --no-index --find-links "$wheels" --requirement "$requirements" >&2
  fi
  touch "$tmp/.complete"
  # The lock makes check-and-rename one step: nobody else can be using an old $venv here.
  rm -rf "$venv"
  mv -T "$tmp" "$venv"
  trap - EXIT
fi
echo "$venv/bin/python"
