"""Keys in a vault: versions, attributes, soft delete, rotation. State per vault in ``vaultData``."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from ...clouds import CLOUDS
from ...errors import KeyVaultError
from . import crypto

if TYPE_CHECKING:
    from ... import Emulator

KEY_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
RSA_SIZES = (2048, 3072, 4096)
KEY_OPS = ("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export")
DEFAULT_OPS = {"RSA": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"], "EC": ["sign", "verify"]}
MAX_TAGS = 15


def bad(message: str) -> KeyVaultError:
    return KeyVaultError(400, "BadParameter", message)


def key_not_found(name: str) -> KeyVaultError:
    return KeyVaultError(
        404,
        "KeyNotFound",
        f"A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may "
        "be able "
        "to recover it using the correct recovery command. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125182",
    )


def vault_data(emu: Emulator, vault_name: str, create: bool = False) -> dict[str, Any]:
    """A vault's keys; an empty record for a vault without any, kept in the state only when ``create``."""
    found = emu.store.data["vaultData"].get(vault_name.lower())
    if found is None:
        found = {"keys": {}, "deletedKeys": {}}
        if create:  # never on a read: reads run side by side and change nothing
            emu.store.data["vaultData"][vault_name.lower()] = found
    return found


def key_record(emu: Emulator, vault_name: str, key_name: str) -> dict[str, Any] | None:
    return vault_data(emu, vault_name)["keys"].get(key_name.lower())


