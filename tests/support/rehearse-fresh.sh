#!/usr/bin/env bash
# Rehearses CI on a fresh machine without one: removes exactly what this repo's own install steps
# added to this machine, then runs .ci/run from a fresh clone of HEAD, which must install it all
# again. Removed: the Debian packages tests/support/system-deps.sh installed (it records them in
# its state file) plus the dependencies that only they pulled in, the podman configuration it wrote,
# the podman images the tests built (all `localhost/...`: nothing can be pulled here), and the tool
# builds in ~/.cache/sre-monorepo. Download and build caches (uv, Go modules and build cache, Maven,
# npm, apt archives) are kept: a fresh
# machine fetches them from the registries, which only costs time.
#
#   tests/support/rehearse-fresh.sh            remove, then clone and run .ci/run (needs root)
#   tests/support/rehearse-fresh.sh --dry-run  print what would be removed; change nothing
set -euo pipefail

dry_run=0
case ${1:-} in
  --dry-run) dry_run=1 ;;
  "") ;;
  -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "rehearse-fresh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

STATE=${SRE_STATE_DIR:-/var/lib/sre-monorepo}/system-deps.installed
CONF=${SRE_CONTAINERS_CONF:-/etc/containers/containers.conf}
TOOLS=${SRE_TOOLS_CACHE:-$HOME/.cache/sre-monorepo}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)

run() { if ((dry_run)); then echo "would run: $*"; else "$@"; fi; }
say() { echo "[rehearse-fresh] $*" >&2; }

if ((!dry_run)) && [[ $(id -u) -ne 0 ]]; then
  say "needs root (it removes Debian packages); try --dry-run"
  exit 2
fi

# 1. Images the tests built, while podman is still there to remove them.
if command -v podman >/dev/null; then
  mapfile -t images < <(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep '^localhost/' || true)
  if ((${#images[@]})); then
    say "podman images: ${images[*]}"
    run podman rm -af
    run podman rmi -f "${images[@]}"
  fi
fi

# 2. Debian packages this repo installed, and what only they pulled in: those system-deps.sh
# recorded, plus those it names that apt installed since this machine booted (by hand, or before
# it kept a record). A package the machine image already had is neither.
installed_since_boot() {
  local btime
  btime=$(awk '/^btime/ {print $2}' /proc/stat)
  zcat -f /var/log/apt/history.log* 2>/dev/null | awk -v since="$(date -d "@$((btime + 150))" '+%F %T')" '
    /^Start-Date:/ {when = $2 " " $3}
    /^Install:/ && when > since {
      n = split(substr($0, 10), parts, /\), /)
      for (i = 1; i <= n; i++) { split(parts[i], f, ":"); gsub(/ /, "", f[1]); print f[1] }
    }'
}
packages=()
while read -r p; do
  [[ -n $p ]] && dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    && packages+=("$p")
done < <({
  [[ -f $STATE ]] && cat "$STATE"
  comm -12 <(bash "$repo/tests/support/system-deps.sh" --list | sort -u) <(installed_since_boot | sort -u)
} | sort -u)
if ((${#packages[@]})); then
  say "packages: ${packages[*]}"
  orphans_before=$(apt-get -s autoremove 2>/dev/null | awk '/^Remv/ {print $2}' | sort)
  if ((dry_run)); then
    echo "would purge: ${packages[*]} (and the dependencies only they needed)"
  else
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null
    # Only the packages that became orphans now: anything orphaned before is not ours to remove.
    mapfile -t orphans < <(comm -13 <(echo "$orphans_before") \
      <(apt-get -s autoremove 2>/dev/null | awk '/^Remv/ {print $2}' | sort) | grep . || true)
    if ((${#orphans[@]})); then
      say "their dependencies: ${orphans[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${orphans[@]}" >/dev/null
    fi
  fi
fi
[[ -f $STATE ]] && run rm -f "$STATE"

# 3. The podman configuration system-deps.sh wrote (it marks its own file).
if grep -q 'Written by tests/support/system-deps.sh' "$CONF" 2>/dev/null; then
  run rm -f "$CONF"
fi

# 4. Tool builds (OpenTofu, tflint, provider mirror, ...).
[[ -d $TOOLS ]] && run rm -rf "$TOOLS"

if ((dry_run)); then
  exit 0
fi

# 5. CI as it runs: a fresh clone of HEAD, CI=true, no standard input.
work=$(mktemp -d)
git clone -q "$repo" "$work/repo"
say "running .ci/run in $work/repo"
started=$(date +%s)
status=0
(cd "$work/repo" && CI=true bash .ci/run </dev/null) || status=$?
say "fresh-machine run: exit $status after $(( $(date +%s) - started )) s"
exit "$status"
