#!/usr/bin/env bash
# UDP request/reply through lbd (each transport) vs nginx stream (listen ... udp) vs direct, on 127.0.0.1 only.
# A fixed-rate open-loop client (benchmarks/udp/UdpLoad.java; dnsperf is not packaged in Debian 12) sends 64-byte
# requests over FLOWS source ports to a UDP echo server, directly or through a proxy, and reports the achieved
# rate, loss and latency percentiles. Installs nothing (needs nginx + libnginx-mod-stream for the nginx target,
# and lbd's jar: mvn -DskipTests package). Every process it starts is killed, its temp dir removed, on exit.
#
#   benchmarks/peers/udp.sh [RATE [SECONDS [FLOWS [TARGETS]]]]     defaults: 20000 10 64 direct,nginx,lbd-io_uring,lbd-epoll,lbd-nio
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rate=${1:-20000}
seconds=${2:-10}
flows=${3:-64}
targets=${4:-direct,nginx,lbd-io_uring,lbd-epoll,lbd-nio}
jdk=$("$repo/bin/find-jdk" runtime)
java=("$jdk/bin/java" -XX:+UseParallelGC -Xms256m)
load="$repo/benchmarks/udp/UdpLoad.java"
echo_port=19153
nginx_port=19154
lbd_port=19155

work=$(mktemp -d "${TMPDIR:-/tmp}/lbd-udp.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# answers: waits (bounded) until 127.0.0.1:PORT echoes a short run of requests
answers() {
    local port=$1 deadline=$((SECONDS + 90))
    until "${java[@]}" "$load" load "127.0.0.1:$port" 200 1 1 2>/dev/null | grep -q 'received=[1-9]'; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "udp.sh: nothing answers on 127.0.0.1:$port" >&2; return 1; }
        sleep 1
    done
}

"${java[@]}" "$load" echo "$echo_port" >"$work/echo.log" 2>&1 &
pids+=("$!")
answers "$echo_port"

run() { # run NAME PORT
    echo "== $1"
    # warm-up: a cold lbd (JIT) falls behind and the kernel drops at its VIP socket (see RESULTS.md), so twice
    "${java[@]}" "$load" load "127.0.0.1:$2" "$rate" 5 "$flows" >/dev/null
    "${java[@]}" "$load" load "127.0.0.1:$2" "$rate" 5 "$flows" >/dev/null
    "${java[@]}" "$load" load "127.0.0.1:$2" "$rate" "$seconds" "$flows" | sed "s/^/$1 /"
}

IFS=, read -r -a list <<<"$targets"
for t in "${list[@]}"; do
    case "$t" in
        direct) run direct "$echo_port" ;;
        nginx)
            cat >"$work/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 8192; }
stream {
    server {
        listen 127.0.0.1:$nginx_port udp reuseport;
        proxy_pass 127.0.0.1:$echo_port;
        proxy_responses 1;
        proxy_timeout 10s;
    }
}
NGINX
            nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
            pids+=("$!")
            answers "$nginx_port"
            run nginx "$nginx_port"
            kill "${pids[-1]}"
            ;;
        lbd-*)
            printf 'virtual=127.0.0.1:%s\n\tprotocol=udp\n\treal=127.0.0.1:%s masq\n\tchecktype=on\n\tscheduler=rr\n' \
                "$lbd_port" "$echo_port" >"$work/$t.cf"
            "$repo/bin/lbd" --config "$work/$t.cf" --transport "${t#lbd-}" --event-loops 1 \
                --socket "$work/$t.sock" >"$work/$t.log" 2>&1 &
            pids+=("$!")
            answers "$lbd_port"
            run "$t" "$lbd_port"
            kill "${pids[-1]}"
            wait "${pids[-1]}" 2>/dev/null || true
            ;;
        *) echo "udp.sh: unknown target $t" >&2; exit 2 ;;
    esac
done
