"""The emulator's settings: what each can be, their defaults (Azure's timing), and how text is parsed."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from typing import Any

from .latency import RoundTrips
from .resource_graph.quota import GraphQuota
from .throttling import Buckets

SETTINGS_ENV = "AZURE_EMULATOR_SETTINGS"

# Azure's delays, scaled down (``timing``). "azure" is the default: a user who rehearses a playbook by hand meets
# Azure's behaviour in time (a grant that lands late, a vault that resolves late), not a kinder one. "instant"
# is for tests that want none of it; each delay can still be set on its own, after the profile.
TIMING_PROFILES: dict[str, dict[str, float]] = {
    "azure": {
        "grant_propagation_seconds": 1.0,
        "account_recovery_seconds": 1.0,
        "vault_registering_seconds": 0.5,
        "vault_dns_seconds": 1.0,
        "resource_graph_lag_seconds": 1.0,
        "principal_replication_seconds": 1.0,
    },
    "instant": {
        "grant_propagation_seconds": 0.0,
        "account_recovery_seconds": 0.0,
        "vault_registering_seconds": 0.0,
        "vault_dns_seconds": 0.0,
        "resource_graph_lag_seconds": 0.0,
        "principal_replication_seconds": 0.0,
    },
}


@dataclass
class Settings:
    # The profile the delays below start from (TIMING_PROFILES); setting it resets them, then the other
    # settings given with it apply.
    timing: str = "azure"
    # Long-running operations: polls answered 202 before the result, and the hint sent with them.
    lro_pending_polls: int = 1
    # 0 sends no hint, as Azure's Batch 202 has none (REC-CLI-BATCH-2024): clients poll at their own
    # interval (azure-core's default is 30 s). The pytest plugin sets 10 ms; never "Retry-After: 0".
    lro_retry_after_ms: int = 0
    # An operation also completes on its own after this long, as Azure's do.
    lro_seconds: float = 5.0
    # The object id of the managed identity the instance metadata service (IMDS) hands tokens for.
    imds_principal: str = ""
    # Eventual consistency (propagation.py); 0 is instant. Azure: up to 600 s for grants (Key Vault
    # RBAC guide) and for a Batch account after its key access returns (Batch CMK FAQ).
    grant_propagation_seconds: float = TIMING_PROFILES["azure"]["grant_propagation_seconds"]
    account_recovery_seconds: float = TIMING_PROFILES["azure"]["account_recovery_seconds"]
    # A new vault: Resource Manager shows RegisteringDns this long; its data-plane host resolves after
    # vault_dns_seconds (both counted from creation).
    vault_registering_seconds: float = TIMING_PROFILES["azure"]["vault_registering_seconds"]
    vault_dns_seconds: float = TIMING_PROFILES["azure"]["vault_dns_seconds"]
    # How late a change shows in Resource Graph (resource_graph/index.py).
    resource_graph_lag_seconds: float = TIMING_PROFILES["azure"]["resource_graph_lag_seconds"]
    # How long a new managed identity stays unknown to role assignments (400 PrincipalNotFound), principalType
    # or not: the directory's replication delay that Azure's own message names.
    principal_replication_seconds: float = TIMING_PROFILES["azure"]["principal_replication_seconds"]
    # Batch's CMK refusals as plain 400 BadRequest and no "Invalid" state: Azure documents neither.
    generic_errors: bool = False
    # Round-trip time per host kind (entra, arm, keyvault) added to each answer: see latency.py.
    latency_ms: RoundTrips = field(default_factory=RoundTrips)
    # Resource Manager's token buckets per subscription (or tenant) and principal (throttling.py).
    arm_throttling: bool = True
    arm_throttling_buckets: Buckets = field(default_factory=Buckets)
    # Resource Graph's per-user quota: queries per window, then 429 (resource_graph/quota.py).
    resource_graph_throttling: bool = True
    resource_graph_quota: GraphQuota = field(default_factory=GraphQuota)
    # Items per page of Resource Manager lists (Batch accounts, vaults, identities, role assignments);
    # Azure documents none, see the README.
    arm_list_page_size: int = 100

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        if "timing" in values:
            profile = TIMING_PROFILES.get(str(values["timing"]))
            if profile is None:
                raise ValueError(f"setting 'timing': {values['timing']!r} is not one of {', '.join(TIMING_PROFILES)}")
            self.timing = str(values["timing"])
            for key, value in profile.items():
                setattr(self, key, value)
        for key, value in values.items():
            if key != "timing":
                setattr(self, key, _coerce(key, getattr(self, key), value))
        if self.arm_list_page_size < 1:
            raise ValueError("setting 'arm_list_page_size' must be 1 or more")


def _coerce(name: str, current: Any, value: Any) -> Any:
    """A setting's value in the type of its default; text (``--setting name=value``) is parsed."""
    kind = type(current)
    if isinstance(value, str) and kind is not str:
        try:
            value = json.loads(value.strip().lower() if kind is bool else value)
        except ValueError as exc:
            raise ValueError(f"setting {name!r}: {value!r} is not a {kind.__name__}") from exc
    if kind is bool and not isinstance(value, bool):
        raise ValueError(f"setting {name!r}: {value!r} is not true or false")
    return kind(value)


def settings_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Start-up settings from ``AZURE_EMULATOR_SETTINGS`` (a JSON object), honoured by serve and the plugin."""
    text = (os.environ if environ is None else environ).get(SETTINGS_ENV, "").strip()
    if not text:
        return {}
    values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError(f"{SETTINGS_ENV} must be a JSON object, not {text!r}")
    return values
