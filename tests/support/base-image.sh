#!/usr/bin/env bash
# Builds localhost/debian:bookworm with debootstrap and imports it into podman, because no image
# can be pulled here. Tests pass it to our Dockerfiles as a build arg; the Dockerfiles' own
# defaults stay the real upstream images. Cached: does nothing when the image exists.
#
#   tests/support/base-image.sh            -> localhost/debian:bookworm (minbase)
#   tests/support/base-image.sh --python   -> also localhost/python:bookworm (python3, venv, pip)
set -euo pipefail
IMAGE=localhost/debian:bookworm
PY_IMAGE=localhost/python:bookworm
# Debian's own mirror as apt is configured on this machine (deb822 sources), else the default.
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(.*debian\)\/\?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
LOCK=${TMPDIR:-/tmp}/sre-base-image.lock

exec 9>"$LOCK"
flock 9   # several test sessions may ask at once; build once

if ! podman image exists "$IMAGE"; then
  root=$(mktemp -d "${TMPDIR:-/tmp}/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
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
