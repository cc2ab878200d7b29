"""_services/identity.py: the identity as modules return it, and finding one by name or id, on a fake."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import groups as fake_groups
from fakes import not_found

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import identity as api

CLIENT = "11111111-1111-4111-8111-111111111111"
PRINCIPAL = "22222222-2222-4222-8222-222222222222"


def identity_body(name="id-a", group="rg"):
    rid = f"/subscriptions/s/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    props = {"principalId": PRINCIPAL, "clientId": CLIENT, "tenantId": "t"}
    return {"id": rid, "name": name, "location": "westeurope", "properties": props}


def test_normalize():
    found = api.normalize(identity_body())
    assert (found["principal_id"], found["client_id"], found["tenant_id"], found["resource_group"]) == (
        PRINCIPAL,
        CLIENT,
        "t",
        "rg",
    )
    assert api.normalize(None) is None


def _ctx(identities):
    by_name = {(i["id"].split("/")[4], i["name"]): i for i in identities}
    operations = Operations(
        get=lambda group, name: Model(by_name[(group, name)]) if (group, name) in by_name else not_found(),
        list_by_subscription=lambda: iter([Model(i) for i in identities]),
    )
    ctx = context(msi=Namespace(user_assigned_identities=operations))
    ctx.clients.resource_group = fake_groups("rg", "rg-other")
    return ctx


@pytest.mark.parametrize(
    ("reference", "group", "found"),
    [
        ("id-a", "rg", "id-a"),
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a",
            None,
            "id-a",
        ),
        ("id-b", "rg", None),  # in check mode an earlier task may create it
    ],
)
def test_find_identity(reference, group, found):
    result = api.find_identity(_ctx([identity_body()]), reference, group, "identity")
    assert (result or {}).get("name") == found


@pytest.mark.parametrize(
    ("reference", "group", "message"),
    [
        (
            "id-a",
            "rg-other",
            "identity: identity 'id-a' is not in resource group 'rg-other' (an identity of that name is in rg)",
        ),
        (CLIENT, "rg", f"identity: '{CLIENT}' is the client id of user-assigned identity 'id-a'"),
        (PRINCIPAL, "rg", f"identity: '{PRINCIPAL}' is the principal (object) id of user-assigned identity 'id-a'"),
        ("33333333-3333-4333-8333-333333333333", "rg", "is a GUID, and no user-assigned identity of that name"),
        ("/subscriptions/s", None, "is not the id of a Microsoft.ManagedIdentity/userAssignedIdentities resource"),
        ("id-a", "rg-nope", "identity (its resource group): 'rg-nope' does not exist"),
    ],
)
def test_plain_mistakes_are_named(reference, group, message):
    with pytest.raises(CmkValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        api.find_identity(_ctx([identity_body()]), reference, group, "identity")
