#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault
short_description: Ensure a Key Vault fit for Batch customer-managed keys
version_added: 0.1.0
description:
  - Creates or updates a Key Vault with what Batch customer-managed keys need - soft delete (always on)
    and purge protection - and its authorization mode, SKU, retention and tags.
  - Access policies are not managed here (and never replaced); grant principals with
    M(azure_cmk.batch.keyvault_access_policy), which also covers role assignments on RBAC vaults.
  - Turning purge protection on is explicit and one-way - Azure never lets it be turned off - so a vault
    without O(enable_purge_protection=true) is refused with the reason rather than changed silently.
options:
  name:
    description: Name of the vault (3-24 letters, digits and hyphens; global across Azure).
    type: str
    required: true
  resource_group:
    description: Resource group of the vault.
    type: str
    required: true
  location:
    description: Azure region. Defaults to the resource group's region; a vault cannot move.
    type: str
  vault_tenant:
    description: Entra ID tenant of the vault. Defaults to the subscription's tenant; it must be the Batch account's tenant.
    type: str
  sku:
    description: V(premium) is needed for RSA-HSM keys.
    type: str
    choices: [standard, premium]
  enable_rbac_authorization:
    description:
      - V(true) authorizes data access with Azure RBAC role assignments, V(false) with access policies.
      - When the vault is created and this is omitted, V(true) is used - Azure's own default for new vaults
        since Key Vault management API 2026-02-01 - and stated in the request rather than left implicit.
    type: bool
  soft_delete_retention_days:
    description: Days deleted keys stay recoverable (7-90, default 90). Set once, at creation.
    type: int
  enable_purge_protection:
    description:
      - Purge protection, which Batch customer-managed keys need. It can be turned on, never off; V(false) on a
        protected vault fails.
      - Must end up V(true) - the module exists to make vaults fit for customer-managed keys.
    type: bool
  public_network_access:
    description: Whether the vault accepts traffic from public networks.
    type: str
    choices: [Enabled, Disabled]
  recover:
    description: When a soft-deleted vault of this name exists in the subscription, recover it (with its keys) instead of failing.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds each wait of the task may take - a vault creation or recovery to finish, its name to resolve,
        a retried call - not the task as a whole. More than 0.
    type: int
    default: 300
  force:
    description:
      - Deleting the vault, or switching it to RBAC while an account's identity has no role on it, is refused, naming
        the Batch accounts on a customer-managed key that rely on it (in check mode
        too), because it makes them unavailable at once. V(true) does it anyway, with a warning.
    type: bool
    default: false
  state:
    description:
      - Whether the vault should exist. V(absent) soft-deletes it - its name stays reserved, and with purge
        protection it cannot be purged before its retention ends.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.tags
  - azure_cmk.batch.attributes
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.keyvault_info
  - module: azure_cmk.batch.keyvault_access_policy
  - module: azure_cmk.batch.keyvault_cmk_key
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: A vault for the Batch account's key, authorized by access policies
  azure_cmk.batch.keyvault:
    name: kv-batch-cmk
    resource_group: rg-batch
    enable_rbac_authorization: false
    enable_purge_protection: true
    soft_delete_retention_days: 90
    tags:
      purpose: batch-cmk

- name: The same with RBAC authorization (grant with keyvault_access_policy, which assigns roles)
  azure_cmk.batch.keyvault:
    name: kv-batch-cmk-rbac
    resource_group: rg-batch
    enable_rbac_authorization: true
    enable_purge_protection: true
"""

RETURN = r"""
action:
  description:
    - What the task did to the resource - V(create), V(update), V(delete) or V(none) - or, in check mode, what
      a real run would do.
  returned: always
  type: str
  sample: update
vault:
  description:
    - The vault after the task; null when O(state=absent).
    - In check mode, when the vault would be created, RV(vault.provisioning_state) is null.
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
    tenant_id:
      description: Entra ID tenant of the vault.
      type: str
    sku:
      description: V(standard) or V(premium).
      type: str
    vault_uri:
      description: Data-plane URL of the vault.
      type: str
      sample: https://kv-batch-cmk.vault.azure.net/
    enable_rbac_authorization:
      description: Whether data access is authorized by RBAC (else by access policies).
      type: bool
    enable_soft_delete:
      description: Always true for vaults Azure creates now.
      type: bool
    soft_delete_retention_days:
      description: Days deleted objects stay recoverable.
      type: int
    enable_purge_protection:
      description: Whether purge protection is on.
      type: bool
    public_network_access:
      description: V(Enabled) or V(Disabled).
      type: str
    provisioning_state:
      description: Azure's provisioning state.
      type: str
    access_policies:
      description: The vault's access policies (read only here).
      type: list
      elements: dict
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.vault import VaultController
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import TAGS_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    location=dict(type="str"),
    vault_tenant=dict(type="str"),
    sku=dict(type="str", choices=["standard", "premium"]),
    enable_rbac_authorization=dict(type="bool"),
    soft_delete_retention_days=dict(type="int"),
    enable_purge_protection=dict(type="bool"),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    recover=dict(type="bool", default=True),
    **TAGS_ARGSPEC,
    wait_timeout=dict(type="int", default=300),
    force=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


def run(module):
    return converge(module.ctx, VaultController(module.ctx, module.params), module.diff_mode)


def main():
    module = AzureCmkModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
