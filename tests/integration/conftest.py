"""Integration: the collection's playbooks run by ansible-playbook (AnsiballZ module processes)
against the in-process emulator, verified through the emulator's state and request journal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playbook_runner import REPO
from playbook_runner import PlaybookRun
from playbook_runner import playbook_environment
from playbook_runner import run_playbook

pytest_plugins = ["azure_emulator.testing"]
COLLECTIONS = REPO / "build" / "collections"


@pytest.fixture
def playbook(emulator: Any) -> Callable[..., PlaybookRun]:
    link = COLLECTIONS / "ansible_collections" / "azure_cmk" / "batch"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO)

    def run(
        name: str, *args: str, _env: dict[str, str] | None = None, _drop_credentials: bool = False, **extra_vars: Any
    ) -> PlaybookRun:
        """``_env`` adds variables; ``_drop_credentials`` leaves AZURE_* out (another auth source is tested)."""
        env = playbook_environment(emulator.ready_info(), COLLECTIONS, credentials=not _drop_credentials)
        env.update(_env or {})
        path = Path(name) if name.startswith("/") else REPO / name
        return run_playbook(path, env, *args, extra_vars=extra_vars or None)

    return run
