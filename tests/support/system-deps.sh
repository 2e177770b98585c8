#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real, and configures podman the way it
# works on our machines (runc, cgroupfs, no default ulimits). Idempotent; needs root (CI is root).
set -euo pipefail

# What this script installed (one package a line); read by tests/support/rehearse-fresh.sh.
STATE=${SRE_STATE_DIR:-/var/lib/sre-monorepo}/system-deps.installed

PACKAGES=(
  podman runc uidmap slirp4netns fuse-overlayfs debootstrap   # container engine + base images
  catatonit                     # podman's init binary for compose `init: true` (only a Recommends)
  golang-github-containernetworking-plugin-dnsname  # podman (CNI) container DNS: service names
  docker.io                     # real Docker Engine (dockerd 20.10) the docker suites also run on
  wrk                                                         # HTTP load generator (bench)
  nginx                                                       # TLS sidecar tests + bench (docker/tls-sidecar)
  prometheus prometheus-alertmanager                          # promtool, amtool
  prometheus-postgres-exporter prometheus-blackbox-exporter   # monitoring: rules vs real exporters
  graphviz                                                    # architecture diagrams
  awscli jq                                                   # shell baseline in the audit bench
  maven                                                       # JenkinsPipelineUnit tests
  e2fsprogs util-linux                                        # mkfs.ext4, losetup for Ansible
)

if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[system-deps] installing: ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "[system-deps] need root to apt-get install; run: sudo $0" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
  # Remember what this script installed, so `make rehearse-fresh` can remove exactly that.
  mkdir -p "$(dirname "$STATE")"
  printf '%s\n' "${missing[@]}" >> "$STATE"
fi

conf=/etc/containers/containers.conf
if [[ $(id -u) -eq 0 ]] && ! grep -q '^runtime = "runc"' "$conf" 2>/dev/null; then
  mkdir -p /etc/containers
  cat > "$conf" <<'CONF'
# Written by tests/support/system-deps.sh: crun fails here on hybrid cgroups, and runc fails on
# the default rlimits, so use runc with cgroupfs and no default ulimits.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  echo "[system-deps] wrote $conf" >&2
fi
echo "[system-deps] ok" >&2
