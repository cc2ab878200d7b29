# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors ESTATE_ARGSPEC in plugins/module_utils/_estate.py; a unit test keeps the two equal. Shared by
    # cmk_compliance_info and the batch_accounts inventory plugin.
    DOCUMENTATION = r"""
options:
  subscriptions:
    description:
      - The subscriptions (ids) whose Batch accounts to read, or V(all) for every subscription the credential can
        read, through Azure Resource Graph.
      - Named subscriptions the credential cannot read are said (see the notes).
    type: list
    elements: str
  management_groups:
    description:
      - The management groups (ids) whose subscriptions' Batch accounts to read, through Azure Resource Graph. Not
        with O(subscriptions).
      - Resource Graph does not name the subscriptions under a group that the credential cannot read; they add no
        accounts. A group it refuses is said.
    type: list
    elements: str
  confirm_errors:
    description:
      - Read each account with a finding of severity V(error) of its own (not only of its pools) again from the resource providers - the account from
        Batch, its vault from Key Vault's resource provider, on RBAC vaults its role assignments - before reporting
        it, side by side by up to O(max_workers) threads. Its state then says C(resource_provider).
      - For a change ticket that must not act on the index's lag; a nightly report may be as old as the index.
    type: bool
    default: false
  confirm_limit:
    description:
      - The most accounts O(confirm_errors) reads again (the first by id); the others are reported as the index has
        them, and counted as skipped.
    type: int
    default: 500
  wait_timeout:
    description:
      - Seconds each wait may take - a retried call, Resource Graph's quota to reset (its C(Retry-After) or
        C(x-ms-user-quota-resets-after)) - not the run as a whole. More than 0.
    type: int
    default: 300
notes:
  - With O(subscriptions) or O(management_groups), Batch accounts, the vaults they use and the role assignments on
    RBAC vaults come from Azure Resource Graph - a few queries of 1,000 rows, paced by its per-user quota - and key
    state from each used vault's key list in Resource Manager (one read per vault, side by side; no Key Vault
    data-plane call where Resource Manager answers, and a vault's firewall does not block it). The cost grows with
    the vaults, not the accounts.
  - Resource Graph's index lags the resource providers (most changes show within a minute, with no upper bound).
    Each account says where its state came from and when; O(confirm_errors) reads the failing ones again.
  - Partial access is said, never hidden - subscriptions, management groups and vaults the credential cannot read
    are listed; an account whose key could not be checked has a finding of severity V(unknown) and is not compliant.
  - The credential reads one tenant (its own); for an estate in two tenants, run once per tenant's credential.
"""
