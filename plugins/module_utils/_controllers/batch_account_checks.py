# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""batch_account_cmk's preflight: which identity the account reaches its key with, and what the rules'
findings mean for this run - refuse, fail a run that would be green on an unusable account, or warn.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import account_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ERROR
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import NOT_YET
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import UNKNOWN
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import same_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KNOWN_AFTER_APPLY
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import find_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import find_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import get_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import batch_account_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier

TWO_PHASE = (
    "a system-assigned identity does not exist before the account does, so it cannot have been granted "
    "the key yet. Use two steps: run once with identity_type: SystemAssigned and key_source: Microsoft.Batch, grant "
    "the returned principal_id get, wrapKey and unwrapKey on the vault (azure_cmk.batch.keyvault_access_policy "
    "batch_account: {name}), then run again with key_source: Microsoft.KeyVault. Or use a user-assigned identity, "
    "which can be granted before the account exists."
)


def request_problems(ctx, request):
    """The task's options alone: the name, a key source without a key, the auto-storage account's id."""
    problems = batch_account_name_problems(request["name"])
    if not request.key_id and request.get("key_source") == KEY_VAULT and not ctx.check_mode:
        # required_if is met by an explicit null; in check mode that is an id an earlier task returns.
        problems.append("key_identifier: is null or empty; key_source Microsoft.KeyVault needs the key's identifier")
    return problems + _storage_problems(request.get("auto_storage_account"))


def _storage_problems(storage):
    if not storage:
        return []
    try:
        parsed = _resource_id.parse(storage)
        ok = f"{parsed['namespace'] or ''}/{parsed['type'] or ''}".lower() == "microsoft.storage/storageaccounts"
    except ValueError:
        ok = False
    return [] if ok else [f"auto_storage_account: '{storage}' is not a storage account resource id"]


def placement_problems(ctx, request, current, desired):
    """Location and pool allocation mode are fixed at creation; a new account needs its resource group."""
    problems, name = [], request["name"]
    for field in ("location", "pool_allocation_mode") if current else ():
        if not same_location(desired[field], current[field]):
            problems.append(
                "{}: Batch account '{}' has {} {}; it cannot change".format(
                    field, name, field.replace("_", " "), current[field]
                )
            )
    if current is None:
        group_location(ctx, request["resource_group"])  # a missing group fails here, before any write
        if ctx.check_mode and not request.get("location"):
            ctx.warn(
                "location: Batch account '{}' does not exist; predicted in {}, the location of resource group '{}' "
                "(check mode: an earlier task that creates the account decides its location)".format(
                    name, desired["location"], request["resource_group"]
                )
            )
    return problems


def vault_group_problems(ctx, request, desired):
    """key_vault_resource_group names where the key's vault is: a vault found in another group is a plain
    mistake (refused in check mode too); one found nowhere may come from an earlier task (check mode)."""
    group = request.get("key_vault_resource_group")
    if not group or desired["key_source"] != KEY_VAULT or desired["key_identifier"] == KNOWN_AFTER_APPLY:
        return []
    name = parse_key_identifier(desired["key_identifier"], ctx.cloud).vault_name
    if get_vault(ctx, group, name) is not None:
        return []
    elsewhere = find_vault(ctx, name)
    if elsewhere is not None:
        return [
            f"key_vault_resource_group: vault '{name}' is in resource group '{elsewhere['resource_group']}', "
            f"not '{group}'"
        ]
    if ctx.check_mode:
        return []  # the audit warns that it assumes an earlier task creates the vault
    return [
        f"key_vault_resource_group: vault '{name}' is not in resource group '{group}' nor anywhere in the subscription"
    ]


def judge_current(ctx, request, current, target):
    """An account that cannot reach its key now: Azure allows only deletion until access returns."""
    lost = errors(account_key_access(ctx, current, target))
    if not lost or request.get("allow_unavailable"):
        return []
    return [
        "Batch account '{}' is unavailable: {}. Azure allows only deletion until the account's identity can "
        "use its key again - restore the grant, enable or recover the key, then run again (or set "
        "allow_unavailable: true to try anyway)".format(request["name"], "; ".join(f["message"] for f in lost))
    ]


def judge(ctx, request, findings, repoints, only_warns=False):
    """Errors refuse the change (or, when nothing changes, fail a run that would otherwise be green on an
    account that cannot use its key); in check mode, what an earlier task may create only warns.
    ``only_warns``: the task sets only the identity and writes nothing (the first step of a flow whose grant
    comes next): it warns, so that a rerun can restore the grant."""
    problems = []
    for item in findings:
        text = "{} [{}]".format(item["message"], item["code"])
        if item["severity"] == UNKNOWN:
            ctx.warn("key_identifier: " + text)
        elif item["severity"] != ERROR:
            continue
        elif only_warns and not repoints:  # the same in check mode: the real run goes on too
            ctx.warn(
                "Batch account '{}' cannot use its key: {}. This task sets only the identity and changes nothing, so "
                "it goes on; a task that sets the key (key_source) fails until this is fixed".format(
                    request["name"], text
                )
            )
        elif ctx.check_mode and item["code"] in NOT_YET:
            assumed = "key_identifier: " + text + " (check mode: assuming an earlier task fixes it)"
            ctx.assume(assumed, _about(request, item))
        elif repoints:
            problems.append("key_identifier: " + text)
        elif request.get("allow_unavailable"):
            ctx.warn("Batch account '{}' cannot use its key: {} (allow_unavailable)".format(request["name"], text))
        else:
            problems.append(
                "Batch account '{}' cannot use its key: {}. Azure refuses every change but deletion until this "
                "is fixed (set allow_unavailable: true for a break-glass run)".format(request["name"], text)
            )
    return problems


def principal_of(ctx, request, current, desired, problems):
    """The object id the account will reach its key with (None when not known yet)."""
    if desired["identity_type"] == "UserAssigned":
        if (
            current
            and current["principal_id"]
            and _resource_id.same(current["user_assigned_identity"], desired["user_assigned_identity"])
        ):
            return current["principal_id"]  # Batch returns the identity's principal: no read needed
        found = find_identity(ctx, desired["user_assigned_identity"], None, "user_assigned_identity")
        if found is None:
            ctx.not_yet(
                "user_assigned_identity",
                "identity '{}' does not exist".format(desired["user_assigned_identity"]),
                problems,
            )
            return None
        return found["principal_id"]
    if desired["identity_type"] == "SystemAssigned":
        name = request["name"]
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
            ctx.not_yet("key_source", TWO_PHASE.format(name=name), problems, check_message=early)
        return (current or {}).get("principal_id") if (current or {}).get("identity_type") == "SystemAssigned" else None
    if desired["key_source"] == KEY_VAULT:
        message = "key_source Microsoft.KeyVault needs a managed identity; set SystemAssigned or UserAssigned"
        if current is None and not request.get("identity_type"):
            ctx.not_yet("identity_type", message, problems)  # an earlier task may create the account
        else:
            problems.append("identity_type: " + message)
    return None


def _about(request, item):
    """What a check-mode finding assumes, in the words the vault's own check uses (vault_or_prediction): a run
    that has said the vault is assumed created does not say it again as a finding."""
    group = request.get("key_vault_resource_group")
    if item["code"] == "vault_not_found" and group:
        return "{} does not exist in resource group '{}'".format(item["subject"], group)
    return None
