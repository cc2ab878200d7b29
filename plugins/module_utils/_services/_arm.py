# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every Resource Manager resource shares: the tracked fields, tags (merged pure, written through the Tags
API), the provisioning states of an operation still running, and ids spelled as Azure has them.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id

# Provisioning states of an operation still running (Batch: Creating/Deleting; Key Vault: RegisteringDns).
IN_PROGRESS = ("Accepted", "Creating", "Updating", "Deleting", "RegisteringDns", "Running")


def tracked_fields(body):
    """What every tracked Azure resource returns the same way: id, name, resource group, location, tags."""
    return {
        "id": _resource_id.canonical(body["id"]),
        "name": body["name"],
        "resource_group": _resource_id.parse(body["id"])["resource_group"],
        "location": body.get("location"),
        "tags": body.get("tags") or {},
    }


def merge_tags(current, wanted, purge):
    """The tags to have: ``wanted`` added to ``current`` (kept unless ``purge``); None = leave alone."""
    current = dict(current or {})
    if wanted is None:
        return current
    if purge:
        return dict(wanted)
    current.update(wanted)
    return current


def tags_to_write(request, desired):
    """What the Tags API is sent: the task's tags to merge, or (purge_tags) the whole set."""
    return desired["tags"] if request.get("purge_tags") else request.get("tags")


def write_tags(ctx, resource_id, wanted, purge):
    """Set a resource's tags through the Tags API: ``wanted`` merged into Azure's (``purge``: replacing them), on
    Azure's side, so a tag another writer or Azure Policy adds meanwhile is kept."""
    operation = "Replace" if purge else "Merge"
    ctx.call("update tags of", resource_id, ctx.clients.arm_tags, resource_id, operation, wanted or {})


def settled(resource):
    """Whether no operation is in progress on ``resource`` (provisioning states Azure reports as ongoing)."""
    return (resource.get("provisioning_state") or "Succeeded") not in IN_PROGRESS


def same_case(wanted, current):
    """``wanted``, but spelled as Azure has it when they are the same id (ids compare case-insensitively)."""
    if wanted and current and _resource_id.same(wanted, current):
        return current
    return wanted or current


def same_location(first, second):
    """Locations compare without case or spaces (West Europe = westeurope)."""
    return (first or "").replace(" ", "").lower() == (second or "").replace(" ", "").lower()
