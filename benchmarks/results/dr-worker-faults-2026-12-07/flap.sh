#!/bin/bash
# An idle DR worker's CPU before and after its interface goes down and up. Root only.
#   flap.sh DIR     DIR: the layout bin/lbd runs from (DIR/bin/lbd, DIR/lib/lbd.jar, DIR/runtime -> a JDK 25);
#                   e.g. mkdir -p DIR/bin DIR/lib; cp bin/lbd bin/find-jdk DIR/bin; cp lb-director/target/lbd.jar
#                   DIR/lib; ln -s /usr/lib/jvm/temurin-25-jdk-amd64 DIR/runtime
# lbd runs in a namespace of its own with one gate service on a veth (198.18.5.1/24) and nothing to forward; the
# DR worker threads' CPU (utime + stime, in ticks of 10 ms) is read over ~5 s before and after
# `ip link set down; ip link set up` of that interface.
set -u
dir=$1
ns=lbx-flap
work=$(mktemp -d)
ip netns del $ns 2>/dev/null
ip netns add $ns
ip link add lbxf0 type veth peer name lbxf1
ip link set lbxf0 netns $ns
ip -n $ns addr add 198.18.5.1/24 dev lbxf0
ip -n $ns link set lo up
ip -n $ns link set lbxf0 up
ip link set lbxf1 up
printf 'virtual=198.18.5.10:80\n\treal=198.18.5.20:80 gate\n\tchecktype=on\n' > "$work/dr.cf"
ip netns exec $ns "$dir/bin/lbd" --config "$work/dr.cf" --socket "$work/lbd.sock" > "$work/lbd.log" 2>&1 &
launcher=$!
sleep 8 # start-up and warm-up
jpid=$launcher # bin/lbd execs the JVM
cpu() {
    local t=0
    local task utime stime
    for task in /proc/"$jpid"/task/*; do
        if grep -q '^lbd-dr-' "$task/comm" 2>/dev/null; then
            read -r utime stime < <(cut -d' ' -f14,15 "$task/stat")
            t=$((t + utime + stime))
        fi
    done
    echo $t
}
echo "DR worker threads: $(grep -l '^lbd-dr-' /proc/$jpid/task/*/comm | wc -l)"
measure() { # the DR workers' CPU over ~5 s, in % of one CPU
    local a b t0 t1
    a=$(cpu); t0=$(date +%s%N); sleep 5; b=$(cpu); t1=$(date +%s%N)
    echo "$(( (b - a) * 1000000000 / (t1 - t0) ))% of one CPU ($((b - a)) ticks of 10 ms in $(( (t1 - t0) / 1000000 )) ms)"
}
echo "idle, before: $(measure)"
ip -n $ns link set lbxf0 down
ip -n $ns link set lbxf0 up
sleep 1
echo "idle, after the interface went down and up: $(measure)"
kill $launcher
wait $launcher 2>/dev/null
ip netns del $ns
rm -rf "$work"
