# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one flow of every mutating module: current -> desired -> rules -> diff -> apply (not in
check mode) -> re-read -> result. Services supply the resource-specific steps.

A service has: ``RESOURCE`` (the result key), ``MANAGED`` (the fields it compares),
``validate()`` (problems found offline), ``get()`` (the normalized resource or None),
``desired(current)`` (the managed fields wanted), ``check(current, desired)`` (problems found with
reads), ``create/update/delete``, ``predict(current, desired)`` (what check mode shows, with the
fields only Azure can fill in as None), ``present(resource)`` (the resource as returned) and
``header(resource)`` (the diff header) and ``ready(resource)`` (the resource once Azure has applied what
the rules already allow - waited for, bounded - in a real run).

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


def converge(module, service):
    timeout = module.params.get("wait_timeout")
    bad_timeout = timeout is not None and timeout <= 0
    require(service.validate() + ([f"wait_timeout: must be more than 0 seconds, not {timeout}"] if bad_timeout else []))
    current = service.get()
    if module.params.get("state") == "absent":
        return _absent(module, service, current)
    desired = service.desired(current)
    require(service.check(current, desired))
    changed, before, after = compare(managed_view(current, service.MANAGED), managed_view(desired, service.MANAGED))
    final = current
    if changed and module.check_mode:
        final = service.predict(current, desired)
    elif changed:
        final = _apply(service, current, desired)
        # The diff of a real run shows what Azure holds now (a new key version, say), not the prediction.
        before, after = compare(managed_view(current, service.MANAGED), managed_view(final, service.MANAGED))[1:]
    if not module.check_mode and final is not None:
        final = service.ready(final)  # usable, not only written: what Azure is still slow to apply, waited for
    result = {"changed": changed, service.RESOURCE: service.present(final)}
    if module.diff_mode:
        result["diff"] = diff_result(before, after, service.header(final or current))
    return result


def _apply(service, current, desired):
    """Create or update, then re-read. A write whose answer was lost (or throttled, or failed on the
    server's side) may still have happened: the re-read decides - done, or made again (once it shows the
    write did not happen) until wait_timeout; a write is never repeated blindly."""
    failed = []
    state = {"current": current}

    def attempt():
        try:
            if state["current"] is None:
                service.create(desired)
            else:
                service.update(state["current"], desired)
        except CmkError as error:
            if not uncertain(error):
                raise
            final = _settled(service)
            done = (
                final is not None
                and not compare(managed_view(final, service.MANAGED), managed_view(desired, service.MANAGED))[0]
            )
            if done:
                service.ctx.note(f"{error.message} - but a re-read shows the change was made")
                return (final,)
            service.ctx.note(f"{error.message} - a re-read shows it was not made: trying again")
            failed[:] = [error]
            state["current"] = final
            return None
        service.ctx.forget()
        return (service.get(),)

    timeout = service.params.get("wait_timeout") or service.ctx.clients.timeout
    why = "it kept answering with faults"
    return until(attempt, timeout, "Azure to take the change", why, service.ctx, give_up=lambda _: failed[0])[0]


def _settled(service):
    """The resource re-read once no operation on it is in progress (waited for, not failed)."""

    def probe():
        service.ctx.forget()
        found = service.get()
        return (found,) if found is None or service.settled(found) else None

    what = f"the operation in progress on {service.header(None)} to finish"
    return until(probe, service.params.get("wait_timeout") or 300, what, "Azure works on it", service.ctx)[0]


def _absent(module, service, current):
    result = {"changed": current is not None, service.RESOURCE: None}
    if current is not None:
        service.guard_delete(current)  # in check mode too: the prediction shows the refusal
    if current is not None and not module.check_mode:
        try:
            service.delete(current)
        except CmkError as error:
            # A 404 too: the SDKs repeat a DELETE whose answer was lost, and the repeat finds nothing.
            service.ctx.forget()
            if not (uncertain(error) or isinstance(error, CmkNotFound)) or service.get() is not None:
                raise
            service.ctx.note(f"{error.message} - but a re-read shows it is gone")
    if module.diff_mode:
        before = managed_view(current, service.MANAGED) if current is not None else {}
        result["diff"] = diff_result(before, {}, service.header(current))
    return result
