# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: batch_accounts
short_description: Azure Batch accounts as hosts, with their customer-managed key state as host variables
version_added: 0.1.0
description:
  - Lists the Batch accounts of one or more subscriptions (optionally only some resource groups, or accounts with
    some tags) and adds each as a host, so that a play over C(hosts) of a group, run with a local connection,
    works on one account per host - with forks, and spread over execution nodes by AWX job slicing.
  - Each host carries the account's customer-managed key (CMK) state as variables, read the way
    M(azure_cmk.batch.cmk_compliance_info) reads it (the same rules, the same findings); see the C(cmk_*) and
    C(batch_account_*) variables below. Use them in O(groups), O(keyed_groups) and O(compose) to group accounts
    by CMK state - not on CMK, pinned to a version, unavailable, not compliant.
  - "Host variables: C(batch_account_id), C(batch_account_name), C(batch_account_resource_group),
    C(batch_account_subscription_id), C(batch_account_location), C(batch_account_tags); C(cmk_key_source)
    (C(Microsoft.Batch) or C(Microsoft.KeyVault)), C(cmk_key_identifier), C(cmk_key_version) (the pinned version,
    or the newest one a versionless identifier resolves to), C(cmk_key_follows_newest) (versionless identifier),
    C(cmk_identity_type), C(cmk_user_assigned_identity), C(cmk_principal_id), C(cmk_unavailable) (the account
    cannot reach its key), C(cmk_unavailable_reason), C(cmk_compliant) (no finding of severity C(error) or C(unknown), not recovering),
    C(cmk_findings) (as M(azure_cmk.batch.cmk_compliance_info) returns them) and C(cmk_finding_codes)."
  - A host is named after its account; an account whose name is already taken by one in another resource group
    or subscription is named C(<name>_<resource group>).
  - Every vault, key, rotation policy and role definition is read once however many accounts share it, and
    accounts are checked side by side by up to O(max_workers) threads.
  - The inventory file's name must end in C(batch_accounts.yml) or C(batch_accounts.yaml).
  - Credentials are those of the collection's modules (the same options and E(AZURE_*) variables, so AWX's
    Microsoft Azure Resource Manager credential works unchanged).
options:
  plugin:
    description: The name of this plugin; it makes Ansible use this plugin for the file.
    type: str
    required: true
    choices: [azure_cmk.batch.batch_accounts]
  subscriptions:
    description:
      - The subscriptions to list accounts in.
      - When omitted, the subscription of the credentials (O(subscription_id), E(AZURE_SUBSCRIPTION_ID), the
        profile's, or the Azure CLI's current one).
    type: list
    elements: str
  resource_groups:
    description: Only the accounts of these resource groups; all of each subscription when omitted.
    type: list
    elements: str
  include_tags:
    description:
      - Only the accounts that carry every one of these tags with the given value; a tag given with a null value
        needs only to be present.
    type: dict
  expiry_warning_days:
    description: Report keys that expire within this many days (finding C(key_expiring)).
    type: int
    default: 30
  key_vault_resource_group:
    description:
      - Resource group of the keys' vault, to read it directly. Otherwise it is looked for in each account's
        resource group, then by name in the subscription.
    type: str
  max_workers:
    description:
      - How many accounts are checked at the same time. V(1) checks them one after the other.
    type: int
    default: 8
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - ansible.builtin.constructed
author:
  - azure_cmk.batch maintainers (@azure-cmk)
seealso:
  - module: azure_cmk.batch.cmk_compliance_info
"""

EXAMPLES = r"""
# batch_accounts.yml: the accounts of two resource groups, grouped by CMK state. Credentials come from the
# AZURE_* variables (AWX's Azure credential sets them).
plugin: azure_cmk.batch.batch_accounts
resource_groups:
  - rg-batch-prod
  - rg-batch-test
include_tags:
  environment: production
groups:
  not_on_cmk: cmk_key_source != 'Microsoft.KeyVault'
  on_pinned_version: cmk_key_source == 'Microsoft.KeyVault' and not cmk_key_follows_newest
  unavailable: cmk_unavailable
  not_compliant: not cmk_compliant
keyed_groups:
  # key_source_Microsoft_Batch, key_source_Microsoft_KeyVault
  - prefix: key_source
    key: cmk_key_source
  # finding_pinned_old_version, finding_key_expiring, ...
  - prefix: finding
    key: cmk_finding_codes
