#!/usr/bin/python
# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_cmk_key
short_description: Ensure an RSA key fit to be a Batch account's customer-managed key
version_added: 0.1.0
description:
  - Ensures an RSA or RSA-HSM key (2048, 3072 or 4096 bits) whose operations include wrapKey and
    unwrapKey, with its attributes, tags and rotation policy, in a vault with soft delete and purge
    protection (checked before anything is written).
  - Attributes, operations, tags and the rotation policy are updated in place, on the current version.
    A new version is made only when asked, with O(rotate=true); a new type or size needs that too,
    since a version's type and size are fixed.
  - A soft-deleted key of the same name is recovered (with its versions) rather than recreated.
  - New versions are written exactly once - if Key Vault's answer is lost, the module re-reads the key
    before it tries again, so a lost response never leaves two new versions.
  - Returns both the versioned id (pins the account to this version) and the versionless id (lets the
    account follow the newest version as the key rotates).
options:
  vault_name:
    description: Name of the vault.
    type: str
    required: true
  resource_group:
    description: Resource group of the vault (read to check its soft delete and purge protection).
    type: str
    required: true
  name:
    description: Name of the key.
    type: str
    required: true
  key_type:
    description: V(RSA-HSM) needs a premium vault. Defaults to V(RSA) for a new key.
    type: str
    choices: [RSA, RSA-HSM]
  key_size:
    description: Bits. Defaults to V(2048) for a new key.
    type: int
    choices: [2048, 3072, 4096]
  key_ops:
    description:
      - Permitted operations, compared as a set. Must include V(wrapKey) and V(unwrapKey).
      - Defaults to V(wrapKey) and V(unwrapKey) for a new key.
    type: list
    elements: str
  enabled:
    description:
      - Whether the key can be used. A disabled key makes accounts using it unavailable (see O(force)).
      - A key that is disabled, expired or not yet active, or whose type, size or operations Batch cannot use, fails
        the task unless the task asks for that state - this module ensures a key fit for customer-managed keys.
    type: bool
  not_before:
    description:
      - ISO 8601 date-time before which the key cannot be used. A new key must be usable at once.
      - V("") for none. Key Vault cannot remove it from a version, so that needs O(rotate=true).
    type: str
  expires:
    description:
      - ISO 8601 date-time at which the key expires. A new key cannot be expired already.
      - V("") for none. Key Vault cannot remove the expiry of a version, so that needs O(rotate=true) (and a rotation
        policy without O(rotation_policy.expires_in)).
      - Unset, a version made by O(rotate) expires as the rotation policy says (or never).
    type: str
  rotation_policy:
    description:
      - The key's rotation policy (ISO 8601 durations). With a versionless key id on the Batch account,
        rotation moves the account to each new version. Key Vault's limits are checked first -
        triggers at least 7 days, expiry at least 28 days.
      - The whole policy - fields left out are removed. V({}) removes every action and the expiry.
    type: dict
    suboptions:
      expires_in:
        description: Expiry set on each new version, such as V(P1Y).
        type: str
      rotate_after_create:
        description: Rotate this long after a version is created, such as V(P90D).
        type: str
      rotate_before_expiry:
        description: Rotate this long before a version expires (needs O(rotation_policy.expires_in)).
        type: str
      notify_before_expiry:
        description: Notify this long before a version expires (needs O(rotation_policy.expires_in)).
        type: str
  rotate:
    description:
      - Create a new version now (always a change). With a new O(key_type) or O(key_size), the new version has them.
    type: bool
    default: false
  disable_concurrent_versions:
    description:
      - After this task makes a version (a new key, O(rotate)), versions another writer made in the same moment
        are always reported as a warning - Key Vault has no conditional create, and the per-key lock orders only
        runs that share this machine's temporary directory (the forks of a playbook, playbooks side by side),
        not AWX jobs, each in its own container.
      - V(true) also disables every version of that moment but the newest (the one a versionless key id
        follows), so that runs that each made one agree on which stays; a version a Batch account is pinned to
        is left enabled, with a warning.
    type: bool
    default: false
  recover:
    description: Recover a soft-deleted key of this name instead of failing.
    type: bool
    default: true
  purge_deleted:
    description: With O(recover=false), purge a soft-deleted key of this name and create a new one. Refused by vaults with purge protection.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds each wait of the task may take - a deletion or recovery to finish, the vault to resolve or the
        caller's grant to arrive, another run's turn on the key, a retried call - not the task as a whole. More
        than 0.
    type: int
    default: 120
  force:
    description:
      - Deleting or disabling the key, or giving it an expiry in the past or a O(not_before) in the future, is
        refused, naming the Batch accounts on a customer-managed key that rely on it (in check mode
        too), because it makes them unavailable at once. V(true) does it anyway, with a warning.
      - A change of the key's attributes concerns its newest version (or the one O(rotate) makes) - accounts
        pinned to an older version do not rely on it; deleting concerns every version.
    type: bool
    default: false
  state:
    description: V(absent) soft-deletes the key (recoverable for the vault's retention days).
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.tags
  - azure_cmk.batch.attributes
  - azure_cmk.batch.attributes.action_group
seealso:
  - module: azure_cmk.batch.keyvault_cmk_key_info
  - module: azure_cmk.batch.batch_account_cmk
author:
  - azure_cmk.batch maintainers (@azure-cmk)
"""

EXAMPLES = r"""
- name: A 3072-bit key that rotates itself every 90 days
  azure_cmk.batch.keyvault_cmk_key:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    name: batch-cmk
    key_size: 3072
    rotation_policy:
      expires_in: P1Y
      rotate_after_create: P90D
      notify_before_expiry: P30D
  register: key

- name: Rotate now (a new version)
  azure_cmk.batch.keyvault_cmk_key:
    vault_name: kv-batch-cmk
    resource_group: rg-batch
    name: batch-cmk
    rotate: true
"""

RETURN = r"""
action:
  description:
    - What the task did to the resource - V(create), V(update), V(delete) or V(none) - or, in check mode, what
      a real run would do.
  returned: always
  type: str
  sample: update
key:
  description:
    - The key after the task; null when O(state=absent).
    - In check mode, when a key or version would be created, RV(key.id), RV(key.version), RV(key.created)
      and RV(key.updated) are null (Key Vault assigns them).
  returned: always
  type: dict
  contains:
    id:
      description: Versioned key identifier (pins a Batch account to this version).
      type: str
      sample: https://kv-batch-cmk.vault.azure.net/keys/batch-cmk/0f3c8a5b1e2d4c6f8a9b0c1d2e3f4a5b
    versionless_id:
      description: Versionless key identifier (a Batch account follows the newest version).
      type: str
      sample: https://kv-batch-cmk.vault.azure.net/keys/batch-cmk
    name:
      description: Name.
      type: str
    vault_url:
      description: URL of the vault.
      type: str
    version:
      description: Current version.
      type: str
    key_type:
      description: V(RSA) or V(RSA-HSM).
      type: str
    key_size:
      description: Bits.
      type: int
    key_ops:
      description: Permitted operations, sorted.
      type: list
      elements: str
    enabled:
      description: Whether the key can be used.
      type: bool
    not_before:
      description: Not-before date-time (UTC) or null.
      type: str
    expires:
      description: Expiry date-time (UTC) or null.
      type: str
    tags:
      description: Tags of the current version.
      type: dict
    recovery_level:
      description: Key Vault's recovery level (for example V(Recoverable)).
      type: str
    created:
      description: When the current version was created (UTC).
      type: str
    updated:
      description: When it was last updated (UTC).
      type: str
    rotation_policy:
      description: The rotation policy, or null when it could not be read.
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key import KeyController
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import TAGS_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule

ARGUMENT_SPEC = dict(
    vault_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    name=dict(type="str", required=True),
    key_type=dict(type="str", choices=["RSA", "RSA-HSM"]),
    key_size=dict(type="int", choices=[2048, 3072, 4096]),
    key_ops=dict(type="list", elements="str", no_log=False),
    enabled=dict(type="bool"),
    not_before=dict(type="str"),
    expires=dict(type="str"),
    **TAGS_ARGSPEC,
    rotation_policy=dict(
        type="dict",
        options=dict(
            expires_in=dict(type="str"),
            rotate_after_create=dict(type="str"),
            rotate_before_expiry=dict(type="str"),
            notify_before_expiry=dict(type="str"),
        ),
    ),
    rotate=dict(type="bool", default=False),
    disable_concurrent_versions=dict(type="bool", default=False),
    recover=dict(type="bool", default=True),
    purge_deleted=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=120),
    force=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


def run(module):
    controller = KeyController(module.ctx, module.params)
    if module.check_mode or module.params["state"] == "absent":
        return converge(module.ctx, controller, module.diff_mode)
    with controller.turn():  # the runs on this machine take turns to check and create the key
        return converge(module.ctx, controller, module.diff_mode)


def main():
    module = AzureCmkModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
