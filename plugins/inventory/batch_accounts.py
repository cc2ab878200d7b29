# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: batch_accounts
short_description: Azure Batch accounts as hosts, with their customer-managed key state as host variables
version_added: 0.1.0
description:
  - Lists Batch accounts and adds each as a host, so that a play over C(hosts) of a group, run with a local
    connection, works on one account per host - with forks, and spread over execution nodes by AWX job slicing.
  - With O(subscriptions) or O(management_groups), the accounts of an estate - many subscriptions - through Azure
    Resource Graph, the filters (O(resource_groups), O(locations), O(include_tags)) in the query (see the notes).
    Without them, the subscription of the credentials through the resource providers, filtered as they are listed.
  - Each host carries the account's customer-managed key (CMK) state as variables, read the way
    M(azure_cmk.batch.cmk_compliance_info) reads it (the same rules, the same findings). Use them in O(groups),
    O(keyed_groups) and O(compose) - or in an C(ansible.builtin.constructed) inventory over this one (AWX's
    constructed inventories) - to group accounts by CMK state.
  - "Host variables: C(batch_account_id), C(batch_account_name), C(batch_account_resource_group),
    C(batch_account_subscription_id), C(batch_account_location), C(batch_account_tags); C(cmk_key_source)
    (C(Microsoft.Batch) or C(Microsoft.KeyVault)), C(cmk_key_identifier), C(cmk_vault_name), C(cmk_key_version)
    (the pinned version, or the newest one a versionless identifier resolves to),
    C(cmk_key_follows_newest) (versionless identifier), C(cmk_identity_type), C(cmk_user_assigned_identity),
    C(cmk_principal_id), C(cmk_unavailable) (the account cannot reach its key), C(cmk_unavailable_reason),
    C(cmk_checked) (no finding of severity C(unknown)), C(cmk_compliant) (no finding of severity C(error) or
    C(unknown), not recovering), C(cmk_findings) (as
    M(azure_cmk.batch.cmk_compliance_info) returns them, its pools' included), C(cmk_finding_codes), C(cmk_state)
    (C(source): C(resource_graph) or C(resource_provider); C(as_of): when Azure answered); with O(pools),
    C(cmk_pools) (as its C(pools), their findings in C(cmk_findings), each naming its C(pool)),
    C(cmk_pools_unavailable) (C(pools), C(nodes)) and C(cmk_pool_nodes)."
  - "The group C(all) gets C(cmk_unreadable): the subscriptions, management groups and vaults the credential
    could not read (with O(subscriptions) or O(management_groups))."
  - A host is named after its account; one whose name is taken by an account of another resource group is named
    C(<name>_<resource group>), then C(<name>_<resource group>_<subscription>).
  - With O(cache), a rerun within O(cache_timeout) reads the hosts from the cache and makes no call to Azure. The
    cache is keyed by the file, the scope, the filters and the credential's client and tenant.
  - The inventory file's name must end in C(batch_accounts.yml) or C(batch_accounts.yaml).
  - Credentials are those of the collection's modules (the same options and E(AZURE_*) variables, so AWX's
    Microsoft Azure Resource Manager credential works unchanged).
options:
  plugin:
    description: The name of this plugin; it makes Ansible use this plugin for the file.
    type: str
    required: true
    choices: [azure_cmk.batch.batch_accounts]
  resource_groups:
    description: Only the accounts of these resource groups.
    type: list
    elements: str
  locations:
    description: Only the accounts in these locations (V(westeurope) or V(West Europe) alike).
    type: list
    elements: str
  include_tags:
    description:
      - Only the accounts that carry every one of these tags with the given value; a tag given with a null value
        needs only to be present. Tag names and values compare as given.
    type: dict
  expiry_warning_days:
    description: Report keys that expire within this many days (finding C(key_expiring)).
    type: int
    default: 30
  key_vault_resource_group:
    description:
      - Resource group of the keys' vaults, to read them directly. Otherwise a vault is looked for by name.
    type: str
  max_workers:
    description:
      - How many accounts (over an estate, vaults) are read at the same time. V(1) reads them one after the other.
    type: int
    default: 8
  strict_permissions:
    description:
      - Fail when a subscription, management group or vault could not be read; otherwise they are listed in
        C(cmk_unreadable) and a warning names them.
    type: bool
    default: false