compose:
  ansible_connection: "'local'"

# A drift play over one of these groups, one account per host (ansible-playbook -i batch_accounts.yml --check):
# - hosts: on_pinned_version
#   connection: local
#   gather_facts: false
#   vars:
#     ansible_python_interpreter: "{{ ansible_playbook_python }}"
#   tasks:
#     - name: Follow the key's newest version
#       azure_cmk.batch.batch_account_cmk:
#         name: "{{ batch_account_name }}"
#         resource_group: "{{ batch_account_resource_group }}"
#         subscription_id: "{{ batch_account_subscription_id }}"
#         key_source: Microsoft.KeyVault
#         key_identifier: "{{ cmk_key_identifier | regex_replace('/[0-9a-f]{32}$', '') }}"
"""

import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.plugins.inventory import Constructable

from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import build_credential
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import cli_default_subscription
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import resolve
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import account_entries
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkMissingLibrary
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import list_accounts
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import host_variables
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import matches_tags
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import reader
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import run_cache
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import run_command

FILE_ENDINGS = ("batch_accounts.yml", "batch_accounts.yaml")


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "azure_cmk.batch.batch_accounts"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(FILE_ENDINGS)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            found = self._read_accounts()
        except CmkMissingLibrary as exc:
            raise AnsibleError(f"{self.NAME} needs the Python package {exc.package}: {exc.error}") from exc
        except CmkError as exc:
            raise AnsibleError(f"{self.NAME}: {exc.message}") from exc
        names = set()
        for variables in found:
            name = variables["batch_account_name"]
            if name in names:
                name = "{}_{}".format(name, variables["batch_account_resource_group"])
            names.add(name)
            self._add_host(name, variables)

    def _auth_params(self):
        params = {name: self.get_option(name) for name in AUTH_ARGSPEC}
        # The modules' env fallback for auth_source; the option's default cannot be told from "not given".
        if params["auth_source"] in (None, "auto"):
            params["auth_source"] = os.environ.get("ANSIBLE_AZURE_AUTH_SOURCE") or "auto"
        if params["token_cache"] in (None, True) and os.environ.get("AZURE_CMK_TOKEN_CACHE"):
            params["token_cache"] = boolean(os.environ["AZURE_CMK_TOKEN_CACHE"], strict=False)
        return params

    def _read_accounts(self):
        params = self._auth_params()
        auth = resolve(params)
        credential = build_credential(auth, get_cloud(auth.get("cloud_environment")))
        # This process's own temporary directory is the run's: the tasks of a play over these hosts reuse the
        # token the listing signed in with.
        cache = run_cache(params, auth, params.get("token_cache_dir") or C.DEFAULT_LOCAL_TMP)
        subscriptions = self.get_option("subscriptions") or [self._default_subscription(auth, credential)]
        found = []
        for subscription_id in subscriptions:
            ctx = reader(auth, credential, subscription_id, self.display.warning, cache)
            found += self._subscription_hosts(ctx, subscription_id)
        return found

    def _default_subscription(self, auth, credential):
        if auth.subscription_id:
            return auth.subscription_id
        if auth.kind == "cli":
            return cli_default_subscription(run_command)
        if auth.kind == "msi":
            return Clients(credential, None, get_cloud(auth.get("cloud_environment"))).first_subscription()
        raise CmkError("subscriptions: none given, and the credentials name no subscription (AZURE_SUBSCRIPTION_ID)")

    def _subscription_hosts(self, ctx, subscription_id):
        accounts = []
        for group in self.get_option("resource_groups") or [None]:
            accounts += list_accounts(ctx, group)
        wanted = self.get_option("include_tags")
        accounts = [a for a in accounts if matches_tags(a.get("tags"), wanted)]
        max_workers = self.get_option("max_workers")
        if max_workers < 1:
            raise CmkError(f"max_workers: must be 1 or more, not {max_workers}")
        entries = account_entries(
            ctx,
            accounts,
            self.get_option("key_vault_resource_group"),
            self.get_option("expiry_warning_days"),
            max_workers,
        )
        return [host_variables(subscription_id, a, e) for a, e in zip(accounts, entries)]

    def _add_host(self, name, variables):
        self.inventory.add_host(name)
        for key, value in variables.items():
            self.inventory.set_variable(name, key, value)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
