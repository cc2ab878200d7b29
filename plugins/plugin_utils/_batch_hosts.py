# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batch_accounts inventory plugin's side of the module_utils reads: a run context per subscription, the
tag filter and the host variables. Free of Ansible's controller code, so tests can import it beside module runs.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import subprocess

from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import credential_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import RunCache
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import credential_digest
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import unsafe


def run_command(args, handle_exceptions=True):
    """AnsibleModule.run_command's shape, for cli_default_subscription (``az account show``)."""
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - az, a fixed command
    return done.returncode, done.stdout, done.stderr


def reader(auth, credential, subscription_id, warn, cache=None):
    """The run context of one subscription's reads (through the run's token ``cache``, if any). The inventory
    only reads: check mode is off, so findings describe Azure as it is."""
    cloud = get_cloud(auth.get("cloud_environment"))
    clients = Clients(credential, subscription_id, cloud, cache=cache)
    return RunContext(lambda: clients, cloud, False, warn)


def run_cache(params, auth, directory):
    """The run's token cache for the inventory's credential in ``directory``, or None (off, or unsafe)."""
    if not params.get("token_cache") or not directory or unsafe(directory):
        return None
    parts = credential_identity(auth, get_cloud(auth.get("cloud_environment")))
    return None if parts is None else RunCache(directory, credential_digest(directory, parts))


def matches_tags(tags, wanted):
    """Whether ``tags`` carries every tag of ``wanted`` (a None value: the tag only has to be there)."""
    tags = tags or {}
    return all(name in tags and (value is None or tags[name] == str(value)) for name, value in (wanted or {}).items())


def host_variables(subscription_id, account, entry):
    """The host's variables: the account's place, then its CMK state as the compliance report has it."""
    return {
        "batch_account_id": account["id"],
        "batch_account_name": account["name"],
        "batch_account_resource_group": account["resource_group"],
        "batch_account_subscription_id": subscription_id,
        "batch_account_location": account.get("location"),
        "batch_account_tags": account.get("tags") or {},
        "cmk_key_source": entry["key_source"],
        "cmk_key_identifier": entry["key_identifier"],
        "cmk_key_version": entry["key_version"],
        "cmk_key_follows_newest": entry["key_follows_newest"],
        "cmk_identity_type": entry["identity_type"],
        "cmk_user_assigned_identity": entry["user_assigned_identity"],
        "cmk_principal_id": account.get("principal_id"),
        "cmk_unavailable": entry["unavailable"],
        "cmk_unavailable_reason": entry["unavailable_reason"],
        "cmk_compliant": entry["compliant"],
        "cmk_findings": entry["findings"],
        "cmk_finding_codes": sorted({f["code"] for f in entry["findings"]}),
    }
