# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one flow of every mutating module: current -> desired -> rules -> diff -> apply (not in check mode)
-> re-read -> result. Controllers (_controllers/) supply the resource-specific steps:

``RESOURCE`` (the result key), ``MANAGED`` (the fields compared), ``validate()`` (problems found offline),
``get()`` (the normalized resource or None), ``desired(current)`` (the managed fields wanted),
``check(current, desired)`` -> (problems found with reads, ``found``), ``create(desired, found)``,
``update(current, desired, found)``, ``delete(current)``, ``guard_delete(current)``, ``predict(current,
desired, found)`` (what check mode shows, with the fields only Azure can fill in as None), ``present(resource,
found)`` (the resource as returned), ``ready(resource, found)`` (the resource once Azure has applied what the
rules already allow - waited for, bounded - in a real run), ``settled(resource)`` and ``header(resource)``.
What ``check`` finds is handed on; a controller keeps no state of its own between the steps.

The result says which ``action`` ran (``create``, ``update``, ``delete`` or ``none``; in check mode the one
the real run would take).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import compare
from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import diff_result
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import uncertain
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import require
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until


def managed_view(resource, fields):
    """The managed ``fields`` of ``resource``, for comparison and diffs."""
    if resource is None:
        return None
    return {key: resource.get(key) for key in fields}


def converge(ctx, controller, diff=False):
    request = controller.request
    require(controller.validate())
    current = controller.get()
    if request.get("state") == "absent":
        return _absent(ctx, controller, current, diff)
    desired = controller.desired(current)
    problems, found = controller.check(current, desired)
    require(problems)
    changed, before, after = compare(
        managed_view(current, controller.MANAGED), managed_view(desired, controller.MANAGED)
    )
    action = ("create" if current is None else "update") if changed else "none"
    final = current
    if changed and ctx.check_mode:
        final = controller.predict(current, desired, found)
    elif changed:
        final = _apply(ctx, controller, current, desired, found)
        # The diff of a real run shows what Azure holds now (a new key version, say), not the prediction.
        before, after = compare(managed_view(current, controller.MANAGED), managed_view(final, controller.MANAGED))[1:]
    if not ctx.check_mode and final is not None:
        final = controller.ready(final, found)  # usable, not only written: what Azure is still slow to apply
    result = {"changed": changed, "action": action, controller.RESOURCE: controller.present(final, found)}
    if diff:
        result["diff"] = diff_result(before, after, controller.header(final or current))
    return result


def _apply(ctx, controller, current, desired, found):
    """Create or update, then re-read. A write whose answer was lost (or throttled, or failed on the
    server's side) may still have happened: the re-read decides - done, or made again (once it shows the
    write did not happen) until wait_timeout; a write is never repeated blindly."""
    failed = []
    state = {"current": current}

    def attempt():
        try:
            if state["current"] is None:
                controller.create(desired, found)
            else:
                controller.update(state["current"], desired, found)
        except CmkError as error:
            if not uncertain(error):
                raise
            final = _settled(ctx, controller)
            done = (
                final is not None
                and not compare(managed_view(final, controller.MANAGED), managed_view(desired, controller.MANAGED))[0]
            )
            if done:
                ctx.note(f"{error.message} - but a re-read shows the change was made")
                return (final,)
            ctx.note(f"{error.message} - a re-read shows it was not made: trying again")
            failed[:] = [error]
            state["current"] = final
            return None
        ctx.forget()
        return (controller.get(),)

    timeout = controller.request.get("wait_timeout") or ctx.clients.timeout
    why = "it kept answering with faults"
    return until(attempt, timeout, "Azure to take the change", why, ctx, give_up=lambda _: failed[0])[0]


def _settled(ctx, controller):
    """The resource re-read once no operation on it is in progress (waited for, not failed)."""

    def probe():
        ctx.forget()
        found = controller.get()
        return (found,) if found is None or controller.settled(found) else None

    what = f"the operation in progress on {controller.header(None)} to finish"
    return until(probe, controller.request.get("wait_timeout") or 300, what, "Azure works on it", ctx)[0]


def _absent(ctx, controller, current, diff):
    result = {"changed": current is not None, "action": "delete" if current is not None else "none"}
    result[controller.RESOURCE] = None
    if current is not None:
        controller.guard_delete(current)  # in check mode too: the prediction shows the refusal
    if current is not None and not ctx.check_mode:
        try:
            controller.delete(current)
        except CmkError as error:
            # A 404 too: the SDKs repeat a DELETE whose answer was lost, and the repeat finds nothing.
            ctx.forget()
            if not (uncertain(error) or isinstance(error, CmkNotFound)) or controller.get() is not None:
                raise
            ctx.note(f"{error.message} - but a re-read shows it is gone")
    if diff:
        before = managed_view(current, controller.MANAGED) if current is not None else {}
        result["diff"] = diff_result(before, {}, controller.header(current))
    return result
