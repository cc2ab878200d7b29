"""_services/rotation_policy.py: Key Vault's rotation-policy limits, checked offline, and the policy's shapes."""

from __future__ import annotations

import pytest
from fakes import Namespace

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import rotation_policy as policies


@pytest.mark.parametrize(
    ("text", "days"),
    [("P90D", 90), ("P1Y", 365), ("P2M", 60), ("P1W", 7), ("PT12H", 0.5), ("P1Y2M3DT24H", 365 + 60 + 4)],
)
def test_duration_days(text, days):
    assert policies.duration_days(text, "x") == days


@pytest.mark.parametrize("text", ["P", "PT", "90D", "P1.5D", "", None])
def test_a_duration_that_is_not_iso_8601_is_refused(text):
    with pytest.raises(CmkValidationError, match="is not an ISO 8601 duration"):
        policies.duration_days(text, "rotation_policy.expires_in")


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        (None, None),
        ({"expires_in": "P1Y", "rotate_after_create": "P90D", "notify_before_expiry": "P30D"}, None),
        ({"expires_in": "P27D"}, "rotation_policy.expires_in: P27D is shorter than the 28 days Key Vault allows"),
        ({"rotate_after_create": "P6D"}, "rotation_policy.rotate_after_create: P6D is shorter than the 7 days"),
        (
            {"expires_in": "P30D", "rotate_before_expiry": "P25D"},
            "must be at least 7 days shorter than expires_in P30D",
        ),
        (
            {"rotate_after_create": "P90D", "rotate_before_expiry": "P30D", "expires_in": "P1Y"},
            "give rotate_after_create or rotate_before_expiry, not both",
        ),
        ({"notify_before_expiry": "P30D"}, "rotation_policy.notify_before_expiry: needs rotation_policy.expires_in"),
        ({"expires_in": "P1000Y"}, "rotation_policy.expires_in: P1000Y is longer than 100 years"),
    ],
)
def test_policy_problems(policy, problem):
    problems = policies.policy_problems(policy)
    assert (problem is None and problems == []) or any(problem in p for p in problems), problems


def test_normalize_policy():
    policy = Namespace(
        expires_in="P1Y",
        lifetime_actions=[
            Namespace(action="Rotate", time_after_create="P90D", time_before_expiry=None),
            Namespace(action=Namespace(value="Notify"), time_after_create=None, time_before_expiry="P30D"),
        ],
    )
    assert policies.normalize_policy(policy) == {
        "expires_in": "P1Y",
        "rotate_after_create": "P90D",
        "rotate_before_expiry": None,
        "notify_before_expiry": "P30D",
    }
    assert policies.normalize_policy(None) is None


def test_sdk_policy():
    actions, expires_in = policies.sdk_policy(
        {"expires_in": "P1Y", "rotate_before_expiry": "P30D", "notify_before_expiry": "P20D"}
    )
    assert expires_in == "P1Y"
    assert [(str(getattr(a.action, "value", a.action)), a.time_before_expiry) for a in actions] == [
        ("Rotate", "P30D"),
        ("Notify", "P20D"),
    ]
    assert policies.sdk_policy({}) == ([], None)
