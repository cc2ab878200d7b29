# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired vs current: did anything managed change, and the minimal before/after for --diff.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import copy

from ansible.module_utils.common.dict_transformations import recursive_diff


def _without(data, ignore):
    """A copy of ``data`` without the dotted paths in ``ignore`` (server-managed fields)."""
    result = copy.deepcopy(data)
    for path in ignore:
        node = result
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return result


def compare(current, desired, ignore=()):
    """(changed, before, after): only the managed fields that differ; the whole object on create/delete."""
    if current is None and desired is None:
        return False, {}, {}
    if current is None:
        return True, {}, _without(desired, ignore)
    if desired is None:
        return True, _without(current, ignore), {}
    difference = recursive_diff(_without(current, ignore), _without(desired, ignore))
    if difference is None:
        return False, {}, {}
    return True, difference[0], difference[1]


def diff_result(before, after, header):
    return {"before": before, "after": after, "before_header": header, "after_header": header}


def canonical_set(values):
    """Names that compare case-insensitively as a set (permissions, key operations): sorted, lower-cased."""
    return sorted({str(v).lower() for v in values or []})
