"""Key rotation policies: the limits Key Vault documents (7 days, 28 days), checked on PUT."""

from __future__ import annotations

import time
from typing import Any

import isodate

from ...errors import KeyVaultError

DAY = 86400
MIN_TRIGGER_DAYS = 7
MIN_EXPIRY_DAYS = 28


def bad(message: str) -> KeyVaultError:
    return KeyVaultError(400, "BadParameter", message)


def duration_seconds(text: str) -> int:
    """ISO 8601 duration to seconds; years count 365 days and months 30, as the service rounds."""
    try:
        value = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError) as exc:
        raise bad(f"'{text}' is not a valid ISO 8601 duration.") from exc
    if isinstance(value, isodate.Duration):
        days = float(value.years) * 365 + float(value.months) * 30
        return int(days * DAY + value.tdelta.total_seconds())
    return int(value.total_seconds())


def default_policy(key_id: str) -> dict[str, Any]:
    """What GET answers for a key that never had a policy: notify 30 days before expiry."""
    return {
        "id": f"{key_id}/rotationpolicy",
        "lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}}],
        "attributes": {},
    }


def _action(entry: Any) -> tuple[str, dict[str, str]]:
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("action"), dict)
        or not isinstance(entry.get("trigger"), dict)
    ):
        raise bad("Each lifetime action needs a trigger and an action.")
    kind = str(entry["action"].get("type", "")).capitalize()
    if kind not in ("Rotate", "Notify"):
        raise bad(f"The lifetime action type '{entry['action'].get('type')}' is invalid; use Rotate or Notify.")
    trigger = {k: v for k, v in entry["trigger"].items() if k in ("timeAfterCreate", "timeBeforeExpiry") and v}
    if len(trigger) != 1:
        raise bad("A lifetime action trigger must set exactly one of timeAfterCreate and timeBeforeExpiry.")
    if kind == "Notify" and "timeAfterCreate" in trigger:
        raise bad("A Notify action can only be triggered by timeBeforeExpiry.")
    return kind, trigger


def validate(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    actions = body.get("lifetimeActions") or []
    expiry = (body.get("attributes") or {}).get("expiryTime")
    if not isinstance(actions, list) or len(actions) > 2:
        raise bad("A rotation policy has at most two lifetime actions: one Rotate and one Notify.")
    expiry_s = duration_seconds(expiry) if expiry else None
    if expiry_s is not None and expiry_s < MIN_EXPIRY_DAYS * DAY:
        raise bad(
            f"The rotation policy expiryTime '{expiry}' is too short: it must be at least {MIN_EXPIRY_DAYS} days."
        )
    normalized, kinds = [], set()
    for entry in actions:
        kind, trigger = _action(entry)
        if kind in kinds:
            raise bad(f"A rotation policy can have only one {kind} action.")
        kinds.add(kind)
        ((field, value),) = trigger.items()
        seconds = duration_seconds(value)
        if seconds < MIN_TRIGGER_DAYS * DAY:
            raise bad(f"The {field} '{value}' is too short: it must be at least {MIN_TRIGGER_DAYS} days.")
        if field == "timeBeforeExpiry" and expiry_s is None:
            raise bad("A timeBeforeExpiry trigger needs the policy's expiryTime.")
        if expiry_s is not None and seconds > expiry_s - MIN_TRIGGER_DAYS * DAY:
            raise bad(
                f"The {field} '{value}' must be at least {MIN_TRIGGER_DAYS} days shorter than expiryTime '{expiry}'."
            )
        normalized.append({"trigger": trigger, "action": {"type": kind}})
    return normalized, expiry


def put_policy(record: dict[str, Any], key_id: str, body: dict[str, Any]) -> dict[str, Any]:
    actions, expiry = validate(body)
    now = int(time.time())
    previous = record.get("rotationPolicy") or {}
    attributes: dict[str, Any] = {"created": (previous.get("attributes") or {}).get("created", now), "updated": now}
    if expiry:
        attributes["expiryTime"] = expiry
    record["rotationPolicy"] = {"id": f"{key_id}/rotationpolicy", "lifetimeActions": actions, "attributes": attributes}
    return record["rotationPolicy"]
