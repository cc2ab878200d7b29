# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource groups: read only, for a clear error when one is missing and for the default location.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError


def group_location(service, name):
    """The location of resource group ``name``, which new resources default to."""
    # desired() and check() both ask when creating; read the group once per module run.
    cache = service.__dict__.setdefault("_groups", {})
    if name not in cache:
        cache[name] = service.read("read resource group", name, service.clients.resource_group, name)
    group = cache[name]
    if group is None:
        raise CmkValidationError(
            f"resource_group: '{name}' does not exist in subscription {service.clients.subscription_id}"
        )
    return group["location"]
