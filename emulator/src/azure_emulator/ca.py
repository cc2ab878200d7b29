"""The emulator's own certificate authority: one CA, a leaf per host, issued on demand."""

from __future__ import annotations

import os
import ssl
import threading
from pathlib import Path

import trustme

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"


class CertificateAuthority:
    """Kept in ``ca_dir`` so a restarted emulator stays trusted by clients that hold ca.pem."""

    def __init__(self, ca_dir: Path) -> None:
        self.ca_dir = ca_dir
        ca_dir.mkdir(parents=True, exist_ok=True)
        cert, key = ca_dir / CA_CERT, ca_dir / CA_KEY
        if cert.exists() and key.exists():
            self._ca = trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
        else:
            self._ca = trustme.CA(organization_name="azure-emulator test CA")
            _write_private(key, self._ca.private_key_pem.bytes())
            self._ca.cert_pem.write_to_path(str(cert))
        self.ca_file = cert
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server context whose certificate names exactly ``host``."""
        with self._lock:
            ctx = self._contexts.get(host)
            if ctx is None:
                ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                ctx.set_alpn_protocols(["http/1.1"])
                self._ca.issue_cert(host).configure_cert(ctx)
                self._contexts[host] = ctx
            return ctx


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
