# Client loop for HaFailoverNamespaceTest: one new TCP connection per request to VIP:80 every 20 ms (1 s timeout
# for the answer, as a patient client would wait for a slow answer rather than give up on it; 100 ms for the
# connect, so that the loop measures when the VIP serves again to within 0.1 s: with a 1 s connect timeout a SYN
# sent to the dead node just before the takeover held the loop for a second more, and the measured outage jumped
# from deadtime to deadtime + 1 s depending on where the takeover fell in that second); prints
# "<monotonic ms> ok <body>" or "<monotonic ms> fail <reason>" per request, flushing each line, until killed.
import socket
import sys
import time

vip = sys.argv[1]
while True:
    start = time.monotonic()
    try:
        with socket.create_connection((vip, 80), timeout=0.1) as s:
            s.settimeout(1.0)
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: vip\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        body = data.split(b"\r\n\r\n", 1)[1].decode().strip() if b"\r\n\r\n" in data else ""
        status = "ok" if data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200") else "fail"
        print(f"{int(time.monotonic() * 1000)} {status} {body}", flush=True)
    except Exception as e:
        print(f"{int(time.monotonic() * 1000)} fail {type(e).__name__}", flush=True)
    elapsed = time.monotonic() - start
    if elapsed < 0.02:
        time.sleep(0.02 - elapsed)
