# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Resource Manager ids: parse, build, compare (ids compare case-insensitively).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re

_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)"
    r"(?:/resourceGroups/(?P<resource_group>[^/]+))?"
    r"(?:/providers/(?P<namespace>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)(?P<rest>(?:/[^/]+/[^/]+)*))?$",
    re.IGNORECASE,
)


def parse(resource_id):
    """{subscription, resource_group, namespace, type, name, children: [(type, name)]}; ValueError if not an ARM id."""
    found = _ID.match((resource_id or "").rstrip("/"))
    if not found:
        raise ValueError(f"'{resource_id}' is not an Azure resource id (/subscriptions/.../providers/...)")
    parts = found.groupdict()
    rest = [p for p in (parts.pop("rest") or "").split("/") if p]
    parts["children"] = list(zip(rest[0::2], rest[1::2]))
    return parts


def parse_as(resource_id, namespace, rtype):
    """``parse``, for the id of a ``namespace``/``rtype`` resource (in a resource group); ValueError otherwise."""
    parts = parse(resource_id)
    kind = f"{parts['namespace'] or ''}/{parts['type'] or ''}".lower()
    if kind != f"{namespace}/{rtype}".lower() or not parts["resource_group"] or parts["children"]:
        raise ValueError(f"'{resource_id}' is not the id of a {namespace}/{rtype} resource")
    return parts


def build(subscription, resource_group, namespace, rtype, name):
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{namespace}/{rtype}/{name}"


def normalize(resource_id):
    return (resource_id or "").rstrip("/").lower()


def same(left, right):
    return normalize(left) == normalize(right)


_SEGMENTS = {"subscriptions": "subscriptions", "resourcegroups": "resourceGroups", "providers": "providers"}


def canonical(resource_id):
    """``resource_id`` with Azure's usual spelling of the fixed segments (``resourceGroups``): services
    disagree (Batch answers ``resourcegroups``), and ids returned by two modules should compare equal."""
    if not resource_id:
        return resource_id
    parts = resource_id.split("/")
    for index in (1, 3, 5):
        if index < len(parts) and parts[index].lower() in _SEGMENTS:
            parts[index] = _SEGMENTS[parts[index].lower()]
    return "/".join(parts)
