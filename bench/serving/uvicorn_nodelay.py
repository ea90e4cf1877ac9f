"""`python3 -m uvicorn`, with Nagle's algorithm off on every connection.

With --workers N > 1, Uvicorn (0.17.6 as in Debian 12, and later versions)
binds the listening socket itself with socket.socket(family=...), so the
socket's `proto` is 0; accepted connections inherit it, and asyncio only sets
TCP_NODELAY when proto is IPPROTO_TCP. Each response on a keep-alive
connection after the first then waits for the client's delayed ACK, about
40 ms on Linux (upstream: Kludex/uvicorn issue 3149). A single worker is not
affected. bench/serving/run.sh uses this launcher by default so the reference
is not slowed by that bug; FASTAPI_NODELAY=0 runs the stock `-m uvicorn`.

The fix: re-wrap the bound socket with socket.socket(fileno=...), which asks
the kernel for its protocol (SO_PROTOCOL), so proto becomes IPPROTO_TCP in the
supervisor and, when pickled, in the workers.

Usage: the same arguments as `python3 -m uvicorn`.
"""

import socket
import sys

import uvicorn.config
import uvicorn.main

_bind_socket = uvicorn.config.Config.bind_socket


def _bind_socket_tcp(self):
    sock = _bind_socket(self)
    return socket.socket(fileno=sock.detach())


uvicorn.config.Config.bind_socket = _bind_socket_tcp

if __name__ == "__main__":
    sys.exit(uvicorn.main.main(prog_name="uvicorn"))
