"""_services/access.py: access-policy entries and what role assignments let a principal do, on a fake."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import access as api

VAULT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
KEY = VAULT + "/keys/cmk"
ENCRYPTION = f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{api.ENCRYPTION_ROLE_GUID}"
READER = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/21090545-7ca7-4776-b22c-e363652d74d2"


@pytest.mark.parametrize(
    ("given", "spelled"),
    [
        (["WRAPKEY", "get", "unwrapkey"], ["get", "unwrapKey", "wrapKey"]),
        (["getrotationpolicy"], ["getrotationpolicy"]),
        ([], []),
    ],
)
def test_permissions_in_azures_spelling(given, spelled):
    assert api.spelled(given) == spelled


def _vault(*entries):
    return {"tenant_id": "t", "access_policies": list(entries)}


def _entry(object_id="o", tenant="t", application=None):
    return {"tenant_id": tenant, "object_id": object_id, "application_id": application, "key_permissions": ["get"]}


@pytest.mark.parametrize(
    ("vault", "found"),
    [
        (_vault(_entry()), True),
        (_vault(_entry(object_id="O")), True),  # object ids compare without case
        (_vault(_entry(tenant="other")), False),  # an entry of another tenant
        (_vault(_entry(application="app")), False),  # a compound identity
        (_vault(), False),
    ],
)
def test_policy_entry(vault, found):
    assert (api.policy_entry(vault, "o") is not None) is found


@pytest.mark.parametrize(
    ("blocks", "action", "allowed"),
    [
        ([{"dataActions": ["Microsoft.KeyVault/vaults/keys/*"]}], "Microsoft.KeyVault/vaults/keys/wrap/action", True),
        (
            [
                {
                    "dataActions": ["Microsoft.KeyVault/vaults/keys/*"],
                    "notDataActions": ["Microsoft.KeyVault/vaults/keys/wrap/action"],
                }
            ],
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            False,
        ),
        ([{"dataActions": ["microsoft.keyvault/vaults/keys/read"]}], "Microsoft.KeyVault/vaults/keys/read", True),
        (
            [{"actions": ["*"]}],
            "Microsoft.KeyVault/vaults/keys/read",
            False,
        ),  # control-plane actions are not data actions
        ([], "Microsoft.KeyVault/vaults/keys/read", False),
    ],
)
def test_allows(blocks, action, allowed):
    assert api.allows(blocks, action) is allowed


@pytest.mark.parametrize(
    ("outer", "inner", "covers"),
    [
        (VAULT, KEY, True),
        (VAULT, VAULT + "/", True),
        (KEY, VAULT, False),
        (VAULT + "2", VAULT + "2/keys/x", True),
        (VAULT, VAULT + "2", False),
    ],
)
def test_covers(outer, inner, covers):
    assert api.covers(outer, inner) is covers


def test_assignment_names_are_a_function_of_scope_principal_and_role():
    name = api.assignment_name(KEY, "o", ENCRYPTION)
    assert name == api.assignment_name(KEY.upper(), "O", ENCRYPTION.upper())
    assert name != api.assignment_name(VAULT, "o", ENCRYPTION)


def _ctx(assignments, definitions=None):
    role_assignments = Operations(list_for_scope=lambda scope, filter: iter([Model(a) for a in assignments]))
    role_definitions = Operations(
        get_by_id=lambda rid: Model(definitions[rid]),
        list=lambda scope, filter: iter(
            [Model(d) for d in (definitions or {}).values() if d["properties"]["roleName"] in filter]
        ),
    )
    return context(authorization=Namespace(role_assignments=role_assignments, role_definitions=role_definitions))


def _assignment(scope, role, principal="o", created="2026-01-01T00:00:00.1234567Z"):
    props = {"scope": scope, "roleDefinitionId": role, "principalId": principal, "createdOn": created}
    return {"id": scope + "/providers/Microsoft.Authorization/roleAssignments/a", "properties": props}


READER_BODY = {
    "id": READER,
    "properties": {
        "roleName": "Key Vault Reader",
        "permissions": [{"dataActions": ["Microsoft.KeyVault/vaults/keys/read"]}],
    },
}


@pytest.mark.parametrize(
    ("assignments", "missing"),
    [
        ([_assignment(VAULT, ENCRYPTION)], []),  # the encryption role, known without a read
        ([_assignment("/subscriptions/s", ENCRYPTION)], []),  # inherited from above
        ([_assignment(VAULT + "/keys/other", ENCRYPTION)], list(api.REQUIRED_DATA_ACTIONS)),  # another key's
        ([_assignment(VAULT, READER)], list(api.REQUIRED_DATA_ACTIONS[1:])),
        ([_assignment(VAULT, ENCRYPTION, principal="someone-else")], list(api.REQUIRED_DATA_ACTIONS)),
        ([], list(api.REQUIRED_DATA_ACTIONS)),
        # Listed for the key, a management group's assignment reaches it (its subscription is under the group).
        ([_assignment("/providers/Microsoft.Management/managementGroups/mg", ENCRYPTION)], []),
    ],
)
def test_missing_data_actions(assignments, missing):
    assert api.missing_data_actions(_ctx(assignments, {READER: READER_BODY}), "o", KEY) == missing


def test_missing_data_actions_without_one_assignment():
    ctx = _ctx([_assignment(VAULT, ENCRYPTION)])
    assert api.missing_data_actions(
        ctx, "o", KEY, without=VAULT + "/providers/Microsoft.Authorization/roleAssignments/A"
    ) == list(api.REQUIRED_DATA_ACTIONS)


def test_granted_at_is_the_newest_date_of_a_covering_assignment():
    ctx = _ctx(
        [_assignment(VAULT, ENCRYPTION), _assignment("/subscriptions/s", READER, created="2026-06-01T00:00:00Z")]
    )
    assert api.granted_at(ctx, "o", KEY).isoformat() == "2026-06-01T00:00:00+00:00"
    assert api.granted_at(_ctx([]), "o", KEY) is None


def test_find_role_by_name_once_and_refuses_an_unknown_one():
    ctx = _ctx([], {READER: READER_BODY})
    assert api.find_role(ctx, "Key Vault Reader", "/subscriptions/s")["id"] == READER
    with pytest.raises(CmkValidationError, match="role: no role named 'Nope'"):
        api.find_role(ctx, "Nope", "/subscriptions/s")
