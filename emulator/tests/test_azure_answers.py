"""Issue 8, point 5: where the emulator answered otherwise than Azure, it now answers as Azure does.
Each test names its source."""

from __future__ import annotations

import flows
import pytest
from azure.core.exceptions import HttpResponseError


def _vault_body(clients, **props):
    base = {"tenantId": clients.tenant, "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": True}
    return {"location": "westeurope", "properties": {**base, **props}}


def test_crypto_outside_key_ops_is_403_key_operation_forbidden__go_sdk_keyvault_troubleshooting(clients, emulator):
    from azure.keyvault.keys.crypto import CryptographyClient
    from azure.keyvault.keys.crypto import KeyWrapAlgorithm

    flows.make_vault(clients, "kv-ops")
    key = flows.rsa_key(clients, "kv-ops", ops=["wrapKey"])  # no unwrapKey
    crypto = CryptographyClient(key.id, clients.credential)
    with pytest.raises(HttpResponseError) as caught:
        crypto.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"\0" * 256)
    assert caught.value.status_code == 403
    error = caught.value.response.json()["error"]
    assert error["code"] == "Forbidden" and error["innererror"] == {"code": "KeyOperationForbidden"}
    assert error["message"] == "Operation unwrapKey is not permitted on this key."


def test_purging_a_deleted_vault_under_purge_protection_is_method_not_allowed__azuretre_1446(clients, emulator):
    flows.make_vault(clients, "kv-keep")
    vaults = clients.vaults().vaults
    vaults.delete(clients.rg, "kv-keep")
    with pytest.raises(HttpResponseError) as caught:
        vaults.begin_purge_deleted("kv-keep", "westeurope").result()
    assert caught.value.status_code == 405
    assert caught.value.error.code == "MethodNotAllowed"
    assert caught.value.error.message == "Operation 'DeletedVaultPurge' is not allowed."


def test_a_new_vault_without_purge_protection_is_refused__bicep_5223_azure_cli_32311(clients, emulator):
    with pytest.raises(HttpResponseError) as caught:
        clients.vaults().vaults.begin_create_or_update(
            clients.rg, "kv-nopp", _vault_body(clients, enablePurgeProtection=False)
        ).result()
    assert caught.value.status_code == 400 and caught.value.error.code == "BadRequest"
    assert caught.value.error.message == 'The property "enablePurgeProtection" cannot be set to false.'
    assert emulator.store.resource(f"/subscriptions/{clients.sub}/resourceGroups/{clients.rg}/"
                                   "providers/Microsoft.KeyVault/vaults/kv-nopp") is None  # fmt: skip


def test_a_new_vault_without_soft_delete_is_refused__mandatory_since_february_2025(clients, emulator):
    with pytest.raises(HttpResponseError) as caught:
        clients.vaults().vaults.begin_create_or_update(
            clients.rg, "kv-nosd", _vault_body(clients, enableSoftDelete=False)
        ).result()
    assert caught.value.status_code == 400 and caught.value.error.code == "BadRequest"
    assert '"enableSoftDelete" cannot be set to false' in caught.value.error.message


def test_soft_delete_cannot_be_turned_off_later(clients, emulator):
    flows.make_vault(clients, "kv-sd")
    with pytest.raises(HttpResponseError) as caught:
        clients.vaults().vaults.update(clients.rg, "kv-sd", {"properties": {"enableSoftDelete": False}})
    assert caught.value.status_code == 400 and "irreversible" in caught.value.error.message


def _headers(response, deserialized, headers):
    return deserialized, response.http_response.headers


def test_batch_get_carries_an_etag_and_leaves_out_empty_tags__az_cli_recording_2024(clients, emulator):
    batch = clients.batch()
    batch.batch_account.begin_create(clients.rg, "etagged", {"location": "westeurope"}).result()
    _account, headers = batch.batch_account.get(clients.rg, "etagged", cls=_headers)
    assert headers["ETag"].startswith('"0x8D')
    get = [e for e in emulator.journal.entries() if e.method == "GET" and e.path.endswith("/etagged")][-1]
    assert "tags" not in get.response
    tagged, after = batch.batch_account.update(clients.rg, "etagged", {"tags": {"env": "test"}}, cls=_headers)
    assert tagged.tags == {"env": "test"} and after["ETag"] != headers["ETag"]


@pytest.mark.emulator_settings(lro_retry_after_ms=0)
def test_batch_202_has_no_retry_header__az_cli_recording_2024(clients, emulator):
    """Azure's Batch create 202 has no Retry-After (so clients poll at their own interval)."""
    poller = clients.batch().batch_account.begin_create(
        clients.rg, "noretry", {"location": "westeurope"}, polling=False
    )
    headers = poller.polling_method()._initial_response.http_response.headers
    assert "Location" in headers
    assert not {"retry-after", "retry-after-ms"} & {h.lower() for h in headers}


def test_the_plugin_keeps_a_short_poll_hint_for_speed(clients, emulator):
    poller = clients.batch().batch_account.begin_create(clients.rg, "quick", {"location": "westeurope"}, polling=False)
    assert poller.polling_method()._initial_response.http_response.headers["Retry-After-ms"] == "10"
