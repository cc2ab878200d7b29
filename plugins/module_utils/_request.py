# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's options as its controller reads them: parsed once, at the start of the run, and never changed.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier


class Request:
    """The options (``request["name"]``, ``request.get("tags")``) and what is parsed from them once (attributes,
    such as ``key_id``, a KeyId or None). Read-only: a controller hands on what it finds, it does not store it."""

    def __init__(self, params, **parsed):
        object.__setattr__(self, "_params", dict(params))
        for name, value in parsed.items():
            object.__setattr__(self, name, value)

    def __getitem__(self, name):
        return self._params[name]

    def get(self, name, default=None):
        return self._params.get(name, default)

    def __setattr__(self, name, value):
        raise AttributeError(f"a request is read-only ({name})")


def key_id_of(params, cloud, option="key_identifier"):
    """The option's key identifier, parsed (CmkValidationError naming the option), or None when not given."""
    value = params.get(option)
    return parse_key_identifier(value, cloud, option) if value else None
