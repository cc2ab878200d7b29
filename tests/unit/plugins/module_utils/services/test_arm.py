"""_services/_arm.py: what every Resource Manager resource shares - tags, ids, locations, settled states."""

from __future__ import annotations

import pytest
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import _arm


@pytest.mark.parametrize(
    ("current", "wanted", "purge", "tags"),
    [
        ({"a": "1"}, None, False, {"a": "1"}),  # not managed
        ({"a": "1"}, {"b": "2"}, False, {"a": "1", "b": "2"}),  # Azure Policy's tag kept
        ({"a": "1"}, {"b": "2"}, True, {"b": "2"}),
        ({"a": "1"}, {"a": "3"}, False, {"a": "3"}),
        (None, {}, True, {}),
    ],
)
def test_merge_tags(current, wanted, purge, tags):
    assert _arm.merge_tags(current, wanted, purge) == tags


@pytest.mark.parametrize(
    ("params", "operation", "sent"),
    [
        ({"tags": {"b": "2"}, "purge_tags": False}, "Merge", {"b": "2"}),  # only the task's: Azure merges
        ({"tags": {"b": "2"}, "purge_tags": True}, "Replace", {"a": "1", "b": "2"}),
    ],
)
def test_tags_go_through_the_tags_api(params, operation, sent):
    ctx = context()
    calls = []
    ctx.clients.arm_tags = lambda rid, op, tags: calls.append((rid, op, tags))
    request = Request(params)
    _arm.write_tags(ctx, "/id", _arm.tags_to_write(request, {"tags": {"a": "1", "b": "2"}}), request.get("purge_tags"))
    assert calls == [("/id", operation, sent)]


@pytest.mark.parametrize(
    ("wanted", "current", "kept"),
    [("/A/b", "/a/B", "/a/B"), ("/a/c", "/a/b", "/a/c"), (None, "/a/b", "/a/b"), ("/a/b", None, "/a/b")],
)
def test_same_case_keeps_azures_spelling(wanted, current, kept):
    assert _arm.same_case(wanted, current) == kept


@pytest.mark.parametrize(
    ("a", "b", "same"), [("West Europe", "westeurope", True), ("westeurope", "northeurope", False), (None, "", True)]
)
def test_same_location(a, b, same):
    assert _arm.same_location(a, b) is same


@pytest.mark.parametrize(
    ("state", "settled"),
    [("Succeeded", True), (None, True), ("Creating", False), ("RegisteringDns", False), ("Invalid", True)],
)
def test_settled(state, settled):
    assert _arm.settled({"provisioning_state": state}) is settled
