# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys in a vault (Key Vault data plane): the calls - one read path for a key and one for its rotation
policy, each made once per run - and the key as modules return it.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import import_sdk
from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import canonical_set
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import normalize_policy
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import sdk_policy
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso

KEY_OPS = ["decrypt", "encrypt", "export", "import", "sign", "unwrapKey", "verify", "wrapKey"]
OPS_SPELLING = {op.lower(): op for op in KEY_OPS}
DEFAULT_OPS = ["unwrapKey", "wrapKey"]


def spelled_ops(ops):
    return [OPS_SPELLING[op] for op in canonical_set(ops)]


def normalize(key, policy=None):
    """An SDK KeyVaultKey (or DeletedKey) as modules return it; ``policy`` already normalized, or None."""
    props = key.properties
    return {
        "id": key.id,
        "versionless_id": "{}/keys/{}".format(props.vault_url.rstrip("/"), key.name),
        "name": key.name,
        "vault_url": props.vault_url,
        "version": props.version,
        "key_type": str(getattr(key.key_type, "value", key.key_type)),
        "key_size": len(key.key.n) * 8 if getattr(key.key, "n", None) else None,
        "key_ops": spelled_ops(str(getattr(op, "value", op)) for op in key.key_operations or []),
        "enabled": props.enabled,
        "not_before": iso(props.not_before),
        "expires": iso(props.expires_on),
        "tags": props.tags or {},
        "recovery_level": props.recovery_level,
        "created": iso(props.created_on),
        "updated": iso(props.updated_on),
        "rotation_policy": policy,
        "deleted": False,
    }


def label(vault_url, name):
    """How messages name a key: its versionless URL."""
    return "{}/keys/{}".format(vault_url.rstrip("/"), name)


def _keys(ctx, vault_url):
    return ctx.clients.keys(vault_url)


def key_read(vault_url, name, version=None):
    """The ``ctx.once`` key of a key read (what ``ctx.cached`` finds it by)."""
    return ("key", vault_url.lower().rstrip("/"), name.lower(), (version or "").lower() or None)


def get_key(ctx, vault_url, name, version=None, retry=None):
    """Key ``name`` (a version, or the newest) normalized without its policy, or None; read once per run.
    ``retry``: per-call retry options (``_lro.NO_RETRY`` for a vault whose name may not resolve)."""

    def fetch():
        found = ctx.read(
            "read key", label(vault_url, name), _keys(ctx, vault_url).get_key, name, version, **(retry or {})
        )
        return normalize(found) if found is not None else None

    return ctx.once(key_read(vault_url, name, version), fetch)


def read_ahead(ctx, key_id):
    """Start reading the key of ``key_id`` (a KeyId) in the background (``ctx.read_ahead``) - only when the run
    already knows its vault's challenge: the first request to a vault it does not know would be a challenge, and
    a vault Resource Manager has not shown may not even resolve. Without retries: the read where it is used has
    them."""
    if ctx.clients.knows_vault(key_id.vault_url):
        key = key_read(key_id.vault_url, key_id.name, key_id.version)
        ctx.read_ahead(key, lambda: get_key(ctx, key_id.vault_url, key_id.name, key_id.version, _lro.NO_RETRY))


def get_key_when_ready(ctx, vault_url, name, timeout, vault_unknown):
    """get_key, tried once without retrying a failed connection first. A vault that does not resolve is asked
    about through ``vault_unknown()`` (True: check mode, an earlier task creates it - None), else its name is
    waited for; a 403 is the caller's grant still on its way: waited for too. Both bounded by ``timeout``."""
    try:
        return get_key(ctx, vault_url, name, retry=_lro.NO_CONNECT_RETRY)
    except CmkUnreachable:
        if vault_unknown():
            return None
        dataplane.wait_until_resolves(ctx, vault_url, timeout)
    except CmkError as error:
        if error.status != 403:
            raise
        dataplane.wait_until_caller_may_read(ctx, vault_url, timeout)
    return get_key(ctx, vault_url, name)


def find_key(ctx, vault_url, name, timeout, vault_unknown, deleted=True):
    """The key (get_key_when_ready), else - with ``deleted`` - its soft-deleted self (marked ``deleted``), else
    None. A vault ``vault_unknown()`` says an earlier task creates (check mode) holds no deleted key: not asked."""
    unknown = []

    def remember_unknown():
        unknown.append(vault_unknown())
        return unknown[-1]

    key = get_key_when_ready(ctx, vault_url, name, timeout, remember_unknown)
    if key is not None or not deleted or any(unknown):
        return key
    return get_deleted_key(ctx, vault_url, name)


