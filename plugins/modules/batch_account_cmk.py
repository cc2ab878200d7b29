#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: batch_account_cmk
short_description: Ensure a Batch account's managed identity and customer-managed key encryption
version_added: 0.1.0
description:
  - Ensures a Batch account's identity (system-assigned, one user-assigned, or none) and its encryption -
    Microsoft-managed (V(Microsoft.Batch)) or a customer-managed key in Key Vault (V(Microsoft.KeyVault))
    given by a versioned or versionless key identifier - creating the account when needed.
  - Before writing, it checks every rule it can see with the account's identity - the key's type, size,
    operations and state, the vault's soft delete, purge protection and tenant, and the identity's grant
    (access policy or role) - and refuses naming the rule, instead of leaving Azure to fail obscurely.
  - A system-assigned identity cannot be granted before the account exists, so customer-managed keys on a
    new account with one take two runs; the module explains this. A user-assigned identity can be granted
    first and the account created with its key in one run.
  - Switching keys or versions, moving to a versionless identifier and reverting to Microsoft-managed keys
    are updates. An account whose identity lost access to its key is unavailable and Azure refuses every
    change but deletion; the module reports it (RV(batch_account.unavailable)) and says what to restore.
  - Only accounts in C(BatchService) pool allocation mode are managed.
