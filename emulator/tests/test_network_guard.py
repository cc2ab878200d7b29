"""Done-means 7: tests refuse any non-loopback connection or DNS lookup, loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import network_guard

PROBE = textwrap.dedent(
    """
    import socket, network_guard
    network_guard.install_from_env()
    results = []
    for label, action in [
        ("dns", lambda: socket.getaddrinfo("management.azure.com", 443)),
        ("connect", lambda: socket.socket().connect(("10.255.255.53", 53))),
        ("https", lambda: __import__("requests").get("https://login.microsoftonline.com/", timeout=2)),
    ]:
        try:
            action()
            results.append(label + ":allowed")
        except Exception as exc:
            results.append(label + ":" + ("refused" if "network guard" in repr(exc) else "other " + repr(exc)))
    server = socket.create_server(("127.0.0.1", 0))
    socket.create_connection(server.getsockname(), timeout=1).close()
    results.append("loopback:allowed")
    print(" ".join(results))
    """
)


def _probe(tmp_path, **env):
    log = tmp_path / "refused.log"
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    clean.update({network_guard.LOG_ENV: str(log), **env})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, capture_output=True, text=True, timeout=60, check=True
    )
    return out.stdout.split(), log


def test_guard_refuses_dns_and_connections_and_logs_them(tmp_path):
    results, log = _probe(tmp_path, NETWORK_GUARD="1")
    assert results == ["dns:refused", "connect:refused", "https:refused", "loopback:allowed"]
    lines = log.read_text().splitlines()
    assert any("management.azure.com" in line for line in lines)
    assert any("10.255.255.53:53" in line for line in lines)


def test_guard_is_on_in_this_test_session():
    assert os.environ[network_guard.ENV] == "1"
    assert network_guard._installed


def test_loopback_names_are_recognised():
    assert (
        network_guard.is_loopback("127.0.0.1")
        and network_guard.is_loopback("::1")
        and network_guard.is_loopback("localhost")
    )
    assert not network_guard.is_loopback("10.0.0.1") and not network_guard.is_loopback("management.azure.com")
