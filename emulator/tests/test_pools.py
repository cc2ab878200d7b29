"""Issue 20: Batch pools through azure-mgmt-batch's pool operations - create, get, list (paged), update,
long-running delete - with Azure's shapes: defaults filled in, node counts, ETags and their conditions,
RBAC, api-versions, and what a pool with nodes may not change."""

from __future__ import annotations

from datetime import timedelta

import pool_bodies as bodies
import pytest
import requests
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.core.exceptions import ResourceExistsError
from azure.core.exceptions import ResourceModifiedError
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.batch import BatchManagementClient

from azure_emulator import seed

AUDITOR = seed.DEFAULT_SEED["principals"][1]


@pytest.fixture
def batch(clients, emulator):
    bodies.account(clients)
    return clients.batch()


def test_a_pool_is_created_with_batchs_defaults_and_its_nodes(clients, batch):
    made = batch.pool.create(clients.rg, "poolacct", "linux", bodies.linux(["TemporaryDisk"], dedicated=3))

    assert made.type == "Microsoft.Batch/batchAccounts/pools" and made.provisioning_state == "Succeeded"
    assert made.vm_size == "STANDARD_D2S_V3"  # upper-cased, as Batch answers (azure-sdk-for-python recording)
    assert (made.current_dedicated_nodes, made.current_low_priority_nodes, made.allocation_state) == (3, 0, "Steady")
    assert made.scale_settings.fixed_scale.resize_timeout == timedelta(minutes=15)
    assert made.deployment_configuration.virtual_machine_configuration.image_reference.version == "latest"
    assert made.task_slots_per_node == 1 and made.inter_node_communication == "Disabled"
    assert made.etag.startswith('W/"0x8D')
    got = batch.pool.get(clients.rg, "poolacct", "linux")
    assert got.etag == made.etag and got.as_dict() == made.as_dict()


def test_pools_are_listed_page_by_page(clients, batch, emulator):
    emulator.settings.update({"arm_list_page_size": 2})
    for name in ("p1", "p2", "p3"):
        batch.pool.create(clients.rg, "poolacct", name, bodies.linux())
    batch.pool.create(clients.rg, "poolacct", "other", bodies.linux())  # all in one account

    names = [p.name for p in batch.pool.list_by_batch_account(clients.rg, "poolacct")]

    assert names == ["other", "p1", "p2", "p3"]
    lists = [e for e in emulator.journal.entries() if e.method == "GET" and e.path.endswith("/pools")]
    assert len(lists) == 2  # two pages, the second through nextLink


def test_update_merges_and_resizes(clients, batch):
    batch.pool.create(clients.rg, "poolacct", "p", bodies.linux(["TemporaryDisk"], dedicated=2))

    updated = batch.pool.update(
        clients.rg,
        "poolacct",
        "p",
        {
            "properties": {
                "scaleSettings": {"fixedScale": {"targetDedicatedNodes": 5}},
                "metadata": [{"name": "a", "value": "b"}],
            }
        },
    )

    assert updated.current_dedicated_nodes == 5 and updated.metadata[0].name == "a"
    vmc = updated.deployment_configuration.virtual_machine_configuration
    assert vmc.disk_encryption_configuration.targets == ["TemporaryDisk"]  # unchanged: not in the PATCH


def test_etag_conditions_are_those_the_sdk_maps(clients, batch):
    made = batch.pool.create(clients.rg, "poolacct", "p", bodies.linux())
    with pytest.raises(ResourceExistsError):  # If-None-Match: * on an existing pool
        batch.pool.create(clients.rg, "poolacct", "p", bodies.linux(), match_condition=MatchConditions.IfMissing)
    with pytest.raises(ResourceNotFoundError):  # If-Match: * on a missing one
        batch.pool.create(clients.rg, "poolacct", "q", bodies.linux(), match_condition=MatchConditions.IfPresent)
    stale = made.etag
    batch.pool.update(clients.rg, "poolacct", "p", {"properties": {"metadata": [{"name": "a", "value": "1"}]}})
    with pytest.raises(ResourceModifiedError) as caught:
        batch.pool.update(
            clients.rg,
            "poolacct",
            "p",
            {"properties": {"metadata": []}},
            etag=stale,
            match_condition=MatchConditions.IfNotModified,
        )
    assert caught.value.status_code == 412 and caught.value.error.code == "ConditionNotMet"
    fresh = batch.pool.get(clients.rg, "poolacct", "p").etag
    done = batch.pool.update(
        clients.rg,
        "poolacct",
        "p",
        {"properties": {"metadata": []}},
        etag=fresh,
        match_condition=MatchConditions.IfNotModified,
    )
    assert done.etag != fresh


def test_a_pool_with_nodes_cannot_change_its_disk_encryption(clients, batch):
    """Update Batch pool properties: only applicationPackages, metadata, scaleSettings and startTask change while
    the pool has nodes; Batch's answer is PropertyCannotBeUpdated (Azure/Batch#85)."""
    batch.pool.create(clients.rg, "poolacct", "p", bodies.linux(None, dedicated=2))
    with pytest.raises(HttpResponseError) as caught:
        batch.pool.update(clients.rg, "poolacct", "p", bodies.linux(["TemporaryDisk"], dedicated=2))
    error = caught.value.error
    assert caught.value.status_code == 400 and error.code == "PropertyCannotBeUpdated"
    assert {d.code: d.message for d in error.details}["PropertyPath"] == "properties.deploymentConfiguration"

    batch.pool.update(
        clients.rg, "poolacct", "p", {"properties": {"scaleSettings": {"fixedScale": {"targetDedicatedNodes": 0}}}}
    )
    emptied = batch.pool.update(clients.rg, "poolacct", "p", bodies.linux(["TemporaryDisk"], dedicated=0))
    assert emptied.deployment_configuration.virtual_machine_configuration.disk_encryption_configuration.targets == [
        "TemporaryDisk"
    ]


def test_put_on_an_existing_pool_replaces_it(clients, batch):
    batch.pool.create(clients.rg, "poolacct", "p", {**bodies.linux(dedicated=0), "tags": {"team": "ops"}})
    replaced = batch.pool.create(
        clients.rg, "poolacct", "p", {"properties": {"scaleSettings": {"fixedScale": {"targetDedicatedNodes": 0}}}}
    )
    assert replaced.vm_size == "STANDARD_D2S_V3"  # kept: the update example sends none
    assert replaced.tags is None and replaced.display_name is None


def test_delete_is_long_running(clients, batch, emulator):
    batch.pool.create(clients.rg, "poolacct", "p", bodies.linux())
    assert batch.pool.begin_delete(clients.rg, "poolacct", "p").result() is None

    with pytest.raises(ResourceNotFoundError) as gone:
        batch.pool.get(clients.rg, "poolacct", "p")
    assert gone.value.error.code == "PoolNotFound"
    assert [e.status for e in emulator.journal.entries() if e.method == "DELETE"] == [202]
    polls = [e.status for e in emulator.journal.entries() if "/poolOperationResults/delete-p" in e.path]
    assert polls == [202, 200]  # lro_pending_polls: 1
    assert batch.pool.begin_delete(clients.rg, "poolacct", "p").result() is None  # 204: nothing to delete


def _raw(clients, method, pool, api_version="2025-06-01", url=None):
    token = clients.credential.get_token("https://management.azure.com/.default").token
    url = url or (
        f"https://management.azure.com/subscriptions/{clients.sub}/resourceGroups/{clients.rg}/providers/"
        f"Microsoft.Batch/batchAccounts/poolacct/pools/{pool}?api-version={api_version}"
    )
    return requests.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_pool_being_deleted_answers_as_azures_did(clients, batch, emulator):
    """The azure-sdk-for-python recording: 202, Location .../poolOperationResults/delete-{pool}, Retry-After 15."""
    batch.pool.create(clients.rg, "poolacct", "p", bodies.linux())
    emulator.settings.update({"lro_retry_after_ms": 0, "lro_pending_polls": 2})  # the account is made: no 30 s poll
    answer = _raw(clients, "DELETE", "p")
    assert answer.status_code == 202 and answer.headers["Retry-After"] == "15"
    location = answer.headers["Location"]
    assert location.split("?")[0].endswith("/batchAccounts/poolacct/poolOperationResults/delete-p")

    assert batch.pool.get(clients.rg, "poolacct", "p").provisioning_state == "Deleting"
    with pytest.raises(HttpResponseError) as caught:
        batch.pool.update(clients.rg, "poolacct", "p", {"properties": {"metadata": []}})
    assert caught.value.status_code == 409 and caught.value.error.code == "PoolBeingDeleted"
    assert [_raw(clients, "GET", "p", url=location).status_code for _ in range(3)] == [202, 202, 200]
    assert _raw(clients, "GET", "p").status_code == 404


def test_an_api_version_batch_does_not_serve_is_refused(clients, batch):
    answer = _raw(clients, "GET", "p", api_version="2015-01-01")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_deleting_the_account_deletes_its_pools(clients, batch, emulator):
    batch.pool.create(clients.rg, "poolacct", "p", bodies.linux())
    batch.batch_account.begin_delete(clients.rg, "poolacct").result()
    assert not [r for r in emulator.store.data["resources"] if "/pools/" in r]


def test_a_reader_reads_pools_and_writes_none(clients, batch):
    batch.pool.create(clients.rg, "poolacct", "p", bodies.linux())
    auditor = BatchManagementClient(
        ClientSecretCredential(AUDITOR["tenant_id"], AUDITOR["client_id"], AUDITOR["secret"]), clients.sub
    )
    assert [p.name for p in auditor.pool.list_by_batch_account(clients.rg, "poolacct")] == ["p"]
    for write in (
        lambda: auditor.pool.update(clients.rg, "poolacct", "p", {"properties": {"metadata": []}}),
        lambda: auditor.pool.begin_delete(clients.rg, "poolacct", "p"),
    ):
        with pytest.raises(HttpResponseError) as caught:
            write()
        assert caught.value.status_code == 403 and caught.value.error.code == "AuthorizationFailed"
        assert "Microsoft.Batch/batchAccounts/pools/" in caught.value.error.message


def test_a_missing_account_and_an_unknown_member(clients, batch):
    with pytest.raises(ResourceNotFoundError) as caught:
        batch.pool.get(clients.rg, "nosuchacct", "p")
    assert caught.value.error.code == "ResourceNotFound"
    with pytest.raises(HttpResponseError) as unknown:  # a Pool has no location (an AzureRMR issue quotes Batch)
        batch.pool.create(clients.rg, "poolacct", "p", {**bodies.linux(), "location": "westeurope"})
    assert unknown.value.error.code == "InvalidRequestBody"
