# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch's refusals of a write that puts an account on its key. Batch checks the key with grants as they were
minutes ago, and keeps a restored account unavailable a while longer, so a refusal after a clean preflight
may be Azure catching up - and may not: Azure documents no code that tells. A refusal whose cause the checks
before the write named, or that comes although the identity's role is older than Azure's documented delay,
fails at once; any other is tried again a handful of times, the pauses growing. A refusal writes nothing.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkRefused
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import granted_at
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KNOWN_AFTER_APPLY
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import find_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import GRANT_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import GRANT_SECONDS
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import RECOVERY_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import sparse
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

# A refused write is made at most this often (a grant still on its way may need ten minutes).
MOST_REFUSED_WRITES = 6
REFUSALS = (400, 403, 409)


def recovering(account, findings):
    """Every rule holds, yet Azure still reports the account Invalid: Batch is slow to see its key again."""
    invalid = account.get("key_source") == KEY_VAULT and account.get("provisioning_state") == "Invalid"
    return invalid and not errors(findings)


def through_propagation(ctx, request, desired, write, found, current=None):
    """``write()``, tried again while Batch refuses it - when the account is or will be on a customer-managed
    key and the refusal can be Azure catching up (see the module's docstring); ``found``: what the checks
    before the write found (``audit``, ``principal``, ``target``)."""
    if desired["key_source"] != KEY_VAULT:
        return write()
    refused = []
    known = "; ".join(f["message"] for f in errors(found.get("audit") or []))

    def attempt():
        try:
            return (write(),)
        except CmkError as error:
            if error.status not in REFUSALS:
                raise
            if known:
                raise CmkRefused(
                    f"{error.message} (the checks before the write found: {known})",
                    code=error.code,
                    status=error.status,
                    request_id=error.request_id,
                ) from error
            if not refused and not recovering(current or {}, found.get("audit") or []):
                refuse_if_settled(ctx, desired, found, error)
            refused[:] = [error]
            return None

    return until(
        attempt,
        request["wait_timeout"],
        "Batch to accept the key for account '{}'".format(request["name"]),
        GRANT_DELAY + "; " + RECOVERY_DELAY,
        ctx,
        give_up=lambda timed_out: CmkRefused(
            f"{timed_out.message}. Azure's last answer: {refused[0].message}", code="Timeout"
        ),
        pauses=sparse,
        tries=MOST_REFUSED_WRITES,
    )[0]


def refuse_if_settled(ctx, desired, found, error):
    """Fail at once when the identity's role on an RBAC vault was granted longer ago than Azure documents
    for a grant to arrive: waiting cannot help (access policies carry no date: they are waited for)."""
    principal, target = found.get("principal"), found.get("target")
    if principal is None or target is None or desired["key_identifier"] in (None, KNOWN_AFTER_APPLY):
        return
    key_id = parse_key_identifier(desired["key_identifier"], ctx.cloud)
    vault = find_vault(ctx, key_id.vault_name, target.vault_group, target.near)
    if vault is None or not vault["enable_rbac_authorization"]:
        return
    granted = granted_at(ctx, principal, "{}/keys/{}".format(vault["id"], key_id.name))
    if granted is not None and time.time() - granted.timestamp() > GRANT_SECONDS:
        raise CmkRefused(
            "{} - although the identity's role on vault '{}' was granted at {}, longer ago than the {} s Azure "
            "documents for a grant to arrive: not waited for".format(
                error.message, vault["name"], iso(granted), GRANT_SECONDS
            ),
            code=error.code,
            status=error.status,
            request_id=error.request_id,
        ) from error
