#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user_identity
short_description: Ensure a user-assigned managed identity for a Batch account's customer-managed key
version_added: 0.1.0
description:
  - Creates, updates (tags) or deletes a user-assigned managed identity and returns its ids.
  - A user-assigned identity can be granted access to the key before the Batch account exists, which
    lets the account be created with its customer-managed key in one step.
options:
  name:
    description: Name of the identity.
    type: str
    required: true
  resource_group:
    description: Resource group of the identity.
    type: str
    required: true
  location:
    description:
      - Azure region. Defaults to the resource group's region when the identity is created.
      - An identity's region cannot change; a different value fails.
    type: str
  force:
    description:
      - Deleting the identity is refused, naming the Batch accounts on a customer-managed key that rely on it (in check mode
        too), because it makes them unavailable at once. V(true) does it anyway, with a warning.
    type: bool
    default: false
  state:
    description: Whether the identity should exist. Deleting it removes its principal; grants to it stop working.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.tags
  - azure_cmk.batch.attributes
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.user_identity_info
  - module: azure_cmk.batch.keyvault_access_policy
  - module: azure_cmk.batch.batch_account_cmk
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: Ensure the identity the Batch account uses to reach its key
  azure_cmk.batch.user_identity:
    name: id-batch-cmk
    resource_group: rg-batch
    tags:
      purpose: batch-cmk
  register: identity

- name: Authenticate once for every task of the collection
  module_defaults:
    group/azure_cmk.batch.all:
      subscription_id: "{{ azure_subscription_id }}"
      client_id: "{{ azure_client_id }}"
      secret: "{{ azure_secret }}"
      tenant: "{{ azure_tenant }}"
  block:
    - name: Remove an identity no longer used
      azure_cmk.batch.user_identity:
        name: id-old
        resource_group: rg-batch
        state: absent
"""

RETURN = r"""
action:
  description:
    - What the task did to the resource - V(create), V(update), V(delete) or V(none) - or, in check mode, what
      a real run would do.
  returned: always
  type: str
  sample: update
identity:
  description:
    - The identity after the task; null when O(state=absent).
    - In check mode, when the identity would be created, the ids Azure assigns (RV(identity.principal_id),
      RV(identity.client_id), RV(identity.tenant_id)) are null.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: /subscriptions/.../resourceGroups/rg-batch/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-batch-cmk
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
      description: Object id of the identity's service principal (what access policies and role assignments name).
      type: str
    client_id:
      description: Application (client) id of the identity.
      type: str
    tenant_id:
      description: Tenant of the identity.
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.identity import IdentityController
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import TAGS_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    location=dict(type="str"),
    **TAGS_ARGSPEC,
    force=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


def run(module):
    return converge(module.ctx, IdentityController(module.ctx, module.params), module.diff_mode)


def main():
    module = AzureCmkModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
