# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""batch_account_cmk's preflight: which identity the account reaches its key with, and what the rules'
findings mean for this run - refuse, fail a run that would be green on an unusable account, or warn.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ERROR
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import UNKNOWN
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KNOWN_AFTER_APPLY
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.cmk import NOT_YET
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.cmk import account_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import find_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_group import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import find_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import get_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

TWO_PHASE = (
    "a system-assigned identity does not exist before the account does, so it cannot have been granted "
    "the key yet. Use two steps: run once with identity_type: SystemAssigned and key_source: Microsoft.Batch, grant "
    "the returned principal_id get, wrapKey and unwrapKey on the vault (azure_cmk.batch.keyvault_access_policy "
    "batch_account: {name}), then run again with key_source: Microsoft.KeyVault. Or use a user-assigned identity, "
    "which can be granted before the account exists."
)


def placement_problems(service, current, desired):
    """Location and pool allocation mode are fixed at creation; a new account needs its resource group."""
    problems, name = [], service.params["name"]
    for field in ("location", "pool_allocation_mode") if current else ():
        if _norm(desired[field]) != _norm(current[field]):
            problems.append(
                "{}: Batch account '{}' has {} {}; it cannot change".format(
                    field, name, field.replace("_", " "), current[field]
                )
            )
    if current is None:
        group_location(service.ctx, service.params["resource_group"])  # a missing group fails here, before any write
        if service.ctx.check_mode and not service.params.get("location"):
            service.ctx.warn(
                "location: Batch account '{}' does not exist; predicted in resource group '{}''s location {} "
                "(check mode: an earlier task that creates the account decides its location)".format(
                    name, service.params["resource_group"], desired["location"]
                )
            )
    return problems


def vault_group_problems(service, desired):
    """key_vault_resource_group names where the key's vault is: a vault found in another group is a plain
    mistake (refused in check mode too); one found nowhere may come from an earlier task (check mode)."""
    group = service.params.get("key_vault_resource_group")
    if not group or desired["key_source"] != KEY_VAULT or desired["key_identifier"] == KNOWN_AFTER_APPLY:
        return []
    name = parse_key_identifier(desired["key_identifier"], service.ctx.cloud).vault_name
    if get_vault(service.ctx, group, name) is not None:
        return []
    elsewhere = find_vault(service.ctx, name)
    if elsewhere is not None:
        return [
            f"key_vault_resource_group: vault '{name}' is in resource group '{elsewhere['resource_group']}', "
            f"not '{group}'"
        ]
    if service.ctx.check_mode:
        return []  # the audit warns that it assumes an earlier task creates the vault
    return [
        f"key_vault_resource_group: vault '{name}' is not in resource group '{group}' nor anywhere in the subscription"
    ]


def _norm(value):
    """Locations and modes compare without case or spaces (West Europe = westeurope)."""
    return (value or "").replace(" ", "").lower()


def judge_current(service, current):
    """An account that cannot reach its key now: Azure allows only deletion until access returns."""
    lost = errors(account_key_access(service.ctx, current, service.target))
    if not lost or service.params.get("allow_unavailable"):
        return []
    return [
        "Batch account '{}' is unavailable: {}. Azure allows only deletion until the account's identity can "
        "use its key again - restore the grant, enable or recover the key, then run again (or set "
        "allow_unavailable: true to try anyway)".format(service.params["name"], "; ".join(f["message"] for f in lost))
    ]


def judge(service, findings, repoints, only_warns=False):
    """Errors refuse the change (or, when nothing changes, fail a run that would otherwise be green on an
    account that cannot use its key); in check mode, what an earlier task may create only warns.
    ``only_warns``: the task sets only the identity and writes nothing (the first step of a flow whose grant
    comes next): it warns, so that a rerun can restore the grant."""
    problems = []
    for item in findings:
        text = "{} [{}]".format(item["message"], item["code"])
        if item["severity"] == UNKNOWN:
            service.ctx.warn("key_identifier: " + text)
        elif item["severity"] != ERROR:
            continue
        elif only_warns and not repoints:  # the same in check mode: the real run goes on too
            service.ctx.warn(
                "Batch account '{}' cannot use its key: {}. This task sets only the identity and changes nothing, so "
                "it goes on; a task that sets the key (key_source) fails until this is fixed".format(
                    service.params["name"], text
                )
            )
        elif service.ctx.check_mode and item["code"] in NOT_YET:
            service.ctx.warn("key_identifier: " + text + " (check mode: assuming an earlier task fixes it)")
        elif repoints:
            problems.append("key_identifier: " + text)
        elif service.params.get("allow_unavailable"):
            service.ctx.warn(
                "Batch account '{}' cannot use its key: {} (allow_unavailable)".format(service.params["name"], text)
            )
        else:
            problems.append(
                "Batch account '{}' cannot use its key: {}. Azure refuses every change but deletion until this "
                "is fixed (set allow_unavailable: true for a break-glass run)".format(service.params["name"], text)
            )
    return problems


def principal_of(service, current, desired, problems):
    """The object id the account will reach its key with (None when not known yet)."""
    if desired["identity_type"] == "UserAssigned":
        if (
            current
            and current["principal_id"]
            and _resource_id.same(current["user_assigned_identity"], desired["user_assigned_identity"])
        ):
            return current["principal_id"]  # Batch returns the identity's principal: no read needed
        found = find_identity(service.ctx, desired["user_assigned_identity"], None, "user_assigned_identity")
        if found is None:
            service.ctx.not_yet(
                "user_assigned_identity",
                "identity '{}' does not exist".format(desired["user_assigned_identity"]),
                problems,
            )
            return None
        return found["principal_id"]
    if desired["identity_type"] == "SystemAssigned":
        name = service.params["name"]
        if desired["key_source"] == KEY_VAULT and current and current["key_source"] == KEY_VAULT:
            if current["identity_type"] != "SystemAssigned":  # a switch of identity on the key: a plain mistake
                problems.append(
                    f"identity_type: Batch account '{name}' reaches its key through a {current['identity_type']} "
                    "identity; it cannot switch to SystemAssigned while on a customer-managed key: "
                    + TWO_PHASE.format(name=name)
                )
        elif desired["key_source"] == KEY_VAULT and (current is None or current["identity_type"] != "SystemAssigned"):
            # In check mode an earlier task of the same run may be the first of the two steps.
            early = f"Batch account '{name}' has no system-assigned identity yet to grant the key to"
            service.ctx.not_yet("key_source", TWO_PHASE.format(name=name), problems, check_message=early)
        return (current or {}).get("principal_id") if (current or {}).get("identity_type") == "SystemAssigned" else None
    if desired["key_source"] == KEY_VAULT:
        message = "key_source Microsoft.KeyVault needs a managed identity; set SystemAssigned or UserAssigned"
        if current is None and not service.params.get("identity_type"):
            service.ctx.not_yet("identity_type", message, problems)  # an earlier task may create the account
        else:
            problems.append("identity_type: " + message)
    return None
