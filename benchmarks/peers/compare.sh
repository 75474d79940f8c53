#!/usr/bin/env bash
# Peer comparison: the same loopback backends reached directly, through HAProxy (mode tcp), through nginx
# (stream), through pen and through lbd (one run per transport: io_uring, epoll, nio), interleaved, several repetitions;
# on request also with the client's address passed on: HAProxy send-proxy-v2, lbd proxyprotocol=v2 and
# transparent=yes.
# Installs nothing: it says what to apt-get install and exits non-zero when a tool is missing.
# Traffic goes to 127.0.0.1 only. Every process it starts is killed, and its temp dir removed, on every exit path.
set -euo pipefail

usage() {
    cat <<EOF
Usage: benchmarks/peers/compare.sh [options]

Measures, on 127.0.0.1 only, each target (direct, haproxy, nginx, pen, lbd-io_uring, lbd-epoll, lbd-nio; and
when named in --targets: haproxy-splice, haproxy-splice-always, haproxy-pp2, lbd-pp2, lbd-transparent):
  keepalive  small HTTP GETs on keep-alive connections: req/s, p50/p99/p99.9 (wrk, not CO-corrected)
  connclose  one new TCP connection per request (Connection: close): conn/s
  bulk1m     1 MiB HTTP GETs: MB/s
  iperf3     iperf3 through the proxy: Gbit/s, and proxy CPU seconds per GB moved
  idle       RSS per idle connection with --idle-conns open connections (proxies only)
  latency    latency corrected for coordinated omission: a fixed-rate (open-loop) client sends small GETs at
             50 % and 80 % of HAProxy's maximum rate, for each mode: keepalive (--connections persistent
             connections) and connclose (a new connection per request); p50/p90/p99/p99.9/max from each
             request's intended time to its last byte. HAProxy's maximum rates come from a wrk probe of
             haproxy before the repetitions (the keepalive and connclose workloads' wrk runs), unless given
             with --keepalive-max-rate / --connclose-max-rate. Not in the default set: name it in --workloads

Options:
  --quick              smoke test: 1 repetition, 3 s per point, 2,000 idle connections (~2 min)
  --reps N             repetitions, interleaved across targets (default 3)
  --duration S         seconds per measurement point (default 5)
  --threads N          worker threads per proxy: haproxy nbthread, nginx worker_processes,
                       lbd --event-loops; also wrk -t (default 1). pen has one event loop whatever N is
  --proxy-cpus LIST    taskset CPU list for the proxies (default 0)
  --load-cpus LIST     taskset CPU list for wrk, iperf3 and the backends (default 1)
  --idle-conns N       idle connections for the memory test (default 10000; capped by the fd limit)
  --idle-settle S      the memory test reads a fresh proxy's RSS S seconds after it listens (lbd: after READY=1,
                       its warm-up done), and again S seconds after its connections are all open (default 10;
                       0: at once, as before 2026-12-06)
  --connections N      wrk connections for keepalive/connclose (default 32)
  --base-port P        first of 27 consecutive loopback ports (default 18080)
  --targets LIST       comma-separated subset (default: the first seven). HAProxy at its best for bulk:
                         haproxy-splice   HAProxy with option splice-auto (kernel splice where its heuristic
                                          judges it pays; HAProxy 2.6 on loopback was seen never to splice)
                         haproxy-splice-always  HAProxy with option splice-request and splice-response
                       The client's address passed on:
                         haproxy-pp2      HAProxy with send-proxy-v2 to an nginx listening with proxy_protocol
                         lbd-pp2          lbd (io_uring) with proxyprotocol=v2 to that nginx
                         lbd-transparent  lbd (io_uring) with transparent=yes; needs root: runs
                                          scripts/nat-director-setup.sh start (and stop at the end) unless its
                                          status says it is set up. Best run in a namespace of its own:
                                          ip netns add bench && ip netns exec bench ip link set lo up &&
                                          ip netns exec bench benchmarks/peers/compare.sh ...
                       The pp2 targets speak HTTP only: iperf3 and idle skip them.
  --workloads LIST     comma-separated subset of keepalive,connclose,bulk1m,iperf3,idle,latency
                       (default: all but latency)
  --latency-levels L   latency: load levels in % of HAProxy's maximum rate (default 50,80)
  --latency-warmup S   latency: seconds sent before each point and not recorded (default 2)
  --keepalive-max-rate N, --connclose-max-rate N
                       latency: HAProxy's maximum req/s (keepalive) and conn/s (connclose) to take the levels
                       of, instead of probing haproxy with wrk (e.g. from an earlier run's peers-raw.csv)
  --out DIR            results directory (default benchmarks/results)
  --keep-temp          keep the temp dir (configs, logs) for debugging; its path is printed
  -h, --help           this text
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

reps=3
duration=5
threads=1
proxy_cpus=0
load_cpus=1
idle_conns=10000
idle_settle=10
connections=32
base_port=18080
targets="direct,haproxy,nginx,pen,lbd-io_uring,lbd-epoll,lbd-nio"
workload_names="keepalive,connclose,bulk1m,iperf3,idle"
latency_levels="50,80"
latency_warmup=2
keepalive_max_rate=0
connclose_max_rate=0
out="$repo/benchmarks/results"
quick=0
keep_temp=0

die() { echo "compare.sh: $*" >&2; exit 1; }
need_value() { if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value (see --help)"; fi; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; reps=1; duration=3; idle_conns=2000; shift ;;
        --reps) need_value "$@"; reps=$2; shift 2 ;;
        --duration) need_value "$@"; duration=$2; shift 2 ;;
        --threads) need_value "$@"; threads=$2; shift 2 ;;
        --proxy-cpus) need_value "$@"; proxy_cpus=$2; shift 2 ;;
        --load-cpus) need_value "$@"; load_cpus=$2; shift 2 ;;
        --idle-conns) need_value "$@"; idle_conns=$2; shift 2 ;;
        --idle-settle) need_value "$@"; idle_settle=$2; shift 2 ;;
        --connections) need_value "$@"; connections=$2; shift 2 ;;
        --base-port) need_value "$@"; base_port=$2; shift 2 ;;
        --targets) need_value "$@"; targets=$2; shift 2 ;;
        --workloads) need_value "$@"; workload_names=$2; shift 2 ;;
        --latency-levels) need_value "$@"; latency_levels=$2; shift 2 ;;
        --latency-warmup) need_value "$@"; latency_warmup=$2; shift 2 ;;
        --keepalive-max-rate) need_value "$@"; keepalive_max_rate=$2; shift 2 ;;
        --connclose-max-rate) need_value "$@"; connclose_max_rate=$2; shift 2 ;;
        --out) need_value "$@"; out=$2; shift 2 ;;
        --keep-temp) keep_temp=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