extends_documentation_fragment:
  - azure_cmk.batch.azure_auth
  - azure_cmk.batch.estate
  - azure_cmk.batch.pools
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
author:
  - azure_cmk.batch maintainers (@azure-cmk)
seealso:
  - module: azure_cmk.batch.cmk_compliance_info
"""

EXAMPLES = r"""
# estate.batch_accounts.yml: every account the credential can read, in two regions, grouped by CMK state and
# cached for an hour. Credentials come from the AZURE_* variables (AWX's Azure credential sets them).
plugin: azure_cmk.batch.batch_accounts
subscriptions: all
locations: [westeurope, northeurope]
include_tags:
  environment: production
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/tmp/batch_accounts_cache
cache_timeout: 3600
groups:
  not_on_cmk: cmk_key_source != 'Microsoft.KeyVault'
  on_pinned_version: cmk_key_source == 'Microsoft.KeyVault' and not cmk_key_follows_newest
  unavailable: cmk_unavailable
  not_compliant: not cmk_compliant
keyed_groups:
  # key_source_Microsoft_Batch, key_source_Microsoft_KeyVault
  - prefix: key_source
    key: cmk_key_source
  # vault_kv_batch_prod, ... and finding_pinned_old_version, finding_key_expiring, ...
  - prefix: vault
    key: cmk_vault_name
  - prefix: finding
    key: cmk_finding_codes
compose:
  ansible_connection: "'local'"

# The accounts of the subscriptions under a management group, one resource group, failing on partial access:
# plugin: azure_cmk.batch.batch_accounts
# management_groups: [mg-cmk-platform]
# resource_groups: [rg-batch-prod]
# strict_permissions: true

# A constructed inventory over this one (a file ending in constructed.yml, or an AWX constructed inventory's
# source_vars): groups made only from the host variables above, no call to Azure.
# plugin: ansible.builtin.constructed
# strict: true
# groups:
#   must_rotate: cmk_key_source == 'Microsoft.KeyVault' and 'key_expiring' in cmk_finding_codes
#   confirm_first: not cmk_compliant and cmk_state.source == 'resource_graph'
# keyed_groups:
#   - prefix: subscription
#     key: batch_account_subscription_id

# A drift play over one of these groups, one account per host (ansible-playbook -i estate.batch_accounts.yml --check):
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

import hashlib
import json
import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.plugins.inventory import Cacheable
from ansible.plugins.inventory import Constructable

from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import cli_default_subscription
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import resolve
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._compliance import unread
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import build_credential
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkMissingLibrary
from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import ESTATE_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import POOLS_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import estate_hosts
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import host_names
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import reader
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import run_cache
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import run_command
from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import subscription_hosts

