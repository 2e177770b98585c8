#!/usr/bin/env bash
# Print the worker node's primary IPv4 address (the source address of its default route).
# Runs on the Jenkins agent; no packet is sent by `ip route get`.
set -euo pipefail

ip_addr=""
if command -v ip >/dev/null 2>&1; then
  ip_addr=$(ip -4 route get 192.0.2.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") {print $(i + 1); exit}}')
fi
if [[ -z "$ip_addr" ]] && command -v hostname >/dev/null 2>&1; then
  ip_addr=$(hostname -I 2>/dev/null | awk '{print $1}') || true
fi
if [[ -z "$ip_addr" ]]; then
  ip_addr=$(getent ahostsv4 "$(hostname)" 2>/dev/null | awk 'NR == 1 {print $1}') || true
fi
echo "${ip_addr:-unknown}"