done
for n in reps duration threads idle_conns connections base_port; do
    case "${!n}" in ''|*[!0-9]*) die "--${n//_/-} must be a positive whole number, got '${!n}'" ;; esac
    [ "${!n}" -gt 0 ] || die "--${n//_/-} must be greater than 0"
done
case "$idle_settle" in ''|*[!0-9]*) die "--idle-settle must be a whole number of seconds, got '$idle_settle'" ;; esac
for n in latency_warmup keepalive_max_rate connclose_max_rate; do
    case "${!n}" in ''|*[!0-9]*) die "--${n//_/-} must be a whole number, got '${!n}'" ;; esac
done
IFS=, read -r -a latency_level_list <<<"$latency_levels"
for l in "${latency_level_list[@]}"; do
    case "$l" in ''|*[!0-9]*) die "--latency-levels takes whole percentages (e.g. 50,80), got '$l'" ;; esac
    if [ "$l" -lt 1 ] || [ "$l" -gt 200 ]; then die "--latency-levels: each level must be within 1..200 %, got $l"; fi
done
if [ "$base_port" -lt 1024 ] || [ "$base_port" -gt 65470 ]; then die "--base-port must be within 1024..65500"; fi

# ---- tools: check, never install ---------------------------------------------------------------------------
missing_pkgs=""
need_tool() { # need_tool COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing_pkgs="$missing_pkgs $2"
}
need_tool haproxy haproxy
need_tool nginx nginx
need_tool wrk wrk
need_tool iperf3 iperf3
need_tool python3 python3
need_tool taskset util-linux
need_tool timeout coreutils
[[ ",$targets," != *",pen,"* ]] || need_tool pen pen
nginx_stream_module=""
for m in /usr/lib/nginx/modules/ngx_stream_module.so /usr/share/nginx/modules/ngx_stream_module.so; do
    [ -f "$m" ] && nginx_stream_module=$m
done
if command -v nginx >/dev/null 2>&1 && [ -z "$nginx_stream_module" ] && ! nginx -V 2>&1 | grep -q -- '--with-stream\( \|$\)'; then
    missing_pkgs="$missing_pkgs libnginx-mod-stream"
fi
if [ -n "$missing_pkgs" ]; then
    echo "compare.sh: missing tools; install them with:" >&2
    echo "    sudo apt-get install$missing_pkgs" >&2
    exit 1
fi
have_gnuplot=1
command -v gnuplot >/dev/null 2>&1 || have_gnuplot=0
if command -v wrk2 >/dev/null 2>&1; then
    echo "note: wrk2 is installed but not used; latencies below come from wrk (same tool for every target)."
else
    echo "note: wrk2 (coordinated-omission-corrected latency) is not packaged in Debian; using wrk, whose"
    echo "      percentiles are NOT corrected for coordinated omission (labelled so in every output)."
fi

IFS=, read -r -a target_list <<<"$targets"
IFS=, read -r -a workloads <<<"$workload_names"
has_workload() { [[ ",$workload_names," == *",$1,"* ]]; }
for w in "${workloads[@]}"; do
    case "$w" in keepalive|connclose|bulk1m|iperf3|idle|latency) ;; *) die "unknown workload '$w' in --workloads" ;; esac
done
if has_workload latency && { [ "$keepalive_max_rate" -eq 0 ] || [ "$connclose_max_rate" -eq 0 ]; } \
        && [[ ",$targets," != *",haproxy,"* ]]; then
    die "the latency workload takes its rates from HAProxy's maximum: add haproxy to --targets, or give --keepalive-max-rate and --connclose-max-rate"
