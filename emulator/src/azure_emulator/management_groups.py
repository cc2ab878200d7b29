"""Management groups: a tree per tenant whose root has the tenant's id (as Azure's "Tenant Root Group" does),
each subscription under exactly one group. Kept in the state as ``managementGroups`` (lower-cased id ->
group); a group lists the subscriptions directly under it. Resource Graph scopes a query by them.
"""

from __future__ import annotations

from typing import Any

from .store import Store


def groups(store: Store) -> dict[str, dict[str, Any]]:
    return store.data.setdefault("managementGroups", {})


def add_group(store: Store, spec: dict[str, Any]) -> dict[str, Any]:
    """Add (or extend) a group from a seed entry: id, tenant_id, display_name, parent, subscriptions."""
    found = groups(store).get(spec["id"].lower())
    if found is None:
        found = {
            "id": spec["id"],
            "tenantId": spec["tenant_id"],
            "displayName": spec.get("display_name", spec["id"]),
            "parent": spec.get("parent"),
            "subscriptions": [],
        }
        groups(store)[spec["id"].lower()] = found
    for sub in spec.get("subscriptions", []):
        place(store, sub, found["id"])
    store.touch()
    return found


def place(store: Store, subscription_id: str, group_id: str) -> None:
    """Move a subscription under a group (it leaves the one it was under)."""
    for group in groups(store).values():
        if subscription_id.lower() in (s.lower() for s in group["subscriptions"]):
            group["subscriptions"] = [s for s in group["subscriptions"] if s.lower() != subscription_id.lower()]
    groups(store)[group_id.lower()]["subscriptions"].append(subscription_id)
    store.touch()


def subscriptions_under(store: Store, group_id: str) -> list[str] | None:
    """The subscriptions in the group's hierarchy (its own and its descendants'), or None for no such group."""
    everything = groups(store)
    if group_id.lower() not in everything:
        return None
    children: dict[str, list[str]] = {}
    for key, group in everything.items():
        if group.get("parent"):
            children.setdefault(group["parent"].lower(), []).append(key)
    found: list[str] = []
    pending = [group_id.lower()]
    while pending:
        key = pending.pop()
        found += everything[key]["subscriptions"]
        pending += children.get(key, [])
    return found


def tenant_of(store: Store, group_id: str) -> str | None:
    group = groups(store).get(group_id.lower())
    return group["tenantId"] if group else None
