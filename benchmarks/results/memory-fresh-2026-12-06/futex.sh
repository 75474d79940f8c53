#!/usr/bin/env bash
# futex.sh LABEL: futex calls per new connection in lbd (strace -c -f), wrk Connection: close for 6 s
set -u
label=$1; launcher=${LBD:-$(cd "$(dirname "$0")/../../.." && pwd)/bin/lbd}; d=$(mktemp -d)
port=$(( 20000 + RANDOM % 6000 * 2 ))
printf 'checkinterval=5\nvirtual=127.0.0.1:%s\n\treal=127.0.0.1:29380 masq\n\tscheduler=rr\n\tprotocol=tcp\n\tchecktype=on\n' $port >$d/ldirectord.cf
ulimit -n $(ulimit -Hn)
taskset -c 0 $launcher --config $d/ldirectord.cf --transport ${TRANSPORT:-io_uring} --event-loops 1 --socket $d/lbd.sock >$d/out 2>$d/err &
pid=$!
for i in $(seq 1 600); do grep -q 'warm-up' $d/err && break; sleep 0.1; done
url=http://127.0.0.1:$port/
taskset -c 1 wrk -t1 -c32 -d3s -H 'Connection: close' $url >/dev/null 2>&1
strace -c -f -e trace=futex,mmap,munmap,madvise,brk -p $pid -o $d/strace.txt & sp=$!
sleep 1
out=$(taskset -c 1 wrk -t1 -c32 -d6s -H 'Connection: close' $url 2>&1)
kill -INT $sp; wait $sp 2>/dev/null
n=$(echo "$out" | awk '/requests in/{print $1}')
echo "$label requests=$n $(awk -v n=$n '$NF~/^(futex|mmap|munmap|madvise|brk)$/{printf "%s=%d (%.3f/req) ", $NF, $4, $4/n}' $d/strace.txt)"
kill -TERM $pid; wait $pid 2>/dev/null; rm -rf $d