fi
# the latency workload's fixed-rate client is in the benchmarks jar (built once, as bin/lbd builds lbd's)
latency_jar="$repo/benchmarks/target/benchmarks.jar"
if has_workload latency; then
    latency_java=$("$repo/bin/find-jdk" runtime)/bin/java || die "the latency workload needs a JDK 25 (see bin/find-jdk)"
    if [ ! -f "$latency_jar" ]; then
        echo "compare.sh: $latency_jar is missing; building it once with Maven (mvn -q -DskipTests package)..." >&2
        (cd "$repo" && mvn -q -DskipTests package) >&2 || die "the build failed; run 'mvn -DskipTests package' in $repo to see why"
    fi
fi
for t in "${target_list[@]}"; do
    case "$t" in direct|haproxy|nginx|pen|lbd-io_uring|lbd-epoll|lbd-nio|haproxy-splice|haproxy-splice-always|haproxy-pp2|lbd-pp2|lbd-transparent) ;;
        *) die "unknown target '$t' in --targets" ;; esac
done
if [[ ",$targets," == *",lbd-transparent,"* ]] && [ "$(id -u)" -ne 0 ]; then
    die "lbd-transparent needs root (IP_TRANSPARENT, and scripts/nat-director-setup.sh for the reply routing)"
fi

# ---- ports: backends, then two per proxy (http, iperf3) -----------------------------------------------------
port_backend=$base_port
port_iperf=$((base_port + 1))
declare -A port_http port_bulk
port_http[direct]=$port_backend
port_bulk[direct]=$port_iperf
i=2
for t in haproxy nginx lbd-io_uring lbd-epoll lbd-nio; do
    port_http[$t]=$((base_port + i))
    port_bulk[$t]=$((base_port + i + 1))
    i=$((i + 2))
done
# the idle-memory test runs on a fresh instance of each proxy (a process that has already served load keeps
# its grown heap and pools, which would hide the cost of new connections): it gets two ports of its own
port_idle_http=$((base_port + 12))
port_idle_bulk=$((base_port + 13))
# the backend nginx also listens with proxy_protocol, for the pp2 targets
port_backend_pp=$((base_port + 14))
i=15
for t in haproxy-pp2 lbd-pp2 lbd-transparent pen haproxy-splice haproxy-splice-always; do
    port_http[$t]=$((base_port + i))
    port_bulk[$t]=$((base_port + i + 1))
    i=$((i + 2))
