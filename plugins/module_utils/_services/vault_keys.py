# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A vault's keys through Resource Manager (``Microsoft.KeyVault/vaults/keys``, the control plane): the list of a
vault's keys - each at its newest version, with its attributes and rotation policy - and the versions of one key.
A Resource Manager read: a Reader may make it, and a vault's firewall does not block it ("firewalls apply only to
the data plane"), so an estate's report reads key state without Key Vault's data plane. The keys come in the
shape key.normalize gives (the rules judge both alike).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import spelled_ops
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso


def _time(epoch):
    return iso(datetime.fromtimestamp(epoch, tz=timezone.utc)) if epoch is not None else None


def _uri(text):
    """A key URI as Key Vault's data plane spells it (Resource Manager's carry ``:443``)."""
    return (text or "").replace(":443/", "/")


def rotates_itself(policy):
    """Whether a rotation policy (Resource Manager's shape) rotates the key: a lifetime action of type rotate."""
    actions = (policy or {}).get("lifetimeActions") or []
    return any(((a.get("action") or {}).get("type") or "").lower() == "rotate" for a in actions)


def normalize(body):
    """A Resource Manager key (a version, or a key at its newest version) as key.normalize shapes a data-plane key,
    with ``auto_rotates`` (its rotation policy rotates it)."""
    props = body.get("properties") or {}
    attributes = props.get("attributes") or {}
    versioned = _uri(props.get("keyUriWithVersion"))
    versionless = _uri(props.get("keyUri")) or versioned.rsplit("/", 1)[0]
    return {
        "id": versioned,
        "versionless_id": versionless,
        "name": body.get("name"),
        "vault_url": versionless.split("/keys/")[0] + "/",
        "version": versioned.rsplit("/", 1)[-1] or None,
        "key_type": props.get("kty"),
        "key_size": props.get("keySize"),
        "key_ops": spelled_ops(props.get("keyOps") or []),
        "enabled": attributes.get("enabled"),
        "not_before": _time(attributes.get("nbf")),
        "expires": _time(attributes.get("exp")),
        "tags": body.get("tags") or {},
        "recovery_level": attributes.get("recoveryLevel"),
        "created": _time(attributes.get("created")),
        "updated": _time(attributes.get("updated")),
        "auto_rotates": rotates_itself(props.get("rotationPolicy")),
        "deleted": False,
    }


def _all(operation, *args):
    return list(operation(*args))  # the pages, read inside the error boundary


def list_vault_keys(ctx, resource_group, vault_name):
    """{key name, lower-cased: the key at its newest version} of the vault; listed once per run. ``ctx`` is the
    vault's subscription's."""

    def fetch():
        found = ctx.call(
            "list the keys of vault", vault_name, _all, ctx.clients.keyvault.keys.list, resource_group, vault_name
        )
        return {key["name"].lower(): key for key in (normalize(rest_dict(k)) for k in found)}

    return ctx.once(("arm keys", vault_name.lower()), fetch)


def list_key_versions(ctx, resource_group, vault_name, name):
    """{version, lower-cased: that version} of key ``name``; listed once per run."""

    def fetch():
        operation, label = ctx.clients.keyvault.keys.list_versions, f"{name} in vault {vault_name}"
        found = ctx.call("list the versions of key", label, _all, operation, resource_group, vault_name, name)
        return {key["version"].lower(): key for key in (normalize(rest_dict(k)) for k in found) if key["version"]}

    return ctx.once(("arm key versions", vault_name.lower(), name.lower()), fetch)
