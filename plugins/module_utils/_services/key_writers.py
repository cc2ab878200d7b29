# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versions another writer made while this run made one. Key Vault has no conditional create, and the per-key
lock orders only the runs that share this machine's temporary directory (the forks of a playbook, playbooks
side by side): two AWX jobs - each in its own container - can each make a version. Found after every new
version, reported, and on request disabled.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import accounts_using


def versions_since(ctx, keys, label, name, since):
    """The versions of key ``name`` made at or after ``since`` (epoch seconds), oldest first: [(version, made)]."""
    versions = ctx.call("list versions of", label, list, keys.list_properties_of_key_versions(name))
    made = [(v.version, v.created_on.timestamp()) for v in versions if v.created_on]
    return sorted((item for item in made if item[1] >= since), key=lambda item: (item[1], item[0]))


def settle_doubles(ctx, keys, label, params, ours, window):
    """``window``: the versions made while this run made ``ours`` (itself among them). Warn about the others;
    with ``disable_concurrent_versions``, disable every version of the window but the newest - the one a
    versionless key id resolves to - so that runs which each made one agree on which stays. A version a Batch
    account is pinned to stays enabled (named in a warning). Returns the versions disabled."""
    name, vault = params["name"], params["vault_name"]
    others = [version for version, _ in window if version != ours]
    ctx.warn(
        "key '{}': version(s) {} were made by another writer at the same time as this run's {}".format(
            name, ", ".join(others), ours
        )
    )
    if not params.get("disable_concurrent_versions"):
        return []
    disabled = []
    for version, _made in window[:-1]:
        users = accounts_using(ctx, vault_name=vault, key_name=name, version=version)
        if users:
            ctx.warn(f"key '{name}': version {version} is left enabled: Batch account(s) {', '.join(users)} use it")
            continue
        ctx.call("disable version of", label, keys.update_key_properties, name, version, enabled=False)
        disabled.append(version)
    return disabled
