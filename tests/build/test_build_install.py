"""Done-means 5 (foundation): the tarball has no emulator, test output or caches, and a playbook runs
from the installed tarball against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from playbook_runner import REPO
from playbook_runner import playbook_environment
from playbook_runner import run_playbook

GALAXY = Path(sys.executable).parent / "ansible-galaxy"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(GALAXY), "collection", "build", str(REPO), "--output-path", str(out)], check=True, capture_output=True, text=True)
    (built,) = out.glob("azure_cmk-batch-*.tar.gz")
    return built


def test_the_tarball_holds_the_collection_and_nothing_else(tarball):
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert tarball.name == f"azure_cmk-batch-{version}.tar.gz"
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    wanted = ("MANIFEST.json", "FILES.json", "plugins/modules/batch_account_cmk.py", "meta/runtime.yml", "requirements.txt")
    assert set(wanted) <= set(names)
    assert "playbooks/enable_cmk_system_assigned.yml" in names
    at_root = ("emulator", "tests/output", ".venv", ".cache", "build", ".git", "Makefile", ".ci", "scripts", "demo-state")
    anywhere = ("__pycache__", ".pytest_cache", ".ruff_cache", ".tar.gz")
    leaked = [n for n in names if n.split("/")[0] in at_root or n.startswith("tests/output") or any(a in n for a in anywhere)]
    assert leaked == []


def test_a_playbook_runs_from_the_installed_tarball(tarball, tmp_path, emulator):
    installed = tmp_path / "collections"
    # --force: the checkout itself may be on ANSIBLE_COLLECTIONS_PATH (make test links it), which
    # ansible-galaxy would otherwise take for "already installed".
    install = [str(GALAXY), "collection", "install", "--force", str(tarball), "-p", str(installed)]
    subprocess.run(install, check=True, capture_output=True, text=True, env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(installed)})
    assert (installed / "ansible_collections" / "azure_cmk" / "batch" / "plugins" / "modules" / "keyvault.py").exists()
    env = playbook_environment(emulator.ready_info(), installed)
    run = run_playbook(REPO / "tests" / "integration" / "playbooks" / "identity_with_explicit_auth.yml", env, extra_vars={"azure_cmk_auth": {}})
    assert run.rc == 0 and run.changed == 1, run
    assert any(r["name"] == "id-explicit" for r in emulator.store.resources(rtype="Microsoft.ManagedIdentity/userAssignedIdentities"))
    docs = subprocess.run([str(GALAXY.parent / "ansible-doc"), "azure_cmk.batch.batch_account_cmk"], env=env, capture_output=True, text=True, check=False)
    assert docs.returncode == 0 and "key_identifier" in docs.stdout
