"""Unit and module tests: modules run in-process (their real main()) against the in-process emulator.

The network guard, the emulator and the environment that points clients at it come from the
``azure_emulator.testing`` plugin.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "build" / "collections"
_link = COLLECTIONS / "ansible_collections" / "azure_cmk" / "batch"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(REPO)
sys.path.insert(0, str(COLLECTIONS))

pytest_plugins = ["azure_emulator.testing"]

WRITE = ("PUT", "PATCH", "DELETE", "POST")


def _fresh_process_caches() -> None:
    """Each real module run is a new process; in-process runs forget what the SDKs cache per process
    (Key Vault's bearer challenges, by vault host)."""
    from azure.keyvault.keys._shared import http_challenge_cache

    from ansible.module_utils.common import warnings

    http_challenge_cache.clear()
    for kept in ("_global_warnings", "_global_deprecations"):  # ansible-core keeps them for its one module run
        getattr(warnings, kept, {}).clear()


class ModuleRun:
    """Run a module's main() with args as Ansible would pass them; return its result JSON."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.last_output = ""

    def __call__(
        self, main: Callable[[], None], args: dict[str, Any], check: bool = False, diff: bool = False
    ) -> dict[str, Any]:
        from ansible.module_utils.testing import patch_module_args

        full = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        _fresh_process_caches()
        self.capsys.readouterr()
        with patch_module_args(full), pytest.raises(SystemExit):
            main()
        self.last_output = self.capsys.readouterr().out
        result = json.loads(self.last_output)
        # ansible-core 2.19 modules report warnings as structured summaries; tests read the text.
        result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
        return result


@pytest.fixture
def run_dir(tmp_path: Any) -> str:
    """A run's own directory, as ansible-playbook makes it (0700): where the action plugins put the token cache."""
    directory = tmp_path / "ansible-local-4242abcd"
    directory.mkdir(mode=0o700)
    return str(directory)


@pytest.fixture
def run_module(azure_credentials_env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> ModuleRun:
    """Modules authenticate with the AZURE_* variables (as under AWX's Azure credential)."""
    return ModuleRun(capsys)


def writes_since(emulator: Any, seq: int) -> list[str]:
    return [f"{e.method} {e.host}{e.path}" for e in emulator.journal.entries(seq) if e.write]


def four_steps(run: ModuleRun, emulator: Any, main: Callable[[], None], args: dict[str, Any]) -> list[dict[str, Any]]:
    """check, apply, check, apply -> changed, changed, unchanged, unchanged; no write in the check
    runs nor in the second apply; the first check run's diff is what the apply then did."""
    results = []
    for check, expect_changed in ((True, True), (False, True), (True, False), (False, False)):
        seq = emulator.journal.last_seq
        result = run(main, args, check=check, diff=True)
        assert not result.get("failed"), result.get("msg")
        assert result["changed"] is expect_changed, (check, result)
        writes = writes_since(emulator, seq)
        if check or not expect_changed:
            assert writes == [], f"{'check' if check else 'second'} run wrote: {writes}"
        else:
            assert writes, "the apply made no write"
        results.append(result)
    assert results[0]["diff"] == results[1]["diff"]
    assert results[2]["diff"]["before"] == results[2]["diff"]["after"] == {}
    return results
