# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keyvault_cmk_key's refusals before any write: the task's input alone, then the change it asks of the key
Key Vault has (what Key Vault cannot do to a version, or will not do to a soft-deleted key).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import EXPIRY_WARNING_DAYS
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_spec_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_subject
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import KEY_OPS
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import OPS_SPELLING
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import policy_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import KEY_VAULT_TAGS
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import key_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import tag_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import vault_name_problems

# Dates a version keeps once set: Key Vault can change them, not remove them ("" asks for none).
_DATES = (("expires", "expiry"), ("not_before", "activation date"))


def input_problems(request):
    problems = vault_name_problems(request["vault_name"]) + key_name_problems(request["name"])
    spec = key_spec_findings(request.get("key_type"), request.get("key_size"), request.get("key_ops"), "the key")
    problems += ["{}: {}".format(f["field"], f["message"]) for f in spec]
    unknown = [op for op in request.get("key_ops") or [] if op.lower() not in OPS_SPELLING]
    if unknown:
        problems.append("key_ops: unknown operation(s) {}; valid: {}".format(", ".join(unknown), ", ".join(KEY_OPS)))
    problems += policy_problems(request.get("rotation_policy"))
    problems += tag_problems(request.get("tags"), KEY_VAULT_TAGS)
    not_before = parse_time(request.get("not_before") or None, "not_before")
    expires = parse_time(request.get("expires") or None, "expires")
    if not_before and expires and expires <= not_before:
        problems.append("expires: must be later than not_before")
    return problems


def change_problems(request, current, desired):
    """What the key as Key Vault has it cannot become in place: removed dates, another type or size, a
    soft-deleted key the task may neither recover nor purge."""
    in_place = current is not None and not current["deleted"] and not request.get("rotate")
    problems = _removed_dates(request, current) if in_place else []
    policy_expiry = (desired.get("rotation_policy") or {}).get("expires_in")
    if request.get("rotate") and request.get("expires") == "" and policy_expiry:
        problems.append(
            f"expires: a version made by rotation expires after the rotation policy's expires_in ({policy_expiry});"
            " remove expires_in from rotation_policy for a version without expiry"
        )
    for field in ("key_type", "key_size") if in_place else ():
        if field == "key_size" and current["key_size"] is None:
            continue  # not an RSA key: its type is the problem (an EC key has a curve, not a size)
        if desired[field] != current[field]:
            problems.append(
                "{}: key '{}' is {} ({}); a version's type and size are fixed - set rotate: true to "
                "create a new version with {}".format(
                    field, current["name"], current[field], field.replace("_", " "), desired[field]
                )
            )
    if current is not None and current["deleted"] and not (request["recover"] or request["purge_deleted"]):
        problems.append(
            "name: key '{}' is soft-deleted in vault '{}'; set recover: true to recover it, or purge_deleted: true "
            "to purge it and create a new one".format(request["name"], request["vault_name"])
        )
    return problems


def _removed_dates(request, current):
    return [
        f"{option}: Key Vault cannot remove the {what} of a key version ({current[option]} on version "
        f"{current['version']}); set rotate: true to create a version without one"
        for option, what in _DATES
        if request.get(option) == "" and current[option]
    ]


# What makes a key Batch cannot use usable again, per option. A disabled key is never enabled unasked: disabling
# a key is how its owner revokes the accounts' access.
_REMEDIES = {
    "enabled": "enable it with enabled: true (never done unasked: disabling a key is how access is revoked), or "
    "make a new version with rotate: true",
    "expires": "set a later expires, or make a new version with rotate: true",
    "not_before": "set an earlier not_before, or make a new version with rotate: true",
    "key_ops": "set key_ops to include wrapKey and unwrapKey",
    "key_type": "make a new version with rotate: true and key_type RSA or RSA-HSM",
    "key_size": "make a new version with rotate: true and key_size 2048, 3072 or 4096",
}


def unfit(request, current, desired):
    """(problems, asked): why the key this run leaves could not serve Batch - refused outright, unless the
    task asked for that state (then refused only if an account relies on the key; ``asked`` names the options)."""
    subject = key_subject(request["vault_name"], request["name"])
    problems, asked = [], []
    new = current is None or current["deleted"]
    for item in key_findings(desired, subject):
        option = item["field"]
        if request.get(option) is not None and not (new and option in ("expires", "not_before")):
            value = request[option]
            shown = str(value).lower() if isinstance(value, bool) else value
            asked.append(f"{option}: {shown}")
        elif request.get(option) is not None:
            problems.append(f"{option}: {item['message']} - a new key would be unusable at once")
        else:
            problems.append(f"{option}: {item['message']}: Batch accounts cannot use it; {_REMEDIES[option]}")
    return problems, asked


def expiring_soon(request, current, desired):
    """The ``key_expiring`` finding when this task sets an expiry within the compliance report's default warning
    window (allowed, but the accounts on the key go down then); else None."""
    if desired["expires"] == (current or {}).get("expires"):
        return None
    subject = key_subject(request["vault_name"], request["name"])
    found = key_findings(desired, subject, expiry_days=EXPIRY_WARNING_DAYS)
    return next((f for f in found if f["code"] == "key_expiring"), None)
