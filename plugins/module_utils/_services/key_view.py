# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault keys as modules return them.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import canonical_set
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import normalize_policy
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso

KEY_OPS = ["decrypt", "encrypt", "export", "import", "sign", "unwrapKey", "verify", "wrapKey"]
OPS_SPELLING = {op.lower(): op for op in KEY_OPS}
DEFAULT_OPS = ["unwrapKey", "wrapKey"]


def spelled_ops(ops):
    return [OPS_SPELLING[op] for op in canonical_set(ops)]


def normalize(key, policy):
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
        "rotation_policy": normalize_policy(policy),
        "deleted": False,
    }
