#!/bin/sh
# TLS sidecar of the /user service's ECS task: nginx terminates TLS on LISTEN_PORT and proxies to
# the app on UPSTREAM (plain HTTP on the task's loopback). See README.md next to this file.
#
#   entrypoint.sh            make a fresh self-signed key pair, write nginx.conf, run nginx
#   entrypoint.sh --check    health check: a TLS GET /healthz through nginx to the app (exit 0/1)
#
# Exit codes: 0 clean stop, 1 unhealthy (--check), 2 bad configuration, 3 openssl failed.
set -eu

LISTEN_HOST=${LISTEN_HOST:-0.0.0.0}
LISTEN_PORT=${LISTEN_PORT:-5000}
UPSTREAM=${UPSTREAM:-127.0.0.1:8080}
TLS_DIR=${TLS_DIR:-/tmp/tls}
RUN_DIR=${RUN_DIR:-/tmp/nginx}
TLS_CN=${TLS_CN:-localhost}
TLS_DAYS=${TLS_DAYS:-365}
# Peers whose X-Forwarded-For is believed: the load balancer's subnets (the task's VPC CIDR).
TRUSTED_PROXIES=${TRUSTED_PROXIES:-10.0.0.0/8}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-1024}
WORKER_PROCESSES=${WORKER_PROCESSES:-1}
# Keep-alive: longer than the ALB's idle timeout (60 s), so the ALB always closes first.
KEEPALIVE_TIMEOUT=${KEEPALIVE_TIMEOUT:-75}
# Idle upstream connections: shorter than the app's CHANNEL_TIMEOUT (120 s), so nginx never
# reuses a connection the app is closing.
UPSTREAM_KEEPALIVE_TIMEOUT=${UPSTREAM_KEEPALIVE_TIMEOUT:-60}
# After SIGTERM: in-flight requests get this long, below ECS's stopTimeout (30 s).
DRAIN_SECONDS=${DRAIN_SECONDS:-20}
MAX_BODY_BYTES=${MAX_BODY_BYTES:-65536}
ERROR_LOG_LEVEL=${ERROR_LOG_LEVEL:-info}

log() { # one JSON line on stderr; values here are our own, never client input
  printf '{"time":"%s","level":"%s","logger":"tls-sidecar","event":"%s","message":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$3" >&2
}

fail_config() { log error config_error "$1"; exit 2; }

number() { # number NAME VALUE MIN MAX
  case $2 in '' | *[!0-9]*) fail_config "$1 must be a whole number, got '$2'" ;; esac
  [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || fail_config "$1 must be between $3 and $4, got $2"
}

check() {
  # nginx answers only through TLS, so a 200 means the key pair, nginx and the app all work.
  answer=$(printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    timeout 4 openssl s_client -quiet -ign_eof -connect "127.0.0.1:${LISTEN_PORT}" 2>/dev/null |
    head -n 1) || true
  case $answer in "HTTP/1.1 200"*) exit 0 ;; *) exit 1 ;; esac
}

