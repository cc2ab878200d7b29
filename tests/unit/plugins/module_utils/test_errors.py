"""Error translation, with the exceptions the real SDKs raise against the emulator."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkAuthError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import translate
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import uncertain


def _raised(call):
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def test_not_found_keeps_azure_code_and_request_id(azure_env, emulator):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.batch import BatchManagementClient

    client = BatchManagementClient(
        ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"]),
        azure_env["subscription_id"],
    )
    error = translate(_raised(lambda: client.batch_account.get("rg-cmk", "nosuch")), "read Batch account", "nosuch")
    assert isinstance(error, CmkNotFound)
    assert error.message.startswith(
        "Failed to read Batch account nosuch: ResourceNotFound: The Resource 'Microsoft.Batch/batchAccounts/nosuch'"
    )
    assert "RequestId:" not in error.message  # Batch's suffix is dropped; the id is returned on its own
    assert error.status == 404 and error.code == "ResourceNotFound"
    assert error.request_id == emulator.journal.entries()[-1].request_id
    assert error.to_result()["error_code"] == "ResourceNotFound"


def test_authentication_failure_names_the_aadsts_code(azure_env, emulator):
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], "nope-nope")
    error = translate(_raised(lambda: credential.get_token("https://management.azure.com/.default")), "read", "x")
    assert isinstance(error, CmkAuthError)
    assert "AADSTS7000215" in error.message and "nope-nope" not in error.message


def test_unreachable_azure(monkeypatch, azure_env, emulator):
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
    credential = ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"])
    error = translate(_raised(lambda: credential.get_token("https://management.azure.com/.default")), "read", "x")
    assert isinstance(error, CmkAuthError) and "Unable to connect to proxy" in error.message


def test_only_azure_errors_are_translated():
    """The error boundary: Azure SDK and transport errors become CmkErrors; a bug keeps its own type."""
    from azure.core.exceptions import HttpResponseError

    ctx = RunContext(clients=None, cloud=None, check_mode=False, warn=print)

    def bug():
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        ctx.call("parse", "thing", bug)

    def refused():
        raise HttpResponseError(message="Conflict")

    with pytest.raises(CmkError, match="Failed to write thing: Conflict"):
        ctx.call("write", "thing", refused)
    original = CmkError("already ours")
    assert translate(original, "a", "b") is original


@pytest.mark.parametrize(
    ("error", "maybe_written"),
    [
        (CmkUnreachable("lost"), True),
        (CmkError("throttled", status=429), True),
        (CmkError("server", status=503), True),
        (CmkError("refused", status=400), False),
        (CmkError("no status"), False),
    ],
)
def test_uncertain_writes(error, maybe_written):
    assert uncertain(error) is maybe_written
