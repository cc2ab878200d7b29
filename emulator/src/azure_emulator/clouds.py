"""The Azure clouds the emulator answers for: their host names and token audiences."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    login_hosts: tuple[str, ...]
    arm_host: str
    arm_audiences: tuple[str, ...]
    vault_suffix: str
    batch_suffix: str

    @property
    def login_host(self) -> str:
        return self.login_hosts[0]

    @property
    def vault_audience(self) -> str:
        return f"https://{self.vault_suffix}"

    def vault_host(self, vault_name: str) -> str:
        return f"{vault_name.lower()}.{self.vault_suffix}"

    def vault_name_of(self, host: str) -> str | None:
        suffix = "." + self.vault_suffix
        return host[: -len(suffix)] if host.endswith(suffix) and "." not in host[: -len(suffix)] else None


def _arm_audiences(*resources: str) -> tuple[str, ...]:
    return tuple(r + tail for r in resources for tail in ("", "/"))


CLOUDS = (
    Cloud(
        "AzureCloud",
        ("login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"),
        "management.azure.com",
        _arm_audiences("https://management.azure.com", "https://management.core.windows.net"),
        "vault.azure.net",
        "batch.azure.com",
    ),
    Cloud(
        "AzureUSGovernment",
        ("login.microsoftonline.us",),
        "management.usgovcloudapi.net",
        _arm_audiences("https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net"),
        "vault.usgovcloudapi.net",
        "batch.usgovcloudapi.net",
    ),
    Cloud(
        "AzureChinaCloud",
        ("login.chinacloudapi.cn",),
        "management.chinacloudapi.cn",
        _arm_audiences("https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn"),
        "vault.azure.cn",
        "batch.chinacloudapi.cn",
    ),
)
PUBLIC = CLOUDS[0]


def cloud_for_host(host: str) -> Cloud | None:
    host = host.lower()
    for cloud in CLOUDS:
        if host == cloud.arm_host or host in cloud.login_hosts or cloud.vault_name_of(host):
            return cloud
    return None
