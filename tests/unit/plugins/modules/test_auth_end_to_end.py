"""Authentication through real module runs: each source, clouds, and a wrong secret's failure."""

from __future__ import annotations

import json

from ansible.module_utils.common.parameters import PASS_VARS

from ansible_collections.azure_cmk.batch.plugins.modules import user_identity_info

from azure_emulator import roles
from azure_emulator.seed import role_assignment_body
from azure_emulator.services.arm_identity.models import new_identity

SECRET_VAR = "AZURE_SECRET"
# ansible-core 2.21 returns a module's invocation only when asked (INJECT_INVOCATION); 2.19 always does.
ASK_FOR_INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}


def _hosts(emulator, seq):
    return {e.host for e in emulator.journal.entries(seq)}


def test_environment_credentials(run_module, emulator):
    result = run_module(user_identity_info.main, {})
    assert result["identities"] == [] and not result.get("failed")


def test_parameters_beat_the_environment(run_module, emulator, monkeypatch, azure_env):
    monkeypatch.setenv(SECRET_VAR, "wrong-secret-in-env")
    args = {"client_id": azure_env["client_id"], "secret": azure_env["client_secret"], "tenant": azure_env["tenant_id"]}
    assert not run_module(user_identity_info.main, args).get("failed")


def test_credentials_file_profile(run_module, emulator, monkeypatch, azure_env, tmp_path):
    for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / ".azure").mkdir(parents=True)
    (home / ".azure" / "credentials").write_text(
        "[default]\nsubscription_id = {subscription_id}\nclient_id = {client_id}\nsecret = {client_secret}\ntenant = {tenant_id}\n".format(
            **azure_env
        )
    )
    monkeypatch.setenv("HOME", str(home))
    result = run_module(user_identity_info.main, {"auth_source": "credential_file"})
    assert not result.get("failed"), result.get("msg")
    assert not run_module(user_identity_info.main, {}).get("failed")  # auto finds the default profile too


def test_managed_identity_of_the_host(run_module, emulator, monkeypatch, azure_env):
    """auth_source=msi: IMDS (through the proxy) hands out a token; the subscription is discovered."""
    sub = azure_env["subscription_id"]
    with emulator.store.lock:
        rid = (
            f"/subscriptions/{sub}/resourceGroups/rg-cmk/providers/Microsoft.ManagedIdentity/userAssignedIdentities/vm"
        )
        identity = emulator.store.put_resource(
            new_identity(emulator.store, rid, "vm", "westeurope", {}, azure_env["tenant_id"])
        )
        principal = identity["properties"]["principalId"]
        name = "11111111-1111-4111-8111-111111111111"
        assignment = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{name}"
        reader = roles.BUILTIN_ROLES["Reader"][0]
        emulator.store.put_resource(
            role_assignment_body(assignment, name, f"/subscriptions/{sub}", reader, principal, "ServicePrincipal")
        )
    emulator.settings.imds_principal = principal
    for variable in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(variable)
    result = run_module(user_identity_info.main, {"auth_source": "msi"})
    assert not result.get("failed"), result.get("msg")
    assert [i["name"] for i in result["identities"]] == ["vm"]


def test_sovereign_cloud_endpoints(run_module, emulator):
    seq = emulator.journal.last_seq
    result = run_module(user_identity_info.main, {"cloud_environment": "AzureUSGovernment"})
    assert not result.get("failed"), result.get("msg")
    assert _hosts(emulator, seq) == {"login.microsoftonline.us", "management.usgovcloudapi.net"}


def test_wrong_secret_names_the_cause_and_never_prints_the_secret(run_module, emulator, azure_env, monkeypatch):
    monkeypatch.setenv(SECRET_VAR, "Wr0ng-S3cret-Value")
    result = run_module(user_identity_info.main, {})
    assert result["failed"]
    assert "AADSTS7000215" in result["msg"] and "Invalid client secret" in result["msg"]
    assert "Wr0ng-S3cret-Value" not in run_module.last_output
    args = {"client_id": azure_env["client_id"], "secret": "An0ther-Wr0ng-One", "tenant": azure_env["tenant_id"]}
    again = run_module(user_identity_info.main, {**args, **ASK_FOR_INVOCATION})
    assert again["failed"] and "An0ther-Wr0ng-One" not in run_module.last_output
    assert (
        json.loads(run_module.last_output)["invocation"]["module_args"]["secret"]
        == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    )


def test_no_credentials_anywhere_says_which_sources_were_tried(run_module, emulator, monkeypatch, tmp_path):
    for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.azure/credentials, no az CLI profile
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # and no az CLI to ask
    result = run_module(user_identity_info.main, {})
    assert result["failed"]
    assert "the module options (client_id, ad_user, profile)" in result["msg"], result["msg"]
    assert "the environment (AZURE_CLIENT_ID, AZURE_AD_USER, AZURE_PROFILE)" in result["msg"]
    assert f"a [default] profile in {tmp_path}/.azure/credentials" in result["msg"]