done
for p in $(seq "$base_port" $((base_port + 26))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "port 127.0.0.1:$p is already in use; stop what listens there or pick another range with --base-port"
    fi
done

# ---- file-descriptor budget: a proxy holds two fds per proxied connection -----------------------------------
# HAProxy reserves two fds per pipe (maxpipes, default maxconn/4) when splicing is on: a fixed pipe count, one
# per bulk connection and direction, keeps its need at 2 x maxconn plus that.
maxpipes=$((2 * connections))
pipe_fds=$((2 * maxpipes > 200 ? 2 * maxpipes : 200))
nofile_hard=$(ulimit -Hn)
# root may raise its own hard limit (not inside every container): the idle workload then holds its full count
if [ "$nofile_hard" != unlimited ] && [ "$(id -u)" -eq 0 ] && [ "$nofile_hard" -lt 65536 ]; then
    ulimit -n 65536 2>/dev/null && nofile_hard=65536
fi
if [ "$nofile_hard" != unlimited ]; then
    ulimit -n "$nofile_hard"
    max_idle=$(( (nofile_hard - 200 - pipe_fds) / 2 / 100 * 100 ))
    if [ "$idle_conns" -gt "$max_idle" ]; then
        echo "note: the open-files hard limit is $nofile_hard and a proxy needs two fds per connection;"
        echo "      holding $max_idle idle connections instead of $idle_conns (raise 'ulimit -Hn' as root for more)."
        idle_conns=$max_idle
    fi
fi
maxconn=$((idle_conns + 100))

# ---- process tracking and cleanup ---------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/lbd-peers.XXXXXX")
chmod 755 "$work"
started_pids=()
client_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$client_pid" ]; then kill -TERM "$client_pid" 2>/dev/null || true; fi
    if [ "${#started_pids[@]}" -gt 0 ]; then
        kill -TERM "${started_pids[@]}" 2>/dev/null || true
        # lbd drains for up to 10 s on SIGTERM; give everyone 12 s, then SIGKILL what is left
        local deadline=$((SECONDS + 12)) alive
        while :; do
            alive=()
            for p in "${started_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
            [ "${#alive[@]}" -eq 0 ] && break
            if [ "$SECONDS" -ge "$deadline" ]; then
                kill -KILL "${alive[@]}" 2>/dev/null || true
                break
            fi
            sleep 0.2
        done
        wait 2>/dev/null || true
    fi
    if [ "${undo_nat_setup:-0}" = 1 ]; then "$repo/scripts/nat-director-setup.sh" stop >/dev/null 2>&1 || true; fi
    if [ "$keep_temp" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# client SECONDS COMMAND...: runs a load generator bounded in time; in the background so that a signal to this
# script is handled at once (bash runs traps only between foreground commands)
client() {
    local limit=$1
    shift
    timeout "$limit" "$@" &
    client_pid=$!
    wait "$client_pid" || true
    client_pid=""
}

# start NAME CPUS COMMAND...: runs COMMAND in the background pinned to CPUS, remembers its pid in pid_of[NAME]
declare -A pid_of
start() {
    local name=$1 cpus=$2
    shift 2
    taskset -c "$cpus" "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pid_of[$name]=$!
    started_pids+=("$!")
}
# lbd says READY=1 on $NOTIFY_SOCKET, as systemd waits for it, once its listeners are open, the first health
# verdicts are in and its self warm-up has compiled the connection path (12-15 s pinned to one CPU). Its VIPs listen
# long before that: measured from the listening port on, a workload (or the idle test's fresh RSS) would meet lbd's
# own warm-up traffic on the CPU. listen_notify NAME PATH: a datagram socket at PATH, read in the background until
# READY=1; wait_ready NAME SECONDS: until then (an lbd that never says READY=1: one line, then on as from its port).
declare -A notify_pid_of
listen_notify() {
    python3 "$here/../await-ready.py" "$2" >/dev/null &
    notify_pid_of[$1]=$!
    started_pids+=("$!")
    until [ -S "$2" ]; do sleep 0.01; done
}
wait_ready() {
    local name=$1 deadline=$((SECONDS + $2)) listener=${notify_pid_of[$1]}
    while kill -0 "$listener" 2>/dev/null; do
        if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
            echo "compare.sh: $name exited before READY=1; its stderr:" >&2
            tail -n 15 "$work/$name.err" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "compare.sh: $name sent no READY=1 within $2 s; measuring it from its listening port on" >&2
            kill "$listener" 2>/dev/null || true
            return 0
        fi
        sleep 0.1
    done
}
wait_port() { # wait_port NAME PORT SECONDS
    local name=$1 port=$2 deadline=$((SECONDS + $3))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
            echo "compare.sh: $name exited before listening on 127.0.0.1:$port; its stderr:" >&2
            tail -n 15 "$work/$name.err" >&2
            return 1
        fi
        [ "$SECONDS" -lt "$deadline" ] || { echo "compare.sh: $name did not listen on 127.0.0.1:$port within $3 s" >&2; return 1; }
        sleep 0.2
    done
}

# ---- backends: nginx serving a small file and a 1 MiB file; an iperf3 server ---------------------------------
mkdir -p "$work/www" "$work/backend/logs"
head -c 100 /dev/zero | tr '\0' 'x' >"$work/www/small.txt"
head -c 1048576 /dev/urandom >"$work/www/1m.bin"
chmod -R a+rX "$work/www"
cat >"$work/backend/nginx.conf" <<EOF
worker_processes $threads;
worker_rlimit_nofile $nofile_hard;
pid $work/backend/nginx.pid;
error_log $work/backend/logs/error.log warn;
# nginx closes idle keep-alive connections once fewer than 1/16 of worker_connections are free: leave headroom
events { worker_connections $((2 * maxconn + 100)); multi_accept on; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_header_timeout 300s;
    client_body_temp_path $work/backend/body;
    proxy_temp_path $work/backend/proxy;
    fastcgi_temp_path $work/backend/fastcgi;
    uwsgi_temp_path $work/backend/uwsgi;
    scgi_temp_path $work/backend/scgi;
    server {
        listen 127.0.0.1:$port_backend backlog=4096;
        listen 127.0.0.1:$port_backend_pp backlog=4096 proxy_protocol;
        root $work/www;
    }
}
EOF
start backend "$load_cpus" nginx -p "$work/backend" -e "$work/backend/logs/error.log" -c "$work/backend/nginx.conf" -g 'daemon off;'
start iperf3-server "$load_cpus" iperf3 -s -B 127.0.0.1 -p "$port_iperf"
wait_port backend "$port_backend" 10
wait_port iperf3-server "$port_iperf" 10

# ---- proxies ------------------------------------------------------------------------------------------------
has_target() { [[ ",$targets," == *",$1,"* ]]; }
active=()

# launch TARGET NAME HTTP_PORT BULK_PORT: writes NAME's config under $work/NAME and starts it on the proxy CPUs,
# forwarding HTTP_PORT to the nginx backend and BULK_PORT to the iperf3 server. Returns 1 (with the reason on
# stderr) when it does not listen.
launch() {
    local target=$1 name=$2 http=$3 bulk=$4 dir="$work/$2"
    mkdir -p "$dir/logs"
    case "$target" in
        haproxy|haproxy-pp2|haproxy-splice|haproxy-splice-always)
            local backend="127.0.0.1:$port_backend" options=""
            [ "$target" = haproxy-pp2 ] && backend="127.0.0.1:$port_backend_pp send-proxy-v2"
            [ "$target" = haproxy-splice ] && options="option splice-auto"
            [ "$target" = haproxy-splice-always ] && options="option splice-request
    option splice-response"
            cat >"$dir/haproxy.cfg" <<EOF
global
    nbthread $threads
    maxconn $maxconn
    maxpipes $maxpipes
defaults
    mode tcp
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    $options
listen http
    bind 127.0.0.1:$http
    server backend $backend
listen bulk
    bind 127.0.0.1:$bulk
    server iperf3 127.0.0.1:$port_iperf
EOF
            start "$name" "$proxy_cpus" haproxy -db -f "$dir/haproxy.cfg"
            wait_port "$name" "$http" 10
            ;;
        nginx)
            local load_module=""
            [ -n "$nginx_stream_module" ] && load_module="load_module $nginx_stream_module;"
            cat >"$dir/nginx.conf" <<EOF
$load_module
worker_processes $threads;
worker_rlimit_nofile $nofile_hard;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections $((2 * maxconn + 100)); multi_accept on; }
stream {
    proxy_timeout 300s;
    server { listen 127.0.0.1:$http backlog=4096; proxy_pass 127.0.0.1:$port_backend; }
    server { listen 127.0.0.1:$bulk; proxy_pass 127.0.0.1:$port_iperf; }
}
EOF
            start "$name" "$proxy_cpus" nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" -g 'daemon off;'
            wait_port "$name" "$http" 10
            ;;
        pen)
            # pen listens on one port per process: a second process, NAME-bulk, forwards the bulk port (halt
            # stops both; the iperf3 workload counts that one's CPU). -r: round robin without its client table's
            # stickiness, -x: room for the idle test's connections (default 500), -q: the others' backlog.
            start "$name" "$proxy_cpus" pen -f -r -x "$maxconn" -q 4096 -t 5 "127.0.0.1:$http" "127.0.0.1:$port_backend"
            start "$name-bulk" "$proxy_cpus" pen -f -r -x "$maxconn" -q 4096 -t 5 "127.0.0.1:$bulk" "127.0.0.1:$port_iperf"
            wait_port "$name" "$http" 10 && wait_port "$name-bulk" "$bulk" 10
            ;;
        lbd-*)
            # plain NAT per transport; the client's address passed on (proxyprotocol=v2, transparent=yes) on io_uring
            local transport=${target#lbd-} backend=$port_backend http_extra="" bulk_extra=""
            case "$target" in
                lbd-pp2) transport=io_uring backend=$port_backend_pp http_extra="proxyprotocol=v2" ;;
                lbd-transparent) transport=io_uring http_extra="transparent=yes" bulk_extra="transparent=yes" ;;
            esac
            cat >"$dir/ldirectord.cf" <<EOF
