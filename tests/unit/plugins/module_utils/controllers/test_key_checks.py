"""_controllers/key_checks.py and key_writers.py: keyvault_cmk_key's refusals before any write, and which
doubled versions to disable - tables, no read."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import change_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import expiring_soon
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import input_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import unfit
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_writers import doubles_to_disable
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request

BASE = {"vault_name": "kv-cmk", "name": "cmk", "recover": True, "purge_deleted": False, "rotate": False}
KEY = {
    "name": "cmk",
    "version": "v1",
    "key_type": "RSA",
    "key_size": 3072,
    "key_ops": ["unwrapKey", "wrapKey"],
    "enabled": True,
    "not_before": None,
    "expires": None,
    "deleted": False,
    "rotation_policy": None,
}


def request(**options):
    return Request(dict(BASE, **options))


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, None),
        ({"name": "bad name!"}, "name: 'bad name!' is not valid"),
        ({"vault_name": "x"}, "vault_name: 'x' is not valid"),
        ({"key_size": 1024}, "key_size: the key has 1024 bits"),
        (
            {"key_ops": ["wrapKey"]},
            "key_ops: the key's permitted operations must include wrapKey and unwrapKey (missing unwrapKey)",
        ),
        ({"key_ops": ["wrapKey", "unwrapKey", "fly"]}, "key_ops: unknown operation(s) fly"),
        (
            {"not_before": "2030-01-02T00:00:00Z", "expires": "2030-01-01T00:00:00Z"},
            "expires: must be later than not_before",
        ),
        ({"expires": "tomorrow"}, "expires: 'tomorrow' is not an ISO 8601 date-time"),
        ({"rotation_policy": {"expires_in": "P10D"}}, "rotation_policy.expires_in: P10D is shorter than the 28 days"),
        ({"tags": {str(i): "x" for i in range(16)}}, "tags: 16 tags; Azure allows at most 15"),
    ],
)
def test_input_problems(options, problem):
    from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

    try:
        problems = input_problems(request(**options))
    except CmkValidationError as error:  # a date that does not parse is refused at once
        problems = [str(error)]
    assert (problem is None and problems == []) or any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("options", "current", "desired", "problem"),
    [
        ({}, KEY, KEY, None),
        (
            {"expires": ""},
            dict(KEY, expires="2030-01-01T00:00:00Z"),
            KEY,
            "expires: Key Vault cannot remove the expiry of a key version",
        ),
        (
            {"not_before": ""},
            dict(KEY, not_before="2020-01-01T00:00:00Z"),
            KEY,
            "not_before: Key Vault cannot remove the activation date",
        ),
        ({"expires": "", "rotate": True}, dict(KEY, expires="2030-01-01T00:00:00Z"), KEY, None),
        (
            {},
            KEY,
            dict(KEY, key_size=4096),
            "key_size: key 'cmk' is 3072 (key size); a version's type and size are fixed",
        ),
        ({"rotate": True}, KEY, dict(KEY, key_size=4096), None),
        (
            {},
            dict(KEY, key_type="EC", key_size=None),
            dict(KEY, key_type="EC", key_size=2048),
            None,
        ),  # an EC key has no size
        ({"recover": False}, dict(KEY, deleted=True), KEY, "name: key 'cmk' is soft-deleted in vault 'kv-cmk'"),
        ({"recover": False, "purge_deleted": True}, dict(KEY, deleted=True), KEY, None),
        (
            {"rotate": True, "expires": ""},
            KEY,
            dict(KEY, rotation_policy={"expires_in": "P1Y"}),
            "expires: a version made by rotation expires after",
        ),
    ],
)
def test_change_problems(options, current, desired, problem):
    problems = change_problems(request(**options), current, desired)
    assert (problem is None and problems == []) or any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("options", "current", "desired", "problems", "asked"),
    [
        ({}, KEY, KEY, [], []),
        ({"enabled": False}, KEY, dict(KEY, enabled=False), [], ["enabled: false"]),  # asked: the guard decides
        (
            {},
            dict(KEY, enabled=False),
            dict(KEY, enabled=False),
            [
                "enabled: key 'cmk' in vault 'kv-cmk' is disabled: Batch accounts cannot use it; enable it with enabled: true"
            ],
            [],
        ),
        (
            {"expires": "2020-01-01T00:00:00Z"},
            None,
            dict(KEY, expires="2020-01-01T00:00:00Z"),
            [
                "expires: key 'cmk' in vault 'kv-cmk' expired at 2020-01-01T00:00:00Z - a new key would be unusable at once"
            ],
            [],
        ),
        (
            {},
            dict(KEY, expires="2020-01-01T00:00:00Z"),
            dict(KEY, expires="2020-01-01T00:00:00Z"),
            ["set a later expires, or make a new version with rotate: true"],
            [],
        ),
    ],
)
def test_unfit(options, current, desired, problems, asked):
    found, wanted = unfit(request(**options), current, desired)
    assert wanted == asked
    assert len(found) == len(problems) and all(p in f for p, f in zip(problems, found)), found


@pytest.mark.parametrize(
    ("current", "expires", "soon"),
    [
        (KEY, "2999-01-01T00:00:00Z", False),
        (KEY, None, False),
        (KEY, "2000-01-01T00:00:00Z", False),  # expired, not expiring: unfit refuses it
        (dict(KEY, expires="X"), "X", False),  # unchanged: said once, when set
    ],
)
def test_expiring_soon(current, expires, soon):
    assert (expiring_soon(request(), current, dict(KEY, expires=expires)) is not None) is soon


def test_expiring_soon_names_the_window():
    import datetime

    tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    found = expiring_soon(request(), KEY, dict(KEY, expires=tomorrow))
    assert found["code"] == "key_expiring" and "within 30 days" in found["message"]


@pytest.mark.parametrize(
    ("window", "pinned", "disabled", "kept"),
    [
        ([("a", 1), ("b", 2)], {}, ["a"], {}),
        ([("a", 1), ("b", 2), ("c", 3)], {"b": ["acct"]}, ["a"], {"b": ["acct"]}),
        ([("a", 1)], {}, [], {}),
        ([("b", 1), ("a", 1)], {}, ["b"], {}),  # the window is given oldest first: the last one stays
    ],
)
def test_doubles_to_disable_keep_the_newest(window, pinned, disabled, kept):
    assert doubles_to_disable(window, lambda version: pinned.get(version, [])) == (disabled, kept)
