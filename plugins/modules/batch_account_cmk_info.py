#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: batch_account_cmk_info
short_description: Read Batch accounts' identity and encryption, and whether they can reach their keys
version_added: 0.1.0
description:
  - Returns one Batch account, those of a resource group, or those of the subscription, each with its
    identity, its encryption (key source and key identifier), and the findings of a check of its key
    access with its own identity - the same fields M(azure_cmk.batch.batch_account_cmk) returns.
options:
  name:
    description: Name of one account (needs O(resource_group)).
    type: str
  resource_group:
    description: Resource group to read from; all of the subscription when omitted.
    type: str
  key_vault_resource_group:
    description: Resource group of the keys' vault, to read it directly; otherwise it is looked up by name.
    type: str
  pools:
    description:
      - Also read each account's pools and return them in RV(batch_accounts[].pools) - their nodes, their disk
        encryption and, for a pool with its own disk key, that key's findings. One account's are listed from Batch;
        several accounts' come from one Resource Graph query, whose index may lag a pool made minutes ago.
    type: bool
    default: true
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.attributes.INFO_MODULE
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.batch_account_cmk
  - module: azure_cmk.batch.cmk_compliance_info
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: Show how an account is encrypted
  azure_cmk.batch.batch_account_cmk_info:
    name: batchcmk01
    resource_group: rg-batch
  register: found

- name: Fail when it does not exist or cannot reach its key
  vars:
    account: "{{ found.batch_accounts | first | default({}) }}"
  ansible.builtin.assert:
    that:
      - found.batch_accounts | length == 1
      - not account.unavailable
    fail_msg: "{{ account.unavailable_reason | default('Batch account batchcmk01 does not exist in rg-batch', true) }}"
"""

RETURN = r"""
batch_accounts:
  description: The accounts found, as M(azure_cmk.batch.batch_account_cmk) returns them (empty when none match).
  returned: always
  type: list
  elements: dict
  contains:
    pools:
      description:
        - The account's pools, as RV(azure_cmk.batch.cmk_compliance_info#module:accounts[].pools) gives them;
          null when they could not be read (a warning says why).
      returned: with O(pools)
      type: list
      elements: dict
    pools_unavailable:
      description: How many pools, with how many nodes, cannot run tasks now (C(pools), C(nodes)).
      returned: with O(pools), when the pools were read
      type: dict
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import audited
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule
from ansible_collections.azure_cmk.batch.plugins.module_utils._pool_rules import unavailable_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import indexed_pools
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import WARNING
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import get_account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    resource_group=dict(type="str"),
    key_vault_resource_group=dict(type="str", no_log=False),
    pools=dict(type="bool", default=True),
)


def run(module):
    ctx, params = module.ctx, module.params
    if params["name"]:
        found = get_account(ctx, params["resource_group"], params["name"])
        accounts = [found] if found else []
    else:
        accounts = list_accounts(ctx, params["resource_group"])
    vault_group, severity = params["key_vault_resource_group"], WARNING if params["pools"] else None
    # Several accounts' pools from one Resource Graph query; one account's from Batch (fresh, one call).
    indexed = indexed_pools(ctx, params["resource_group"]) if severity and len(accounts) > 1 else None
    found = [_shown(ctx, audited(ctx, a, vault_group, None, severity, indexed)) for a in accounts]
    return {"changed": False, "batch_accounts": found}


def _shown(ctx, account):
    """An audited account as the module returns it: why its pools could not be read is a warning."""
    for problem in account.pop("pool_problems", []):
        ctx.warn(problem["message"])
    if account.get("pools") is not None:
        account["pools_unavailable"] = unavailable_pools(account["pools"])
    return account


def main():
    module = AzureCmkModule(
        argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_by={"name": "resource_group"}
    )
    module.run(run)


if __name__ == "__main__":
    main()
