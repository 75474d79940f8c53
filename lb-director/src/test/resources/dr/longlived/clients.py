# N long-lived TCP connections to VIP:PORT, each sending a numbered line every 100 ms and reading the answer
# ("SERVER LINE"). Prints "ready" once every connection had an answer; runs until the file STOP exists, then
# prints one line per connection: "conn I SERVERS=a,b ANSWERS=n MAXGAP_MS=g ERROR=e GAPS=t:g,..." (SERVERS in
# the order seen; MAXGAP_MS the longest time between two answers; GAPS each gap above 500 ms as the monotonic ms
# of the answer that ended it and its length, "-" when none) and exits.
# Usage: clients.py VIP PORT N STOP
import os
import socket
import sys
import threading
import time

vip, port, n, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
results = [None] * n
answered = [threading.Event() for _ in range(n)]


def run(i):
    servers, answers, maxgap, error, gaps = [], 0, 0, "-", []
    try:
        s = socket.create_connection((vip, port), timeout=10)
        s.settimeout(30)  # a restart or a takeover: TCP retransmits meanwhile
        f = s.makefile("rb")
        last = None
        seq = 0
        while not os.path.exists(stop):
            start = time.monotonic()
            seq += 1
            s.sendall(b"%d %d\n" % (i, seq))
            line = f.readline()
            if not line:
                error = "closed"
                break
            server = line.split(b" ", 1)[0].decode()
            if not servers or servers[-1] != server:
                servers.append(server)
            now = time.monotonic()
            if last is not None:
                gap = int((now - last) * 1000)
                maxgap = max(maxgap, gap)
                if gap > 500:
                    gaps.append("%d:%d" % (int(now * 1000), gap))
            last = now
            answers += 1
            answered[i].set()
            pause = 0.1 - (time.monotonic() - start)
            if pause > 0:
                time.sleep(pause)
        s.close()
    except Exception as e:
        error = type(e).__name__
    answered[i].set()
    results[i] = "conn %d SERVERS=%s ANSWERS=%d MAXGAP_MS=%d ERROR=%s GAPS=%s" % (
        i, ",".join(servers) or "-", answers, maxgap, error, ",".join(gaps) or "-")


threads = []
for i in range(n):
    t = threading.Thread(target=run, args=(i,), daemon=True)
    t.start()
    threads.append(t)
    time.sleep(0.01)
for e in answered:
    e.wait()
print("ready", flush=True)
for t in threads:
    t.join()
for r in results:
    print(r, flush=True)
