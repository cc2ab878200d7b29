"""_rules.key_access_findings: the judgment of what _audit read about one principal and one key, as a table
(no read made: the facts are given)."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _rules
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

KEY_ID = parse_key_identifier("https://kv-cmk.vault.azure.net/keys/cmk/" + "a" * 32, get_cloud("AzureCloud"))
VERSIONLESS = parse_key_identifier("https://kv-cmk.vault.azure.net/keys/cmk", get_cloud("AzureCloud"))
VAULT = {
    "name": "kv-cmk",
    "tenant_id": "t1",
    "enable_soft_delete": True,
    "enable_purge_protection": True,
    "enable_rbac_authorization": False,
}
KEY = {
    "version": "a" * 32,
    "versionless_id": "https://kv-cmk.vault.azure.net/keys/cmk",
    "key_type": "RSA",
    "key_size": 3072,
    "key_ops": ["unwrapKey", "wrapKey"],
    "enabled": True,
    "not_before": None,
    "expires": None,
}


def facts(**changes):
    base = {
        "key_identifier": "https://kv-cmk.vault.azure.net/keys/cmk/" + "a" * 32,
        "key_id": KEY_ID,
        "vault": VAULT,
        "missing": [],
        "key": KEY,
        "principal": "identity 'id'",
        "principal_id": "p",
        "grants": True,
        "account_tenant": "t1",
        "subscription_id": "s",
        "vault_group": None,
    }
    base.update(changes)
    return base


CASES = [
    ("usable", facts(), []),
    (
        "invalid id",
        facts(invalid="key_identifier: 'x' is not a Key Vault key URL"),
        [("key_identifier_invalid", "error")],
    ),
    ("no grant", facts(missing=["get", "wrapKey"]), [("identity_lacks_access", "error")]),
    ("no identity", facts(principal_id=None), [("no_identity", "error")]),
    ("identity not known yet", facts(principal_id=None, grants=False), []),
    ("vault of another tenant", facts(vault=dict(VAULT, tenant_id="t2")), [("vault_tenant_mismatch", "error")]),
    (
        "no purge protection",
        facts(vault=dict(VAULT, enable_purge_protection=False)),
        [("vault_purge_protection_disabled", "error")],
    ),
    ("no soft delete", facts(vault=dict(VAULT, enable_soft_delete=False)), [("vault_soft_delete_disabled", "error")]),
    (
        "not in the group given",
        facts(vault=None, vault_group="rg-kv"),
        [("vault_not_found", "error")],
    ),
    ("in another subscription", facts(vault=None, challenge_tenant="t1"), [("vault_not_found", "unknown")]),
    (
        "in another tenant's subscription",
        facts(vault=None, challenge_tenant="t2"),
        [("vault_tenant_mismatch", "error")],
    ),
    ("a name that does not resolve", facts(vault=None, unresolved=True), [("vault_unreachable", "error")]),
    (
        "known vault unreachable",
        facts(key=None, key_error=("unreachable", "proxy")),
        [("vault_unreachable", "unknown")],
    ),
    (
        "vault not in its group, its name not answering: one finding",
        facts(vault=None, key=None, vault_group="rg-keys", key_error=("unreachable", "proxy")),
        [("vault_not_found", "error")],
    ),
    (
        "unknown vault unreachable",
        facts(vault=None, key=None, key_error=("unreachable", "proxy")),
        [("vault_not_found", "unknown"), ("vault_unreachable", "error")],
    ),
    ("key unreadable", facts(key=None, key_error=("unreadable", "Forbidden")), [("key_unreadable", "unknown")]),
    ("key missing", facts(key=None), [("key_missing", "error")]),
    ("key disabled", facts(key=dict(KEY, enabled=False)), [("key_disabled", "error")]),
    ("key expired", facts(key=dict(KEY, expires="2001-01-01T00:00:00Z")), [("key_expired", "error")]),
    (
        "key expiring",
        facts(key=dict(KEY, expires="2999-01-01T00:00:00Z"), expiry_days=365 * 2000),
        [("key_expiring", "warning")],
    ),
    ("EC key", facts(key=dict(KEY, key_type="EC", key_size=None)), [("key_type_unsupported", "error")]),
    ("no wrapKey", facts(key=dict(KEY, key_ops=["unwrapKey"])), [("key_ops_missing", "error")]),
    ("pinned to an old version", facts(newest_version="b" * 32), [("pinned_old_version", "warning")]),
    ("pinned, rotating", facts(auto_rotates=True), [("pinned_version_with_rotation_policy", "warning")]),
    ("versionless, rotating", facts(key_id=VERSIONLESS, auto_rotates=True, newest_version="b" * 32), []),
    (
        "RBAC vault without the role",
        facts(vault=dict(VAULT, enable_rbac_authorization=True), missing=["Microsoft.KeyVault/vaults/keys/read"]),
        [("identity_lacks_access", "error")],
    ),
]


@pytest.mark.parametrize("given, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_key_access_findings(given, expected):
    assert [(f["code"], f["severity"]) for f in _rules.key_access_findings(given)] == expected


def test_the_messages_name_what_a_person_knows():
    (grant,) = _rules.key_access_findings(facts(vault=dict(VAULT, enable_rbac_authorization=True), missing=["x"]))
    assert grant["message"] == (
        "identity 'id' lacks x on vault 'kv-cmk'; grant it the role 'Key Vault Crypto Service Encryption User' on the "
        "vault or key (azure_cmk.batch.keyvault_access_policy)"
    )
    (other,) = _rules.key_access_findings(facts(vault=None, challenge_tenant="t2"))
    assert (
        "vault 'kv-cmk' is in tenant t2 (its Key Vault challenge says so), not the account's tenant t1"
        in other["message"]
    )
    (typo,) = _rules.key_access_findings(facts(vault=None, unresolved=True))
    assert typo["message"].endswith("(is the vault name right?)")


@pytest.mark.parametrize(
    ("account", "codes"),
    [
        ({"name": "a", "resource_group": "rg", "missing": True}, ["account_missing"]),
        ({"name": "a", "key_source": "Microsoft.Batch"}, ["not_on_cmk", "x"]),
        (
            {"name": "a", "key_source": "Microsoft.KeyVault", "recovering": True, "unavailable_reason": "slow"},
            ["x", "account_recovering"],
        ),
        ({"name": "a", "key_source": "Microsoft.KeyVault"}, ["x"]),
    ],
)
def test_account_findings(account, codes):
    found = [_rules.finding("x", "error", "s", "m")]
    assert [f["code"] for f in _rules.account_findings(account, found)] == codes


@pytest.mark.parametrize(
    ("key", "codes"),
    [
        (dict(KEY, deleted=True), ["key_soft_deleted"]),
        (dict(KEY, deleted=False), []),
        (dict(KEY, enabled=False), ["key_disabled"]),
    ],
)
def test_key_fitness(key, codes):
    assert [f["code"] for f in _rules.key_fitness(key, "key 'cmk'")] == codes
