#!/bin/bash
# run.sh LABEL USER SOFT: lbd (LBD=path/to/bin/lbd; epoll, one loop, CPU 0) under USER with fs.pipe-user-pages-soft=SOFT;
# three 5 s iperf3 uploads through it (iperf3 -s on 15201 first); Gbit/s and the CPU seconds lbd spent per GB
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/splice-pipes}; mkdir -p "$out"; chmod 777 "$out"
label=$1 user=$2 soft=$3
old=$(cat /proc/sys/fs/pipe-user-pages-soft)
echo $soft > /proc/sys/fs/pipe-user-pages-soft
if [ "$user" = root ]; then pre=(); else pre=(setpriv --reuid=$user --regid=nogroup --clear-groups); fi
taskset -c 0 "${pre[@]}" ${LBD:-$here/../../../bin/lbd} --config $here/iperf.cf --transport epoll --event-loops 1 --socket $out/lbd-$label.sock > $out/lbd-$label.log 2>&1 &
until grep -q 'warm-up:' $out/lbd-$label.log 2>/dev/null; do sleep 0.5; done
pid=$(pgrep -f "lbd-$label.sock" | grep -v setpriv | tail -1)
for i in 1 2 3; do
  t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  out=$(timeout 20 taskset -c 1 iperf3 -c 127.0.0.1 -p 15200 -t 5 -J)
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  bytes=$(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_received"]["bytes"])')
  python3 -c "print('$label', 'Gbit/s %.2f' % ($bytes*8/5e9), 'CPU s/GB %.3f' % (($t1-$t0)/100/($bytes/1e9)))"
done
kill $pid; wait
echo $old > /proc/sys/fs/pipe-user-pages-soft