def get_rotation_policy(ctx, vault_url, name):
    """The key's rotation policy as modules show it, or None when it has none; read once per run. Without the
    right to read it (getrotationpolicy), CmkError - asked once, not once per account."""

    def fetch():
        keys = _keys(ctx, vault_url)
        try:
            return (
                "policy",
                normalize_policy(
                    ctx.call("read rotation policy of", label(vault_url, name), keys.get_key_rotation_policy, name)
                ),
            )
        except CmkNotFound:
            return ("policy", None)
        except CmkError as error:
            return ("error", error)

    kind, value = ctx.once(("policy", vault_url.lower().rstrip("/"), name.lower()), fetch)
    if kind == "error":
        raise value
    return value


def get_rotation_policy_or_none(ctx, vault_url, name):
    """get_rotation_policy, or None when the caller may not read it (getrotationpolicy missing)."""
    try:
        return get_rotation_policy(ctx, vault_url, name)
    except CmkError:
        return None


def get_deleted_key(ctx, vault_url, name):
    """The soft-deleted key of this name, normalized and marked deleted, or None - also when the caller may not
    read deleted keys (creating the key then fails with Key Vault's own 409, which says the name is taken)."""
    try:
        found = ctx.read("read deleted key", label(vault_url, name), _keys(ctx, vault_url).get_deleted_key, name)
    except CmkError as exc:
        if exc.status == 403:
            return None
        raise
    return dict(normalize(found), deleted=True) if found is not None else None


def list_keys(ctx, vault_url):
    """Every key of the vault, each read (newest version) with its policy where the caller may read it."""
    keys = _keys(ctx, vault_url)
    found = []
    for props in ctx.call("list keys", vault_url, list, keys.list_properties_of_keys()):
        key = get_key(ctx, vault_url, props.name)
        if key is not None:
            found.append(dict(key, rotation_policy=get_rotation_policy_or_none(ctx, vault_url, props.name)))
    return found


def list_versions(ctx, vault_url, name):
    """[(version, created epoch seconds)] of every version of the key, oldest first."""
    listed = _keys(ctx, vault_url).list_properties_of_key_versions(name)
    made = [
        (v.version, v.created_on.timestamp())
        for v in ctx.call("list versions of", label(vault_url, name), list, listed)
        if v.created_on
    ]
    return sorted(made, key=lambda item: (item[1], item[0]))


def create_key(ctx, vault_url, name, desired, expires_on, not_before):
    """A new key (or a new version with another spec), normalized, with retries off: see _lro.write_once."""
    made = _keys(ctx, vault_url).create_rsa_key(
        name,
        size=desired["key_size"],
        hardware_protected=desired["key_type"] == "RSA-HSM",
        key_operations=desired["key_ops"],
        enabled=desired["enabled"],
        not_before=not_before,
        expires_on=expires_on,
        tags=desired["tags"],
        **_lro.NO_RETRY,
    )
    return normalize(made)


def rotate_key(ctx, vault_url, name):
    """A new version of the same spec, normalized, with retries off: see _lro.write_once."""
    return normalize(_keys(ctx, vault_url).rotate_key(name, **_lro.NO_RETRY))


def update_key(ctx, vault_url, name, version=None, **attributes):
    """Key Vault's update of a version (the newest when None): ``key_operations``, ``enabled``, ``not_before``,
    ``expires_on``, ``tags``."""
    what = label(vault_url, name) + (f"/{version}" if version else "")
    ctx.call("update key", what, _keys(ctx, vault_url).update_key_properties, name, version, **attributes)


def set_rotation_policy(ctx, vault_url, name, policy):
    rotation_policy = import_sdk("azure.keyvault.keys", "azure-keyvault-keys").KeyRotationPolicy

    actions, expires_in = sdk_policy(policy)
    keys = _keys(ctx, vault_url)
    ctx.call(
        "set rotation policy of",
        label(vault_url, name),
        keys.update_key_rotation_policy,
        name,
        rotation_policy(),
        lifetime_actions=actions,
        expires_in=expires_in,
    )


def recover_key(ctx, vault_url, name, timeout):
    poller = ctx.call("recover key", label(vault_url, name), _keys(ctx, vault_url).begin_recover_deleted_key, name)
    ctx.call("recover key", label(vault_url, name), _lro.wait, poller, timeout, "recovery of key " + name)


def purge_key(ctx, vault_url, name):
    ctx.call("purge key", label(vault_url, name), _keys(ctx, vault_url).purge_deleted_key, name)


def delete_key(ctx, vault_url, name, timeout):
    poller = ctx.call("delete key", label(vault_url, name), _keys(ctx, vault_url).begin_delete_key, name)
    _lro.wait(poller, timeout, "deletion of key " + name)
