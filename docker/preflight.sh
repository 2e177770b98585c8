#!/usr/bin/env bash
# First-run checks for `make up`, each failing with one line that says what to do:
#   - Compose v2 >= 2.24 (v1 `docker-compose` and older v2 cannot read compose.yaml's
#     `include`, `!override` or `create_host_path`);
#   - the engine answers;
#   - the service's host port (APP_PORT, default 5000) is free on 127.0.0.1 (macOS AirPlay
#     Receiver takes 5000), unless our own stack already holds it.
# Exit codes: 0 ok, 3 Compose too old or missing, 4 no engine, 5 port taken.
# Usage: preflight.sh COMPOSE_COMMAND...   (e.g. preflight.sh docker compose)
set -uo pipefail
MIN_COMPOSE=2.24.0
compose=("$@")
((${#compose[@]})) || compose=(docker compose)

version=$("${compose[@]}" version --short 2>/dev/null) || version=""
version=${version#v}
if [[ -z $version ]]; then
  echo "preflight: '${compose[*]}' is not Docker Compose v2: install the Compose v2 plugin (docker compose version), Compose v1 (docker-compose 1.x) is not supported" >&2
  exit 3
fi
if [[ $version == 1.* ]] || [[ $(printf '%s\n%s\n' "$MIN_COMPOSE" "$version" | sort -V | head -n1) != "$MIN_COMPOSE" ]]; then
  echo "preflight: Compose $version is too old (need >= $MIN_COMPOSE for compose.yaml): update Docker Desktop, or install the docker-compose-plugin package" >&2
  exit 3
fi

if ! "${compose[@]}" ls >/dev/null 2>&1; then
  echo "preflight: the container engine does not answer ('${compose[*]} ls' failed): start Docker (Docker Desktop, or 'sudo systemctl start docker') or check DOCKER_HOST" >&2
  exit 4
fi

port=${APP_PORT:-}
if [[ -z $port && -f .env ]]; then port=$(sed -n 's/^APP_PORT=//p' .env | tail -n1); fi
port=${port:-5000}
if [[ -n $("${compose[@]}" ps -q app 2>/dev/null) ]]; then
  exit 0  # our own app holds the port already; `up` will recreate it if needed
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  hint="see what holds it: lsof -nP -iTCP:$port -sTCP:LISTEN"
  [[ $(uname -s) == Darwin && $port == 5000 ]] && hint="on macOS that is the AirPlay Receiver (System Settings > General > AirDrop & Handoff)"
  echo "preflight: port $port on 127.0.0.1 is already in use ($hint); pick another: APP_PORT=5001 make up (or APP_PORT=5001 in docker/.env, then http://127.0.0.1:5001)" >&2
  exit 5
fi
exit 0