FILE_ENDINGS = ("batch_accounts.yml", "batch_accounts.yaml")
# What the hosts depend on besides the file: a changed scope, filter or credential is another cache entry.
READ_OPTIONS = (
    *ESTATE_ARGSPEC,
    *POOLS_ARGSPEC,
    "resource_groups",
    "locations",
    "include_tags",
    "expiry_warning_days",
    "key_vault_resource_group",
    "max_workers",
)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "azure_cmk.batch.batch_accounts"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(FILE_ENDINGS)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        key = self._cache_key(path)
        wanted = self.get_option("cache")
        found, refresh = None, wanted and not cache
        if wanted and cache:
            try:
                found = self._cache[key]
            except KeyError:
                refresh = True
        if found is None:
            found = self._read()
        if refresh:
            self._cache[key] = found
        self._populate(found)

    def _cache_key(self, path):
        """The file's key, with a digest of the options the hosts depend on and of the credential's identity."""
        auth = self._auth_params()
        chosen = {name: self.get_option(name) for name in READ_OPTIONS}
        chosen["identity"] = [auth.get(name) for name in ("client_id", "tenant", "subscription_id", "auth_source")]
        digest = hashlib.sha256(json.dumps(chosen, sort_keys=True, default=str).encode()).hexdigest()[:12]
        return f"{self.get_cache_key(path)}_{digest}"

    def _read(self):
        """{"hosts": the host variables of each account, "unreadable": what could not be read, or None}."""
        try:
            return self._read_accounts()
        except CmkMissingLibrary as exc:
            raise AnsibleError(f"{self.NAME} needs the Python package {exc.package}: {exc.error}") from exc
        except CmkError as exc:
            raise AnsibleError(f"{self.NAME}: {exc.message}") from exc

    def _chosen(self):
        return {name: self.get_option(name) for name in READ_OPTIONS}

    def _auth_params(self):
        params = {name: self.get_option(name) for name in AUTH_ARGSPEC}
        # The modules' env fallback for auth_source; the option's default cannot be told from "not given".
        if params["auth_source"] in (None, "auto"):
            params["auth_source"] = os.environ.get("ANSIBLE_AZURE_AUTH_SOURCE") or "auto"
        if params["token_cache"] in (None, True) and os.environ.get("AZURE_CMK_TOKEN_CACHE"):
            params["token_cache"] = boolean(os.environ["AZURE_CMK_TOKEN_CACHE"], strict=False)
        return params

    def _read_accounts(self):
        options = self._chosen()
        if options["wait_timeout"] < 1:
            raise CmkError("wait_timeout: must be 1 or more, not {}".format(options["wait_timeout"]))
        params = self._auth_params()
        auth = resolve(params)
        cloud = get_cloud(auth.get("cloud_environment"))

        def credential(**transport):  # built when a token must be fetched: through the run's session and retries
            return build_credential(auth, cloud, **transport)

        # This process's own temporary directory is the run's: the tasks of a play over these hosts reuse the
        # token the listing signed in with.
        cache = run_cache(params, auth, params.get("token_cache_dir") or C.DEFAULT_LOCAL_TMP)
        warn, timeout = self.display.warning, options["wait_timeout"]
        if options["subscriptions"] or options["management_groups"]:
            ctx = reader(auth, credential, auth.subscription_id, warn, timeout, cache)
            found, unreadable = estate_hosts(ctx, options)
            return {"hosts": found, "unreadable": unreadable}
        subscription_id = self._default_subscription(auth, credential)
        ctx = reader(auth, credential, subscription_id, warn, timeout, cache)
        return {"hosts": subscription_hosts(ctx, subscription_id, options), "unreadable": None}

    def _default_subscription(self, auth, credential):
        if auth.subscription_id:
            return auth.subscription_id
        if auth.kind == "cli":
            return cli_default_subscription(run_command)
        if auth.kind == "msi":
            return Clients(credential, None, get_cloud(auth.get("cloud_environment"))).first_subscription()
        raise CmkError("subscriptions: none given, and the credentials name no subscription (AZURE_SUBSCRIPTION_ID)")

    def _populate(self, found):
        unreadable = found["unreadable"]
        if unreadable is not None:
            self.inventory.set_variable("all", "cmk_unreadable", unreadable)
            if unread(unreadable) and self.get_option("strict_permissions"):
                raise AnsibleError(f"{self.NAME}: strict_permissions: could not read " + "; ".join(unread(unreadable)))
            if unread(unreadable):
                self.display.warning(f"{self.NAME}: could not read " + "; ".join(unread(unreadable)))
        strict = self.get_option("strict")
        for name, variables in zip(host_names(found["hosts"]), found["hosts"]):
            self.inventory.add_host(name)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
