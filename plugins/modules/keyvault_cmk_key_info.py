#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_cmk_key_info
short_description: Read keys of a vault, with their rotation policies and fitness as Batch customer-managed keys
version_added: 0.1.0
description:
  - Returns one key, or every key of the vault, as M(azure_cmk.batch.keyvault_cmk_key) returns them,
    with the reasons (if any) each cannot serve as a Batch customer-managed key.
options:
  vault_name:
    description: Name of the vault.
    type: str
    required: true
  resource_group:
    description: Resource group of the vault.
    type: str
    required: true
  name:
    description: Name of one key; all keys of the vault when omitted.
    type: str
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.attributes.INFO_MODULE
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.keyvault_cmk_key
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: Read the key and its ids
  azure_cmk.batch.keyvault_cmk_key_info:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    name: batch-cmk
  register: found
"""

RETURN = r"""
vault_keys:
  description: The keys found, as M(azure_cmk.batch.keyvault_cmk_key) returns them, plus two fields.
  returned: always
  type: list
  elements: dict
  contains:
    cmk_ready:
      description: Whether the key can be a Batch customer-managed key now.
      type: bool
    cmk_problems:
      description: What keeps it from being one (type, size, operations, disabled, expired).
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
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_subject
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import KeyService

ARGUMENT_SPEC = dict(
    vault_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    name=dict(type="str"),
)


def _fitness(key, vault_name):
    """The rules batch_account_cmk enforces, as messages."""
    subject = key_subject(vault_name, key["name"], key["version"])
    if key["deleted"]:
        return [f"{subject} is soft-deleted"]
    return [f["message"] for f in key_findings(key, subject)]


def run(module):
    service = KeyService(module)
    if module.params["name"]:
        found = service.get()
        keys = [found] if found else []
    else:
        keys = service.list()
    for key in keys:
        key["cmk_problems"] = _fitness(key, module.params["vault_name"])
        key["cmk_ready"] = not key["cmk_problems"]
    return {"changed": False, "vault_keys": keys}


def main():
    module = AzureCmkModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
