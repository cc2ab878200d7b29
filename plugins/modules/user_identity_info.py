#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_identity_info
short_description: Read user-assigned managed identities
version_added: 0.1.0
description:
  - Returns one user-assigned managed identity, those of a resource group, or those of the subscription.
options:
  name:
    description: Name of one identity (needs O(resource_group)).
    type: str
  resource_group:
    description: Resource group to read from; all of the subscription when omitted.
    type: str
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.attributes.INFO_MODULE
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.user_identity
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: Read the identity a Batch account uses
  azure_cmk.batch.user_identity_info:
    name: id-batch-cmk
    resource_group: rg-batch
  register: found

- name: Show its principal id
  ansible.builtin.debug:
    msg: "{{ found.identities[0].principal_id }}"
"""

RETURN = r"""
identities:
  description: The identities found (empty when none match).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: Name.
      type: str
    resource_group:
      description: Resource group.
      type: str
    location:
      description: Region.
      type: str
    tags:
      description: Tags.
      type: dict
    principal_id:
      description: Object id of the identity's service principal.
      type: str
    client_id:
      description: Application (client) id.
      type: str
    tenant_id:
      description: Tenant.
      type: str
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
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import get_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import list_identities

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    resource_group=dict(type="str"),
)


def run(module):
    ctx, params = module.ctx, module.params
    if params["name"]:
        found = get_identity(ctx, params["resource_group"], params["name"])
        return {"changed": False, "identities": [found] if found else []}
    return {"changed": False, "identities": list_identities(ctx, params["resource_group"])}


def main():
    module = AzureCmkModule(
        argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_by={"name": "resource_group"}
    )
    module.run(run)


if __name__ == "__main__":
    main()
