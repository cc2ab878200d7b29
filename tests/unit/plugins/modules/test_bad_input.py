"""Done-means 4: bad input across the modules fails before any write, naming the option and the rule.

The world is built once per worker (modules and emulator state) and restored before each case.
"""

from __future__ import annotations

import copy

import pytest
from conftest import writes_since
from seeded import AUTOMATION
from seeded import OFFICER
from seeded import RG

from ansible_collections.azure_cmk.batch.plugins.modules import batch_account_cmk
from ansible_collections.azure_cmk.batch.plugins.modules import cmk_compliance_info
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_access_policy
from ansible_collections.azure_cmk.batch.plugins.modules import keyvault_cmk_key
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity_info

KV = "https://kv-good.vault.azure.net/keys/"
_WORLD = {}


def _build(run_module, emulator, control):
    def ok(main, args):
        result = run_module(main, args)
        assert not result.get("failed"), (args, result["msg"])

    def vault(name, rbac=False):
        ok(
            keyvault.main,
            {"name": name, "resource_group": RG, "enable_purge_protection": True, "enable_rbac_authorization": rbac},
        )

    vault("kv-good")
    vault("kv-soft")
    vault("kv-rbac", rbac=True)
    for name in ("kv-good", "kv-soft"):
        ok(
            keyvault_access_policy.main,
            {"vault_name": name, "resource_group": RG, "object_id": AUTOMATION, "key_permissions": OFFICER},
        )
    ok(
        keyvault_access_policy.main,
        {"vault_name": "kv-rbac", "resource_group": RG, "object_id": AUTOMATION, "role": "Key Vault Crypto Officer"},
    )
    for vault_name in ("kv-good", "kv-soft", "kv-rbac"):
        ok(keyvault_cmk_key.main, {"vault_name": vault_name, "resource_group": RG, "name": "cmk"})
    ok(keyvault_cmk_key.main, {"vault_name": "kv-good", "resource_group": RG, "name": "off", "enabled": False})
    sub = emulator.ready_info()["subscription_id"]
    control(
        "POST",
        "seed",
        json={"resource_groups": [{"subscription_id": sub, "name": "rg-other", "location": "westeurope"}]},
    )
    control("POST", "seed", json={"keys": [
        {"vault": "kv-good", "name": "ec", "kty": "EC"},
        {"vault": "kv-good", "name": "small", "key_size": 1024, "key_ops": ["wrapKey", "unwrapKey"]},
        {"vault": "kv-good", "name": "nowrap", "key_ops": ["wrapKey", "encrypt"]},
    ]})  # fmt: skip
    ok(user_identity.main, {"name": "id-good", "resource_group": RG})
    for name in ("kv-good", "kv-soft"):
        ok(keyvault_access_policy.main, {"vault_name": name, "resource_group": RG, "identity": "id-good"})
    ok(batch_account_cmk.main, {"name": "sysacct", "resource_group": RG, "identity_type": "SystemAssigned"})
    ok(batch_account_cmk.main, {"name": "plainacct", "resource_group": RG})
    ok(keyvault_access_policy.main, {"vault_name": "kv-good", "resource_group": RG, "batch_account": "sysacct"})
    with emulator.store.lock:
        soft = emulator.store.resource(
            f"/subscriptions/{emulator.ready_info()['subscription_id']}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/kv-soft"
        )
        del soft["properties"]["enablePurgeProtection"]  # an old vault, from before purge protection was required
    return emulator.store.snapshot()


@pytest.fixture
def world(run_module, emulator, control):
    if "state" not in _WORLD:
        _WORLD["state"] = _build(run_module, emulator, control)
    with emulator.store.lock:
        emulator.store.replace(copy.deepcopy(_WORLD["state"]))
    return emulator


def _id(name):
    return dict(
        name="batchnew",
        resource_group=RG,
        identity_type="UserAssigned",
        user_assigned_identity="id-good",
        key_source="Microsoft.KeyVault",
        key_identifier=KV + name,
    )


def _sys(key_identifier):
    return dict(name="sysacct", resource_group=RG, key_source="Microsoft.KeyVault", key_identifier=key_identifier)


