"""Loopback servers the check tests probe, run as a separate process.

A separate process so the leak test measures only the checker, and so the servers' work does
not share the checker's loop. Prints one JSON line of ports, then serves until stdin closes.

    python servers.py [--cert CERT --key KEY]

Ports (each bound on 127.0.0.1 and, when it exists, on ::1 with the same number):
  http    GET /alive -> 200 "I'm alive!", /other -> 200 "something else", /dead -> 503,
          /host -> 200 "host=<Host header>", /redirect -> 301, anything else -> 404
  https   the same over TLS (only with --cert/--key)
  chat    reads a line: "PING" -> "+PONG\\r\\n", anything else -> "-ERR unknown\\r\\n"; stays open
  banner  sends "220 lvslite-test ready\\r\\n" on connect, then waits for the client to close
"""
import argparse
import asyncio
import json
import socket
import ssl
import sys

PAGES = {
    "/alive": (200, b"I'm alive!\n"),
    "/other": (200, b"something else\n"),
    "/dead": (503, b"down for maintenance\n"),
    "/redirect": (301, b"moved\n"),
}


async def http(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split()[1]
        host = next((ln.split(":", 1)[1].strip() for ln in lines[1:]
                     if ln.lower().startswith("host:")), "")
        status, body = PAGES.get(path, (404, b"not found\n"))
        if path == "/host":
            status, body = 200, f"host={host}\n".encode()
        writer.write(b"HTTP/1.0 %d X\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     b"\r\n%s" % (status, len(body), body))
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, IndexError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def chat(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(b"+PONG\r\n" if line.strip() == b"PING" else b"-ERR unknown\r\n")
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def banner(reader, writer):
    try:
        writer.write(b"220 lvslite-test ready\r\n")
        await writer.drain()
        await reader.read()
    except OSError:
        pass
    finally:
        writer.close()


def listeners():
    """Two listening sockets (127.0.0.1 and ::1) on one free port, or just v4."""
    for _ in range(50):
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        v4.bind(("127.0.0.1", 0))
        port = v4.getsockname()[1]
        try:
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            v6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            v6.bind(("::1", port))
        except OSError:
            v6.close()
            if has_v6():
                v4.close()
                continue
            return port, [v4]
        return port, [v4, v6]
    raise RuntimeError("no free port pair on 127.0.0.1 and ::1")


def has_v6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


async def main(args):
    tls = None
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
    handlers = {"http": (http, None), "chat": (chat, None), "banner": (banner, None)}
    if tls:
        handlers["https"] = (http, tls)
    ports, servers = {}, []
    for name, (handler, ctx) in handlers.items():
        port, socks = listeners()
        for s in socks:
            s.listen(512)
            servers.append(await asyncio.start_server(handler, sock=s, ssl=ctx))
        ports[name] = port
    ports["v6"] = has_v6()
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)   # until the test closes our stdin
    for s in servers:
        s.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--cert")
    p.add_argument("--key")
    asyncio.run(main(p.parse_args()))
