# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every resource service shares: parameters, clients, Azure calls with error translation.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id

# Provisioning states of an operation still running (Batch: Creating/Deleting; Key Vault: RegisteringDns).
IN_PROGRESS = ("Accepted", "Creating", "Updating", "Deleting", "RegisteringDns", "Running")


class Service:
    """One resource's steps for ``converge``; reads of other resources go through plain functions of ``ctx``."""

    RESOURCE = "resource"
    MANAGED = ()

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.ctx = module.ctx

    @property
    def clients(self):
        return self.ctx.clients

    def call(self, action, resource, func, *args, **kwargs):
        return self.ctx.call(action, resource, func, *args, **kwargs)

    def read(self, action, resource, func, *args, **kwargs):
        return self.ctx.read(action, resource, func, *args, **kwargs)

    def not_yet(self, option, message, problems=None, check_message=None):
        return self.ctx.not_yet(option, message, problems, check_message)

    def validate(self):
        return []

    def check(self, current, desired):
        return []

    def header(self, resource):
        return (resource or {}).get("id") or self.params.get("name")

    def predict(self, current, desired):
        predicted = dict(current or {})
        predicted.update(desired)
        return predicted

    def present(self, resource):
        return resource

    def ready(self, resource):
        """``resource`` once usable (a real run, after the write or with nothing to write); by default as it is."""
        return resource

    def settled(self, resource):
        """Whether no operation is in progress on ``resource`` (provisioning states Azure reports as ongoing)."""
        return (resource.get("provisioning_state") or "Succeeded") not in IN_PROGRESS

    def _tags_to_write(self, desired):
        """What the Tags API is sent: the task's tags to merge, or (purge_tags) the whole set."""
        return desired["tags"] if self.params.get("purge_tags") else self.params.get("tags")

    def guard_delete(self, current):
        """Refuse (CmkValidationError) deleting what a Batch account needs, unless forced."""


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


def write_tags(ctx, resource_id, wanted, purge):
    """Set a resource's tags through the Tags API: ``wanted`` merged into Azure's (``purge``: replacing them), on
    Azure's side, so a tag another writer or Azure Policy adds meanwhile is kept."""
    operation = "Replace" if purge else "Merge"
    ctx.call("update tags of", resource_id, ctx.clients.arm_tags, resource_id, operation, wanted or {})
