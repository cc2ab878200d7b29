# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key rotation policies: Key Vault's limits checked offline, and the policy as modules show it.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re

from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import import_sdk
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

POLICY_FIELDS = ("expires_in", "rotate_after_create", "rotate_before_expiry", "notify_before_expiry")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration_days(text, option):
    """Days in an ISO 8601 duration (years as 365 days, months as 30), as Key Vault counts them."""
    found = _DURATION.match(text or "")
    if not found or text in ("P", "PT"):
        raise CmkValidationError(f"{option}: '{text}' is not an ISO 8601 duration such as P90D or P1Y")
    years, months, weeks, days, hours, minutes, seconds = (int(v or 0) for v in found.groups())
    return years * 365 + months * 30 + weeks * 7 + days + (hours * 3600 + minutes * 60 + seconds) / 86400.0


def policy_problems(policy):
    """The rotation-policy limits Key Vault enforces (7 days, 28 days), checked before any write."""
    if not policy:
        return []
    problems = []
    expires = policy.get("expires_in")
    days = {name: duration_days(policy[name], "rotation_policy." + name) for name in POLICY_FIELDS if policy.get(name)}
    if policy.get("rotate_after_create") and policy.get("rotate_before_expiry"):
        problems.append("rotation_policy: give rotate_after_create or rotate_before_expiry, not both")
    if expires and days["expires_in"] < 28:
        problems.append(f"rotation_policy.expires_in: {expires} is shorter than the 28 days Key Vault allows")
    for name in ("rotate_after_create", "rotate_before_expiry", "notify_before_expiry"):
        if name in days and days[name] < 7:
            problems.append(f"rotation_policy.{name}: {policy[name]} is shorter than the 7 days Key Vault allows")
        if name in days and expires and days[name] > days["expires_in"] - 7:
            problems.append(
                f"rotation_policy.{name}: {policy[name]} must be at least 7 days shorter than expires_in {expires}"
            )
    for name, value in days.items():
        if value > 36500:  # far past any key's life: a typo of units (P1000Y for P100D, say)
            problems.append(f"rotation_policy.{name}: {policy[name]} is longer than 100 years")
    for name in ("rotate_before_expiry", "notify_before_expiry"):
        if policy.get(name) and not expires:
            problems.append(f"rotation_policy.{name}: needs rotation_policy.expires_in")
    return problems


def normalize_policy(policy):
    if policy is None:
        return None
    result = dict.fromkeys(POLICY_FIELDS)
    result["expires_in"] = policy.expires_in
    for action in policy.lifetime_actions or []:
        kind = str(getattr(action.action, "value", action.action)).lower()
        if kind == "rotate":
            result["rotate_after_create"] = action.time_after_create
            result["rotate_before_expiry"] = action.time_before_expiry
        elif kind == "notify":
            result["notify_before_expiry"] = action.time_before_expiry
    return result


def sdk_policy(policy):
    """(lifetime actions, expires_in) for azure-keyvault-keys' update_key_rotation_policy."""
    action = import_sdk("azure.keyvault.keys", "azure-keyvault-keys").KeyRotationLifetimeAction

    actions = []
    if policy.get("rotate_after_create") or policy.get("rotate_before_expiry"):
        actions.append(
            action(
                "Rotate",
                time_after_create=policy.get("rotate_after_create"),
                time_before_expiry=policy.get("rotate_before_expiry"),
            )
        )
    if policy.get("notify_before_expiry"):
        actions.append(action("Notify", time_before_expiry=policy["notify_before_expiry"]))
    return actions, policy.get("expires_in")