checkinterval=5
virtual=127.0.0.1:$http
	real=127.0.0.1:$backend masq
	scheduler=rr
	protocol=tcp
	checktype=on
	service=none
	$http_extra
virtual=127.0.0.1:$bulk
	real=127.0.0.1:$port_iperf masq
	scheduler=rr
	protocol=tcp
	checktype=on
	service=none
	$bulk_extra
EOF
            # --check first, in the foreground, so that a first-use build or a config error shows here
            if ! "$repo/bin/lbd" --check "$dir/ldirectord.cf" >"$dir/check.log" 2>&1; then
                echo "compare.sh: lbd --check rejected $dir/ldirectord.cf:" >&2
                tail -n 10 "$dir/check.log" >&2
                return 1
            fi
            # several lbd run at once here: each gets its own control socket (default /run/lbd/lbd.sock)
            local socket_opt=()
            if [ -z "${lbd_has_socket_opt:-}" ]; then
                lbd_has_socket_opt=no
                "$repo/bin/lbd" --help 2>/dev/null | grep -q -- '--socket' && lbd_has_socket_opt=yes
            fi
            [ "$lbd_has_socket_opt" = yes ] && socket_opt=(--socket "$dir/lbd.sock")
            rm -f "$dir/notify"
            listen_notify "$name" "$dir/notify"
            start "$name" "$proxy_cpus" env NOTIFY_SOCKET="$dir/notify" "$repo/bin/lbd" --config "$dir/ldirectord.cf" \
                --transport "$transport" --event-loops "$threads" "${socket_opt[@]}"
            wait_port "$name" "$http" 60 && wait_ready "$name" 60
            ;;
    esac
}

