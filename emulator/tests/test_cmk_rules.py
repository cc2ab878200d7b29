"""Done-means 2: Batch refuses each broken CMK rule with its own code, and an account that loses
access to its key becomes unavailable until access returns."""

from __future__ import annotations

import flows
import pytest
from azure.core.exceptions import HttpResponseError

OTHER_TENANT = "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d"


@pytest.fixture
def account(clients, emulator):
    """A SystemAssigned account and a compliant vault that grants its principal get/wrap/unwrap."""
    created = (
        clients.batch()
        .batch_account.begin_create(
            clients.rg, "cmkrules", {"location": "westeurope", "identity": {"type": "SystemAssigned"}}
        )
        .result()
    )
    flows.make_vault(clients, "kv-rules")
    flows.grant(clients, "kv-rules", created.identity.principal_id)
    return created


def _ec_key(clients, control):
    return clients.keys("kv-rules").create_ec_key("ec", curve="P-256").id


def _small_key(clients, control):
    control(
        "POST",
        "seed",
        json={"keys": [{"vault": "kv-rules", "name": "legacy", "key_size": 1024, "key_ops": ["wrapKey", "unwrapKey"]}]},
    )
    return clients.keys("kv-rules").get_key("legacy").id


def _no_unwrap(clients, control):
    return flows.rsa_key(clients, "kv-rules", "wraponly", ops=["wrapKey", "encrypt"]).id


def _no_purge_protection(clients, control):
    flows.make_vault(clients, "kv-soft", purge_protection=False)
    return flows.rsa_key(clients, "kv-soft").id  # soft delete is on (it always is now); purge protection is not


def _no_access(clients, control):
    flows.make_vault(clients, "kv-noaccess")
    return flows.rsa_key(clients, "kv-noaccess").id


def _other_tenant(clients, control):
    clients.vaults().vaults.begin_create_or_update(
        clients.rg,
        "kv-fabrikam",
        {
            "location": "westeurope",
            "properties": {
                "tenantId": OTHER_TENANT,
                "sku": {"family": "A", "name": "standard"},
                "enablePurgeProtection": True,
                "enableRbacAuthorization": True,
            },
        },
    ).result()
    return "https://kv-fabrikam.vault.azure.net/keys/cmk"


def _disabled(clients, control):
    key = flows.rsa_key(clients, "kv-rules", "off")
    clients.keys("kv-rules").update_key_properties("off", enabled=False)
    return key.id


def _missing_key(clients, control):
    return "https://kv-rules.vault.azure.net/keys/nosuchkey"


def _rbac_without_role(clients, control):
    flows.make_vault(clients, "kv-rbac", rbac=True)
    return flows.rsa_key(clients, "kv-rbac").id


def _malformed(clients, control):
    return "https://kv-rules.vault.azure.net/secrets/cmk"


