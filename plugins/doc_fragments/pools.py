# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors POOLS_ARGSPEC in plugins/module_utils/_pools.py; a unit test keeps the two equal. Shared by
    # cmk_compliance_info and the batch_accounts inventory plugin.
    DOCUMENTATION = r"""
options:
  pools:
    description:
      - Also report each account's pools - their nodes, their disk encryption, their own disk key - with findings
        (see the notes). They are read with one Resource Graph query - over an estate, one more in all - whose
        index may lag a pool made or resized in the last minutes; a report of one account lists them from Batch.
    type: bool
    default: true
  temporary_disk_severity:
    description:
      - The severity of C(pool_temp_disk_unencrypted), a pool whose temporary disk is not encrypted (its
        C(diskEncryptionConfiguration.targets) lacks C(TemporaryDisk)), as Azure Policy's built-in
        "Azure Batch pools should have disk encryption enabled" (1760f9d4-7206-436e-a28f-d9f3a5c8a227) audits.
      - V(error) makes the account non-compliant; V(ignore) leaves the finding out.
    type: str
    choices: [error, warning, ignore]
    default: warning
notes:
  - "Pools: a pool whose nodes cannot run tasks (C(nodes_unavailable) of each of C(pools)) is one of an account that
    cannot use its key - its nodes stay, tasks stop and are requeued until key access returns - or one whose own
    disk key its identity cannot use. C(pools_unavailable) counts them and their nodes, per account and in the
    summary."
  - "Pool findings, each naming the pool (C(pool)): C(pool_temp_disk_unencrypted) (O(temporary_disk_severity));
    for a pool with its own disk key (C(customerManagedKey), reached with the pool's user-assigned identity), the
    account's key rules prefixed C(pool_) (C(pool_key_disabled), C(pool_identity_lacks_access)...), and
    C(pool_key_pinned) (warning: not the key's newest version, or a key that rotates itself, while the pool's
    C(rotationToLatestKeyVersionEnabled) is false); C(pools_unreadable) (V(unknown))."
  - Batch changes a pool's disk encryption only while the pool has no nodes; to fix a finding, scale the pool to
    zero and update it, or recreate it. This collection reports and guards pools; it does not write them.
"""