# halt NAME: stops one process started by launch/start (SIGTERM; SIGKILL after 12 s) and forgets it, and
# NAME-bulk with it where there is one (pen)
halt() {
    [ -z "${pid_of[$1-bulk]:-}" ] || halt "$1-bulk"
    local pid=${pid_of[$1]:-} deadline=$((SECONDS + 12)) p kept=()
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${started_pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    started_pids=("${kept[@]}")
    unset "pid_of[$1]"
}

# transparent=yes: lbd refuses to start without the reply routing; set it up for this run (in this network
# namespace) unless it is there already, and undo it at the end
if has_target lbd-transparent && ! "$repo/scripts/nat-director-setup.sh" status >/dev/null 2>&1; then
    "$repo/scripts/nat-director-setup.sh" start >"$work/nat-director-setup.log" 2>&1 \
        || { cat "$work/nat-director-setup.log" >&2; die "scripts/nat-director-setup.sh start failed"; }
    undo_nat_setup=1
fi

for t in haproxy nginx pen lbd-io_uring lbd-epoll lbd-nio haproxy-splice haproxy-splice-always haproxy-pp2 lbd-pp2 lbd-transparent; do
    has_target "$t" || continue
    if ! launch "$t" "$t" "${port_http[$t]}" "${port_bulk[$t]}"; then
        echo "compare.sh: skipping $t" >&2
        halt "$t"
    fi
done

for t in "${target_list[@]}"; do
    if [ "$t" = direct ] || { [ -n "${pid_of[$t]:-}" ] && kill -0 "${pid_of[$t]}" 2>/dev/null; }; then
        active+=("$t")
    fi
done
[ "${#active[@]}" -gt 0 ] || die "no target could be started"
echo "targets: ${active[*]}"

# ---- measurements -------------------------------------------------------------------------------------------
mkdir -p "$out"
raw="$out/peers-raw.csv"
echo "rep,target,workload,metric,value" >"$raw"
record() { echo "$1,$2,$3,$4,$5" >>"$raw"; }
client_timeout=$((duration + 20))

wrk_run() { # wrk_run TARGET CONNECTIONS PATH [HEADER]; sets wrk_* from report.lua's line
    local target=$1 conns=$2 path=$3 header=${4:-} log="$work/wrk.log"
    local args=(-t "$threads" -c "$conns" -d "${duration}s" -s "$here/report.lua")
    [ -n "$header" ] && args+=(-H "$header")
    client "$client_timeout" taskset -c "$load_cpus" wrk "${args[@]}" "http://127.0.0.1:${port_http[$target]}$path" >"$log" 2>&1
    wrk_requests=0 wrk_duration_us=1 wrk_bytes=0 wrk_errors=0 wrk_p50_us=nan wrk_p99_us=nan wrk_p999_us=nan
    local kv
    for kv in $(python3 "$here/peerstat.py" wrk "$log"); do
        case "$kv" in
            requests=*|duration_us=*|bytes=*|errors=*|p50_us=*|p99_us=*|p999_us=*) printf -v "wrk_${kv%%=*}" '%s' "${kv#*=}" ;;
        esac
    done
}
# latency_run TARGET MODE RATE: the fixed-rate client for the point's duration (after --latency-warmup s not
# recorded); sets lat_* from its LBDPEER line. Its JVM allocates nothing per request in steady state: no GC pause
# lands in the measured window (a client pause would be counted, as a proxy's would).
latency_run() {
    local target=$1 mode=$2 rate=$3 log="$work/latency.log" conns=$connections
    [ "$mode" = connclose ] && conns=1000
    client $((duration + latency_warmup + 30)) taskset -c "$load_cpus" "$latency_java" -XX:+UseSerialGC -Xms64m -Xmx64m \
        --enable-native-access=ALL-UNNAMED -cp "$latency_jar" lbd.bench.latency.FixedRateClient \
        --mode "$mode" --port "${port_http[$target]}" --rate "$rate" --duration "$duration" \
        --warmup "$latency_warmup" --connections "$conns" --timeout 10 >"$log" 2>&1
    lat_requests=0 lat_errors=nan lat_achieved_per_s=nan lat_p50_us=nan lat_p90_us=nan lat_p99_us=nan lat_p999_us=nan lat_max_us=nan
    lat_client_stall_max_us=nan
    local kv
    for kv in $(python3 "$here/peerstat.py" wrk "$log"); do
        case "$kv" in
            requests=*|errors=*|achieved_per_s=*|p50_us=*|p90_us=*|p99_us=*|p999_us=*|max_us=*|client_stall_max_us=*) printf -v "lat_${kv%%=*}" '%s' "${kv#*=}" ;;
        esac
    done
    if [ "$lat_requests" = 0 ] || [ "$lat_errors" != 0 ]; then
        echo "compare.sh: the fixed-rate client had errors or measured nothing against $target ($mode, $rate/s):" >&2
        grep -v '^LBDPEER ' "$log" | tail -n 5 >&2
    fi
}
per_s() { awk -v n="$1" -v us="$2" 'BEGIN { printf "%.1f", n / (us / 1e6) }'; }
ms() { awk -v us="$1" 'BEGIN { if (us == "nan") print "nan"; else printf "%.3f", us / 1000 }'; }

proxy_pid() { if [ "$1" != direct ]; then echo "${pid_of[$1]}"; fi; }
bulk_pid() { if [ "$1" != direct ]; then echo "${pid_of[$1-bulk]:-${pid_of[$1]}}"; fi; } # the process moving iperf3's bytes
cpu_of() { python3 "$here/peerstat.py" tree "$1" | awk '{ print $2 }'; }

