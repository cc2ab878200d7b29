"""_controllers/batch_account_checks.py and batch_refusals.py: what batch_account_cmk refuses, warns about or
waits out - tables on a fake run context, no emulator."""

from __future__ import annotations

import datetime

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import Target
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers import batch_account_checks as checks
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers import batch_refusals
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import finding

KEY = "https://kv-cmk.vault.azure.net/keys/cmk"
LOST = finding("identity_lacks_access", "error", "id", "id lacks get")
DISABLED = finding("key_disabled", "error", "key", "key is disabled")
UNREAD = finding("key_unreadable", "unknown", "key", "key could not be read")
RISK = finding("key_expiring", "warning", "key", "key expires soon")


def request(**options):
    return Request(dict({"name": "acct", "resource_group": "rg"}, **options), key_id=None)


@pytest.mark.parametrize(
    ("findings", "repoints", "check", "options", "only_warns", "problems", "warned"),
    [
        ([], True, False, {}, False, 0, 0),
        ([RISK], False, False, {}, False, 0, 0),  # a risk, not a refusal
        ([UNREAD], True, False, {}, False, 0, 1),  # could not be checked: said, not refused
        ([DISABLED], True, False, {}, False, 1, 0),  # a change onto an unusable key
        ([DISABLED], False, False, {}, False, 1, 0),  # green would be a lie
        ([DISABLED], False, False, {"allow_unavailable": True}, False, 0, 1),
        ([LOST], False, True, {}, False, 0, 1),  # check mode: an earlier task may grant it
        ([DISABLED], False, True, {}, False, 1, 0),  # a disabled key is no earlier task's doing
        ([LOST], False, False, {}, True, 0, 1),  # the identity step of a rerun: the grant comes next
        ([LOST], True, False, {}, True, 1, 0),  # only warns never covers a change of key
    ],
)
def test_judge(findings, repoints, check, options, only_warns, problems, warned):
    ctx = context(check_mode=check)
    found = checks.judge(ctx, request(**options), findings, repoints, only_warns)
    assert (len(found), len(ctx.warnings)) == (problems, warned), (found, ctx.warnings)


@pytest.mark.parametrize(
    ("storage", "refused"),
    [
        (None, False),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa", False),
        ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", True),
        ("not an id", True),
    ],
)
def test_auto_storage_account_must_be_a_storage_account(storage, refused):
    problems = checks.request_problems(context(), request(auto_storage_account=storage))
    assert bool(problems) is refused


@pytest.mark.parametrize(
    ("options", "check", "problem"),
    [
        ({"name": "Bad_Name"}, False, "name: 'Bad_Name' is not valid"),
        ({"key_source": "Microsoft.KeyVault"}, False, "key_identifier: is null or empty"),
        ({"key_source": "Microsoft.KeyVault"}, True, None),  # check mode: an id an earlier task returns
    ],
)
def test_request_problems(options, check, problem):
    problems = checks.request_problems(context(check_mode=check), request(**options))
    assert (problem is None and problems == []) or any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("account", "findings", "recovering"),
    [
        ({"key_source": "Microsoft.KeyVault", "provisioning_state": "Invalid"}, [], True),
        ({"key_source": "Microsoft.KeyVault", "provisioning_state": "Invalid"}, [DISABLED], False),  # a named cause
        ({"key_source": "Microsoft.KeyVault", "provisioning_state": "Succeeded"}, [], False),
        ({"key_source": "Microsoft.Batch", "provisioning_state": "Invalid"}, [], False),
    ],
)
def test_recovering(account, findings, recovering):
    assert batch_refusals.recovering(account, findings) is recovering


VAULT = {
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-cmk",
    "name": "kv-cmk",
    "location": "westeurope",
    "properties": {"enableRbacAuthorization": True, "tenantId": "t"},
}


def _rbac_ctx(granted_hours_ago):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=granted_hours_ago)
    assignment = {
        "id": VAULT["id"] + "/providers/Microsoft.Authorization/roleAssignments/a",
        "properties": {
            "scope": VAULT["id"],
            "principalId": "p",
            "roleDefinitionId": "r",
            "createdOn": when.isoformat(),
        },
    }
    vaults = Operations(get=lambda group, name: Model(VAULT))
    assignments = Operations(list_for_scope=lambda scope, filter: iter([Model(assignment)]))
    return context(keyvault=Namespace(vaults=vaults), authorization=Namespace(role_assignments=assignments))


@pytest.mark.parametrize(("hours", "refused"), [(1, True), (0.05, False)])
def test_a_refusal_despite_an_old_role_is_not_waited_out(hours, refused):
    found = {"principal": "p", "target": Target("rg")}
    error = CmkError("Failed to update Batch account acct: BadRequest", status=400)
    try:
        batch_refusals.refuse_if_settled(_rbac_ctx(hours), {"key_identifier": KEY}, found, error)
    except CmkError as raised:
        assert refused and "longer ago than the 600 s Azure documents" in raised.message
    else:
        assert not refused


def test_a_refusal_the_checks_named_is_tried_once():
    attempts = []

    def write():
        attempts.append(1)
        raise CmkError("Failed: 409 only deletion is allowed", status=409)

    ctx = context()
    desired = {"key_source": "Microsoft.KeyVault", "key_identifier": KEY}
    with pytest.raises(CmkError, match="the checks before the write found: key is disabled"):
        batch_refusals.through_propagation(
            ctx, Request({"name": "acct", "wait_timeout": 900}), desired, write, {"audit": [DISABLED]}
        )
    assert attempts == [1]
