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
    cmk_findings:
      description:
        - What keeps it from being one, as findings of the rules M(azure_cmk.batch.batch_account_cmk) enforces
          (C(key_type_unsupported), C(key_size_unsupported), C(key_ops_missing), C(key_disabled), C(key_expired),
          C(key_not_yet_active), C(key_soft_deleted)).
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
          description: The key version, by name.
          type: str
        field:
          description: The key field concerned, or null.
          type: str
        message:
          description: Human-readable detail.
          type: str
    cmk_problems:
      description: The messages of RV(vault_keys[].cmk_findings).
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

from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._module import AzureCmkModule
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_fitness
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_subject
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import key as api
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import vault_or_prediction

ARGUMENT_SPEC = dict(
    vault_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    name=dict(type="str"),
)
# How long to wait for a new vault's name to resolve, or for the caller's new grant to reach Key Vault.
WAIT_SECONDS = 120


def _one(ctx, params, url):
    def vault_unknown():  # check mode: an earlier task creates the vault (otherwise a missing one is refused)
        return vault_or_prediction(ctx, params["vault_name"], params["resource_group"]).get("unknown")

    key = api.find_key(ctx, url, params["name"], WAIT_SECONDS, vault_unknown)
    if key is not None and not key["deleted"]:
        key = dict(key, rotation_policy=api.get_rotation_policy_or_none(ctx, url, params["name"]))
    return [key] if key else []


def run(module):
    ctx, params = module.ctx, module.params
    url = vault_url(ctx.cloud, params["vault_name"])
    keys = _one(ctx, params, url) if params["name"] else api.list_keys(ctx, url)
    for key in keys:
        # The rules batch_account_cmk enforces: codes and severities, and their messages.
        findings = key_fitness(key, key_subject(params["vault_name"], key["name"], key["version"]))
        key.update(cmk_findings=findings, cmk_problems=[f["message"] for f in findings], cmk_ready=not findings)
    return {"changed": False, "vault_keys": keys}


def main():
    module = AzureCmkModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
