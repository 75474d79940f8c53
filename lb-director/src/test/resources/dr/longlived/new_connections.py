# A stream of new TCP connections to VIP:PORT: every 50 ms one connects, sends a line, reads the answer and closes
# (each may take up to 10 s: a SYN or segment dropped is retransmitted by TCP), until the file STOP exists; then
# prints "new ANSWERED=n FAILED=m ERRORS=e" (e: each failure's kind, "-" when none) and exits.
# Usage: new_connections.py VIP PORT STOP
import os
import socket
import sys
import time

vip, port, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
answered, failed, errors = 0, 0, []
seq = 0
while not os.path.exists(stop):
    start = time.monotonic()
    seq += 1
    try:
        with socket.create_connection((vip, port), timeout=10) as s:
            s.settimeout(10)
            s.sendall(b"new %d\n" % seq)
            if s.makefile("rb").readline():
                answered += 1
            else:
                failed += 1
                errors.append("closed")
    except Exception as e:
        failed += 1
        errors.append(type(e).__name__)
    pause = 0.05 - (time.monotonic() - start)
    if pause > 0:
        time.sleep(pause)
print("new ANSWERED=%d FAILED=%d ERRORS=%s" % (answered, failed, ",".join(errors) or "-"), flush=True)
