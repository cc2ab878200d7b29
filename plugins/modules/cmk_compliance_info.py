#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cmk_compliance_info
short_description: Report Batch accounts' customer-managed key compliance, for scheduled drift jobs
version_added: 0.1.0
description:
  - For the named accounts, or all accounts of a resource group or the subscription, reports findings, each
    with a stable code, a severity and a message naming the account, identity, vault, key and version concerned.
  - With O(subscriptions) or O(management_groups), reports on an estate of many subscriptions
    through Azure Resource Graph (see the notes), O(resource_group) and O(names) narrowing the query; each account
    then says where its state came from and when (RV(accounts[].state)).
  - The findings come from the same rules M(azure_cmk.batch.batch_account_cmk) enforces before writing.
    An account is compliant when it has no finding of severity V(error) or V(unknown) and is not recovering;
    warnings are risks to watch. An account with a V(unknown) finding was not fully checked
    (RV(accounts[].checked)) - it is never counted as compliant, and RV(summary.not_checked) counts them.
  - "Severity V(error): C(not_on_cmk) (Microsoft-managed keys); C(identity_lacks_access); C(no_identity);
    C(key_missing); C(key_disabled); C(key_expired); C(key_not_yet_active); C(key_type_unsupported);
    C(key_size_unsupported); C(key_ops_missing); C(vault_soft_delete_disabled); C(vault_purge_protection_disabled);
    C(vault_tenant_mismatch); C(vault_not_found) (not in O(key_vault_resource_group)); C(vault_unreachable) (a vault
    no one can reach); C(key_identifier_invalid); C(account_missing)."
  - "Severity V(warning): C(key_expiring) (within O(expiry_warning_days)); C(pinned_old_version) (a versioned key id
    that is not the key's newest version); C(pinned_version_with_rotation_policy) (a versioned key id while the key
    rotates itself)."
  - "Severity V(unknown) (could not be checked from here): C(vault_not_found) (vault outside the subscription),
    C(vault_unreachable), C(key_unreadable) (the caller may not read the key)."
  - Every vault, key, rotation policy and role definition is read once, however many accounts share it.
  - Accounts - over an estate, vaults - are checked side by side by up to O(max_workers) threads, since on Azure
    each read is a round trip.
  - Reads only. Meant for scheduled AWX / Automation Controller jobs; combine with M(ansible.builtin.assert) to fail
    a job, or template the report.
options:
  names:
    description: Names of the accounts to report on (needs O(resource_group)).
    type: list
    elements: str
  resource_group:
    description: Resource group of the accounts; all of the subscription when omitted (and O(names) is not given).
    type: str
  strict:
    description: Fail when a subscription, management group or vault could not be read (RV(unreadable) is not empty).
    type: bool
    default: false
  expiry_warning_days:
    description: Report keys that expire within this many days.
    type: int
    default: 30
  key_vault_resource_group:
    description:
      - Resource group of the keys' vault (pools' own disk keys included), to read it directly. Otherwise it is
        looked for in each account's resource group, then by name in the subscription.
    type: str
  max_workers:
    description:
      - How many accounts are checked at the same time. V(1) checks them one after the other.
      - Reads shared by several accounts (a vault, a key, a rotation policy) are still made once.
    type: int
    default: 8
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.estate
  - azure_cmk.batch.pools
  - azure_cmk.batch.attributes.INFO_MODULE
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.batch_account_cmk_info
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: CMK drift report for the whole subscription
  azure_cmk.batch.cmk_compliance_info:
    expiry_warning_days: 45
  register: report

- name: The same over every subscription the credential can read, errors confirmed by the resource providers
  azure_cmk.batch.cmk_compliance_info:
    subscriptions: all
    confirm_errors: true
  register: estate

- name: The accounts under a management group, failing when anything could not be read
  azure_cmk.batch.cmk_compliance_info:
    management_groups:
      - mg-cmk-platform
    strict: true

- name: Fail the scheduled job when an account is not compliant
  ansible.builtin.assert:
    that: report.summary.non_compliant == 0
    fail_msg: "{{ report.accounts | rejectattr('compliant') | map(attribute='findings') | flatten
      | selectattr('severity', 'equalto', 'error') | map(attribute='message') | list }}"
