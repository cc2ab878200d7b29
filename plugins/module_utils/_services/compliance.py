# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CMK compliance report: each account's findings, and a summary for scheduled drift jobs.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from collections import Counter

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import BatchAccountService
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import normalize
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import with_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.cmk import finding


def account_findings(account):
    found = []
    if account["key_source"] != KEY_VAULT:
        found.append(
            finding(
                "not_on_cmk", "error", "account '{}' is encrypted with Microsoft-managed keys".format(account["name"])
            )
        )
    if account["unavailable"]:
        found.append(
            finding(
                "account_unavailable",
                "error",
                "account '{}' is unavailable: {}".format(account["name"], account["unavailable_reason"]),
            )
        )
    return found + account["key_access"]


def report(module, names, resource_group, expiry_days):
    """(one entry per account, a summary): findings with codes, for AWX drift jobs."""
    service = BatchAccountService(module)
    if names:
        operations = service.clients.batch.batch_account
        accounts = []
        for name in names:
            body = service.read("read Batch account", name, operations.get, resource_group, name)
            if body is None:
                accounts.append({"id": None, "name": name, "resource_group": resource_group, "missing": True})
                continue
            accounts.append(with_key_access(service, normalize(rest_dict(body)), expiry_days))
    else:
        accounts = service.list(resource_group, expiry_days)
    entries = [_entry(account) for account in accounts]
    codes = Counter(f["code"] for entry in entries for f in entry["findings"])
    summary = {
        "accounts": len(entries),
        "compliant": sum(1 for e in entries if e["compliant"]),
        "non_compliant": sum(1 for e in entries if not e["compliant"]),
        "findings": dict(sorted(codes.items())),
    }
    return entries, summary


def _entry(account):
    if account.get("missing"):
        findings = [finding("account_missing", "error", "account '{}' does not exist".format(account["name"]))]
    else:
        findings = account_findings(account)
    return {
        "id": account["id"],
        "name": account["name"],
        "resource_group": account["resource_group"],
        "key_source": account.get("key_source"),
        "key_identifier": account.get("key_identifier"),
        "identity_type": account.get("identity_type"),
        "compliant": not findings,
        "findings": findings,
    }
