# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource groups: read only, for a clear error when one is missing and for the default location.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError


def get_group(ctx, name):
    """Resource group ``name``, or None; read once per run (desired() and check() both ask)."""
    return ctx.once(
        ("group", name.lower()), lambda: ctx.read("read resource group", name, ctx.clients.resource_group, name)
    )


def group_location(ctx, name, option="resource_group"):
    """The location of resource group ``name``, which new resources default to."""
    group = get_group(ctx, name)
    if group is None:
        raise CmkValidationError(f"{option}: '{name}' does not exist in subscription {ctx.subscription_id}")
    return group["location"]
