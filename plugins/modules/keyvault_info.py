#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_info
short_description: Read Key Vaults and whether they can hold Batch customer-managed keys
version_added: 0.1.0
description:
  - Returns one vault, those of a resource group, or those of the subscription, each with its access
    policies and the reasons (if any) it cannot hold a Batch customer-managed key.
options:
  name:
    description: Name of one vault (needs O(resource_group)).
    type: str
  resource_group:
    description: Resource group to read from; all of the subscription when omitted.
    type: str
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.attributes.INFO_MODULE
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.keyvault
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: Which vaults of the group cannot hold a customer-managed key, and why
  azure_cmk.batch.keyvault_info:
    resource_group: rg-batch
  register: found

- name: Report them
  ansible.builtin.debug:
    msg: "{{ found.vaults | rejectattr('cmk_ready') | map(attribute='cmk_problems') | list }}"
"""

RETURN = r"""
vaults:
  description: The vaults found, as M(azure_cmk.batch.keyvault) returns them, plus two fields.
  returned: always
  type: list
  elements: dict
  contains:
    cmk_ready:
      description: Whether the vault meets the rules for Batch customer-managed keys (soft delete and purge protection).
      type: bool
    cmk_findings:
      description:
        - What keeps it from meeting them, as findings of the rules M(azure_cmk.batch.batch_account_cmk) enforces
          (C(vault_soft_delete_disabled), C(vault_purge_protection_disabled)).
      type: list
      elements: dict
      contains:
        code:
          description: Stable code.
          type: str
        severity:
          description: V(error).
          type: str
        subject:
          description: The vault, by name.
          type: str
        field:
          description: The vault field concerned.
          type: str
        message:
          description: Human-readable detail.
          type: str
    cmk_problems:
      description: The messages of RV(vaults[].cmk_findings).
      type: list
      elements: str
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import vault_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import get_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import list_vaults

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    resource_group=dict(type="str"),
)


def run(module):
    ctx, params = module.ctx, module.params
    if params["name"]:
        found = get_vault(ctx, params["resource_group"], params["name"])
        vaults = [found] if found else []
    else:
        vaults = list_vaults(ctx, params["resource_group"])
    for vault in vaults:
        findings = vault_findings(vault)
        vault.update(cmk_findings=findings, cmk_problems=[f["message"] for f in findings], cmk_ready=not findings)
    return {"changed": False, "vaults": vaults}


def main():
    module = AzureCmkModule(
        argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_by={"name": "resource_group"}
    )
    module.run(run)


if __name__ == "__main__":
    main()
