"""The one flow of every mutating module, on a resource kept in a dict: what it writes, when, and what it returns."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers._base import Controller
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request


def run(thing):
    return converge(thing.ctx, thing, diff=True)


def context(check=False):
    warnings = []
    ctx = RunContext(clients=None, cloud=None, check_mode=check, warn=warnings.append)
    ctx.warnings = warnings
    return ctx


class Store:
    """A resource that exists or not, and the writes made to it; ``fail`` makes the next write fail after
    (``lost``) or instead of doing its work."""

    def __init__(self, resource=None):
        self.resource = resource
        self.writes = []
        self.fail = None
        self.lost = False
        self.always = False

    def write(self, kind, value):
        self.writes.append(kind)
        error = self.fail
        if not self.always:
            self.fail = None
        if error is not None and not self.lost:
            raise error
        self.resource = value
        if error is not None:
            raise error


class Thing(Controller):
    """A controller of a resource kept in a Store: the steps converge calls, nothing more."""

    RESOURCE = "thing"
    MANAGED = ("size",)

    def __init__(self, store, wanted, problems=(), state="present", check=False):
        super().__init__(context(check), Request({"state": state, "wait_timeout": 1}))
        self.store = store
        self.wanted = wanted
        self.problems = list(problems)

    def get(self):
        return None if self.store.resource is None else dict(self.store.resource)

    def desired(self, current):
        return {"size": self.wanted}

    def check(self, current, desired):
        return self.problems, {"checked": True}

    def create(self, desired, found):
        assert found == {"checked": True}  # what check found is handed on
        self.store.write("create", {"id": "t", "size": desired["size"]})

    def update(self, current, desired, found):
        self.store.write("update", dict(current, size=desired["size"]))

    def delete(self, current):
        self.store.write("delete", None)

    def predict(self, current, desired, found):
        return dict(current or {"id": None}, **desired)

    def header(self, resource):
        return "t"


@pytest.mark.parametrize(
    ("existing", "check", "changed", "writes", "after"),
    [
        (None, False, True, ["create"], {"id": "t", "size": 2}),
        (None, True, True, [], {"id": None, "size": 2}),
        ({"id": "t", "size": 1}, False, True, ["update"], {"id": "t", "size": 2}),
        ({"id": "t", "size": 1}, True, True, [], {"id": "t", "size": 2}),
        ({"id": "t", "size": 2}, False, False, [], {"id": "t", "size": 2}),
    ],
)
def test_writes_only_what_changes_and_never_in_check_mode(existing, check, changed, writes, after):
    store = Store(existing)
    result = run(Thing(store, 2, check=check))
    assert (result["changed"], store.writes, result["thing"]) == (changed, writes, after)


def test_the_diff_holds_only_managed_fields_that_change():
    result = run(Thing(Store({"id": "t", "size": 1}), 2))
    assert result["diff"] == {"before": {"size": 1}, "after": {"size": 2}, "before_header": "t", "after_header": "t"}


def test_a_problem_stops_the_run_before_any_write():
    store = Store({"id": "t", "size": 1})
    with pytest.raises(CmkValidationError, match="size: too big"):
        run(Thing(store, 9, problems=["size: too big"]))
    assert store.writes == []


def test_a_lost_answer_is_decided_by_a_re_read():
    store = Store({"id": "t", "size": 1})
    store.fail, store.lost = CmkUnreachable("Failed to update t: Azure could not be reached"), True
    thing = Thing(store, 2)
    result = run(thing)
    assert result["changed"] and result["thing"]["size"] == 2 and store.writes == ["update"]
    assert thing.ctx.notes == [  # the result's absorbed
        "Failed to update t: Azure could not be reached - but a re-read shows the change was made"
    ]


@pytest.mark.parametrize(
    "error",
    [CmkUnreachable("Failed to update t: Azure could not be reached"), CmkError("Failed: 503", status=503)],
)
def test_an_uncertain_write_that_did_not_happen_is_made_again(error):
    store = Store({"id": "t", "size": 1})
    store.fail = error
    thing = Thing(store, 2)
    result = run(thing)
    assert store.writes == ["update", "update"] and result["thing"]["size"] == 2  # again only after the re-read
    assert thing.ctx.notes[0].endswith("a re-read shows it was not made: trying again")


def test_a_write_that_keeps_failing_gives_up_at_wait_timeout():
    store = Store({"id": "t", "size": 1})
    store.fail, store.always = CmkError("Failed: 503", status=503), True
    with pytest.raises(CmkError, match="Failed: 503"):
        run(Thing(store, 2))
    assert len(store.writes) >= 2


def test_a_refusal_is_not_second_guessed():
    store = Store({"id": "t", "size": 1})
    store.fail, store.lost = CmkError("Failed: BadRequest", status=400), True
    with pytest.raises(CmkError, match="BadRequest"):
        run(Thing(store, 2))


@pytest.mark.parametrize(
    ("existing", "check", "writes"), [(None, False, []), ({"id": "t"}, True, []), ({"id": "t"}, False, ["delete"])]
)
def test_absent(existing, check, writes):
    store = Store(existing)
    result = run(Thing(store, 2, state="absent", check=check))
    assert result["changed"] is (existing is not None) and result["thing"] is None and store.writes == writes


def test_a_delete_whose_repeat_finds_nothing_is_a_deletion():
    """The SDK repeats a DELETE whose answer was lost; the repeat's 404 means the first one worked."""
    store = Store({"id": "t", "size": 1})
    store.fail, store.lost = CmkNotFound("Failed to delete t: KeyNotFound", status=404), True
    thing = Thing(store, 2, state="absent")
    result = run(thing)
    assert result["changed"] and store.resource is None
    assert thing.ctx.notes == ["Failed to delete t: KeyNotFound - but a re-read shows it is gone"]
    store.resource, store.fail, store.lost = {"id": "t", "size": 1}, CmkNotFound("Failed: NotFound", status=404), False
    with pytest.raises(CmkNotFound):  # still there: the 404 was about something else
        run(Thing(store, 2, state="absent"))