def require_key(
    emu: Emulator, vault: dict[str, Any], name: str, version: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    record = key_record(emu, vault["name"], name)
    if record is None:
        raise key_not_found(name)
    version = version or record["order"][-1]
    found = record["versions"].get(version.lower())
    if found is None:
        raise key_not_found(f"{name}/{version}")
    return record, found


def _recovery(vault: dict[str, Any]) -> tuple[str, int]:
    props = vault["properties"]
    days = props.get("softDeleteRetentionInDays", 90)
    level = "Recoverable" if days == 90 else "CustomizedRecoverable"
    if not props.get("enablePurgeProtection"):
        level += "+Purgeable"
    return level, days


def kid(vault: dict[str, Any], name: str, version: str | None = None) -> str:
    base = vault["properties"]["vaultUri"].rstrip("/")
    return f"{base}/keys/{name}" + (f"/{version}" if version else "")


def bundle(vault: dict[str, Any], record: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    level, days = _recovery(vault)
    attributes = {**version["attributes"], "recoveryLevel": level, "recoverableDays": days, "exportable": False}
    jwk = {"kid": kid(vault, record["name"], version["version"]), "kty": version["kty"], "key_ops": version["key_ops"]}
    jwk.update(crypto.public_jwk(version["pem"]))
    result: dict[str, Any] = {"key": jwk, "attributes": attributes}
    if version.get("tags"):
        result["tags"] = version["tags"]
    return result


def item(vault: dict[str, Any], record: dict[str, Any], version: dict[str, Any], versioned: bool) -> dict[str, Any]:
    full = bundle(vault, record, version)
    ident = full["key"]["kid"] if versioned else kid(vault, record["name"])
    result = {"kid": ident, "attributes": full["attributes"]}
    if "tags" in full:
        result["tags"] = full["tags"]
    return result


def _attributes(given: dict[str, Any] | None, now: int, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    attrs = dict(previous or {"enabled": True, "created": now})
    for field in ("enabled", "nbf", "exp"):
        if given and given.get(field) is not None:
            attrs[field] = given[field]
    if "nbf" in attrs and "exp" in attrs and attrs["exp"] <= attrs["nbf"]:
        raise bad("The key's expiry time (exp) must be later than its activation time (nbf).")
    attrs["updated"] = now
    return attrs


def _check_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or len(tags) > MAX_TAGS:
        raise bad(f"Tags must be an object with at most {MAX_TAGS} entries.")
    return dict(tags)


def _check_ops(ops: Any, family: str) -> list[str]:
    if ops is None:
        return list(DEFAULT_OPS[family])
    unknown = [op for op in ops if op not in KEY_OPS]
    if unknown:
        raise bad(f"Invalid key operation(s): {', '.join(unknown)}. Valid operations are {', '.join(KEY_OPS)}.")
    return list(dict.fromkeys(ops))


def check_key_spec(vault: dict[str, Any], body: dict[str, Any]) -> tuple[str, int | None, str | None]:
    kty = body.get("kty")
    if kty not in ("RSA", "RSA-HSM", "EC", "EC-HSM"):
        raise bad(f"The key type '{kty}' is not supported by Key Vault vaults; use RSA, RSA-HSM, EC or EC-HSM.")
    if kty.endswith("-HSM") and vault["properties"]["sku"]["name"].lower() != "premium":
        raise bad(f"The key type '{kty}' requires a premium vault; vault '{vault['name']}' is standard.")
    if kty.startswith("RSA"):
        size = body.get("key_size") or 2048
        if size not in RSA_SIZES:
            raise bad(f"The key size {size} is not supported for RSA keys. Supported sizes are 2048, 3072 and 4096.")
        return kty, size, None
    curve = body.get("crv") or "P-256"
    if curve not in crypto.CURVES:
        raise bad(f"The curve '{curve}' is not supported. Supported curves are {', '.join(crypto.CURVES)}.")
    return kty, None, curve


def _new_version(
    emu: Emulator, kty: str, size: int | None, curve: str | None, body: dict[str, Any], now: int
) -> dict[str, Any]:
    family = "RSA" if kty.startswith("RSA") else "EC"
    return {
        "version": emu.store.new_uuid().replace("-", ""),
        "kty": kty,
        "key_ops": _check_ops(body.get("key_ops"), family),
        "pem": crypto.generate(kty, size, curve, body.get("public_exponent") or 65537),
        "attributes": _attributes(body.get("attributes"), now),
        "tags": _check_tags(body.get("tags")),
    }


def create_key(emu: Emulator, vault: dict[str, Any], name: str, body: dict[str, Any]) -> dict[str, Any]:
    if not KEY_NAME.match(name):
        raise bad(f"The request URI contains an invalid name: {name}")
    data = vault_data(emu, vault["name"], create=True)
    if name.lower() in data["deletedKeys"]:
        raise KeyVaultError(
            409,
            "Conflict",
            f"Key {name} is currently in a deleted but recoverable state, and its name cannot be reused; "
            "in this state, "
            "the key can only be recovered or purged.",
            inner="ObjectIsDeletedButRecoverable",
        )
    kty, size, curve = check_key_spec(vault, body)
    version = _new_version(emu, kty, size, curve, body, int(time.time()))
    record = data["keys"].setdefault(name.lower(), {"name": name, "versions": {}, "order": [], "rotationPolicy": None})
    record["versions"][version["version"]] = version
    record["order"].append(version["version"])
    return bundle(vault, record, version)


def rotate_key(emu: Emulator, vault: dict[str, Any], name: str) -> dict[str, Any]:
    record, current = require_key(emu, vault, name)
    now = int(time.time())
    size = crypto.key_size(current["pem"]) if current["kty"].startswith("RSA") else None
    curve = crypto.public_jwk(current["pem"]).get("crv")
    attrs: dict[str, Any] = {"enabled": True}
    expiry = ((record.get("rotationPolicy") or {}).get("attributes") or {}).get("expiryTime")
    if expiry:
        from .rotation import duration_seconds

        attrs["exp"] = now + duration_seconds(expiry)
    spec = {"key_ops": current["key_ops"], "attributes": attrs, "tags": current.get("tags")}
    version = _new_version(emu, current["kty"], size, curve, spec, now)
    record["versions"][version["version"]] = version
    record["order"].append(version["version"])
    return bundle(vault, record, version)


def update_key(
    emu: Emulator, vault: dict[str, Any], name: str, version_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    record, version = require_key(emu, vault, name, version_id)
    if body.get("key_ops") is not None:
        version["key_ops"] = _check_ops(body["key_ops"], "RSA" if version["kty"].startswith("RSA") else "EC")
    if body.get("tags") is not None:
        version["tags"] = _check_tags(body["tags"])
    version["attributes"] = _attributes(body.get("attributes"), int(time.time()), version["attributes"])
    return bundle(vault, record, version)


def plant_key(emu: Emulator, spec: dict[str, Any]) -> None:
    """Control API: a key of a shape Key Vault no longer creates (an old 1024-bit import, say)."""
    from ..arm_keyvault.models import find_vault

    vault = find_vault(emu, spec["vault"])
    if vault is None:
        raise ValueError(f"no vault named {spec['vault']}")
    kty = spec.get("kty", "RSA")
    now = int(time.time())
    pem = crypto.generate(kty, spec.get("key_size"), spec.get("crv"))
    version = {
        "version": emu.store.new_uuid().replace("-", ""),
        "kty": kty,
        "key_ops": spec.get("key_ops") or DEFAULT_OPS["RSA" if kty.startswith("RSA") else "EC"],
        "pem": pem,
        "attributes": {"enabled": spec.get("enabled", True), "created": now, "updated": now},
        "tags": spec.get("tags") or {},
    }
    data = vault_data(emu, vault["name"], create=True)
    record = data["keys"].setdefault(
        spec["name"].lower(), {"name": spec["name"], "versions": {}, "order": [], "rotationPolicy": None}
    )
    record["versions"][version["version"]] = version
    record["order"].append(version["version"])


def usable(version: dict[str, Any], now: int | None = None) -> str | None:
    """Why a key version cannot be used for crypto now, or None."""
    now = now or int(time.time())
    attrs = version["attributes"]
    if not attrs.get("enabled", True):
        return "disabled"
    if attrs.get("nbf") and now < attrs["nbf"]:
        return "not yet valid"
    if attrs.get("exp") and now >= attrs["exp"]:
        return "expired"
    return None


def parse_key_identifier(identifier: str) -> tuple[str, str, str, str | None] | None:
    """(vault host, vault name, key name, version or None) for a Key Vault key URL, else None."""
    parts = urlsplit(identifier)
    if parts.scheme != "https" or parts.query or parts.fragment:
        return None
    host = (parts.hostname or "").lower()
    vault_name = next((c.vault_name_of(host) for c in CLOUDS if c.vault_name_of(host)), None)
    segments = [s for s in parts.path.split("/") if s]
    if vault_name is None or len(segments) not in (2, 3) or segments[0] != "keys" or not KEY_NAME.match(segments[1]):
        return None
    version = segments[2] if len(segments) == 3 else None
    if version is not None and not re.fullmatch(r"[0-9a-fA-F]{32}", version):
        return None
    return host, vault_name, segments[1], version
