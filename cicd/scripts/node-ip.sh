#!/usr/bin/env bash
# Print the worker node's primary IP address: the source address of its default route, else the
# first address `hostname -I` lists, else what the node's own name resolves to, else "unknown".
# Runs on the Jenkins agent; `ip route get` sends no packet.
#
# Every probe is allowed to fail (IPv6-only agents have no IPv4 route, containers may lack `ip`
# or `hostname -I`): under `set -euo pipefail` a failing command substitution would end the
# script, so each one is wrapped in a function whose failure is caught with `|| true`.
set -euo pipefail

from_route() {
  local family=$1 probe=$2
  ip "-$family" route get "$probe" 2>/dev/null |
    awk '{for (i = 1; i < NF; i++) if ($i == "src") {print $(i + 1); exit}}'
}

from_hostname() {
  hostname -I 2>/dev/null | awk '{print $1}'
}

from_resolver() {
  local name
  name=$(hostname 2>/dev/null) || return 1
  getent ahosts "$name" 2>/dev/null | awk '$1 !~ /^127\./ && $1 != "::1" {print $1; exit}'
}

ip_addr=""
# Documentation-range targets (RFC 5737 / RFC 3849): only the routing table is consulted.
for probe in "from_route 4 192.0.2.1" "from_route 6 2001:db8::1" from_hostname from_resolver; do
  ip_addr=$($probe) || true
  if [[ -n "$ip_addr" ]]; then
    break
  fi
done
echo "${ip_addr:-unknown}"
