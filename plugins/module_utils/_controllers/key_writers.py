# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versions another writer made while this run made one. Key Vault has no conditional create, and the per-key
lock orders only the runs that share this machine's temporary directory (the forks of a playbook, playbooks
side by side): two AWX jobs - each in its own container - can each make a version. Found after every new
version, reported, and on request disabled.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import key as api


def doubles_to_disable(window, users_of):
    """Which versions of ``window`` (the versions made in the moment, oldest first: (version, made)) to disable:
    all but the newest - the one a versionless key id resolves to - so runs that each made one agree on which
    stays; ``users_of(version)`` names the accounts pinned to a version, which keep it enabled.
    Returns (to disable, {kept version: its users})."""
    disable, kept = [], {}
    for version, _made in window[:-1]:
        users = users_of(version)
        if users:
            kept[version] = users
        else:
            disable.append(version)
    return disable, kept


def settle_doubles(ctx, vault_url, request, ours, window):
    """Warn about the versions of ``window`` other than ``ours``; with ``disable_concurrent_versions``, disable
    those doubles_to_disable names. Returns the versions disabled."""
    name, vault = request["name"], request["vault_name"]
    others = [version for version, _created in window if version != ours]
    made = ", ".join(others)
    ctx.warn(f"key '{name}': version(s) {made} were made by another writer at the same time as this run's {ours}")
    if not request.get("disable_concurrent_versions"):
        return []
    disable, kept = doubles_to_disable(
        window, lambda v: accounts_using(ctx, vault_name=vault, key_name=name, version=v, pinned_only=True)
    )
    for version, users in kept.items():
        ctx.warn(f"key '{name}': version {version} is left enabled: {users} use it")
    for version in disable:
        api.update_key(ctx, vault_url, name, version, enabled=False)
    return disable
