# A real server for the long-lived connection tests: accepts on 0.0.0.0:PORT and answers every line a client sends
# with "NAME LINE", one thread per connection, until killed. Usage: echo_server.py NAME PORT
import socket
import sys
import threading

name = sys.argv[1].encode()
port = int(sys.argv[2])


def serve(conn):
    with conn:
        f = conn.makefile("rb")
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
