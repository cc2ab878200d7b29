# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subscription and its resource groups (read only), and who runs the module: its tenant and object id,
read from the caller's Resource Manager token (no call of their own).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError


def get_group(ctx, name):
    """Resource group ``name``, or None; read once per run."""
    return ctx.once(
        ("group", name.lower()), lambda: ctx.read("read resource group", name, ctx.clients.resource_group, name)
    )


def group_location(ctx, name, option="resource_group"):
    """The location of resource group ``name``, which new resources default to; a missing group is refused,
    naming ``option`` (before any write)."""
    group = get_group(ctx, name)
    if group is None:
        raise CmkValidationError(f"{option}: '{name}' does not exist in subscription {ctx.subscription_id}")
    return group["location"]


def subscription_tenant(ctx):
    """The tenant of the subscription (and so of its Batch accounts): the caller's token's, read without a call."""
    tenant = ctx.claims().get("tid")
    if tenant:
        return tenant
    subscription = ctx.once(
        ("subscription",), lambda: ctx.call("read subscription", ctx.subscription_id, ctx.clients.subscription)
    )
    return subscription["tenantId"]


def caller_object_id(ctx):
    """The object id of whoever runs the module: the ``oid`` claim of its Resource Manager token."""
    found = ctx.claims().get("oid")
    if not found:
        raise CmkValidationError("caller: the credential's token does not name its principal (no oid claim)")
    return found


def list_subscriptions(ctx):
    """The subscriptions the credential may read (Resource Manager lists those where it holds a role), as
    ``GET /subscriptions`` answers them; listed once per run."""
    return ctx.once(
        ("subscriptions",),
        lambda: ctx.call(
            "list subscriptions of", "the credential", ctx.clients.arm_list, "/subscriptions", "2022-12-01"
        ),
    )
