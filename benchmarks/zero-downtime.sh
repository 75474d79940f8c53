#!/usr/bin/env bash
# What a reload or an upgrade does to traffic: wrk through a masq VIP on loopback to two nginx, keep-alive connections
# (kept for the whole run) and a new connection per request (Connection: close), 16 connections each, while lbd
#   reload:  is reloaded (SIGHUP) once a second from 5 s on,
#   upgrade: is upgraded (lbd upgrade) 5 s in.
# Prints both wrk reports (any failed request shows as "Socket errors" or "Non-2xx") and lbd's log lines.
# Usage: benchmarks/zero-downtime.sh reload|upgrade [SECONDS]   (needs nginx and wrk; builds lbd's jar if missing)
set -euo pipefail
mode=${1:?usage: $0 reload|upgrade [SECONDS]}
seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/lbd-zero-downtime.XXXXXX)
vip=18480 a=18481 b=18482
pids=()
cleanup() {
    for p in $(pgrep -f "LbdMain --config $work/lbd.cf" || true); do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off; master_process off; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/b; proxy_temp_path $work/nginx/p; fastcgi_temp_path $work/nginx/f;
    uwsgi_temp_path $work/nginx/u; scgi_temp_path $work/nginx/s;
    server { listen 127.0.0.1:$a; keepalive_requests 10000000; keepalive_timeout 300s; location / { return 200 "a\n"; } }
    server { listen 127.0.0.1:$b; keepalive_requests 10000000; keepalive_timeout 300s; location / { return 200 "b\n"; } }
}
EOF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
cat >"$work/lbd.cf" <<EOF
checkinterval=1
virtual=127.0.0.1:$vip
        real=127.0.0.1:$a masq
        real=127.0.0.1:$b masq
        scheduler=rr
        protocol=tcp
        checktype=connect
EOF
"$root/bin/lbd" --config "$work/lbd.cf" --socket "$work/lbd.sock" --pid-file "$work/lbd.pid" >"$work/lbd.log" 2>&1 &
for _ in $(seq 600); do [ -s "$work/lbd.pid" ] && break; sleep 0.1; done
[ -s "$work/lbd.pid" ] || { cat "$work/lbd.log"; exit 1; }

wrk -t1 -c16 -d"${seconds}s" --timeout 5s "http://127.0.0.1:$vip/" >"$work/keepalive.txt" 2>&1 &
ka=$!
wrk -t1 -c16 -d"${seconds}s" --timeout 5s -H 'Connection: close' "http://127.0.0.1:$vip/" >"$work/close.txt" 2>&1 &
close=$!
sleep 5
case "$mode" in
    reload)
        end=$((SECONDS + seconds - 6))
        n=0
        while [ "$SECONDS" -lt "$end" ]; do kill -HUP "$(cat "$work/lbd.pid")"; n=$((n + 1)); sleep 1; done
        echo "reloads: $n" ;;
    upgrade) "$root/bin/lbd" upgrade --socket "$work/lbd.sock" ;;
    *) echo "usage: $0 reload|upgrade [SECONDS]" >&2; exit 2 ;;
esac
wait "$ka" "$close"
echo "--- keep-alive"; cat "$work/keepalive.txt"
echo "--- Connection: close"; cat "$work/close.txt"
echo "--- lbd"; grep -v ' up: \| down: ' "$work/lbd.log" | tail -n 12