"""

RETURN = r"""
accounts:
  description: One entry per account.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id (null for an account named but missing).
      type: str
    name:
      description: Name.
      type: str
    resource_group:
      description: Resource group.
      type: str
    key_source:
      description: V(Microsoft.Batch) or V(Microsoft.KeyVault).
      type: str
    key_identifier:
      description: The key identifier, or null.
      type: str
    key_version:
      description: The key version in use - the pinned one, or the newest a versionless identifier resolves to.
      type: str
    key_follows_newest:
      description: Whether the identifier is versionless (the account follows the key's newest version).
      type: bool
    identity_type:
      description: The account's identity type.
      type: str
    user_assigned_identity:
      description: The user-assigned identity's resource id, if any.
      type: str
    unavailable:
      description: Whether the account cannot reach its key (Azure then refuses every change but deletion).
      type: bool
    unavailable_reason:
      description: Why, or null.
      type: str
    checked:
      description: False when something could not be read to check it (a finding of severity V(unknown)).
      type: bool
    compliant:
      description: True when there is no finding of severity V(error) or V(unknown) and the account is not recovering.
      type: bool
    by_severity:
      description: The number of findings of each severity (V(error), V(warning), V(unknown)).
      type: dict
    pools:
      description:
        - "The account's pools (with O(pools); null when they could not be read): C(name), C(id), C(os) (V(linux),
          V(windows)), C(vm_size), C(dedicated_nodes), C(low_priority_nodes), C(disk_encryption_targets),
          C(temporary_disk_encrypted), C(customer_managed_key) (the pool's own disk key - C(key_url),
          C(rotation_to_latest_key_version), C(identity) - or null), C(disk_encryption_set), C(nodes_unavailable)
          (its nodes cannot run tasks), C(reason) (why), and C(findings) (also in RV(accounts[].findings))."
      returned: with O(pools), for an account that exists
      type: list
      elements: dict
    pools_unavailable:
      description: How many of the account's pools cannot run tasks now, with how many nodes (C(pools), C(nodes)).
      returned: with O(pools), when the pools were read
      type: dict
      sample: {"pools": 2, "nodes": 5}
    subscription_id:
      description: The account's subscription.
      returned: with O(subscriptions) or O(management_groups)
      type: str
    state:
      description:
        - Where the account's state (its identity, encryption, vault and grants) came from, and when. Its key's state
          always comes from the vault's key list in Resource Manager, read during the run.
      returned: with O(subscriptions) or O(management_groups)
      type: dict
      contains:
        source:
          description:
            - V(resource_graph) (Resource Graph's index, which lags the providers) or V(resource_provider) (read
              again from the providers, with O(confirm_errors)).
          type: str
          sample: resource_graph
        as_of:
          description: When Azure answered that read (Resource Graph's first page, or the provider's read), UTC.
          type: str
          sample: "2026-12-01T06:00:02Z"
    findings:
      description: What is wrong or at risk.
      type: list
      elements: dict
      contains:
        code:
          description: Stable code (see the description).
          type: str
        severity:
          description: V(error), V(warning) or V(unknown).
          type: str
        subject:
          description: What the finding is about (an account, pool, identity, vault or key version), by name.
          type: str
        pool:
          description: The pool it is about, for a pool's finding.
          type: str
          returned: for a pool's finding
        field:
          description: The key or vault field concerned (for example V(enabled), V(expires)), or null.
          type: str
        message:
          description: Human-readable detail.
          type: str
summary:
  description: Counts over the report.
  returned: always
  type: dict
  contains:
    accounts:
      description: Accounts reported.
      type: int
    compliant:
      description: Accounts fully checked, without errors and not recovering.
      type: int
    non_compliant:
      description: Accounts with an error, not fully checked, or recovering.
      type: int
    not_checked:
      description: Accounts with something that could not be read to check it (a finding of severity V(unknown)).
      type: int
    by_severity:
      description: The number of findings of each severity over all accounts.
      type: dict
    findings:
      description: How many times each code was found.
      type: dict
    pools:
      description:
        - "Over the accounts' pools: C(pools), C(nodes), C(temporary_disk_unencrypted), C(own_key) (pools with
          their own disk key), C(unavailable) (pools that cannot run tasks) and C(unavailable_nodes)."
      returned: with O(pools)
      type: dict
unreadable:
  description:
    - "What the credential could not read; the accounts in it are not in the report, or not checked: C(subscriptions)
      (named in O(subscriptions), not readable), C(management_groups) (of O(management_groups), refused by Resource
      Graph), C(vaults) (each C(name) and C(reason): vaults that accounts or their pools use whose keys could not be
      read, or in no subscription the credential can read; their accounts have a finding of severity V(unknown))."
  returned: with O(subscriptions) or O(management_groups)
  type: dict
  sample: {"subscriptions": [], "management_groups": [], "vaults": [{"name": "kv-other", "reason": "..."}]}
confirmation:
  description:
    - What O(confirm_errors) found reading the accounts with errors again from the providers - C(asked) (read again),
      C(cleared) (without an error now, the index was behind), C(still_failing), C(gone) (deleted since the index
      saw them, left out of the report), C(skipped) (beyond O(confirm_limit), reported as the index has them).
  returned: with O(confirm_errors)
  type: dict
  sample: {"asked": 3, "cleared": 1, "still_failing": 2, "gone": 0, "skipped": 0}
absorbed:
  description:
    - Faults the run rode out - each retried call (throttling, a server error, a dropped connection) and each
      wait for Azure (a grant or a new vault reaching the service) - so a scheduled job's log shows them.
    - See the collection's C(docs/reliability.md).
  returned: when there were any
  type: list
  elements: str
  sample: ["retried GET https://kv-batch-cmk.vault.azure.net/keys/batch-cmk: 429"]
"""

from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import compliance
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import ESTATE_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule
from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import POOLS_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import EXPIRY_WARNING_DAYS

ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str"),
    resource_group=dict(type="str"),
    strict=dict(type="bool", default=False),
    expiry_warning_days=dict(type="int", default=EXPIRY_WARNING_DAYS),
    key_vault_resource_group=dict(type="str", no_log=False),
    max_workers=dict(type="int", default=8),
    **ESTATE_ARGSPEC,
    **POOLS_ARGSPEC,
)


def run(module):
    return compliance(module.ctx, module.params)


def main():
    module = AzureCmkModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_by={"names": "resource_group"},
        mutually_exclusive=[("subscriptions", "management_groups")],
    )
    module.run(run)


if __name__ == "__main__":
    main()
