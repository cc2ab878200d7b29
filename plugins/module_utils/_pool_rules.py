# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a pool's disk encryption and its account's key mean for the pool, as findings: pure, like _rules.

- The temporary disk is encrypted only when ``diskEncryptionConfiguration.targets`` has ``TemporaryDisk``
  (Batch's disk-encryption article; OS and data disks are on platform keys unless the pool has its own key).
  Azure Policy's built-in audits the same; its severity here is the report's option, a warning by default.
- A pool's own disk key (``customerManagedKey``, API 2025-06-01) is judged by the account's key rules, for the
  pool's user-assigned identity: codes ``pool_`` + the account's (``pool_key_disabled``,
  ``pool_identity_lacks_access``...). Its url is always versioned: a version no longer the newest, or a key that
  rotates itself, is a risk only while ``rotationToLatestKeyVersionEnabled`` is false (``pool_key_pinned``); with
  it true, Batch uses the newest version, which is the one judged (_services.pool.key_holder).
- While the account cannot use its key, its pools keep their nodes, but the nodes are unusable: tasks stop and
  are requeued until key access is restored (Batch's CMK FAQ). A pool whose own key is lost stops too (managed
  disks shut down the VMs whose disk key is disabled, deleted or expired).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ACCESS_LOST
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ERROR
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import WARNING
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import finding

IGNORE = "ignore"
TEMPORARY_DISK_SEVERITIES = (ERROR, WARNING, IGNORE)
TEMPORARY_DISK_POLICY = "1760f9d4-7206-436e-a28f-d9f3a5c8a227, 'Azure Batch pools should have disk encryption enabled'"
FIX_IN_PLACE = (
    "Batch changes a pool's disk encryption only at zero nodes: scale the pool to zero and update it, or recreate it"
)
PINNED = ("pinned_old_version", "pinned_version_with_rotation_policy")


def pool_subject(pool, account_name):
    return "pool '{}' of Batch account '{}'".format(pool["name"], account_name)


def temporary_disk_findings(pool, account_name, severity=WARNING):
    if pool["temporary_disk_encrypted"] or severity == IGNORE:
        return []
    subject = pool_subject(pool, account_name)
    message = (
        f"{subject}: temporary disk not encrypted (diskEncryptionConfiguration.targets lacks TemporaryDisk; Azure "
        f"Policy {TEMPORARY_DISK_POLICY}); {FIX_IN_PLACE}"
    )
    return [dict(finding("pool_temp_disk_unencrypted", severity, subject, message), pool=pool["name"])]


def own_key_findings(pool, account_name, key_findings, facts=None):
    """The findings of the pool's own key (judged as an account's, for the pool's identity) as the pool's; the
    account's advice on pinned versions does not fit a pool (its url stays versioned): ``facts`` (what the key's
    judgment read) give the pool's own."""
    subject = pool_subject(pool, account_name)
    found = [
        dict(judged, code="pool_" + judged["code"], message=f"{subject}: {judged['message']}", pool=pool["name"])
        for judged in key_findings
        if judged["code"] not in PINNED
    ]
    return found + _pinned(pool, subject, facts or {})


def _pinned(pool, subject, facts):
    """``pool_key_pinned``: the version the pool names is no longer the newest, or the key rotates itself, and Batch
    does not follow (rotationToLatestKeyVersionEnabled false)."""
    key_id, key = facts.get("key_id"), facts.get("key")
    if pool["customer_managed_key"]["rotation_to_latest_key_version"] or key is None or not key_id.version:
        return []
    newest, version = facts.get("newest_version"), key_id.version
    named = f"version {version} of key '{key_id.name}' in vault '{key_id.vault_name}'"
    if newest and newest.lower() != version.lower():
        why = f"its disk key is {named}, but the key's newest version is {newest}"
    elif facts.get("auto_rotates"):
        why = f"its disk key is {named}, and the key rotates itself: the pool stays on this version"
    else:
        return []
    message = (
        f"{subject}: {why}, and rotationToLatestKeyVersionEnabled is false; set it on the pool's customerManagedKey "
        f"(keyUrl stays versioned) or point keyUrl at the newest version - {FIX_IN_PLACE}"
    )
    return [dict(finding("pool_key_pinned", WARNING, subject, message), pool=pool["name"])]


def key_lost(key_findings):
    """Why a key's holder cannot use it (the messages of the errors that cut it off), or None."""
    lost = [f["message"] for f in key_findings if f["severity"] == ERROR and f["code"] in ACCESS_LOST]
    return "; ".join(lost) or None


def pool_entry(pool, account, key_findings=None, temporary_disk=WARNING, facts=None):
    """``pool`` with its ``findings`` and whether its nodes are usable: ``nodes_unavailable`` (the account cannot
    use its key, or the pool its own) and why. ``key_findings``: its own key's, judged for its identity from
    ``facts``."""
    account_name = account["name"]
    findings = temporary_disk_findings(pool, account_name, temporary_disk)
    reason = None
    if account.get("unavailable"):
        reason = f"Batch account '{account_name}' cannot use its key: nodes stay, tasks stop and are requeued"
    if pool["customer_managed_key"] is not None:
        own = own_key_findings(pool, account_name, key_findings or [], facts)
        findings += own
        lost = key_lost(key_findings or [])
        if lost and not reason:
            reason = f"its own disk key cannot be used ({lost}): its nodes shut down"
    public = {k: v for k, v in pool.items() if k != "customer_managed_key"}
    own_key = pool["customer_managed_key"]
    if own_key is not None:
        own_key = {k: v for k, v in own_key.items() if k != "principal_id"}
    return dict(public, customer_managed_key=own_key, nodes_unavailable=bool(reason), reason=reason, findings=findings)


def unavailable_pools(entries):
    """How many pools (and their nodes: dedicated and low priority) are unusable."""
    down = [p for p in entries if p["nodes_unavailable"]]
    return {"pools": len(down), "nodes": sum(p["dedicated_nodes"] + p["low_priority_nodes"] for p in down)}


def pools_summary(accounts):
    """The report's summary of the pools of ``accounts`` (report entries that carry ``pools``)."""
    every = [p for a in accounts for p in a.get("pools") or []]
    down = unavailable_pools(every)
    return {
        "pools": len(every),
        "nodes": sum(p["dedicated_nodes"] + p["low_priority_nodes"] for p in every),
        "temporary_disk_unencrypted": sum(1 for p in every if not p["temporary_disk_encrypted"]),
        "own_key": sum(1 for p in every if p["customer_managed_key"]),
        "unavailable": down["pools"],
        "unavailable_nodes": down["nodes"],
    }