measure() { # measure REP TARGET WORKLOAD
    local rep=$1 t=$2 w=$3 pid
    pid=$(proxy_pid "$t")
    case "$w" in
        keepalive)
            wrk_run "$t" "$connections" /small.txt
            record "$rep" "$t" "$w" req_per_s "$(per_s "$wrk_requests" "$wrk_duration_us")"
            record "$rep" "$t" "$w" p50_ms "$(ms "$wrk_p50_us")"
            record "$rep" "$t" "$w" p99_ms "$(ms "$wrk_p99_us")"
            record "$rep" "$t" "$w" p999_ms "$(ms "$wrk_p999_us")"
            record "$rep" "$t" "$w" errors "$wrk_errors"
            printf '  %-21s %-9s %10s req/s  p99 %s ms  errors %s\n' "$t" "$w" "$(per_s "$wrk_requests" "$wrk_duration_us")" "$(ms "$wrk_p99_us")" "$wrk_errors"
            ;;
        connclose)
            wrk_run "$t" "$connections" /small.txt "Connection: close"
            record "$rep" "$t" "$w" conn_per_s "$(per_s "$wrk_requests" "$wrk_duration_us")"
            record "$rep" "$t" "$w" p99_ms "$(ms "$wrk_p99_us")"
            record "$rep" "$t" "$w" errors "$wrk_errors"
            printf '  %-21s %-9s %10s conn/s errors %s\n' "$t" "$w" "$(per_s "$wrk_requests" "$wrk_duration_us")" "$wrk_errors"
            ;;
        bulk1m)
            wrk_run "$t" 4 /1m.bin
            local mbs
            mbs=$(awk -v b="$wrk_bytes" -v us="$wrk_duration_us" 'BEGIN { printf "%.1f", b / 1e6 / (us / 1e6) }')
            record "$rep" "$t" "$w" mb_per_s "$mbs"
            record "$rep" "$t" "$w" errors "$wrk_errors"
            printf '  %-21s %-9s %10s MB/s   errors %s\n' "$t" "$w" "$mbs" "$wrk_errors"
            ;;
        iperf3)
            case "$t" in *-pp2) return 0 ;; esac # iperf3's server does not read a PROXY header
            local cpu0=0 cpu1=0 json="$work/iperf3.json" gbit bytes cpg=nan
            pid=$(bulk_pid "$t")
            [ -n "$pid" ] && cpu0=$(cpu_of "$pid")
            client "$client_timeout" taskset -c "$load_cpus" iperf3 -c 127.0.0.1 -p "${port_bulk[$t]}" -t "$duration" -J >"$json" 2>"$work/iperf3.err"
            [ -n "$pid" ] && cpu1=$(cpu_of "$pid")
            read -r gbit bytes < <(python3 "$here/peerstat.py" iperf "$json" 2>/dev/null || echo "nan 0")
            if [ -n "$pid" ] && [ "$bytes" -gt 0 ]; then
                cpg=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$bytes" 'BEGIN { printf "%.3f", (b - a) / (n / 1e9) }')
            fi
            record "$rep" "$t" "$w" gbit_per_s "$gbit"
            record "$rep" "$t" "$w" cpu_s_per_gb "$cpg"
            printf '  %-21s %-9s %10s Gbit/s proxy CPU %s s/GB\n' "$t" "$w" "$gbit" "$cpg"
            ;;
        idle)
            case "$t" in direct|*-pp2) return 0 ;; esac
            local opened=0 before=0 after=0 fds=0 per=nan
            if launch "$t" "$t-idle" "$port_idle_http" "$port_idle_bulk"; then
                # a fresh JVM: let it finish its start-up allocations, and give the compilers' scratch memory
                # back, before the baseline (--idle-settle; the same wait for every target)
                if [ "$idle_settle" -gt 0 ]; then settle_arg=("$idle_settle"); else sleep 1; settle_arg=(); fi
                client $((120 + 2 * idle_settle)) python3 "$here/peerstat.py" idle "${pid_of[$t-idle]}" "$port_idle_http" \
                    "$idle_conns" "${settle_arg[@]}" >"$work/idle.out"
                read -r opened before after fds per <"$work/idle.out" || true
            fi
            halt "$t-idle"
            record "$rep" "$t" "$w" kb_per_conn "$per"
            record "$rep" "$t" "$w" conns "$opened"
            record "$rep" "$t" "$w" rss_base_mib "$(awk -v k="$before" 'BEGIN { printf "%.1f", k / 1024 }')"
            printf '  %-21s %-9s %10s KiB/conn (%s conns, fresh process RSS %s -> %s KiB, +%s fds)\n' "$t" "$w" "$per" "$opened" "$before" "$after" "$fds"
            ;;
        latency)
            local mode level rate max
            for mode in keepalive connclose; do
                max=$keepalive_max_rate
                [ "$mode" = connclose ] && max=$connclose_max_rate
                for level in "${latency_level_list[@]}"; do
                    rate=$((max * level / 100))
                    [ "$rate" -gt 0 ] || rate=1
                    latency_run "$t" "$mode" "$rate"
                    local lw="latency_${mode}_$level"
                    record "$rep" "$t" "$lw" rate_per_s "$rate"
                    record "$rep" "$t" "$lw" achieved_per_s "$lat_achieved_per_s"
                    record "$rep" "$t" "$lw" p50_ms "$(ms "$lat_p50_us")"
                    record "$rep" "$t" "$lw" p90_ms "$(ms "$lat_p90_us")"
                    record "$rep" "$t" "$lw" p99_ms "$(ms "$lat_p99_us")"
                    record "$rep" "$t" "$lw" p999_ms "$(ms "$lat_p999_us")"
                    record "$rep" "$t" "$lw" max_ms "$(ms "$lat_max_us")"
                    record "$rep" "$t" "$lw" errors "$lat_errors"
                    record "$rep" "$t" "$lw" client_stall_max_ms "$(ms "$lat_client_stall_max_us")"
                    printf '  %-21s %-9s %-9s %3s %% = %6s/s: achieved %8s/s  p50 %s  p99 %s  p99.9 %s  max %s ms  errors %s  client stall %s ms\n' \
                        "$t" "$w" "$mode" "$level" "$rate" "$lat_achieved_per_s" "$(ms "$lat_p50_us")" "$(ms "$lat_p99_us")" \
                        "$(ms "$lat_p999_us")" "$(ms "$lat_max_us")" "$lat_errors" "$(ms "$lat_client_stall_max_us")"
                done
            done
            ;;
    esac
}

