"""The controllers' own steps on a fake run context: what each wants and refuses before any write."""

from __future__ import annotations

import pytest
from fakes import TENANT
from fakes import context
from fakes import groups

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.access import request_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.identity import IdentityController
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.vault import VaultController
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.vault import one_way_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request

VAULT = {
    "name": "kv-cmk",
    "location": "westeurope",
    "tenant_id": TENANT,
    "enable_purge_protection": True,
    "soft_delete_retention_days": 90,
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"enable_purge_protection": False}, "enable_purge_protection: purge protection is on for vault 'kv-cmk'"),
        ({"soft_delete_retention_days": 7}, "soft_delete_retention_days: vault 'kv-cmk' keeps deleted objects 90 days"),
        ({"location": "North Europe"}, "location: vault 'kv-cmk' is in westeurope; a vault cannot move"),
        ({"location": "West Europe"}, None),
        ({"tenant_id": "other"}, "vault_tenant: vault 'kv-cmk' is in tenant"),
    ],
)
def test_what_a_vault_cannot_undo(change, problem):
    problems = one_way_problems(VAULT, dict(VAULT, **change))
    assert (problem is None and problems == []) or any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("current", "options", "expected"),
    [
        (
            None,
            {},
            {
                "enable_rbac_authorization": True,
                "enable_purge_protection": False,
                "sku": "standard",
                "tenant_id": TENANT,
            },
        ),
        (None, {"enable_rbac_authorization": False}, {"enable_rbac_authorization": False}),
        (
            dict(VAULT, sku="premium", enable_rbac_authorization=False),
            {},
            {"sku": "premium", "enable_rbac_authorization": False},
        ),
        (None, {"tags": {"a": "1"}}, {"tags": {"a": "1"}, "location": "westeurope"}),
    ],
)
def test_a_vault_wants_what_is_given_else_what_it_has_else_azures_defaults(current, options, expected):
    ctx = context()
    ctx.clients.resource_group = groups("rg")
    controller = VaultController(ctx, dict({"name": "kv-cmk", "resource_group": "rg"}, **options))
    desired = controller.desired(current)
    assert {k: desired[k] for k in expected} == expected


def test_a_vault_of_another_tenant_is_refused_before_anything_is_read():
    controller = VaultController(context(), {"name": "kv-cmk", "resource_group": "rg", "vault_tenant": "other"})
    assert controller._tenant_problems() == [
        f"vault_tenant: other is not the tenant of subscription {context().subscription_id} ({TENANT}); a Batch "
        "account can use keys only in a vault of its own tenant"
    ]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"caller": True}, None),
        ({"caller": True, "key_permissions": ["get", "fly"]}, "key_permissions: unknown permission(s) fly"),
        (
            {"caller": True, "object_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
            "caller: true names the principal already",
        ),
        ({"object_id": "not-a-guid"}, "object_id: 'not-a-guid' is not valid (a GUID)"),
        ({"caller": True, "key_permissions": []}, "key_permissions: is empty"),
        ({"caller": True, "key_name": "bad name"}, "key_name: 'bad name' is not valid"),
        ({"caller": True, "vault_name": "x"}, "vault_name: 'x' is not valid"),
    ],
)
def test_access_request_problems(options, problem):
    problems = request_problems(Request(dict({"vault_name": "kv-cmk"}, **options)))
    assert (problem is None and problems == []) or any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("current", "options", "problem"),
    [
        (None, {}, None),
        ({"name": "id-a", "location": "westeurope"}, {"location": "West Europe"}, None),
        (
            {"name": "id-a", "location": "westeurope"},
            {"location": "northeurope"},
            "location: identity 'id-a' is in westeurope",
        ),
    ],
)
def test_an_identity_cannot_move(current, options, problem):
    ctx = context()
    ctx.clients.resource_group = groups("rg")
    controller = IdentityController(ctx, dict({"name": "id-a", "resource_group": "rg"}, **options))
    problems, found = controller.check(current, controller.desired(current))
    assert found == {} and ((problem is None and problems == []) or problem in problems[0])
