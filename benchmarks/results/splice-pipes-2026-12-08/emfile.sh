#!/bin/bash
# emfile.sh LABEL: lbd (LBD=path/to/bin/lbd; epoll, one loop, ulimit -n 1024) in front of server.py (4 MiB per connection); as many
# clients as its ceiling, each reading 2 MiB first (so that its download splices), then all the rest.
# Start the real server first: python3 server.py 18081 4194304 &
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/splice-pipes}; mkdir -p "$out"; chmod 777 "$out"
label=$1
bash -c "ulimit -n 1024; exec ${LBD:-$here/../../../bin/lbd} --config $here/lbd.cf --transport epoll --event-loops 1 --socket $out/lbd-emfile.sock" > $out/lbd-emfile-$label.log 2>&1 &
until grep -q 'warm-up:' $out/lbd-emfile-$label.log 2>/dev/null; do sleep 0.5; done
n=$(grep -o 'at most [0-9]* open connections' $out/lbd-emfile-$label.log | grep -o '[0-9]*')
grep -E 'open connections|splice' $out/lbd-emfile-$label.log | cut -c26-
pid=$(pgrep -f 'lbd-emfile.sock' | tail -1)
( while sleep 1; do echo "$(date +%T) fds $(ls /proc/$pid/fd | wc -l) pipes $(ls -l /proc/$pid/fd | grep -c pipe:)"; done > $out/fds-$label.txt ) &
watch=$!
( ulimit -n 4096; timeout 120 python3 -u "$here/client.py" 18080 $n 4194304 2097152 )
echo "EMFILE lines in lbd's log: $(grep -c EMFILE $out/lbd-emfile-$label.log)"
grep -E 'pipes are all in use' $out/lbd-emfile-$label.log | head -2 | cut -c26-
kill $watch $pid; wait
sort -k3 -n $out/fds-$label.txt | tail -1