CASES = {
    "ec-key": (_ec_key, "KeyVaultKeyTypeNotSupported"),
    "1024-bits": (_small_key, "KeyVaultKeySizeNotSupported"),
    "no-unwrapKey": (_no_unwrap, "KeyVaultKeyOperationsNotPermitted"),
    "no-purge-protection": (_no_purge_protection, "KeyVaultPurgeProtectionNotEnabled"),
    "identity-without-access": (_no_access, "KeyVaultAccessForbidden"),
    "other-tenant": (_other_tenant, "KeyVaultTenantMismatch"),
    "disabled-key": (_disabled, "KeyVaultKeyDisabled"),
    "missing-key": (_missing_key, "KeyVaultKeyNotFound"),
    "rbac-vault-without-role": (_rbac_without_role, "KeyVaultAccessForbidden"),
    "not-a-key-url": (_malformed, "InvalidKeyVaultKeyIdentifier"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_broken_rule_is_refused_with_its_code(case, clients, account, control, emulator):
    make_key, code = CASES[case]
    key_id = make_key(clients, control)
    writes_before = len(emulator.journal.writes())

    with pytest.raises(HttpResponseError) as caught:
        clients.batch().batch_account.update(clients.rg, "cmkrules", flows.encryption(key_id))

    assert caught.value.status_code == 400
    assert caught.value.error.code == code
    assert caught.value.error.target == "properties.encryption.keyVaultProperties.keyIdentifier"
    assert "RequestId:" in caught.value.error.message  # Batch's message suffix
    after = clients.batch().batch_account.get(clients.rg, "cmkrules")
    assert after.encryption.key_source == "Microsoft.Batch"
    assert len(emulator.journal.writes()) == writes_before + 1  # the refused PATCH itself


def test_the_codes_tell_the_rules_apart():
    codes = [code for _maker, code in CASES.values()]
    assert len(set(codes)) == len(codes) - 1  # access is denied the same way on both vault kinds


def test_rbac_vault_with_the_role_is_accepted(clients, account, emulator):
    flows.make_vault(clients, "kv-rbac", rbac=True)
    key = flows.rsa_key(clients, "kv-rbac")
    vault = clients.vaults().vaults.get(clients.rg, "kv-rbac")
    flows.assign_role(
        clients, f"{vault.id}/keys/cmk", account.identity.principal_id, flows.CRYPTO_SERVICE_ENCRYPTION_USER
    )

    updated = clients.batch().batch_account.update(clients.rg, "cmkrules", flows.encryption(key.id))

    assert updated.encryption.key_source == "Microsoft.KeyVault"


def test_missing_key_identifier_is_the_documented_error(clients, account, emulator):
    with pytest.raises(HttpResponseError) as caught:
        clients.batch().batch_account.update(
            clients.rg, "cmkrules", {"properties": {"encryption": {"keySource": "Microsoft.KeyVault"}}}
        )
    assert caught.value.error.code == "MissingRequiredProperty"
    assert caught.value.error.target == "BatchAccount"


def test_account_without_identity_cannot_use_a_key(clients, emulator):
    clients.batch().batch_account.begin_create(clients.rg, "noidentity", {"location": "westeurope"}).result()
    flows.make_vault(clients, "kv-rules")
    key = flows.rsa_key(clients, "kv-rules")
    with pytest.raises(HttpResponseError) as caught:
        clients.batch().batch_account.update(clients.rg, "noidentity", flows.encryption(key.id))
    assert caught.value.error.code == "AccountIdentityRequired"


def test_system_assigned_cmk_in_the_create_call_is_refused(clients, emulator):
    """The principal does not exist before the account does, so it cannot have been granted (two phases)."""
    flows.make_vault(clients, "kv-rules")
    key = flows.rsa_key(clients, "kv-rules")
    body = {"location": "westeurope", "identity": {"type": "SystemAssigned"}, **flows.encryption(key.id)}
    with pytest.raises(HttpResponseError) as caught:
        clients.batch().batch_account.begin_create(clients.rg, "twophase", body).result()
    assert caught.value.error.code == "KeyVaultAccessForbidden"
    with pytest.raises(HttpResponseError):
        clients.batch().batch_account.get(clients.rg, "twophase")
    assert not [p for p in emulator.store.data["principals"].values() if p["displayName"] == "twophase"]


def _on_cmk(clients, account):
    key = flows.rsa_key(clients, "kv-rules")
    clients.batch().batch_account.update(clients.rg, "cmkrules", flows.encryption(key.id))
    return key


def _revoke_policy(clients, account):
    flows.grant(clients, "kv-rules", account.identity.principal_id, kind="remove")


def _restore_policy(clients, account):
    flows.grant(clients, "kv-rules", account.identity.principal_id)


def _disable_key(clients, account):
    clients.keys("kv-rules").update_key_properties("cmk", enabled=False)


def _enable_key(clients, account):
    clients.keys("kv-rules").update_key_properties("cmk", enabled=True)


def _delete_key(clients, account):
    clients.keys("kv-rules").begin_delete_key("cmk").result()


def _recover_key(clients, account):
    clients.keys("kv-rules").begin_recover_deleted_key("cmk").result()


LOSSES = {
    "policy-removed": (_revoke_policy, _restore_policy),
    "key-disabled": (_disable_key, _enable_key),
    "key-deleted": (_delete_key, _recover_key),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_losing_key_access_makes_the_account_unavailable_until_restored(loss, clients, account, emulator):
    revoke, restore = LOSSES[loss]
    _on_cmk(clients, account)
    batch = clients.batch()

    revoke(clients, account)
    assert batch.batch_account.get(clients.rg, "cmkrules").provisioning_state == "Invalid"
    with pytest.raises(HttpResponseError) as caught:
        batch.batch_account.update(clients.rg, "cmkrules", {"tags": {"try": "change"}})
    assert caught.value.status_code == 409
    assert caught.value.error.code == "AccountKeyAccessLost"
    with pytest.raises(HttpResponseError):
        batch.batch_account.update(clients.rg, "cmkrules", flows.encryption(None))  # not even a revert

    restore(clients, account)
    assert batch.batch_account.get(clients.rg, "cmkrules").provisioning_state == "Succeeded"
    assert batch.batch_account.update(clients.rg, "cmkrules", {"tags": {"try": "change"}}).tags == {"try": "change"}


def test_an_unavailable_account_can_still_be_deleted(clients, account, emulator):
    _on_cmk(clients, account)
    _revoke_policy(clients, account)
    clients.batch().batch_account.begin_delete(clients.rg, "cmkrules").result()
    with pytest.raises(HttpResponseError) as caught:
        clients.batch().batch_account.get(clients.rg, "cmkrules")
    assert caught.value.status_code == 404


# Generic mode (issue 8): Azure documents none of the codes above, so a client must not need them. With
# generic_errors every refusal is a plain 400 BadRequest, and an account without key access still shows
# Succeeded; only its refusals tell.
@pytest.mark.emulator_settings(generic_errors=True)
@pytest.mark.parametrize("case", sorted(CASES))
def test_in_generic_mode_each_broken_rule_is_a_plain_bad_request(case, clients, account, control, emulator):
    make_key, code = CASES[case]
    key_id = make_key(clients, control)
    with pytest.raises(HttpResponseError) as caught:
        clients.batch().batch_account.update(clients.rg, "cmkrules", flows.encryption(key_id))
    assert caught.value.status_code == 400 and caught.value.error.code == "BadRequest"
    assert code not in caught.value.error.message and caught.value.error.target is None
    assert clients.batch().batch_account.get(clients.rg, "cmkrules").encryption.key_source == "Microsoft.Batch"


@pytest.mark.emulator_settings(generic_errors=True)
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_in_generic_mode_a_lost_key_shows_no_invalid_state(loss, clients, account, emulator):
    revoke, restore = LOSSES[loss]
    _on_cmk(clients, account)
    batch = clients.batch()
    revoke(clients, account)
    assert batch.batch_account.get(clients.rg, "cmkrules").provisioning_state == "Succeeded"
    with pytest.raises(HttpResponseError) as caught:
        batch.batch_account.update(clients.rg, "cmkrules", {"tags": {"try": "change"}})
    assert caught.value.status_code == 400 and caught.value.error.code == "BadRequest"
    restore(clients, account)
    assert batch.batch_account.update(clients.rg, "cmkrules", {"tags": {"try": "change"}}).tags == {"try": "change"}
