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
        and rotate keys in a vault it has just created. V(false) is the same as leaving it out.
    type: bool
  object_id:
    description:
      - Object id of the principal to grant.
      - In check mode a null value (a principal id that an earlier task returns only once it has run) is predicted
        with a warning; otherwise a principal whose value is null, empty or false is refused.
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
      - Access-policy vaults. The key permissions the principal must have, exactly (an empty list is refused; use
        O(state=absent) to remove the entry).
      - Defaults to V(get), V(wrapKey), V(unwrapKey) - what a Batch account's key identity needs.
      - A task may give both this and O(role), to work whichever authorization the vault uses; the one that does
        not apply is not used.
      - For a vault that does not exist yet (an earlier task of a check-mode run creates it), check mode predicts
        an RBAC vault (the default of new vaults) unless only O(key_permissions) is given.
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
  force:
    description:
      - Revoking the access, or narrowing the key permissions below get, wrapKey and unwrapKey, that a Batch account
        on a customer-managed key relies on is refused, naming the accounts (in
        check mode too), because it makes them unavailable at once. V(true) does it anyway, with a warning.
      - On an RBAC vault, removing a role is refused only when the principal's other roles on the vault would not
        still give it the use of keys.
    type: bool
    default: false
  wait:
    description:
      - After granting the principal running the module (O(caller), or its own O(object_id)), wait until Key Vault
        lets it read keys - grants take up to 10 minutes to apply - so a next task that creates a key does not fail.
        Other principals' grants cannot be seen to arrive from here; M(azure_cmk.batch.batch_account_cmk) waits
        for them.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds each wait of the task may take - the caller's own grant to reach Key Vault, a retried call - not
        the task as a whole. More than 0 (to not wait for the grant, set O(wait=false)).
    type: int
    default: 600
  state:
    description:
      - Whether the access should exist.
      - Revoking the access of an identity or Batch account that no longer exists does nothing.
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
- name: Let a Batch account's system-assigned identity use the key (access-policy or RBAC vault alike)
  azure_cmk.batch.keyvault_access_policy:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    batch_account: batchcmk02

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
action:
  description:
    - What the task did to the resource - V(create), V(update), V(delete) or V(none) - or, in check mode, what
      a real run would do.
  returned: always
  type: str
  sample: update
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.access import AccessController
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule

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
    force=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)
# caller is a flag: "caller: false" beside object_id is fine, so its exclusion is checked by the service.
MUTUALLY_EXCLUSIVE = [("object_id", "identity", "batch_account")]
REQUIRED_ONE_OF = [("caller", "object_id", "identity", "batch_account")]


def run(module):
    return converge(module.ctx, AccessController(module.ctx, module.params), module.diff_mode)


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
