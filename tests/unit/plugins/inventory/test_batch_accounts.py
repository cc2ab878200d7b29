"""The batch_accounts inventory plugin's pure parts: tag filters, host variables, and its docs' auth options.
The plugin itself is not imported: Ansible's controller code would change how in-process module runs warn."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from ansible_collections.azure_cmk.batch.plugins.doc_fragments.azure_auth import ModuleDocFragment
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.plugin_utils import _batch_hosts as batch_accounts

PLUGIN = Path(__file__).resolve().parents[4] / "plugins" / "inventory" / "batch_accounts.py"


def _documentation():
    tree = ast.parse(PLUGIN.read_text())
    assigned = (n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "DOCUMENTATION")
    return yaml.safe_load(next(assigned).value.value)


@pytest.mark.parametrize(
    ("tags", "wanted", "included"),
    [
        ({"env": "prod"}, None, True),
        ({"env": "prod"}, {"env": "prod"}, True),
        ({"env": "prod"}, {"env": "test"}, False),
        ({"env": "prod"}, {"env": None}, True),  # null: only present
        ({}, {"env": None}, False),
        ({"env": "prod", "team": "a"}, {"env": "prod", "team": "b"}, False),  # every tag must match
        (None, {}, True),
        ({"replicas": "3"}, {"replicas": 3}, True),  # YAML numbers compare as Azure's string values
    ],
)
def test_tag_filter(tags, wanted, included):
    assert batch_accounts.matches_tags(tags, wanted) is included


def test_host_variables_name_the_account_and_carry_the_report_entry():
    account = {"id": "/x/a1", "name": "a1", "resource_group": "rg", "location": "westeurope", "tags": {"k": "v"}}
    account["principal_id"] = "p-1"
    finding = {"code": "pinned_old_version", "severity": "warning", "subject": "key", "field": None, "message": "m"}
    entry = {
        "key_source": "Microsoft.KeyVault",
        "key_identifier": "https://kv.vault.azure.net/keys/k/0123",
        "key_version": "0123",
        "key_follows_newest": False,
        "identity_type": "SystemAssigned",
        "user_assigned_identity": None,
        "unavailable": False,
        "unavailable_reason": None,
        "compliant": True,
        "findings": [finding, dict(finding)],
    }
    variables = batch_accounts.host_variables("sub-1", account, entry)
    assert variables["batch_account_subscription_id"] == "sub-1"
    assert variables["batch_account_tags"] == {"k": "v"} and variables["cmk_principal_id"] == "p-1"
    assert variables["cmk_finding_codes"] == ["pinned_old_version"]
    assert not [name for name in variables if not name.startswith(("batch_account_", "cmk_"))]  # no reserved names


def test_the_plugin_documents_every_auth_option_it_reads():
    """The plugin reads AUTH_ARGSPEC's options through get_option: each must be documented, by the fragment."""
    plugin_docs = _documentation()
    assert "azure_cmk.batch.azure_auth" in plugin_docs["extends_documentation_fragment"]
    assert set(AUTH_ARGSPEC) <= set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    assert not set(AUTH_ARGSPEC) & set(plugin_docs["options"])  # not redefined here
