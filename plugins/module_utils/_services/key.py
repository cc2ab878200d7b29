# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Customer-managed keys in a vault (Key Vault data plane): attributes, rotation policy, versions,
soft delete. New versions are written exactly once (see _lro.write_once).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._converge import converge
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._lock import held
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import EXPIRY_WARNING_DAYS
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import key_subject
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import vault_findings
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import Service
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_checks import change_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_checks import input_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_checks import unfit
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_view import DEFAULT_OPS
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_view import normalize
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_view import spelled_ops
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_writers import settle_doubles
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key_writers import versions_since
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import POLICY_FIELDS
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.rotation_policy import sdk_policy
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import vault_or_prediction
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time


class KeyService(Service):
    RESOURCE = "key"

    def __init__(self, module):
        super().__init__(module)
        self._vault = None
        self.made = None  # the version this run made, if any
        self.disabled = []  # versions another writer made meanwhile, disabled on request

    @property
    def MANAGED(self):
        fields = (
            "key_type",
            "key_size",
            "key_ops",
            "enabled",
            "not_before",
            "expires",
            "tags",
            "deleted",
        )
        # The rotation policy is compared only when the task manages it (a recovered key's shows up only after).
        managed = ("rotation_policy",) if self.params.get("rotation_policy") else ()
        return fields + managed + (("version",) if self.params.get("rotate") else ())

    @property
    def vault(self):
        """The vault, read from Resource Manager only when needed: a key's URL follows from the vault's name."""
        if self._vault is None:
            self._vault = vault_or_prediction(self.ctx, self.params["vault_name"], self.params["resource_group"])
        return self._vault

    @property
    def vault_url(self):
        return vault_url(self.ctx.cloud, self.params["vault_name"])

    @property
    def keys(self):
        return self.clients.keys(self.vault_url)

    def header(self, resource):
        return (resource or {}).get("versionless_id") or "{}/keys/{}".format(self.vault_url, self.params["name"])

    def validate(self):
        return input_problems(self.params)

    def get(self):
        name = self.params["name"]
        self._read_at = time.time() - 1  # Key Vault's timestamps have whole seconds
        try:  # one try: a vault that does not resolve is asked about once, through Resource Manager
            key = self.read("read key", self.header(None), self.keys.get_key, name, **_lro.NO_CONNECT_RETRY)
        except CmkUnreachable:
            if self.vault.get("unknown"):
                return None  # check mode: an earlier task creates the vault
            dataplane.wait_until_resolves(self.ctx, self.vault_url, self.params["wait_timeout"])
            key = self.read("read key", self.header(None), self.keys.get_key, name)
        except CmkError as error:
            if error.status != 403:
                raise
            dataplane.wait_until_caller_may_read(self.ctx, self.vault_url, self.params["wait_timeout"])
            key = self.read("read key", self.header(None), self.keys.get_key, name)
        if key is not None:
            return normalize(key, self._policy(name))
        deleted = self._deleted(name) if self.params.get("state") != "absent" else None
        if deleted is None:
            return None
        # A soft-deleted key is the current state: recovering it is an update of "deleted", not a creation.
        return dict(normalize(deleted, None), deleted=True)

    def _deleted(self, name):
        """The soft-deleted key of this name, if any; None also when the caller may not read deleted keys
        (creating then fails with Key Vault's own 409, which says the name is taken by a deleted key)."""
        try:
            return self.read("read deleted key", self.header(None), self.keys.get_deleted_key, name)
        except CmkError as exc:
            if exc.status == 403:
                return None
            raise

    def _policy(self, name):
        """The rotation policy; None when it cannot be read and is not managed here (getrotationpolicy missing)."""
        try:
            return self.call("read rotation policy of", self.header(None), self.keys.get_key_rotation_policy, name)
        except CmkNotFound:
            return None
        except CmkError:
            if self.params.get("rotation_policy"):
                raise
            return None

    def desired(self, current):
        params, current_values = self.params, current or {}
        wanted_policy = params.get("rotation_policy")
        desired = {
            "key_type": params.get("key_type") or current_values.get("key_type") or "RSA",
            "key_size": params.get("key_size") or current_values.get("key_size") or 2048,
            "key_ops": spelled_ops(params.get("key_ops") or current_values.get("key_ops") or DEFAULT_OPS),
            "enabled": current_values.get("enabled", True) if params.get("enabled") is None else params["enabled"],
            "not_before": self._wanted_time("not_before", current_values),
            "expires": self._wanted_time("expires", current_values),
            "tags": merge_tags(current_values.get("tags"), params.get("tags"), params.get("purge_tags")),
            "rotation_policy": {f: wanted_policy.get(f) for f in POLICY_FIELDS}
            if wanted_policy
            else current_values.get("rotation_policy"),
        }
        desired["deleted"] = False
        if current_values.get("deleted") and params.get("purge_deleted"):
            desired = dict(self.desired(None), deleted=False)  # purged, then made anew
        if params.get("rotate"):
            desired["version"] = None  # a new one, whose id only Key Vault can tell
        return desired

    def _wanted_time(self, option, current_values):
        """The task's date-time ("" for none); else the current version's, or, for a new version made by
        rotate, whatever Key Vault gives it (the rotation policy's expiry, or none)."""
        given = self.params.get(option)
        if given is not None:
            return iso(parse_time(given or None, option))
        return None if self.params.get("rotate") else current_values.get(option)

    def check(self, current, desired):
        problems = change_problems(self.params, current, desired)
        new_material = current is None or current["deleted"] or self.params.get("rotate")
        if new_material and not self.vault.get("unknown"):  # no key is made in a vault unfit for Batch
            problems += ["vault_name: " + f["message"] for f in errors(vault_findings(self.vault))]
        return problems or self._fitness(current, desired)

    def _fitness(self, current, desired):
        """The key this run leaves must be one Batch can use - or the task asked for it not to be, and no
        account relies on it (unless forced)."""
        problems, asked = unfit(self.params, current, desired)
        if asked and not problems:  # the dates and state of one version: the newest, or the one made now
            what = "setting {} on key '{}' in vault '{}'".format(
                ", ".join(asked), self.params["name"], self.params["vault_name"]
            )
            self._guard(what, "(new)" if self.params.get("rotate") else (current or {}).get("version"))
        if not problems and desired["expires"] != (current or {}).get("expires"):
            self._warn_expiring(current, desired)
        return problems

    def _warn_expiring(self, current, desired):
        """An expiry this task sets within the compliance report's default warning window, on a key accounts
        use: allowed, but they go down then unless the key is rotated or they move."""
        subject = key_subject(self.params["vault_name"], self.params["name"])
        soon = [
            f for f in key_findings(desired, subject, expiry_days=EXPIRY_WARNING_DAYS) if f["code"] == "key_expiring"
        ]
        version = "(new)" if self.params.get("rotate") else (current or {}).get("version")
        accounts = (
            accounts_using(
                self.ctx, vault_name=self.params["vault_name"], key_name=self.params["name"], version=version
            )
            if soon
            else []
        )
        if accounts:
            self.ctx.warn(
                "{}: Batch account(s) {} become unavailable then unless the key is rotated (versionless ids follow "
                "the new version) or they move to another key".format(soon[0]["message"], ", ".join(accounts))
            )

    def guard_delete(self, current):
        self._guard("deleting key '{}'".format(self.params["name"]))

    def _guard(self, what, version=None):
        accounts = accounts_using(
            self.ctx, vault_name=self.params["vault_name"], key_name=self.params["name"], version=version
        )
        refuse_breaking(what, accounts, self.params["force"], self.ctx)

    def create(self, desired):
        self._new_version(desired, previous=None, rotate_in_place=False)
        if self.params.get("rotation_policy"):
            self._put_policy(desired["rotation_policy"])

    def update(self, current, desired):
        name = self.params["name"]
        if current["deleted"] and self.params["purge_deleted"]:
            self.call("purge key", self.header(None), self.keys.purge_deleted_key, name)
            return self.create(desired)
        if current["deleted"]:
            poller = self.call("recover key", self.header(None), self.keys.begin_recover_deleted_key, name)
            self.call(
                "recover key",
                self.header(None),
                _lro.wait,
                poller,
                self.params["wait_timeout"],
                "recovery of key " + name,
            )
            self.ctx.forget()
            current = self.get()
        if self.params.get("rotation_policy") and current["rotation_policy"] != desired["rotation_policy"]:
            self._put_policy(desired["rotation_policy"])  # first, so a rotation below applies its expiry
        if self.params.get("rotate") and self.made is None:  # one new version per run, even if a step is retried
            same_spec = (current["key_type"], current["key_size"]) == (desired["key_type"], desired["key_size"])
            self._new_version(desired, previous=current["version"], rotate_in_place=same_spec)
            current = self.get()
            for option in ("not_before", "expires"):  # the new version's own, unless the task gives them
                desired[option] = current[option] if self.params.get(option) is None else desired[option]
        if any(current[f] != desired[f] for f in ("key_ops", "enabled", "not_before", "expires", "tags")):
            self.call(
                "update key",
                current["id"],
                self.keys.update_key_properties,
                name,
                key_operations=desired["key_ops"],
                enabled=desired["enabled"],
                not_before=parse_time(desired["not_before"], "not_before"),
                expires_on=parse_time(desired["expires"], "expires"),
                tags=desired["tags"],
            )
        return None

    def _put_policy(self, policy):
        from azure.keyvault.keys import KeyRotationPolicy

        actions, expires_in = sdk_policy(policy)
        self.call(
            "set rotation policy of",
            self.header(None),
            self.keys.update_key_rotation_policy,
            self.params["name"],
            KeyRotationPolicy(),
            lifetime_actions=actions,
            expires_in=expires_in,
        )

    def _new_version(self, desired, previous, rotate_in_place):
        """Create the key, or a new version of it, once - even if Key Vault's answer is lost on the way."""
        name = self.params["name"]

        def write():
            if rotate_in_place:
                return self.keys.rotate_key(name, **_lro.NO_RETRY)
            return self.keys.create_rsa_key(
                name,
                size=desired["key_size"],
                hardware_protected=desired["key_type"] == "RSA-HSM",
                key_operations=desired["key_ops"],
                enabled=desired["enabled"],
                not_before=parse_time(desired["not_before"], "not_before"),
                expires_on=parse_time(desired["expires"], "expires"),
                tags=desired["tags"],
                **_lro.NO_RETRY,
            )

        def written():
            latest = self.read("read key", self.header(None), self.keys.get_key, name)
            return latest if latest is not None and latest.properties.version != previous else None

        action = "rotate key" if rotate_in_place else "create key"
        made = self.call(
            action,
            self.header(None),
            _lro.write_once,
            write,
            written,
            f"{action} {name}",
            timeout=self.params["wait_timeout"],
        )
        self.made = made.properties.version
        window = [
            made  # the version this run read is not of the moment, even within the second the clock rounds to
            for made in versions_since(self.ctx, self.keys, self.header(None), name, self._read_at)
            if made[0] != previous
        ]
        if any(version != self.made for version, _ in window):
            self.disabled = settle_doubles(self.ctx, self.keys, self.header(None), self.params, self.made, window)

    def delete(self, current):
        poller = self.call("delete key", current["versionless_id"], self.keys.begin_delete_key, self.params["name"])
        _lro.wait(poller, self.params["wait_timeout"], "deletion of key " + self.params["name"])

    def predict(self, current, desired):
        base = self.header(None)
        predicted = dict(
            current or {"name": self.params["name"], "vault_url": self.vault_url + "/", "versionless_id": base}
        )
        predicted.update(desired)
        if current is None or "version" in desired:
            predicted.update(id=None, version=None, created=None, updated=None)
        predicted.setdefault("recovery_level", None)
        return predicted

    def list(self):
        found = []
        for props in self.call("list keys", self.vault_url, list, self.keys.list_properties_of_keys()):
            key = self.read("read key", props.id, self.keys.get_key, props.name)
            if key is not None:
                found.append(normalize(key, self._policy(props.name)))
        return found


def converge_key(module):
    """converge() for one key, its check-then-create taking turns with the other runs on this controller
    (forks, parallel jobs): Key Vault has no conditional create."""
    service = KeyService(module)
    if module.check_mode or module.params["state"] == "absent":
        return converge(module, service)
    what = "key '{}' in vault '{}'".format(module.params["name"], module.params["vault_name"])
    with held(what, (service.vault_url, module.params["name"]), module.params["wait_timeout"], module.ctx):
        return converge(module, service)
