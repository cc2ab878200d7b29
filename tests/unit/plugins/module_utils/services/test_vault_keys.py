"""_services/vault_keys.py: Resource Manager's keys as the data plane's are normalized, and the lists, on a fake."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import vault_keys as api

VAULT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
VERSION = "0123456789abcdef0123456789abcdef"


def key_body(name="cmk", version=VERSION, policy=None, **attributes):
    props = {
        "attributes": dict({"enabled": True, "created": 1767225600, "recoveryLevel": "Recoverable"}, **attributes),
        "kty": "RSA",
        "keySize": 3072,
        "keyOps": ["wrapkey", "unwrapKey"],
        "keyUri": f"https://kv.vault.azure.net:443/keys/{name}",
        "keyUriWithVersion": f"https://kv.vault.azure.net:443/keys/{name}/{version}",
    }
    if policy is not None:
        props["rotationPolicy"] = policy
    return {
        "id": f"{VAULT_ID}/keys/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults/keys",
        "properties": props,
    }


def test_a_resource_manager_key_reads_as_a_data_plane_key():
    key = api.normalize(key_body(nbf=1767225600, exp=1798761600))
    assert key["id"] == f"https://kv.vault.azure.net/keys/cmk/{VERSION}"  # no :443, as accounts name keys
    assert key["versionless_id"] == "https://kv.vault.azure.net/keys/cmk" and key["version"] == VERSION
    assert (key["key_type"], key["key_size"], key["key_ops"]) == ("RSA", 3072, ["unwrapKey", "wrapKey"])
    assert (key["not_before"], key["expires"], key["enabled"]) == ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", True)
    assert key["auto_rotates"] is False and key["deleted"] is False
    # The rules judge it as they judge a key read from the data plane.
    assert key_findings(key, "key 'cmk'", now=1767225600 + 60) == []
    assert [f["code"] for f in key_findings(api.normalize(key_body(enabled=False)), "k")] == ["key_disabled"]


@pytest.mark.parametrize(
    ("policy", "rotates"),
    [
        (None, False),
        ({"attributes": {"expiryTime": "P2Y"}, "lifetimeActions": []}, False),
        ({"lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}}]}, False),
        ({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}}]}, True),
        ({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}}]}, True),
    ],
)
def test_a_rotation_policy_rotates_the_key_with_a_rotate_action(policy, rotates):
    assert api.normalize(key_body(policy=policy))["auto_rotates"] is rotates


def _keys(listed=None, versions=None):
    return Namespace(
        keys=Operations(
            list=lambda group, vault: [Model(b) for b in listed or []],
            list_versions=lambda group, vault, name: (
                versions if isinstance(versions, Exception) else [Model(b) for b in versions or []]
            ),
        )
    )


def test_a_vaults_keys_are_listed_once_by_name():
    keyvault = _keys([key_body("CMK"), key_body("other", version="f" * 32)])
    ctx = context(keyvault=keyvault)
    found = api.list_vault_keys(ctx, "rg", "kv")
    assert sorted(found) == ["cmk", "other"] and found["other"]["version"] == "f" * 32
    assert api.list_vault_keys(ctx, "rg", "KV") is found
    assert [c[:2] for c in keyvault.keys.calls] == [("list", ("rg", "kv"))]


def test_a_keys_versions_by_version():
    old = key_body(version="a" * 32, enabled=False)
    ctx = context(keyvault=_keys(versions=[old, key_body()]))
    found = api.list_key_versions(ctx, "rg", "kv", "cmk")
    assert set(found) == {"a" * 32, VERSION} and found["a" * 32]["enabled"] is False


def test_a_refused_list_is_an_error_naming_the_vault():
    from azure.core.exceptions import HttpResponseError

    ctx = context(keyvault=_keys(versions=HttpResponseError(message="Forbidden")))
    with pytest.raises(CmkError, match="list the versions of key cmk in vault kv"):
        api.list_key_versions(ctx, "rg", "kv", "cmk")
