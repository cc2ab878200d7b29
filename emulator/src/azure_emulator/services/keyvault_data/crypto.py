"""Real key material: RSA and EC keys with the ``cryptography`` package, JWK export, wrap/unwrap.

The state keeps each key as PEM text. Parsing a PEM RSA key validates it, which costs ~0.1-0.3 s for
3072/4096 bits, so every parsed key is kept in a cache keyed by its PEM: a key is parsed at most once
per process (not at all when this process generated it), never again on a read.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa

from ...authz import b64url_uint

CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1(), "P-256K": ec.SECP256K1()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Parsed:
    """One key's parsed forms: the private key object and its public JWK members."""

    __slots__ = ("jwk", "key")

    def __init__(self, key: Any) -> None:
        self.key = key
        self.jwk = _public_members(key)


# A memo of a pure function (PEM -> parsed key), not state: shared by every emulator in the process.
_CACHE: dict[str, _Parsed] = {}
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 4096  # keys; the oldest entries go first


def _remember(pem: str, parsed: _Parsed) -> _Parsed:
    with _CACHE_LOCK:
        found = _CACHE.setdefault(pem, parsed)
        while len(_CACHE) > CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]
        return found


def generate(kty: str, size: int | None, curve: str | None, exponent: int = 65537) -> str:
    """A new private key as PKCS#8 PEM text (kept in the emulator's state)."""
    if kty.startswith("EC"):
        key: Any = ec.generate_private_key(CURVES[curve or "P-256"])
    else:
        key = rsa.generate_private_key(public_exponent=exponent, key_size=size or 2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    _remember(pem, _Parsed(key))
    return pem


def _parsed(pem: str) -> _Parsed:
    found = _CACHE.get(pem)
    if found is None:
        # Parsed outside the lock: two threads may both parse a new key once; either result is right.
        found = _remember(pem, _Parsed(serialization.load_pem_private_key(pem.encode(), password=None)))
    return found


def load(pem: str) -> Any:
    return _parsed(pem).key


def public_jwk(pem: str) -> dict[str, str]:
    """The public half as JWK members (n/e for RSA, crv/x/y for EC)."""
    return dict(_parsed(pem).jwk)


def _public_members(key: Any) -> dict[str, str]:
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {"n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
    numbers = key.public_key().public_numbers()
    name = next(n for n, c in CURVES.items() if c.name == key.curve.name)
    width = (key.curve.key_size + 7) // 8
    return {"crv": name, "x": b64url(numbers.x.to_bytes(width, "big")), "y": b64url(numbers.y.to_bytes(width, "big"))}


def key_size(pem: str) -> int:
    return load(pem).key_size


def _rsa_padding(alg: str) -> padding.AsymmetricPadding:
    if alg == "RSA-OAEP":
        return padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)  # noqa: S303
    if alg == "RSA-OAEP-256":
        return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    if alg == "RSA1_5":
        return padding.PKCS1v15()
    raise ValueError(f"the algorithm {alg!r} is not supported for RSA keys")


def wrap(pem: str, alg: str, value: bytes) -> bytes:
    key = load(pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys can wrap")
    return key.public_key().encrypt(value, _rsa_padding(alg))


def unwrap(pem: str, alg: str, value: bytes) -> bytes:
    key = load(pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys can unwrap")
    return key.decrypt(value, _rsa_padding(alg))
