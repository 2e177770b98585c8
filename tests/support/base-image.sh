#!/usr/bin/env bash
# Builds localhost/debian:bookworm with debootstrap and imports it into podman, because no image
# can be pulled here. Tests pass it to our Dockerfiles as a build arg; the Dockerfiles' own
# defaults stay the real upstream images. Cached: does nothing when the image exists.
#
#   tests/support/base-image.sh            -> localhost/debian:bookworm (minbase)
#   tests/support/base-image.sh --python   -> also localhost/python:bookworm (python3, venv, pip)
#   tests/support/base-image.sh --python38 -> also localhost/python:3.8.18-bookworm: the machine's
#       real CPython 3.8.18 (pyenv, or $PYTHON38_PREFIX) copied to /usr/local on the Debian base,
#       laid out like the official python:3.8-slim images (python3, pip, venv in /usr/local)
#   tests/support/base-image.sh --node     -> also localhost/node:bookworm: the machine's Node
#       (node >= 20 and npm) copied to /usr/local, laid out like node:20-bookworm-slim
set -euo pipefail
IMAGE=localhost/debian:bookworm
PY_IMAGE=localhost/python:bookworm
# Debian's own mirror as apt is configured on this machine (deb822 sources), else the default.
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(.*debian\)\/\?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
LOCK=${TMPDIR:-/tmp}/sre-base-image.lock

root='' ctx=''
trap 'rm -rf "$root" "$ctx"' EXIT
exec 9>"$LOCK"
flock 9   # several test sessions may ask at once; build once

if ! podman image exists "$IMAGE"; then
  root=$(mktemp -d "${TMPDIR:-/tmp}/rootfs.XXXXXX")
  echo "[base-image] debootstrap bookworm from $MIRROR (about a minute)" >&2
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >/dev/null
  # The image must keep using the same reachable mirror.
  echo "deb $MIRROR bookworm main" > "$root/etc/apt/sources.list"
  tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
  echo "[base-image] imported $IMAGE" >&2
fi

if [[ ${1:-} == --python ]] && ! podman image exists "$PY_IMAGE"; then
  echo "[base-image] building $PY_IMAGE" >&2
  podman build -q --format docker -t "$PY_IMAGE" - >/dev/null <<DOCKERFILE
FROM $IMAGE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip ca-certificates && rm -rf /var/lib/apt/lists/*
DOCKERFILE
  echo "[base-image] built $PY_IMAGE" >&2
fi

PY38_IMAGE=localhost/python:3.8.18-bookworm
if [[ ${1:-} == --python38 ]] && ! podman image exists "$PY38_IMAGE"; then
  prefix=${PYTHON38_PREFIX:-${PYENV_ROOT:-$HOME/.pyenv}/versions/3.8.18}
  if [[ ! -x $prefix/bin/python3.8 ]]; then
    echo "[base-image] no CPython 3.8.18 at $prefix (set PYTHON38_PREFIX or pyenv install 3.8.18)" >&2
    exit 3
  fi
  echo "[base-image] building $PY38_IMAGE from $prefix" >&2
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/py38ctx.XXXXXX")
  # The interpreter tree without its test suite and without site hooks this machine added
  # (*.pth other than setuptools' own): the image must hold what a python:3.8 image holds.
  tar -C "$prefix" --exclude='./lib/python3.8/test' --exclude='__pycache__' \
      --exclude='./lib/python3.8/site-packages/_*.pth' -cf "$ctx/python.tar" .
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $IMAGE
# The shared libraries pyenv's build links against (ssl, sqlite3, ffi/ctypes, lzma, bz2, zlib,
# readline, gdbm, uuid), as Debian's runtime packages.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates libssl3 libsqlite3-0 libffi8 liblzma5 libbz2-1.0 zlib1g libreadline8 libncursesw6 libgdbm6 libuuid1 && rm -rf /var/lib/apt/lists/*
ADD python.tar /usr/local/
# libpython3.8.so's RUNPATH points at the pyenv prefix; /usr/local/lib via ld.so.cache instead.
RUN ldconfig && /usr/local/bin/python3 -c 'import ssl, ctypes, sqlite3, lzma, bz2, zlib, venv, sys; assert sys.version_info[:3] == (3, 8, 18), sys.version'
ENV LANG=C.UTF-8
CMD ["python3"]
DOCKERFILE
  podman build -q --format docker -t "$PY38_IMAGE" "$ctx" >/dev/null
  echo "[base-image] built $PY38_IMAGE" >&2
fi

NODE_IMAGE=localhost/node:bookworm
if [[ ${1:-} == --node ]] && ! podman image exists "$NODE_IMAGE"; then
  node_bin=$(command -v node || true)
  npm_dir=$(dirname "$(readlink -f "$(command -v npm || echo /nonexistent)")")/..
  if [[ -z $node_bin || ! -f $npm_dir/package.json ]]; then
    echo "[base-image] need node (>= 20) and npm on this machine for $NODE_IMAGE" >&2
    exit 3
  fi
  echo "[base-image] building $NODE_IMAGE from $node_bin" >&2
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/nodectx.XXXXXX")
  mkdir -p "$ctx/node/bin" "$ctx/node/lib/node_modules"
  cp "$(readlink -f "$node_bin")" "$ctx/node/bin/node"
  cp -a "$(readlink -f "$npm_dir")" "$ctx/node/lib/node_modules/npm"
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $IMAGE
# libstdc++ is what the node binary links against beyond libc; as in node:*-bookworm-slim, npm
# lives in /usr/local/lib/node_modules with links in /usr/local/bin.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates libstdc++6 && rm -rf /var/lib/apt/lists/*
COPY node /usr/local/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
CMD ["node"]
DOCKERFILE
  podman build -q --format docker -t "$NODE_IMAGE" "$ctx" >/dev/null
  echo "[base-image] built $NODE_IMAGE" >&2
fi
