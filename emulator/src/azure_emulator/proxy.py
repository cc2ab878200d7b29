"""The HTTP proxy clients are pointed at: it answers CONNECT itself and never dials out.

HTTP/1.1 framing is h11's; this file only moves bytes between sockets and the emulator.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import ssl
import struct
from typing import TYPE_CHECKING

import h11

from . import latency
from .http import DropConnection
from .http import Request
from .http import Response

if TYPE_CHECKING:
    from . import Emulator

log = logging.getLogger("azure_emulator.proxy")
IDLE_TIMEOUT = 120.0
IMDS = "http://169.254.169.254/"  # the one plain-HTTP endpoint answered (managed identity tokens)
MAX_BODY = 16 * 1024 * 1024


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a benchmark opens many connections at once

    def __init__(self, emulator: Emulator, port: int = 0) -> None:
        self.emulator = emulator
        super().__init__(("127.0.0.1", port), _Connection)

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Closed(Exception):
    pass


def _read_message(conn: h11.Connection, sock: socket.socket) -> tuple[h11.Request, bytes] | None:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY:
                raise h11.RemoteProtocolError("request body too large", error_status_hint=413)
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return request, bytes(body)
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None


def _send(conn: h11.Connection, sock: socket.socket, response: Response, head: bool = False) -> None:
    headers = [(k, str(v)) for k, v in response.headers.items() if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(response.body))))
    data = conn.send(h11.Response(status_code=response.status, headers=headers)) or b""
    if response.body and not head:
        data += conn.send(h11.Data(data=response.body)) or b""
    data += conn.send(h11.EndOfMessage()) or b""
    sock.sendall(data)


def _reset(sock: socket.socket) -> None:
    """Close with RST, as a dropped connection looks to a client."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _Connection(socketserver.BaseRequestHandler):
    server: ProxyServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(IDLE_TIMEOUT)
        # Without it, Nagle's algorithm holds a small write until the client's delayed ACK (~40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h11.Connection(h11.SERVER)
        try:
            first = _read_message(conn, sock)
            if first is None:
                return
            event, body = first
            target = event.target.decode("latin-1")
            if event.method == b"CONNECT":
                self._tunnel(conn, sock, target)
            elif target.startswith("/"):
                self._serve(conn, sock, _host_header(event), "http", (event, body))
            elif target.startswith(IMDS):
                self._serve(conn, sock, "169.254.169.254", "imds", (event, body))
            else:
                self._refuse(conn, sock, target, event.method.decode(), "plain HTTP through the proxy is refused")
        except (h11.ProtocolError, OSError, _Closed) as exc:
            log.debug("connection ended: %s", exc)
        except Exception:  # keep serving other connections; show what broke this one
            log.exception("proxy connection failed")

    def _refuse(
        self, conn: h11.Connection, sock: socket.socket, target: str, method: str, why: str, status: int = 403
    ) -> None:
        self.server.emulator.refuse(method, target, status, why)
        _send(conn, sock, Response(status, why.encode(), {"Content-Type": "text/plain", "Connection": "close"}))

    def _tunnel(self, conn: h11.Connection, sock: socket.socket, target: str) -> None:
        host, _, port = target.rpartition(":")
        host = host.lower()
        emu = self.server.emulator
        refusal = emu.connect_refusal(host, port)
        if refusal is not None:
            self._refuse(conn, sock, target, "CONNECT", refusal[1], refusal[0])
            return
        latency.wait(emu, host)  # the TCP connection the proxy would open to the host
        # The tunnel opens with the response head alone: after it, the bytes are TLS.
        sock.sendall(conn.send(h11.Response(status_code=200, headers=[], reason=b"Connection Established")) or b"")
        try:
            tls = emu.ca.context_for(host).wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.info("TLS handshake for %s failed: %s", host, exc)
            return
        self._serve(h11.Connection(h11.SERVER), tls, host, "https", handshake=True)

    def _serve(
        self,
        conn: h11.Connection,
        sock: socket.socket,
        host: str,
        scheme: str,
        first: tuple[h11.Request, bytes] | None = None,
        handshake: bool = False,
    ) -> None:
        emu = self.server.emulator
        while True:
            message = first or _read_message(conn, sock)
            first = None
            if message is None:
                return
            event, body = message
            if scheme == "imds" and not event.target.decode("latin-1").startswith(IMDS):
                return  # a kept-alive plain connection asked for another host: end it
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
            request = Request(event.method.decode(), host, event.target.decode("latin-1"), headers, body)
            try:
                response = emu.handle(request, scheme)
            except DropConnection:
                _reset(sock)
                raise _Closed("fault: dropped connection") from None
            if scheme == "https":  # the model's round trip, plus the TLS handshake's on a new tunnel
                latency.wait(emu, host, 2 if handshake else 1)
                handshake = False
            _send(conn, sock, response, head=request.method == "HEAD")
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()


def _host_header(event: h11.Request) -> str:
    for name, value in event.headers:
        if name.lower() == b"host":
            return value.decode("latin-1").lower()
    return "127.0.0.1"
