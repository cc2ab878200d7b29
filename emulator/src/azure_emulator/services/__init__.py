"""The Azure services the emulator answers, one package each."""

from __future__ import annotations

from ..router import Service


def build_services() -> list[Service]:
    from .arm.service import ArmService
    from .entra.handlers import EntraService
    from .keyvault_data.handlers import KeyVaultDataService

    return [EntraService(), ArmService(), KeyVaultDataService()]
