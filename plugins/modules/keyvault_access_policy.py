#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_access_policy
short_description: Ensure one principal's access to a vault's keys, touching no other principal
version_added: 0.1.0
description:
  - On a vault authorized by access policies, ensures the principal's key permissions are exactly
    O(key_permissions) (compared as a set, case-insensitively). Changes go through Azure's
    accessPolicies add/replace/remove operations, which touch that one entry, so other principals'
    entries are never rewritten - unlike a whole-vault update, which drops concurrent grants.
  - On an RBAC vault, ensures the principal holds O(role) on the vault (or on one key, O(key_name))
    with a role assignment whose name is derived from scope, principal and role, so reruns find it.
  - The principal is given by object id, resolved from a user-assigned identity or a Batch account's
    system-assigned identity by name, or is the caller itself. In check mode a principal that an earlier task would create is
    reported as unknown (null) rather than failing.
  - O(state=absent) removes the principal's key permissions (its secret or certificate permissions
    stay) or its role assignment at this scope.
options:
  vault_name:
    description: Name of the vault.
    type: str
    required: true
  resource_group:
    description: Resource group of the vault (and, by default, of the identity or Batch account named).
    type: str
    required: true
  caller:
    description:
      - Grant the principal running the module (read from its token) - typically so the automation can create
        and rotate keys in a vault it has just created.
    type: bool
  object_id:
    description: Object id of the principal to grant.
    type: str
  identity:
    description: A user-assigned managed identity, by name (in O(principal_resource_group)) or resource id.
    type: str
  batch_account:
    description: A Batch account whose system-assigned identity to grant, by name (in O(principal_resource_group)) or resource id.
    type: str
  principal_resource_group:
    description: Resource group of O(identity) or O(batch_account) given by name. Defaults to O(resource_group).
    type: str
  principal_type:
    description: The principal's type, recorded in an RBAC role assignment (lets Azure skip a directory lookup for new identities).
    type: str
    default: ServicePrincipal
    choices: [ServicePrincipal, User, Group]
  key_permissions:
    description:
      - Access-policy vaults. The key permissions the principal must have, exactly.
      - Defaults to V(get), V(wrapKey), V(unwrapKey) - what a Batch account's key identity needs.
    type: list
    elements: str
  role:
    description:
      - RBAC vaults. The role to assign, by name, GUID or role definition id.
      - Defaults to C(Key Vault Crypto Service Encryption User), the role a Batch account's key identity needs.
    type: str
  key_name:
    description: RBAC vaults. Assign the role on this key only, instead of the whole vault.
    type: str
  state:
    description: Whether the access should exist.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.attributes
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.keyvault
  - module: azure_cmk.batch.batch_account_cmk
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: Let the Batch account's own identity use the key (access-policy or RBAC vault alike)
  azure_cmk.batch.keyvault_access_policy:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    batch_account: batchcmk01

- name: Grant a user-assigned identity before the account exists
  azure_cmk.batch.keyvault_access_policy:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    identity: id-batch-cmk

- name: Let the automation principal manage keys (create, rotate, recover)
  azure_cmk.batch.keyvault_access_policy:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    caller: true
    key_permissions: [get, list, create, update, delete, recover, rotate, getrotationpolicy, setrotationpolicy]
    role: Key Vault Crypto Officer

- name: Revoke an identity's key access, leaving everyone else's alone
  azure_cmk.batch.keyvault_access_policy:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    identity: id-old
    state: absent
"""

RETURN = r"""
access:
  description:
    - The principal's access after the task; null when it has none.
    - In check mode, RV(access.principal_id) is null when the principal does not exist yet.
  returned: always
  type: dict
  contains:
    vault_id:
      description: Resource id of the vault.
      type: str
    authorization:
      description: V(access_policy) or V(rbac), after the vault's mode.
      type: str
    principal_id:
      description: Object id of the principal.
      type: str
    tenant_id:
      description: Tenant of the vault and the access-policy entry.
      type: str
    key_permissions:
      description: Access-policy vaults. The principal's key permissions, in Azure's spelling, sorted.
      type: list
      elements: str
    role:
      description: RBAC vaults. The role's name.
      type: str
    scope:
      description: RBAC vaults. Where the role is assigned.
      type: str
    role_assignment_id:
      description: RBAC vaults. Resource id of the role assignment.
      type: str
"""

from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import AccessService

ARGUMENT_SPEC = dict(
    vault_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    caller=dict(type="bool"),
    object_id=dict(type="str"),
    identity=dict(type="str"),
    batch_account=dict(type="str"),
    principal_resource_group=dict(type="str"),
    principal_type=dict(type="str", default="ServicePrincipal", choices=["ServicePrincipal", "User", "Group"]),
    key_permissions=dict(type="list", elements="str", no_log=False),
    role=dict(type="str"),
    key_name=dict(type="str", no_log=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)
PRINCIPALS = ("caller", "object_id", "identity", "batch_account")
MUTUALLY_EXCLUSIVE = [PRINCIPALS]
REQUIRED_ONE_OF = [PRINCIPALS]


def run(module):
    return converge(module, AccessService(module))


def main():
    module = AzureCmkModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        required_one_of=REQUIRED_ONE_OF,
    )
    module.run(run)


if __name__ == "__main__":
    main()