options:
  name:
    description: Name of the account (3-24 lowercase letters and digits).
    type: str
    required: true
  resource_group:
    description: Resource group of the account.
    type: str
    required: true
  location:
    description: Azure region. Defaults to the resource group's region when the account is created; it cannot change.
    type: str
  identity_type:
    description: The account's managed identity. Defaults to V(None) for a new account; an existing one keeps its own.
    type: str
    choices: [SystemAssigned, UserAssigned, None]
  user_assigned_identity:
    description: With O(identity_type=UserAssigned), the identity by resource id or by name (in O(identity_resource_group)).
    type: str
  identity_resource_group:
    description: Resource group of O(user_assigned_identity) given by name. Defaults to O(resource_group).
    type: str
  key_source:
    description:
      - V(Microsoft.KeyVault) encrypts with the customer-managed key O(key_identifier); V(Microsoft.Batch) with
        Microsoft-managed keys (also how to revert). Defaults to V(Microsoft.Batch) for a new account.
    type: str
    choices: [Microsoft.Batch, Microsoft.KeyVault]
  key_identifier:
    description:
      - The key, as a Key Vault key URL; needs O(key_source). Versionless (C(https://<vault>.vault.azure.net/keys/<name>)) follows the
        key's newest version - with a rotation policy, rotation is automatic; versioned (C(.../keys/<name>/<version>))
        pins that version until changed.
      - In check mode a null value (a new key version that an earlier task creates) is shown as
        C((known after apply)), with a warning; otherwise null is refused.
    type: str
  key_vault_resource_group:
    description:
      - Resource group of the key's vault. Otherwise it is looked for in O(resource_group), then by name in the
        subscription; a vault found nowhere (another subscription) is not checked, with a warning.
    type: str
  pool_allocation_mode:
    description: Only V(BatchService) is supported; it is fixed at creation.
    type: str
    choices: [BatchService]
  auto_storage_account:
    description: Resource id of a storage account for auto-storage.
    type: str
  public_network_access:
    description: Whether the account is reachable from public networks.
    type: str
    choices: [Enabled, Disabled]
  wait:
    description: Wait for a creation or deletion to finish.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds each wait of the task may take - an operation to finish, Batch to accept a key whose grant is
        on its way, an account to recover, a retried call - not the task as a whole. More than 0 (to not wait
        for a creation or deletion, set O(wait=false)).
    type: int
    default: 900
  allow_unavailable:
    description:
      - By default a task on an account that cannot use its key fails, naming the cause (a disabled or expired
        key, a missing grant, ...), even when nothing would change - a green run means the account is usable.
      - V(true) is for break-glass runs - it reports the account with a warning instead, and lets the module try a
        change that Azure may still refuse.
    type: bool
    default: false
  state:
    description: Whether the account should exist. Deleting is allowed even while the account is unavailable.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.tags
  - azure_cmk.batch.attributes
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.batch_account_cmk_info
  - module: azure_cmk.batch.keyvault_access_policy
  - module: azure_cmk.batch.keyvault_cmk_key
  - module: azure_cmk.batch.cmk_compliance_info
  - name: Configure customer-managed keys for your Azure Batch account
    description: Microsoft's guide to Batch customer-managed keys.
    link: https://learn.microsoft.com/azure/batch/batch-customer-managed-key
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: User-assigned identity, key set at creation (the identity was granted beforehand)
  azure_cmk.batch.batch_account_cmk:
    name: batchcmk01
    resource_group: rg-batch
    identity_type: UserAssigned
    user_assigned_identity: id-batch-cmk
    key_source: Microsoft.KeyVault
    key_identifier: https://kv-batch-cmk.vault.azure.net/keys/batch-cmk

- name: System-assigned, step 1 - the account and its identity
  azure_cmk.batch.batch_account_cmk:
    name: batchcmk02
    resource_group: rg-batch
    identity_type: SystemAssigned
  register: account

- name: System-assigned, step 2 - grant the account's identity get, wrapKey and unwrapKey
  azure_cmk.batch.keyvault_access_policy:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    batch_account: batchcmk02

- name: System-assigned, step 3 - switch to the key
  azure_cmk.batch.batch_account_cmk:
    name: batchcmk02
    resource_group: rg-batch
    key_source: Microsoft.KeyVault
    key_identifier: https://kv-batch-cmk.vault.azure.net/keys/batch-cmk

- name: Back to Microsoft-managed keys
  azure_cmk.batch.batch_account_cmk:
    name: batchcmk02
    resource_group: rg-batch
    key_source: Microsoft.Batch
"""

RETURN = r"""
action:
  description:
    - What the task did to the resource - V(create), V(update), V(delete) or V(none) - or, in check mode, what
      a real run would do.
  returned: always
  type: str
  sample: update
batch_account:
  description:
    - The account after the task; null when O(state=absent).
    - In check mode, RV(batch_account.principal_id) and RV(batch_account.tenant_id) are null while a new
      identity would be created, and RV(batch_account.provisioning_state) is null while the account would be.
  returned: always
  type: dict
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
    identity_type:
      description: V(SystemAssigned), V(UserAssigned) or V(None).
      type: str
    user_assigned_identity:
      description: Resource id of the user-assigned identity, if any.
      type: str
    principal_id:
      description: Object id of the identity the account reaches its key with.
      type: str
    tenant_id:
      description: Tenant of the system-assigned identity.
      type: str
    key_source:
      description: V(Microsoft.Batch) or V(Microsoft.KeyVault).
      type: str
    key_identifier:
      description: The customer-managed key's identifier, or null.
      type: str
    pool_allocation_mode:
      description: Pool allocation mode.
      type: str
    auto_storage_account:
      description: Auto-storage account id, or null.
      type: str
    public_network_access:
      description: V(Enabled) or V(Disabled).
      type: str
    provisioning_state:
      description: Azure's provisioning state.
      type: str
    account_endpoint:
      description: The account's Batch endpoint.
      type: str
    key_access:
      description: What keeps the identity from using the key, or puts it at risk (empty when all is well).
      type: list
      elements: dict
      contains:
        code:
          description: A stable code, for example V(identity_lacks_access), V(key_disabled), V(key_expiring).
          type: str
        severity:
          description: V(error), V(warning) or V(unknown) (could not be checked).
          type: str
        message:
          description: What is wrong, naming the vault, key or principal.
          type: str
    unavailable:
      description: Whether the account cannot reach its key - Azure then refuses every change but deletion.
      type: bool
    unavailable_reason:
      description: Why, or null.
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account import BatchAccountController
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import TAGS_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    location=dict(type="str"),
    identity_type=dict(type="str", choices=["SystemAssigned", "UserAssigned", "None"]),
    user_assigned_identity=dict(type="str"),
    identity_resource_group=dict(type="str"),
    key_source=dict(type="str", choices=["Microsoft.Batch", "Microsoft.KeyVault"]),
    key_identifier=dict(type="str", no_log=False),
    key_vault_resource_group=dict(type="str", no_log=False),
    pool_allocation_mode=dict(type="str", choices=["BatchService"]),
    auto_storage_account=dict(type="str"),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    **TAGS_ARGSPEC,
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=900),
    allow_unavailable=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)
REQUIRED_IF = [
    ("key_source", "Microsoft.KeyVault", ("key_identifier",)),
    ("identity_type", "UserAssigned", ("user_assigned_identity",)),
]
REQUIRED_BY = {"key_identifier": "key_source", "user_assigned_identity": "identity_type"}


def run(module):
    return converge(module.ctx, BatchAccountController(module.ctx, module.params), module.diff_mode)


def main():
    module = AzureCmkModule(
        argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_if=REQUIRED_IF, required_by=REQUIRED_BY
    )
    module.run(run)


if __name__ == "__main__":
    main()
