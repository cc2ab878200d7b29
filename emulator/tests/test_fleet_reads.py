"""Issue 16: what a fleet report reads besides Resource Graph - Resource Manager's key reads (azure-mgmt-keyvault
``keys``), lists paged with nextLink, Resource Manager's throttling - and Azure's timing as serve's default."""

from __future__ import annotations

import flows
import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.keyvault import KeyVaultManagementClient

from azure_emulator import TIMING_PROFILES
from azure_emulator import Settings
from azure_emulator import seed

AUDITOR = seed.DEFAULT_SEED["principals"][1]


def _as_auditor(clients):
    credential = ClientSecretCredential(AUDITOR["tenant_id"], AUDITOR["client_id"], AUDITOR["secret"])
    return KeyVaultManagementClient(credential, clients.sub)


@pytest.mark.emulator_settings(arm_list_page_size=2)
def test_key_reads_through_resource_manager_need_no_data_plane_grant(clients, emulator):
    flows.make_vault(clients, "kv-arm-keys")
    keys = clients.keys("kv-arm-keys")
    for name in ("k1", "k2", "k3"):
        keys.create_rsa_key(name, size=3072)
    keys.create_rsa_key("k1", size=3072)  # a second version of k1
    keys.update_key_properties("k2", enabled=False)
    seq = emulator.journal.last_seq
    auditor = _as_auditor(clients)  # Reader on the subscription, no access policy on the vault
    listed = {k.name: k for k in auditor.keys.list(clients.rg, "kv-arm-keys")}
    assert set(listed) == {"k1", "k2", "k3"}
    assert listed["k2"].attributes.enabled is False and listed["k1"].key_size == 3072 and listed["k1"].kty == "RSA"
    assert listed["k1"].key_uri == "https://kv-arm-keys.vault.azure.net:443/keys/k1"
    versions = list(auditor.keys.list_versions(clients.rg, "kv-arm-keys", "k1"))
    assert len(versions) == 2
    one = auditor.keys.get_version(clients.rg, "kv-arm-keys", "k1", versions[0].key_uri_with_version.rsplit("/", 1)[1])
    assert one.key_uri_with_version == versions[0].key_uri_with_version
    calls = [e for e in emulator.journal.entries(seq) if "/keys" in e.path]
    assert [e.host for e in calls] == ["management.azure.com"] * len(calls)  # no data-plane call
    assert sum(1 for e in calls if e.path.endswith("/keys")) == 2  # 3 keys at 2 a page: nextLink followed


def test_rotation_policy_shows_in_the_key_resource(clients):
    flows.make_vault(clients, "kv-arm-policy")
    keys = clients.keys("kv-arm-policy")
    keys.create_rsa_key("cmk", size=2048)
    from azure.keyvault.keys import KeyRotationLifetimeAction
    from azure.keyvault.keys import KeyRotationPolicy
    from azure.keyvault.keys import KeyRotationPolicyAction

    action = KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P90D")
    keys.update_key_rotation_policy("cmk", KeyRotationPolicy(lifetime_actions=[action], expires_in="P1Y"))
    key = clients.vaults().keys.get(clients.rg, "kv-arm-policy", "cmk")
    assert key.rotation_policy.attributes.expiry_time == "P1Y"
    assert key.rotation_policy.lifetime_actions[0].action.type == "rotate"


@pytest.mark.emulator_settings(arm_list_page_size=3)
def test_lists_are_paged_and_the_sdk_follows(clients, control, emulator):
    control("POST", "fleet", json={"accounts": 7, "vaults": 2})
    seq = emulator.journal.last_seq
    assert len(list(clients.batch().batch_account.list())) == 7
    assert len(list(clients.vaults().vaults.list_by_resource_group("rg-fleet"))) == 2
    pages = [e for e in emulator.journal.entries(seq) if e.path.endswith("/batchAccounts")]
    assert len(pages) == 3  # 3 + 3 + 1


@pytest.mark.emulator_settings(
    arm_throttling=True, arm_throttling_buckets={"reads": {"size": 3, "refill_per_second": 10}}
)
def test_resource_manager_throttles_reads_and_the_sdk_waits(clients, emulator):
    vaults = clients.vaults()
    for _ in range(5):
        list(vaults.vaults.list_by_resource_group(clients.rg))
    statuses = [e.status for e in emulator.journal.entries() if e.path.endswith("/vaults")]
    assert 429 in statuses and statuses.count(200) == 5
    limited = next(e for e in emulator.journal.entries() if e.status == 429)
    assert limited.response["error"]["code"] == "SubscriptionRequestsThrottled"


def test_headers_say_what_remains(clients, emulator):
    flows.make_vault(clients, "kv-headers")
    slow = {"reads": {"size": 250, "refill_per_second": 0.001}}  # no token comes back between the two reads
    emulator.settings.update({"arm_throttling": True, "arm_throttling_buckets": slow})
    headers = []
    vaults = clients.vaults().vaults
    for _ in range(2):
        vaults.get(clients.rg, "kv-headers", cls=lambda r, d, h: headers.append(dict(r.http_response.headers)))
    reads = [h["x-ms-ratelimit-remaining-subscription-reads"] for h in headers]
    assert (int(reads[0]), int(reads[1])) == (249, 248)
    assert int(headers[1]["x-ms-ratelimit-remaining-subscription-global-reads"]) > int(reads[1])


def test_serve_defaults_to_azure_s_timing_and_instant_is_a_setting():
    settings = Settings()
    assert settings.timing == "azure" and settings.arm_throttling and settings.resource_graph_throttling
    assert {k: getattr(settings, k) for k in TIMING_PROFILES["azure"]} == TIMING_PROFILES["azure"]
    assert all(v > 0 for v in TIMING_PROFILES["azure"].values())
    settings.update({"timing": "instant", "vault_dns_seconds": 2})
    assert settings.grant_propagation_seconds == 0 and settings.vault_dns_seconds == 2
    with pytest.raises(ValueError, match="timing"):
        settings.update({"timing": "slow"})
