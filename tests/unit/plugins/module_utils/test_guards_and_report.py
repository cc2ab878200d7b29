"""_guards.py (who depends on a key, vault, grant or identity; the force guard) and _compliance.py's summary,
over accounts a fake subscription lists - no emulator."""

from __future__ import annotations

import pytest
from fakes import Model
from fakes import Namespace
from fakes import Operations
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils import _compliance
from ansible_collections.azure_cmk.batch.plugins.module_utils import _guards
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

V1 = "a" * 32
UAI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a"


def account(name, key=None, principal="p", identity=None):
    body = {
        "id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/{name}",
        "name": name,
        "location": "westeurope",
        "identity": {"type": "SystemAssigned", "principalId": principal},
        "properties": {},
    }
    if identity:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity: {"principalId": principal}}}
    if key:
        body["properties"]["encryption"] = {
            "keySource": "Microsoft.KeyVault",
            "keyVaultProperties": {"keyIdentifier": key},
        }
    return body


ACCOUNTS = [
    account("follows", "https://kv-one.vault.azure.net/keys/cmk"),
    account("pinned", f"https://kv-one.vault.azure.net/keys/cmk/{V1}", principal="q"),
    account("other", "https://kv-two.vault.azure.net/keys/cmk", identity=UAI),
    account("platform"),
    account("typo", "not a key id"),
]


def ctx():
    operations = Operations(list=lambda: iter([Model(a) for a in ACCOUNTS]))
    return context(batch=Namespace(batch_account=operations))


@pytest.mark.parametrize(
    ("criteria", "names"),
    [
        ({"vault_name": "kv-one"}, ["follows", "pinned"]),
        ({"vault_name": "KV-ONE", "key_name": "CMK"}, ["follows", "pinned"]),
        ({"vault_name": "kv-one", "version": V1}, ["follows", "pinned"]),  # the versionless one follows V1 if newest
        ({"vault_name": "kv-one", "version": "b" * 32}, ["follows"]),
        ({"principal_id": "Q"}, ["pinned"]),
        ({"identity_id": UAI.lower()}, ["other"]),
        ({"vault_name": "kv-three"}, []),
    ],
)
def test_accounts_using(criteria, names):
    assert _guards.accounts_using(ctx(), **criteria) == [f"{n} (resource group rg)" for n in names]


def test_the_guard_refuses_unless_forced():
    run = ctx()
    _guards.refuse_breaking("deleting x", [], False, run)  # no account: nothing to refuse
    with pytest.raises(
        CmkValidationError, match=r"deleting x would make Batch account\(s\) a, b unavailable.*force: true"
    ):
        _guards.refuse_breaking("deleting x", ["a", "b"], False, run)
    _guards.refuse_breaking("deleting x", ["a"], True, run)
    assert run.warnings == [
        "deleting x would make Batch account(s) a unavailable: they use it to reach their customer-managed key (force: true)"
    ]


def entry(compliant=True, checked=True, findings=()):
    return {"compliant": compliant, "checked": checked, "findings": list(findings)}


def test_the_summary_counts_what_was_not_checked():
    found = [{"code": "key_unreadable", "severity": "unknown"}]
    summary = _compliance.summary([entry(), entry(False, False, found), entry(False)])
    assert summary == {
        "accounts": 3,
        "compliant": 1,
        "non_compliant": 2,
        "not_checked": 1,
        "by_severity": {"error": 0, "warning": 0, "unknown": 1},
        "findings": {"key_unreadable": 1},
    }
