#!/usr/bin/env python3
"""await-ready.py SOCKET_PATH: what systemd does for a Type=notify service, for the benchmark scripts that start lbd
themselves. Binds a datagram socket at SOCKET_PATH (give lbd NOTIFY_SOCKET=SOCKET_PATH), reads its notifications
and exits 0 at the first READY=1, printing the wall-clock time it came at (seconds since the epoch); exits 1 when
none came within 120 s."""
import socket
import sys
import time

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
try:
    while b"READY=1" not in s.recv(4096).split(b"\n"):
        pass
except socket.timeout:
    sys.exit(1)
print(f"{time.clock_gettime(time.CLOCK_REALTIME):.3f}")
