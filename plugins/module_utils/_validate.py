# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks that need no Azure call: names, GUIDs, key identifiers. Each problem names the option
and the rule; ``require`` raises them all at once, before any write.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re
from collections import namedtuple
from datetime import datetime
from datetime import timezone

from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

BATCH_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
KEY_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
IDENTITY_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$")
RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$", re.UNICODE)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KEY_VERSION = re.compile(r"^[0-9a-fA-F]{32}$")

KeyId = namedtuple("KeyId", "vault_url vault_name name version")


def require(problems):
    """Raise one CmkValidationError listing every problem, or return quietly."""
    problems = [p for p in problems if p]
    if problems:
        raise CmkValidationError("; ".join(problems))


def name_problems(option, value, pattern, rule):
    if value is None or pattern.match(value):
        return []
    return [f"{option}: '{value}' is not valid ({rule})"]


def batch_account_name_problems(value, option="name"):
    return name_problems(option, value, BATCH_ACCOUNT_NAME, "3-24 lowercase letters and digits")


def vault_name_problems(value, option="vault_name"):
    return name_problems(
        option, value, VAULT_NAME, "3-24 letters, digits and hyphens, starting with a letter, no consecutive hyphens"
    )


def key_name_problems(value, option="name"):
    return name_problems(option, value, KEY_NAME, "1-127 letters, digits and hyphens")


def identity_name_problems(value, option="name"):
    return name_problems(option, value, IDENTITY_NAME, "3-128 letters, digits, hyphens and underscores")


def resource_group_problems(value, option="resource_group"):
    return name_problems(
        option, value, RESOURCE_GROUP, "1-90 letters, digits, underscores, hyphens, periods and parentheses"
    )


# Resource Manager's tag limits ("Tag resources": 50 tags, names of 512 and values of 256 characters, no
# < > % & \ ? / in names); Key Vault's objects take 15 tags.
ARM_TAGS = 50
KEY_VAULT_TAGS = 15
_TAG_NAME_FORBIDDEN = set("<>%&\\?/")


def tag_problems(tags, most=ARM_TAGS, option="tags"):
    if not tags:
        return []
    problems = [f"{option}: {len(tags)} tags; Azure allows at most {most}"] if len(tags) > most else []
    for name, value in tags.items():
        name = str(name)
        if len(name) > 512 or _TAG_NAME_FORBIDDEN & set(name):
            problems.append(f"{option}: tag name '{name[:40]}' is over 512 characters or has one of < > % & \\ ? /")
        if isinstance(value, (dict, list)):
            kind = "dict" if isinstance(value, dict) else "list"
            problems.append(f"{option}: the value of '{name[:40]}' is a {kind}; tag values are text")
        elif value is not None and len(str(value)) > 256:
            problems.append(f"{option}: the value of tag '{name[:40]}' has {len(str(value))} characters; at most 256")
    return problems


# Options that name a resource group, whatever the module.
GROUP_OPTIONS = ("resource_group", "identity_resource_group", "principal_resource_group", "key_vault_resource_group")


def common_problems(params):
    """What every module checks offline before anything else: resource group names, wait_timeout and tags."""
    problems = []
    for option in GROUP_OPTIONS:
        if params.get(option) is not None:
            problems += resource_group_problems(params[option], option)
    timeout = params.get("wait_timeout")
    if timeout is not None and timeout <= 0:  # it bounds each wait of the task; wait: false is not waiting
        problems.append(f"wait_timeout: must be more than 0 seconds, not {timeout}")
    return problems + tag_problems(params.get("tags"))


def guid_problems(value, option):
    return name_problems(option, value, GUID, "a GUID")


def parse_key_identifier(value, cloud, option="key_identifier"):
    """The parts of a Key Vault key URL, versioned or versionless, in ``cloud``; CmkValidationError otherwise."""
    pattern = rf"^https://(?P<vault>[^./]+)\.{re.escape(cloud.vault_suffix)}(?::443)?/keys/(?P<name>[^/]+)(?:/(?P<version>[^/]*))?/?$"
    found = re.match(pattern, value or "", re.IGNORECASE)
    shape = f"https://<vault>.{cloud.vault_suffix}/keys/<name>[/<version>]"
    if not found:
        raise CmkValidationError(f"{option}: '{value}' is not a Key Vault key URL of the form {shape}")
    version = found.group("version") or None
    require(
        name_problems("vault name in " + option, found.group("vault"), VAULT_NAME, "3-24 letters, digits and hyphens")
        + name_problems("key name in " + option, found.group("name"), KEY_NAME, "letters, digits and hyphens")
        + (
            [f"{option}: the key version '{version}' is not 32 hexadecimal characters"]
            if version and not KEY_VERSION.match(version)
            else []
        )
    )
    vault = found.group("vault").lower()
    return KeyId(vault_url(cloud, vault), vault, found.group("name"), version)


def same_key(first, second, cloud):
    """Whether two key identifiers name the same key (and version) as Azure compares them: host, names and
    version without case, ``:443`` and a trailing slash ignored. Unparsable ones compare as text."""
    try:
        one, other = parse_key_identifier(first, cloud), parse_key_identifier(second, cloud)
    except CmkValidationError:
        return first == second
    return (one.vault_name, one.name.lower(), (one.version or "").lower()) == (
        other.vault_name,
        other.name.lower(),
        (other.version or "").lower(),
    )


def iso(moment):
    """A datetime as 2027-01-31T12:00:00Z (UTC); None stays None."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_FRACTION = re.compile(r"\.(\d+)")


def parse_time(text, option):
    """An ISO 8601 date-time (UTC when it names no zone); None stays None."""
    if text is None:
        return None
    # Azure writes up to 7 fractional digits (createdOn); fromisoformat before Python 3.11 takes 3 or 6.
    zoned = text.replace("Z", "+00:00").replace("z", "+00:00")
    normal = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], zoned)
    try:
        moment = datetime.fromisoformat(normal)
    except ValueError as exc:
        raise CmkValidationError(
            f"{option}: '{text}' is not an ISO 8601 date-time such as 2027-01-31T00:00:00Z"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment
