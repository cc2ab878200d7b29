"""The Tags API at a resource's scope: the PATCH merges, replaces or deletes on the server's side, so writers
who each add a tag keep each other's; a Reader may read tags, not write them."""

from __future__ import annotations

from typing import Any

import pytest

AUDITOR = ("3f6b8d0e-2a4c-4e6f-8a0b-2c4e6f8a0b1d", "Emu8Q~local-auditor-secret-00000000000")


def _tags_api(credential: Any) -> Any:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy

    policy = BearerTokenCredentialPolicy(credential, "https://management.azure.com/.default")
    return PipelineClient("https://management.azure.com", policies=[policy])


def _call(api: Any, method: str, resource_id: str, body: dict[str, Any] | None = None) -> Any:
    from azure.core.rest import HttpRequest

    url = f"https://management.azure.com{resource_id}/providers/Microsoft.Resources/tags/default"
    return api.send_request(HttpRequest(method, url, params={"api-version": "2025-03-01"}, json=body))


@pytest.fixture
def identity(clients: Any) -> str:
    made = clients.msi().user_assigned_identities.create_or_update(
        clients.rg, "id-tags", {"location": "westeurope", "tags": {"policy": "kept"}}
    )
    return made.id


@pytest.mark.parametrize(
    ("operation", "given", "after"),
    [
        ("Merge", {"team": "render"}, {"policy": "kept", "team": "render"}),
        ("Replace", {"team": "render"}, {"team": "render"}),
        ("Delete", {"policy": ""}, {}),
        ("Delete", {"policy": "other value"}, {"policy": "kept"}),
    ],
)
def test_a_patch_merges_replaces_or_deletes(clients, identity, operation, given, after):
    api = _tags_api(clients.credential)
    answer = _call(api, "PATCH", identity, {"operation": operation, "properties": {"tags": given}})
    assert answer.status_code == 200, answer.text()
    assert answer.json()["properties"]["tags"] == after
    assert clients.msi().user_assigned_identities.get(clients.rg, "id-tags").tags == after


def test_a_reader_reads_tags_and_may_not_write_them(clients, identity, azure_env):
    from azure.identity import ClientSecretCredential

    reader = _tags_api(ClientSecretCredential(azure_env["tenant_id"], *AUDITOR))
    assert _call(reader, "GET", identity).json()["properties"]["tags"] == {"policy": "kept"}
    refused = _call(reader, "PATCH", identity, {"operation": "Merge", "properties": {"tags": {"a": "b"}}})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AuthorizationFailed"


def test_an_unknown_operation_or_resource_is_refused(clients, identity):
    api = _tags_api(clients.credential)
    wrong = _call(api, "PATCH", identity, {"operation": "Append", "properties": {"tags": {}}})
    assert wrong.status_code == 400
    missing = _call(api, "GET", identity.replace("id-tags", "id-nowhere"))
    assert missing.status_code == 404
