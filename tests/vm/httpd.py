"""A real server for the lab: answers every HTTP request with its own name (and /alive.html
with the seed's "I'm alive!"). Only socket and selectors are imported, because Python under
the emulator takes seconds to import http.server. Prints `listening` once bound.

usage: httpd.py NAME [PORT [BIND]]
"""
import selectors
import socket
import sys


def main() -> None:
    name = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    bind = sys.argv[3] if len(sys.argv) > 3 else ""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((bind, port))
    srv.listen(128)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    pending = {}
    print("listening", flush=True)
    while True:
        for key, _ in sel.select():
            if key.fileobj is srv:
                try:
                    conn, _ = srv.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                pending[conn] = b""
                sel.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            pending[conn] += data
            head = pending[conn]
            if data and b"\r\n\r\n" not in head:
                continue
            sel.unregister(conn)
            del pending[conn]
            if data:
                path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
                body = b"I'm alive!\n" if path == b"/alive.html" else name.encode() + b"\n"
                reply = (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                try:
                    conn.setblocking(True)
                    conn.settimeout(2)
                    conn.sendall(reply)
                except OSError:
                    pass
            conn.close()


if __name__ == "__main__":
    main()
