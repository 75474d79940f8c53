import socket, sys, time
port = int(sys.argv[1]); n = int(sys.argv[2]); size = int(sys.argv[3]); first = int(sys.argv[4])
socks = []
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port)); c.settimeout(20); c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536); socks.append(c)
got = [0]*n; err = [None]*n
def read_upto(i, limit):
    c = socks[i]
    while got[i] < limit:
        try:
            b = c.recv(min(262144, limit - got[i]))
        except OSError as e:
            err[i] = type(e).__name__; return
        if not b:
            err[i] = err[i] or "eof"; return
        got[i] += len(b)
for i in range(n):
    read_upto(i, first)
time.sleep(1)
t0 = time.time()
for i in range(n):
    if err[i] is None: read_upto(i, size)
print("second phase %.1f s" % (time.time() - t0))
ok = sum(1 for i in range(n) if got[i] == size)
from collections import Counter
print("connections", n, "complete", ok, "errors", Counter(e for e in err if e and got[err.index(e)] != size))