def _key(**extra):
    return dict({"vault_name": "kv-good", "resource_group": RG, "name": "cmk"}, **extra)


def _tenant_moved(emulator):
    vault = next(v for v in emulator.store.resources(rtype="Microsoft.KeyVault/vaults") if v["name"] == "kv-good")
    vault["properties"]["tenantId"] = "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d"


def _key_dates(**attributes):
    def prepare(emulator):
        record = emulator.store.data["vaultData"]["kv-good"]["keys"]["cmk"]
        record["versions"][record["order"][-1]]["attributes"].update(attributes)

    return prepare


CASES = [
    # Issue 18: plain mistakes that check mode used to show as changes.
    (
        "grant-guid-as-identity-name",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "identity": "11111111-2222-4333-8444-555555555555"},
        "identity: '11111111-2222-4333-8444-555555555555' is a GUID, and no user-assigned identity of that name",
    ),
    (
        "grant-wrong-vault-group",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": "rg-other", "identity": "id-good", "principal_resource_group": RG},
        "resource_group: vault 'kv-good' is in resource group 'rg-cmk', not 'rg-other'",
    ),
    # user_identity / user_identity_info
    ("identity-bad-name", user_identity.main, {"name": "x!", "resource_group": RG}, "name: 'x!' is not valid"),
    (
        "identity-missing-group",
        user_identity.main,
        {"name": "id-new", "resource_group": "rg-nope"},
        "resource_group: 'rg-nope' does not exist",
    ),
    (
        "identity-moves",
        user_identity.main,
        {"name": "id-good", "resource_group": RG, "location": "eastus"},
        "location: identity 'id-good' is in westeurope",
    ),
    (
        "identity-info-name-without-group",
        user_identity_info.main,
        {"name": "id-good"},
        "missing parameter(s) required by 'name': resource_group",
    ),
    # keyvault
    (
        "vault-bad-name",
        keyvault.main,
        {"name": "kv--x", "resource_group": RG, "enable_purge_protection": True},
        "name: 'kv--x' is not valid",
    ),
    (
        "vault-retention-range",
        keyvault.main,
        {"name": "kv-new", "resource_group": RG, "enable_purge_protection": True, "soft_delete_retention_days": 3},
        "soft_delete_retention_days: 3 is out of range",
    ),
    (
        "vault-without-purge-protection",
        keyvault.main,
        {"name": "kv-new", "resource_group": RG},
        "enable_purge_protection: vault 'kv-new' would have no purge protection",
    ),
    (
        "vault-purge-protection-off",
        keyvault.main,
        {"name": "kv-good", "resource_group": RG, "enable_purge_protection": False},
        "can never be turned off",
    ),
    (
        "vault-retention-change",
        keyvault.main,
        {"name": "kv-good", "resource_group": RG, "enable_purge_protection": True, "soft_delete_retention_days": 30},
        "soft_delete_retention_days: vault 'kv-good' keeps",
    ),
    (
        "vault-bad-sku",
        keyvault.main,
        {"name": "kv-good", "resource_group": RG, "sku": "gold"},
        "value of sku must be one of",
    ),
    (
        "vault-moves",
        keyvault.main,
        {"name": "kv-good", "resource_group": RG, "enable_purge_protection": True, "location": "eastus"},
        "location: vault 'kv-good' is in westeurope",
    ),
    (
        "vault-missing-group",
        keyvault.main,
        {"name": "kv-new", "resource_group": "rg-nope", "enable_purge_protection": True},
        "resource_group: 'rg-nope' does not exist",
    ),
    (
        "vault-name-taken",
        keyvault.main,
        {"name": "kv-good", "resource_group": "rg-other", "enable_purge_protection": True},
        "name: vault name 'kv-good' is not available",
    ),
    # keyvault_access_policy
    (
        "policy-unknown-permission",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "object_id": AUTOMATION, "key_permissions": ["get", "wrap"]},
        "key_permissions: unknown permission(s) wrap",
    ),
    (
        "policy-bad-object-id",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "object_id": "not-a-guid"},
        "object_id: 'not-a-guid' is not valid (a GUID)",
    ),
    (
        "policy-missing-vault",
        keyvault_access_policy.main,
        {"vault_name": "kv-none", "resource_group": RG, "object_id": AUTOMATION},
        "vault_name: vault 'kv-none' does not exist",
    ),
    (
        "policy-unknown-identity",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "identity": "id-none"},
        "identity: user-assigned identity 'id-none' does not exist",
    ),
    (
        "policy-account-without-identity",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "batch_account": "plainacct"},
        "batch_account: Batch account 'plainacct' has no system-assigned identity",
    ),
    (
        "policy-two-principals",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "object_id": AUTOMATION, "identity": "id-good"},
        "parameters are mutually exclusive: object_id|identity|batch_account",
    ),
    (
        "policy-no-principal",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG},
        "one of the following is required: caller, object_id, identity, batch_account",
    ),
    (
        "policy-unknown-role",
        keyvault_access_policy.main,
        {"vault_name": "kv-rbac", "resource_group": RG, "object_id": AUTOMATION, "role": "Key Vault Wizard"},
        "role: no role named 'Key Vault Wizard'",
    ),
    # keyvault_cmk_key
    (
        "key-ec",
        keyvault_cmk_key.main,
        _key(name="new", key_type="EC"),
        "value of key_type must be one of: RSA, RSA-HSM, got: EC",
    ),
    (
        "key-1024",
        keyvault_cmk_key.main,
        _key(name="new", key_size=1024),
        "value of key_size must be one of: 2048, 3072, 4096, got: 1024",
    ),
    (
        "key-no-unwrap",
        keyvault_cmk_key.main,
        _key(name="new", key_ops=["wrapKey", "encrypt"]),
        "key_ops: the key's permitted operations must include wrapKey and unwrapKey (missing unwrapKey)",
    ),
    (
        "key-unknown-op",
        keyvault_cmk_key.main,
        _key(name="new", key_ops=["wrapKey", "unwrapKey", "shred"]),
        "key_ops: unknown operation(s) shred",
    ),
    (
        "key-unprotected-vault",
        keyvault_cmk_key.main,
        _key(vault_name="kv-soft", name="new"),
        "vault_name: vault 'kv-soft' does not have purge protection enabled",
    ),
    ("key-size-change", keyvault_cmk_key.main, _key(key_size=4096), "key_size: key 'cmk' is 2048"),
    (
        "key-rotation-too-soon",
        keyvault_cmk_key.main,
        _key(rotation_policy={"rotate_after_create": "P3D"}),
        "rotation_policy.rotate_after_create: P3D is shorter than the 7 days",
    ),
    (
        "key-bad-duration",
        keyvault_cmk_key.main,
        _key(rotation_policy={"expires_in": "one year"}),
        "rotation_policy.expires_in: 'one year' is not an ISO 8601 duration",
    ),
    (
        "key-bad-expiry",
        keyvault_cmk_key.main,
        _key(expires="next tuesday"),
        "expires: 'next tuesday' is not an ISO 8601 date-time",
    ),
    (
        "key-expires-before-start",
        keyvault_cmk_key.main,
        _key(not_before="2030-01-01T00:00:00Z", expires="2029-01-01T00:00:00Z"),
        "expires: must be later than not_before",
    ),
    ("key-bad-vault-name", keyvault_cmk_key.main, _key(vault_name="1kv"), "vault_name: '1kv' is not valid"),
    # batch_account_cmk
    (
        "account-bad-name",
        batch_account_cmk.main,
        {"name": "Batch_01", "resource_group": RG},
        "name: 'Batch_01' is not valid (3-24 lowercase letters and digits)",
    ),
    (
        "account-malformed-key-id",
        batch_account_cmk.main,
        _sys("https://kv-good.vault.azure.net/secrets/cmk"),
        "key_identifier: 'https://kv-good.vault.azure.net/secrets/cmk' is not a Key Vault key URL",
    ),
    (
        "account-key-id-other-cloud",
        batch_account_cmk.main,
        _sys("https://kv-good.vault.azure.cn/keys/cmk"),
        "is not a Key Vault key URL of the form https://<vault>.vault.azure.net/keys/<name>",
    ),
    (
        "account-unknown-identity",
        batch_account_cmk.main,
        dict(_id("cmk"), user_assigned_identity="id-none"),
        "user_assigned_identity: identity",
    ),
    ("account-ec-key", batch_account_cmk.main, _sys(KV + "ec"), "[key_type_unsupported]"),
    ("account-1024-key", batch_account_cmk.main, _sys(KV + "small"), "[key_size_unsupported]"),
    ("account-no-unwrap", batch_account_cmk.main, _sys(KV + "nowrap"), "[key_ops_missing]"),
    (
        "account-unprotected-vault",
        batch_account_cmk.main,
        _id("cmk") | {"key_identifier": "https://kv-soft.vault.azure.net/keys/cmk"},
        "[vault_purge_protection_disabled]",
    ),
    (
        "account-identity-without-access",
        batch_account_cmk.main,
        _sys("https://kv-soft.vault.azure.net/keys/cmk"),
        "[identity_lacks_access]",
    ),
    (
        "account-rbac-without-role",
        batch_account_cmk.main,
        _id("cmk") | {"key_identifier": "https://kv-rbac.vault.azure.net/keys/cmk"},
        "[identity_lacks_access]",
    ),
    ("account-disabled-key", batch_account_cmk.main, _sys(KV + "off"), "[key_disabled]"),
    ("account-missing-key", batch_account_cmk.main, _sys(KV + "nosuchkey"), "[key_missing]"),
    ("account-wrong-tenant", batch_account_cmk.main, _sys(KV + "cmk"), "[vault_tenant_mismatch]"),
    (
        "account-cmk-without-identity",
        batch_account_cmk.main,
        dict(name="plainacct", resource_group=RG, key_source="Microsoft.KeyVault", key_identifier=KV + "cmk"),
        "identity_type: key_source Microsoft.KeyVault needs a managed identity; set SystemAssigned",
    ),
    (
        "account-system-assigned-one-step",
        batch_account_cmk.main,
        dict(_sys(KV + "cmk"), name="newsys", identity_type="SystemAssigned"),
        "Use two steps",
    ),
    (
        "account-moves",
        batch_account_cmk.main,
        {"name": "sysacct", "resource_group": RG, "location": "eastus"},
        "location: Batch account 'sysacct' has location westeurope",
    ),
    (
        "account-bad-storage",
        batch_account_cmk.main,
        {
            "name": "sysacct",
            "resource_group": RG,
            "auto_storage_account": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Sql/servers/z",
        },
        "auto_storage_account: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Sql/servers/z' is not a storage account",
    ),
    (
        "account-cmk-without-key",
        batch_account_cmk.main,
        {"name": "sysacct", "resource_group": RG, "key_source": "Microsoft.KeyVault"},
        "key_source is Microsoft.KeyVault but all of the following are missing: key_identifier",
    ),
    # the report, and authentication
    (
        "report-names-without-group",
        cmk_compliance_info.main,
        {"names": ["a"]},
        "missing parameter(s) required by 'names': resource_group",
    ),
    (
        "auth-unknown-cloud",
        user_identity.main,
        {"name": "id-good", "resource_group": RG, "cloud_environment": "AzureMoon"},
        "cloud_environment: 'AzureMoon' is not a known Azure cloud",
    ),
    (
        "auth-no-cert-validation",
        user_identity.main,
        {"name": "id-good", "resource_group": RG, "cert_validation_mode": "ignore"},
        "cert_validation_mode: 'ignore' is not supported",
    ),
    # Truthful runs (issue 11): mistakes that used to crash, pass silently or point the wrong way.
    (
        "policy-caller-and-object-id",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "caller": True, "object_id": AUTOMATION},
        "caller: true names the principal already; it excludes object_id",
    ),
    (
        "policy-null-principal",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "object_id": None},
        "the principal to grant is null, empty or false",
    ),
    (
        "policy-caller-false-alone",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "caller": False},
        "the principal to grant is null, empty or false",
    ),
    (
        "policy-empty-permissions",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "caller": True, "key_permissions": []},
        "key_permissions: is empty",
    ),
    (
        "account-null-key-identifier",
        batch_account_cmk.main,
        dict(_sys(None)),
        "key_identifier: is null or empty",
    ),
    (
        "account-wrong-vault-group",
        batch_account_cmk.main,
        dict(_id("cmk"), key_vault_resource_group="rg-other"),
        "key_vault_resource_group: vault 'kv-good' is in resource group 'rg-cmk', not 'rg-other'",
    ),
    (
        "account-vault-typo",
        batch_account_cmk.main,
        dict(_id("cmk"), key_identifier="https://kv-goood.vault.azure.net/keys/cmk"),
        "kv-goood.vault.azure.net does not answer and no vault of that name is in subscription",
    ),
    (
        "account-identity-in-other-group",
        batch_account_cmk.main,
        dict(_id("cmk"), identity_resource_group="rg-other"),
        "identity 'id-good' is not in resource group 'rg-other' (an identity of that name is in rg-cmk)",
    ),
    (
        "key-expired-at-creation",
        keyvault_cmk_key.main,
        _key(name="stale", expires="2020-01-01T00:00:00Z"),
        "expires: key 'stale' in vault 'kv-good' expired at 2020-01-01T00:00:00Z - a new key would be unusable",
    ),
    (
        "key-not-yet-valid-at-creation",
        keyvault_cmk_key.main,
        _key(name="later", not_before="2099-01-01T00:00:00Z"),
        "not_before: key 'later' in vault 'kv-good' is not active before 2099-01-01T00:00:00Z",
    ),
    (
        "key-silently-disabled",
        keyvault_cmk_key.main,
        _key(name="off"),
        "enabled: key 'off' in vault 'kv-good' is disabled: Batch accounts cannot use it; enable it with enabled: true",
    ),
    (
        "key-silently-expired",
        keyvault_cmk_key.main,
        _key(),
        "expires: key 'cmk' in vault 'kv-good' expired at 2001-09-09T01:46:40Z: Batch accounts cannot use it; set a later expires",
    ),
    (
        "key-silently-inactive",
        keyvault_cmk_key.main,
        _key(),
        "not_before: key 'cmk' in vault 'kv-good' is not active before 2096-10-02T07:06:40Z: Batch accounts cannot use it; set an earlier not_before",
    ),
    (
        "key-silently-small",
        keyvault_cmk_key.main,
        _key(name="small"),
        "key_size: key 'small' in vault 'kv-good' has 1024 bits",
    ),
    # Reliability (issue 9 item 6): inputs that used to reach the unexpected-error path, or Azure unchecked.
    (
        "identity-empty-group",
        user_identity.main,
        {"name": "id-new", "resource_group": ""},
        "resource_group: '' is not valid",
    ),
    (
        "policy-empty-object-id",
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "object_id": ""},
        "the principal to grant is null, empty or false",
    ),
    (
        "auth-malformed-tenant",
        user_identity.main,
        {
            "name": "id-new",
            "resource_group": RG,
            "client_id": "c",
            "secret": "a-secret-value",
            "tenant": "not a tenant!",
        },
        "tenant: 'not a tenant!' (from module parameters) is not a tenant id or domain",
    ),
    (
        "account-negative-wait",
        batch_account_cmk.main,
        dict(_id("cmk"), wait_timeout=-5),
        "wait_timeout: must be more than 0 seconds, not -5",
    ),
    (
        "grant-batch-account-id-of-a-subscription",  # issue 18: ended in "Unexpected error: ValueError"
        keyvault_access_policy.main,
        {"vault_name": "kv-good", "resource_group": RG, "batch_account": "/subscriptions/x"},
        "batch_account: '/subscriptions/x' is not the id of a Microsoft.Batch/batchAccounts resource",
    ),
    (
        "vault-in-another-tenant",  # issue 18: it created the vault, then failed
        keyvault.main,
        {
            "name": "kv-fabrikam-x",
            "resource_group": RG,
            "enable_purge_protection": True,
            "vault_tenant": "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d",
        },
        "vault_tenant: a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d is not the tenant of subscription",
    ),
    (
        "account-zero-wait",  # issue 18: it used to write the account, then fail at once, leaving it Creating
        batch_account_cmk.main,
        dict(_id("cmk"), wait_timeout=0),
        "wait_timeout: must be more than 0 seconds, not 0",
    ),
    (
        "key-zero-wait",
        keyvault_cmk_key.main,
        _key(wait_timeout=0),
        "wait_timeout: must be more than 0 seconds, not 0",
    ),
    (
        "identity-nested-tag",  # issue 18: written as the text "{'team': 'x'}" without a word
        user_identity.main,
        {"name": "id-new", "resource_group": RG, "tags": {"owner": {"team": "x"}}},
        "tags: the value of 'owner' is a dict; tag values are text",
    ),
    (
        "vault-nested-tag",
        keyvault.main,
        {"name": "kv-new-tags", "resource_group": RG, "enable_purge_protection": True, "tags": {"a": [1, 2]}},
        "tags: the value of 'a' is a list; tag values are text",
    ),
    (
        "identity-huge-tag",
        user_identity.main,
        {"name": "id-new", "resource_group": RG, "tags": {"owner": "x" * 5000}},
        "tags: the value of tag 'owner' has 5000 characters; at most 256",
    ),
    (
        "key-too-many-tags",
        keyvault_cmk_key.main,
        _key(name="tagged", tags={f"t{i}": "v" for i in range(16)}),
        "tags: 16 tags; Azure allows at most 15",
    ),
    (
        "key-absurd-expiry",
        keyvault_cmk_key.main,
        _key(rotation_policy={"expires_in": "P1000Y", "rotate_after_create": "P90D"}),
        "rotation_policy.expires_in: P1000Y is longer than 100 years",
    ),
    (
        "vault-wrong-subscription",
        keyvault.main,
        {"name": "kv-good", "resource_group": RG, "subscription_id": "00000000-0000-4000-8000-000000000000"},
        "subscription_id: Failed to read key vault kv-good: SubscriptionNotFound",
    ),
]
PREPARE = {
    "account-wrong-tenant": _tenant_moved,
    "key-silently-expired": _key_dates(exp=1_000_000_000),
    "key-silently-inactive": _key_dates(nbf=4_000_000_000),
}


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("main", "args", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_fails_naming_the_field_and_writes_nothing(request, main, args, message, run_module, world):
    if request.node.callspec.id in PREPARE:
        with world.store.lock:
            PREPARE[request.node.callspec.id](world)
    seq = world.journal.last_seq
    result = run_module(main, args)
    assert result.get("failed"), result
    assert message in result["msg"], result["msg"]
    assert writes_since(world, seq) == []


# Mistakes no earlier task of the play can make right: refused in check mode too, with the same message
# (a vault-name typo is not one: an earlier task may create a vault of that name).
NOT_FOR_LATER = {
    "grant-guid-as-identity-name",
    "grant-wrong-vault-group",
    "account-identity-in-other-group",
    "account-wrong-vault-group",
    "key-silently-disabled",
    "key-silently-small",
    "key-silently-expired",
    "key-silently-inactive",
}


@pytest.mark.parametrize(
    ("main", "args", "message"),
    [case[1:] for case in CASES if case[0] in NOT_FOR_LATER],
    ids=[case[0] for case in CASES if case[0] in NOT_FOR_LATER],
)
def test_plain_mistakes_are_refused_in_check_mode_too(request, main, args, message, run_module, world):
    if request.node.callspec.id in PREPARE:
        with world.store.lock:
            PREPARE[request.node.callspec.id](world)
    seq = world.journal.last_seq
    result = run_module(main, args, check=True)
    assert result.get("failed"), result
    assert message in result["msg"], result["msg"]
    assert writes_since(world, seq) == []


def test_a_client_id_given_as_an_identity_name_is_named(run_module, world):
    """The client id of an identity, where its name goes: refused in check mode too, naming the identity."""
    client = next(i for i in world.store.resources(rtype="Microsoft.ManagedIdentity/userAssignedIdentities"))
    args = {"vault_name": "kv-good", "resource_group": RG, "identity": client["properties"]["clientId"]}
    for check in (True, False):
        result = run_module(keyvault_access_policy.main, args, check=check)
        assert (
            result.get("failed") and f"is the client id of user-assigned identity '{client['name']}'" in result["msg"]
        )
