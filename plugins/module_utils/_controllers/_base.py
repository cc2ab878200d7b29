# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a controller is: one mutating module's steps for _converge.converge, over the resource's API file.

A controller is built from the run's context and its request (the module's options, parsed once), and keeps
nothing else: what ``check`` finds it returns, and converge hands it on to the steps after it (``found``).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import settled


class Controller:
    """Defaults for the optional steps; ``RESOURCE`` is the result's key, ``MANAGED`` the fields compared."""

    RESOURCE = "resource"
    MANAGED = ()

    def __init__(self, ctx, request):
        self.ctx = ctx
        self.request = request

    def validate(self):
        """Problems found offline (each naming the option and the rule)."""
        return []

    def check(self, current, desired):
        """(problems found with reads, what was found - handed on to the later steps)."""
        return [], {}

    def header(self, resource):
        return (resource or {}).get("id") or self.request.get("name")

    def predict(self, current, desired, found):
        """What check mode shows: ``desired`` over ``current``, the fields only Azure can fill in as None."""
        predicted = dict(current or {})
        predicted.update(desired)
        return predicted

    def present(self, resource, found):
        """The resource as the module returns it."""
        return resource

    def ready(self, resource, found):
        """``resource`` once usable (a real run, after the write or with nothing to write); as it is by default."""
        return resource

    def settled(self, resource):
        """Whether no operation is in progress on ``resource``."""
        return settled(resource)

    def guard_delete(self, current):
        """Refuse (CmkValidationError) deleting what a Batch account needs, unless forced."""
