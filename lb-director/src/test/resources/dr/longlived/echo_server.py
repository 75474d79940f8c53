# A real server for the long-lived connection tests: accepts on 0.0.0.0:PORT and answers every line a client sends
# with "NAME LINE", one thread per connection, until killed. A connection that starts with "GET " is a health
# check (ldirectord's negotiate check of the field guide: request "lbcheck.html", receive "found"): it gets an
# HTTP answer whose body is "found". Usage: echo_server.py NAME PORT
import socket
import sys
import threading

name = sys.argv[1].encode()
port = int(sys.argv[2])


def serve(conn):
    with conn:
        f = conn.makefile("rb")
        first = f.readline()
        if not first:
            return
        if first.startswith(b"GET "):
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\nfound\n")
            return
        try:
            conn.sendall(name + b" " + first)
        except OSError:
            return
        for line in f:
            try:
                conn.sendall(name + b" " + line)
            except OSError:
                return


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", port))
listener.listen(512)
print("listening", flush=True)
while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