# Connection set-up (accept, connect, close) is code that keep-alive and bulk traffic never run. Measured on a
# fresh lbd pinned to one core, its JIT compilation (which shares that core) takes ~8-10 s of connclose load:
# 1,100-3,500 conn/s before, 7,500-11,000 after. So when connclose is measured, it is warmed up as well.
connclose_warmup=0
if has_workload connclose || has_workload latency; then connclose_warmup=10; fi
echo "warm-up (JIT for lbd, caches for all): 2 s keep-alive + 2 s 1 MiB$( [ "$connclose_warmup" -gt 0 ] && echo " + $connclose_warmup s new connections") per target"
saved_duration=$duration
for t in "${active[@]}"; do
    duration=2
    wrk_run "$t" "$connections" /small.txt
    wrk_run "$t" 4 /1m.bin
    if [ "$connclose_warmup" -gt 0 ]; then
        duration=$connclose_warmup
        wrk_run "$t" "$connections" /small.txt "Connection: close"
    fi
done
duration=$saved_duration

# the latency workload's levels are fractions of HAProxy's maximum rates: measured here once, with the keepalive
# and connclose workloads' wrk runs, unless given on the command line
if has_workload latency; then
    if [ "$keepalive_max_rate" -eq 0 ]; then
        wrk_run haproxy "$connections" /small.txt
        keepalive_max_rate=$(per_s "$wrk_requests" "$wrk_duration_us" | cut -d. -f1)
        record 0 haproxy latency_probe keepalive_max_req_per_s "$keepalive_max_rate"
    fi
    if [ "$connclose_max_rate" -eq 0 ]; then
        wrk_run haproxy "$connections" /small.txt "Connection: close"
        connclose_max_rate=$(per_s "$wrk_requests" "$wrk_duration_us" | cut -d. -f1)
        record 0 haproxy latency_probe connclose_max_conn_per_s "$connclose_max_rate"
    fi
    echo "latency: HAProxy's maximum rates: keepalive $keepalive_max_rate req/s, connclose $connclose_max_rate conn/s; levels ${latency_levels} %"
    if [ "$keepalive_max_rate" -le 0 ] || [ "$connclose_max_rate" -le 0 ]; then
        die "no maximum rate measured for HAProxy (see $work/wrk.log)"
    fi
fi

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$reps"); do
    echo "repetition $rep/$reps (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    for w in "${workloads[@]}"; do
        # rotate the order each repetition so that no target always runs first or last
        n=${#active[@]}
        for k in $(seq 0 $((n - 1))); do
            measure "$rep" "${active[$(((k + rep - 1) % n))]}" "$w"
        done
    done
done

# ---- summary, environment, plot -----------------------------------------------------------------------------
python3 "$here/peerstat.py" summarize "$raw" "$out"
{
    echo "started: $started_at, finished: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "load average (1/5/15 min) before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "command: benchmarks/peers/compare.sh$( [ "$quick" = 1 ] && echo " --quick" ) --reps $reps --duration $duration --threads $threads --proxy-cpus $proxy_cpus --load-cpus $load_cpus --idle-conns $idle_conns --idle-settle $idle_settle --connections $connections --workloads $workload_names --targets $(IFS=,; echo "${active[*]}")"
    if has_workload latency; then
        echo "latency: levels $latency_levels % of HAProxy's maximum rates keepalive $keepalive_max_rate req/s, connclose $connclose_max_rate conn/s (to repeat these levels: --keepalive-max-rate $keepalive_max_rate --connclose-max-rate $connclose_max_rate); $latency_warmup s not recorded before each point; client: lbd.bench.latency.FixedRateClient (open loop, latency from each request's intended time)"
    fi
    echo "nproc: $(nproc)"
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Hypervisor|L2|L3)' || true
    echo "kernel: $(uname -r)"
    echo "haproxy: $(haproxy -v | head -n 1)"
    echo "nginx: $(nginx -v 2>&1)"
    if has_target pen; then echo "pen: $(dpkg-query -W -f '${Version}' pen 2>/dev/null || echo '?') (one event loop$( [ "$threads" -gt 1 ] && echo "; --threads $threads does not apply to it" ))"; fi
    echo "wrk: $(wrk -v 2>&1 | head -n 1)"
    echo "iperf3: $(iperf3 -v | head -n 1)"
    echo "java: $("$repo/bin/find-jdk" runtime 2>/dev/null || echo '?')"
} >"$out/peers-env.txt"
cat "$out/peers-env.txt"
echo
cat "$out/peers-summary.md"
if [ "$have_gnuplot" = 1 ]; then
    gnuplot -e "dir='$out'; out='$out/peers.png'; subtitle='median of $reps, bars = min-max'" "$here/plot.gp" \
        2>"$work/gnuplot.err" || { echo "gnuplot failed:" >&2; cat "$work/gnuplot.err" >&2; }
    [ -f "$out/peers.png" ] && echo "plot: $out/peers.png"
else
    echo "note: gnuplot is not installed; skipping the plot (sudo apt-get install gnuplot-nox)"
fi
echo "data: $raw, $out/peers-summary.csv"
