"""Refuse every non-loopback connection and DNS lookup in test processes.

Loaded in every interpreter of the test virtual environment by a ``.pth`` line (installed by the
Makefile) and switched on by ``NETWORK_GUARD=1``, so Ansible's module subprocesses and the az CLI
are guarded too. Each refusal raises ``ConnectionRefusedError`` and is appended to the file named
by ``NETWORK_GUARD_LOG``, which the test session checks at the end: a client that bypasses the
emulator's proxy fails loudly instead of reaching (or looking up) the real Azure.

Kept to the standard library: it is imported at the start of every guarded interpreter.
"""

from __future__ import annotations

import ipaddress
import os
import socket

ENV = "NETWORK_GUARD"
LOG_ENV = "NETWORK_GUARD_LOG"
_installed = False


def is_loopback(host: object) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): a local bind
    if isinstance(host, bytes):
        host = host.decode("idna")
    text = str(host).strip("[]").lower()
    if text in ("localhost", "localhost.localdomain", "", "0.0.0.0"):  # noqa: S104 - binds, not connects
        return True
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def refuse(what: str) -> None:
    message = f"network guard: refused {what} (tests may only talk to loopback; is HTTPS_PROXY set?)"
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {what}\n")
    raise ConnectionRefusedError(message)


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not is_loopback(host):
            refuse(f"DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):  # type: ignore[no-untyped-def]
        if not is_loopback(host):
            refuse(f"DNS lookup of {host!r}")
        return real_gethostbyname(host)

    def gethostbyname_ex(host):  # type: ignore[no-untyped-def]
        if not is_loopback(host):
            refuse(f"DNS lookup of {host!r}")
        return real_gethostbyname_ex(host)

    def _check(sock: socket.socket, address: object) -> None:
        inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
        if inet and not is_loopback(address[0]):
            refuse(f"connection to {address[0]}:{address[1]}")

    def connect(self, address):  # type: ignore[no-untyped-def]
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        _check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


def install_from_env() -> None:
    if os.environ.get(ENV) == "1":
        install()
