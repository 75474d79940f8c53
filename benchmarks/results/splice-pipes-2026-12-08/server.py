import socket, threading, sys
port = int(sys.argv[1]); size = int(sys.argv[2])
data = bytes(range(256)) * (size // 256)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(4096)
def serve(c):
    try:
        c.sendall(data)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
