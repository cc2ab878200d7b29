# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keyvault_cmk_key's controller: a key Batch can use - its attributes, rotation policy, versions (made
exactly once, see _lro.write_once) and soft delete.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers._base import Controller
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import change_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import expiring_soon
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import input_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_checks import unfit
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.key_writers import settle_doubles
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._lock import held
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import vault_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import key as api
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import POLICY_FIELDS
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import vault_or_prediction
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time

FIELDS = ("key_type", "key_size", "key_ops", "enabled", "not_before", "expires", "tags", "deleted")
ATTRIBUTES = ("key_ops", "enabled", "not_before", "expires", "tags")


class KeyController(Controller):
    RESOURCE = "key"

    def __init__(self, ctx, params):
        super().__init__(ctx, Request(params, vault_url=vault_url(ctx.cloud, params["vault_name"])))

    @property
    def MANAGED(self):
        # The rotation policy is compared only when the task manages it (a recovered key's shows up only after).
        managed = ("rotation_policy",) if self.request.get("rotation_policy") else ()
        return FIELDS + managed + (("version",) if self.request.get("rotate") else ())

    def _vault(self):
        """The vault, read from Resource Manager only when needed (a key's URL follows from the vault's name)."""
        request = self.request

        def predict():
            return vault_or_prediction(self.ctx, request["vault_name"], request["resource_group"])

        return self.ctx.once(
            ("vault or prediction", request["resource_group"].lower(), request["vault_name"].lower()), predict
        )

    def header(self, resource):
        return (resource or {}).get("versionless_id") or api.label(self.request.vault_url, self.request["name"])

    def validate(self):
        return input_problems(self.request)

    def get(self):
        """The key (with its policy), or its soft-deleted self (``deleted``), or None. One try first: a vault that
        does not resolve is asked about through Resource Manager; a new one, or a new grant, is waited for."""
        request, url, name = self.request, self.request.vault_url, self.request["name"]

        def vault_unknown():  # check mode: an earlier task creates the vault
            return self._vault().get("unknown")

        # A soft-deleted key is the current state (unless it is to be deleted): recovering it is an update of
        # "deleted", not a creation.
        deleted = request.get("state") != "absent"
        key = api.find_key(self.ctx, url, name, request["wait_timeout"], vault_unknown, deleted)
        return dict(key, rotation_policy=self._policy()) if key and not key["deleted"] else key

    def _policy(self):
        """The rotation policy; None when it cannot be read and is not managed here (getrotationpolicy missing)."""
        try:
            return api.get_rotation_policy(self.ctx, self.request.vault_url, self.request["name"])
        except CmkError:
            if self.request.get("rotation_policy"):
                raise
            return None

    def desired(self, current):
        request, now = self.request, current or {}
        wanted_policy = request.get("rotation_policy")
        desired = {
            "key_type": request.get("key_type") or now.get("key_type") or "RSA",
            "key_size": request.get("key_size") or now.get("key_size") or 2048,
            "key_ops": api.spelled_ops(request.get("key_ops") or now.get("key_ops") or api.DEFAULT_OPS),
            "enabled": now.get("enabled", True) if request.get("enabled") is None else request["enabled"],
            "not_before": self._wanted_time("not_before", now),
            "expires": self._wanted_time("expires", now),
            "tags": merge_tags(now.get("tags"), request.get("tags"), request.get("purge_tags")),
            "rotation_policy": {f: wanted_policy.get(f) for f in POLICY_FIELDS}
            if wanted_policy
            else now.get("rotation_policy"),
            "deleted": False,
        }
        if now.get("deleted") and request.get("purge_deleted"):
            desired = dict(self.desired(None), deleted=False)  # purged, then made anew
        if request.get("rotate"):
            desired["version"] = None  # a new one, whose id only Key Vault can tell
        return desired

    def _wanted_time(self, option, now):
        """The task's date-time ("" for none); else the current version's, or, for a new version made by
        rotate, whatever Key Vault gives it (the rotation policy's expiry, or none)."""
        given = self.request.get(option)
        if given is not None:
            return iso(parse_time(given or None, option))
        return None if self.request.get("rotate") else now.get(option)

    def check(self, current, desired):
        problems = change_problems(self.request, current, desired)
        new_material = current is None or current["deleted"] or self.request.get("rotate")
        if new_material and not self._vault().get("unknown"):  # no key is made in a vault unfit for Batch
            problems += ["vault_name: " + f["message"] for f in errors(vault_findings(self._vault()))]
        problems = problems or self._fitness(current, desired)
        # Handed on: the version this run found (it makes a new one only while that is still the newest: once per
        # run, even if a step is tried again), and when it looked - versions made since by others are reported
        # (2 s back: Key Vault's times have whole seconds, and the key was read just before).
        return problems, {"version": (current or {}).get("version"), "since": time.time() - 2}

    def _fitness(self, current, desired):
        """The key this run leaves must be one Batch can use - or the task asked for it not to be, and no
        account relies on it (unless forced)."""
        problems, asked = unfit(self.request, current, desired)
        version = "(new)" if self.request.get("rotate") else (current or {}).get("version")
        if asked and not problems:  # the dates and state of one version: the newest, or the one made now
            what = "setting {} on key '{}' in vault '{}'".format(
                ", ".join(asked), self.request["name"], self.request["vault_name"]
            )
            refuse_breaking(what, self._users(version), self.request["force"], self.ctx)
        soon = expiring_soon(self.request, current, desired) if not problems else None
        users = self._users(version) if soon else []
        if users:
            self.ctx.warn(
                "{}: {} become unavailable then unless the key is rotated (versionless ids, and pools with "
                "rotationToLatestKeyVersionEnabled, follow the new version) or they move to another key".format(
                    soon["message"], users
                )
            )
        return problems

    def _users(self, version=None):
        return accounts_using(
            self.ctx, vault_name=self.request["vault_name"], key_name=self.request["name"], version=version
        )

    def guard_delete(self, current):
        refuse_breaking(
            "deleting key '{}'".format(self.request["name"]), self._users(), self.request["force"], self.ctx
        )

    def create(self, desired, found):
        self._new_version(desired, found, previous=None, rotate_in_place=False)
        if self.request.get("rotation_policy"):
            api.set_rotation_policy(self.ctx, self.request.vault_url, self.request["name"], desired["rotation_policy"])

    def update(self, current, desired, found):
        request, url, name = self.request, self.request.vault_url, self.request["name"]
        if current["deleted"] and request["purge_deleted"]:
            api.purge_key(self.ctx, url, name)
            return self.create(desired, found)
        if current["deleted"]:
            api.recover_key(self.ctx, url, name, request["wait_timeout"])
            self.ctx.forget()
            current = self.get()
        if request.get("rotation_policy") and current["rotation_policy"] != desired["rotation_policy"]:
            api.set_rotation_policy(
                self.ctx, url, name, desired["rotation_policy"]
            )  # first: a rotation applies its expiry
        wanted = desired
        if request.get("rotate") and current["version"] == found["version"]:  # not yet rotated by this run
            same_spec = (current["key_type"], current["key_size"]) == (desired["key_type"], desired["key_size"])
            self._new_version(desired, found, previous=current["version"], rotate_in_place=same_spec)
            self.ctx.forget()
            current = self.get()
            # The new version's own dates, unless the task gives them.
            wanted = dict(desired, **{o: current[o] for o in ("not_before", "expires") if request.get(o) is None})
        if any(current[f] != wanted[f] for f in ATTRIBUTES):
            api.update_key(
                self.ctx,
                url,
                name,
                key_operations=wanted["key_ops"],
                enabled=wanted["enabled"],
                not_before=parse_time(wanted["not_before"], "not_before"),
                expires_on=parse_time(wanted["expires"], "expires"),
                tags=wanted["tags"],
            )
        return None

    def _new_version(self, desired, found, previous, rotate_in_place):
        """Create the key, or a new version of it, once - even if Key Vault's answer is lost on the way - and
        report (or settle) versions another writer made in the same moment."""
        url, name = self.request.vault_url, self.request["name"]

        def write():
            if rotate_in_place:
                return api.rotate_key(self.ctx, url, name)
            expires, not_before = (
                parse_time(desired["expires"], "expires"),
                parse_time(desired["not_before"], "not_before"),
            )
            return api.create_key(self.ctx, url, name, desired, expires, not_before)

        def written():
            self.ctx.forget()
            latest = api.get_key(self.ctx, url, name)
            return latest if latest is not None and latest["version"] != previous else None

        action = "rotate key" if rotate_in_place else "create key"
        made = self.ctx.call(
            action,
            self.header(None),
            _lro.write_once,
            write,
            written,
            f"{action} {name}",
            timeout=self.request["wait_timeout"],
        )
        window = [v for v in api.list_versions(self.ctx, url, name) if v[1] >= found["since"] and v[0] != previous]
        if any(version != made["version"] for version, _created in window):
            settle_doubles(self.ctx, url, self.request, made["version"], window)

    def delete(self, current):
        api.delete_key(self.ctx, self.request.vault_url, self.request["name"], self.request["wait_timeout"])

    def turn(self):
        """The per-key lock: the check-then-create of the runs that share this machine's temporary directory
        (forks, playbooks side by side) take turns - Key Vault has no conditional create."""
        what = "key '{}' in vault '{}'".format(self.request["name"], self.request["vault_name"])
        return held(what, (self.request.vault_url, self.request["name"]), self.request["wait_timeout"], self.ctx)

    def predict(self, current, desired, found):
        request = self.request
        base = {"name": request["name"], "vault_url": request.vault_url + "/", "versionless_id": self.header(None)}
        predicted = dict(current or base)
        predicted.update(desired)
        if current is None or "version" in desired:
            predicted.update(id=None, version=None, created=None, updated=None)
        predicted.setdefault("recovery_level", None)
        return predicted
