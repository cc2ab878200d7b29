"""_estate and _estate_facts on fakes: the facts an estate's reads give the rules - keys from a vault's key list and
its versions, grants from the index (and from the provider where the index cannot tell) - and the scope's options."""

from __future__ import annotations

import pytest
from fakes import PUBLIC
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils import _estate
from ansible_collections.azure_cmk.batch.plugins.module_utils import _estate_facts as facts
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import REQUIRED_DATA_ACTIONS
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_access_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import ENCRYPTION_ROLE_GUID
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

SUB = "00000000-0000-4000-8000-000000000001"
VAULT_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-one"
ENCRYPTION = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ENCRYPTION_ROLE_GUID}"
NEWEST, OLD = "b" * 32, "a" * 32


def _key(version, auto_rotates=False, enabled=True):
    return {
        "version": version,
        "versionless_id": "https://kv-one.vault.azure.net/keys/cmk",
        "key_type": "RSA",
        "key_size": 2048,
        "key_ops": ["unwrapKey", "wrapKey"],
        "enabled": enabled,
        "not_before": None,
        "expires": None,
        "auto_rotates": auto_rotates,
    }


def _estate_with(keys=None, versions=None):
    estate = _estate.Estate(_estate.Scope(_estate.ALL))
    estate.keys["kv-one"] = {"cmk": _key(NEWEST, auto_rotates=True)} if keys is None else keys
    estate.versions[("kv-one", "cmk")] = {OLD: _key(OLD, enabled=False)} if versions is None else versions
    return estate


def _key_id(version=None):
    return parse_key_identifier("https://kv-one.vault.azure.net/keys/cmk" + (f"/{version}" if version else ""), PUBLIC)


@pytest.mark.parametrize(
    ("version", "estate", "expected"),
    [
        (None, _estate_with(), {"key": NEWEST}),  # versionless: the newest, nothing more to compare
        (NEWEST, _estate_with(), {"key": NEWEST, "newest_version": NEWEST, "auto_rotates": True}),
        (OLD, _estate_with(), {"key": OLD, "newest_version": NEWEST, "auto_rotates": True}),  # from the versions
        ("c" * 32, _estate_with(), {"key": None}),  # no such version: key_missing
        (None, _estate_with(keys={}), {"key": None}),  # no such key
        (None, _estate_with(keys=CmkError("Forbidden")), {"key_error": ("unreadable", "Forbidden")}),
        (OLD, _estate_with(versions=CmkError("Forbidden")), {"key_error": ("unreadable", "Forbidden")}),
    ],
)
def test_key_facts_from_the_key_list_and_versions(version, estate, expected):
    found = facts._key_facts(estate, _key_id(version))
    if "key" in found and found["key"] is not None:
        found["key"] = found["key"]["version"]
    assert found == expected


def test_a_pinned_old_version_is_judged_as_the_version_it_is():
    estate = _estate_with()
    found = dict(facts._key_facts(estate, _key_id(OLD)), key_id=_key_id(OLD), vault={"name": "kv-one"}, grants=False)
    codes = [f["code"] for f in key_access_findings(dict(found, principal="p", account_tenant=None, searched="s"))]
    assert codes == [
        "vault_purge_protection_disabled",
        "key_disabled",
        "pinned_old_version",
        "pinned_version_with_rotation_policy",
    ]


def _rbac_vault():
    return {"id": VAULT_ID, "name": "kv-one", "subscription_id": SUB, "enable_rbac_authorization": True}


def _provider(assignments):
    listed = Operations(list_for_scope=lambda scope, filter: iter([Model(a) for a in assignments]))
    return context(authorization=Namespace(role_assignments=listed, role_definitions=Operations()))


@pytest.mark.parametrize(
    ("grants", "missing"),
    [
        ([(VAULT_ID.lower(), ENCRYPTION)], []),
        ([(VAULT_ID.lower() + "/keys/cmk", ENCRYPTION)], []),
        ([(f"/subscriptions/{SUB}".lower(), ENCRYPTION)], []),  # inherited from the subscription
        ([(VAULT_ID.lower() + "/keys/other", ENCRYPTION)], list(REQUIRED_DATA_ACTIONS)),
        ([], list(REQUIRED_DATA_ACTIONS)),
    ],
)
def test_grants_from_the_index(grants, missing):
    estate = _estate_with()
    estate.grants["p"] = grants
    ctx = _provider([])
    assert facts._missing(ctx, estate, _rbac_vault(), "P", "cmk") == missing
    assert ctx.clients.authorization.role_assignments.calls == []  # the index answered


def test_a_grant_at_a_management_group_is_asked_of_the_provider():
    """Whether a management group's grant reaches the vault's subscription, Resource Graph does not say: Resource
    Manager's list of the key's assignments (inherited ones included) does."""
    estate = _estate_with()
    group = "/providers/microsoft.management/managementgroups/mg"
    estate.grants["p"], estate.broad = [(group, ENCRYPTION)], {"p"}
    inherited = {"id": "x", "properties": {"scope": "/providers/Microsoft.Management/managementGroups/mg",
                                           "roleDefinitionId": ENCRYPTION, "principalId": "p"}}  # fmt: skip
    ctx = _provider([inherited])
    assert facts._missing(ctx, estate, _rbac_vault(), "p", "cmk") == []
    assert [c[0] for c in ctx.clients.authorization.role_assignments.calls] == ["list_for_scope"]


def test_access_policies_are_judged_from_the_vault_the_index_shows():
    vault = {"enable_rbac_authorization": False, "tenant_id": "t", "access_policies": [
        {"tenant_id": "t", "object_id": "p", "application_id": None, "key_permissions": ["get", "wrapKey"]}]}  # fmt: skip
    assert facts._missing(context(), _estate_with(), vault, "p", "cmk") == ["unwrapKey"]


@pytest.mark.parametrize(
    ("subscriptions", "groups", "problem"),
    [
        (["all", SUB], None, "'all' stands alone"),
        (["not-a-guid"], None, "subscriptions:"),
        ([SUB], ["mg"], "give one of them"),
    ],
)
def test_the_scope_is_checked_offline(subscriptions, groups, problem):
    with pytest.raises(CmkValidationError, match=problem):
        _estate.scope_of(subscriptions, groups)


def test_the_scope():
    assert _estate.scope_of("ALL").subscriptions == _estate.ALL
    assert _estate.scope_of([SUB]).subscriptions == [SUB]
    assert _estate.scope_of(None, ["mg"]).management_groups == ["mg"]


def test_an_account_off_customer_managed_keys_has_no_key_facts():
    account = {"key_source": "Microsoft.Batch", "key_identifier": None}
    assert facts.account_facts(context(), _estate_with(), account, 30) is None