validate() {
  number LISTEN_PORT "$LISTEN_PORT" 1 65535
  number TLS_DAYS "$TLS_DAYS" 1 3650
  number MAX_CONNECTIONS "$MAX_CONNECTIONS" 16 65536
  number KEEPALIVE_TIMEOUT "$KEEPALIVE_TIMEOUT" 1 3600
  number UPSTREAM_KEEPALIVE_TIMEOUT "$UPSTREAM_KEEPALIVE_TIMEOUT" 1 3600
  number DRAIN_SECONDS "$DRAIN_SECONDS" 0 110
  number MAX_BODY_BYTES "$MAX_BODY_BYTES" 1 104857600
  case $WORKER_PROCESSES in auto) ;; *) number WORKER_PROCESSES "$WORKER_PROCESSES" 1 64 ;; esac
  case $UPSTREAM in
    *:*[!0-9]* | *: | :* | *[!A-Za-z0-9.:-]*) fail_config "UPSTREAM must be HOST:PORT, got '$UPSTREAM'" ;;
    *:*) number "UPSTREAM port" "${UPSTREAM##*:}" 1 65535 ;;
    *) fail_config "UPSTREAM must be HOST:PORT, got '$UPSTREAM'" ;;
  esac
  case $LISTEN_HOST in '' | *[!0-9A-Za-z.:\[\]-]*) fail_config "LISTEN_HOST is not an address: '$LISTEN_HOST'" ;; esac
  # A plain host name: it lands in the certificate subject and SAN.
  case $TLS_CN in '' | -* | *[!A-Za-z0-9.-]*) fail_config "TLS_CN must be a host name, got '$TLS_CN'" ;; esac
  case $TRUSTED_PROXIES in '' | *[!0-9A-Fa-f.:/,\ ]*) fail_config "TRUSTED_PROXIES must be CIDRs, got '$TRUSTED_PROXIES'" ;; esac
  case $ERROR_LOG_LEVEL in debug | info | notice | warn | error) ;; *) fail_config "ERROR_LOG_LEVEL: debug, info, notice, warn or error" ;; esac
}

make_key_pair() {
  # Fresh at every start, private to this user, renamed into place: never half-written.
  umask 077
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -days "$TLS_DAYS" -subj "/CN=${TLS_CN}" \
      -addext "subjectAltName=DNS:${TLS_CN},IP:127.0.0.1" \
      -keyout "$TLS_DIR/key.pem.tmp" -out "$TLS_DIR/cert.pem.tmp" 2>"$TLS_DIR/openssl.err"; then
    log error openssl_failed "$(tr '\n"' ' ' <"$TLS_DIR/openssl.err" | cut -c1-300)"
    exit 3
  fi
  mv "$TLS_DIR/key.pem.tmp" "$TLS_DIR/key.pem"
  mv "$TLS_DIR/cert.pem.tmp" "$TLS_DIR/cert.pem"
  rm -f "$TLS_DIR/openssl.err"
}

write_config() {
  mkdir -p "$RUN_DIR"
  real_ip=''
  for cidr in $(printf '%s' "$TRUSTED_PROXIES" | tr ',' ' '); do
    real_ip="${real_ip}    set_real_ip_from ${cidr};
"
  done
  cat >"$RUN_DIR/nginx.conf.tmp" <<CONF
# Written by entrypoint.sh at start from the environment; see docker/tls-sidecar/README.md.
worker_processes ${WORKER_PROCESSES};
pid ${RUN_DIR}/nginx.pid;
# info: failed TLS handshakes (old protocol, no shared cipher) are logged at this level.
error_log stderr ${ERROR_LOG_LEVEL};
# After SIGQUIT, workers finish in-flight requests for at most this long.
worker_shutdown_timeout ${DRAIN_SECONDS}s;

events {
    # Counted at accept(), before the TLS handshake (upstream connections count too).
    worker_connections ${MAX_CONNECTIONS};
}

http {
    server_tokens off;
    # Only /tmp is writable (read-only root filesystem): every temp path lives there.
    client_body_temp_path ${RUN_DIR}/client_body;
    proxy_temp_path ${RUN_DIR}/proxy;
    fastcgi_temp_path ${RUN_DIR}/fastcgi;
    uwsgi_temp_path ${RUN_DIR}/uwsgi;
    scgi_temp_path ${RUN_DIR}/scgi;

    # The client address: X-Forwarded-For is believed only from the trusted hop (the ALB), and
    # then only its last entry, the one the ALB itself appended.
${real_ip}    real_ip_header X-Forwarded-For;
    real_ip_recursive off;

    # One JSON line per request. \$uri, not \$request_uri: the query string may carry user ids.
    log_format json escape=json '{"time":"\$time_iso8601","level":"info","logger":"tls-sidecar",'
        '"event":"access","client":"\$remote_addr","peer":"\$realip_remote_addr",'
        '"method":"\$request_method","path":"\$uri","status":\$status,'
        '"bytes_in":\$request_length,"bytes_out":\$bytes_sent,'
        '"request_time_s":\$request_time,"upstream_time_s":"\$upstream_response_time",'
        '"tls":"\$ssl_protocol","cipher":"\$ssl_cipher","request_id":"\$http_x_request_id",'
        '"connection":\$connection,"connection_requests":\$connection_requests}';
    access_log /dev/stdout json;

    # The body limit, enforced from Content-Length before any of the body is read (and while
    # reading a chunked one); bodies stay in memory.
    client_max_body_size ${MAX_BODY_BYTES};
    client_body_buffer_size ${MAX_BODY_BYTES};
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 10s;
    keepalive_timeout ${KEEPALIVE_TIMEOUT}s;
    keepalive_requests 10000;

    upstream app {
        server ${UPSTREAM};
        keepalive 32;
        keepalive_timeout ${UPSTREAM_KEEPALIVE_TIMEOUT}s;
        keepalive_requests 10000;
    }

    server {
        listen ${LISTEN_HOST}:${LISTEN_PORT} ssl reuseport;
        ssl_certificate ${TLS_DIR}/cert.pem;
        ssl_certificate_key ${TLS_DIR}/key.pem;
        # TLS 1.2+ with forward secrecy and AEAD only (TLS 1.3 suites are all AEAD).
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:TLS:2m;
        ssl_session_timeout 1h;
        ssl_session_tickets off;

        # nginx's own errors in the service's JSON shape.
        error_page 413 = @too_large;
        error_page 502 503 504 = @upstream_down;
        location @too_large {
            default_type application/json;
            return 413 '{"error":"request body larger than ${MAX_BODY_BYTES} bytes","status":413}';
        }
        location @upstream_down {
            default_type application/json;
            add_header Retry-After 2 always;
            return 503 '{"error":"service temporarily unavailable, retry later","status":503}';
        }

        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            # Overwritten, not appended: the app trusts exactly one address from us.
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_connect_timeout 2s;
            proxy_send_timeout 10s;
            # Above the app's worst case against a sick table (7 s).
            proxy_read_timeout 15s;
            # A POST is never sent twice; an idempotent GET may be retried once on a dead connection.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }
    }
}
CONF
  mv "$RUN_DIR/nginx.conf.tmp" "$RUN_DIR/nginx.conf"
}

if [ "${1:-}" = "--check" ]; then
  check
fi
if [ $# -gt 0 ]; then
  fail_config "unknown argument '$1' (use --check, or none)"
fi

validate
command -v nginx >/dev/null || fail_config "nginx is not installed"
make_key_pair
write_config
nginx -t -q -e stderr -c "$RUN_DIR/nginx.conf" || fail_config "nginx rejected the generated configuration"

# nginx drains on SIGQUIT; SIGTERM would make it drop in-flight requests. ECS and docker stop send
# SIGTERM, so translate it (this shell stays in front of nginx to do so).
pid=''
stopping=''
stop() {
  stopping=yes
  log info stopping "draining for at most ${DRAIN_SECONDS}s"
  [ -z "$pid" ] || kill -QUIT "$pid" 2>/dev/null || true
}
trap stop TERM INT QUIT
nginx -e stderr -c "$RUN_DIR/nginx.conf" -g 'daemon off;' &
pid=$!
# A signal that came before nginx started: pass it on now.
[ -z "$stopping" ] || kill -QUIT "$pid" 2>/dev/null || true
log info listening "TLS on ${LISTEN_HOST}:${LISTEN_PORT} -> http://${UPSTREAM}"
while :; do
  status=0
  wait "$pid" || status=$?
  # `wait` also returns when our trap ran (status 128+signal): nginx is then still draining.
  kill -0 "$pid" 2>/dev/null || break
done
[ "$status" -ge 128 ] && status=0
log info stopped "nginx exited with status ${status}"
exit "$status"
