"""The action plugin hands the run's directory only to a module that runs on this machine as this user. (The
decision, not the plugin: Ansible's controller code would change how in-process module runs warn.)"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from ansible_collections.azure_cmk.batch.plugins.plugin_utils._run_dir import run_directory

LOCAL = SimpleNamespace(transport="local")


def test_a_local_module_gets_the_runs_directory(run_dir):
    assert run_directory(LOCAL, SimpleNamespace(become=False), run_dir) == run_dir


@pytest.mark.parametrize("transport", ["ssh", "paramiko", "community.docker.docker", "winrm", None])
def test_a_module_run_elsewhere_gets_none(run_dir, transport):
    assert run_directory(SimpleNamespace(transport=transport), SimpleNamespace(become=False), run_dir) is None


def test_a_module_run_as_another_user_gets_none(run_dir):
    assert run_directory(LOCAL, SimpleNamespace(become=True), run_dir) is None


def test_a_directory_others_may_use_is_not_handed_out(run_dir):
    os.chmod(run_dir, 0o750)  # noqa: S103 - the mode under test
    assert run_directory(LOCAL, SimpleNamespace(become=False), run_dir) is None


def test_without_a_run_directory_none_is_handed_out():
    assert run_directory(LOCAL, SimpleNamespace(become=False), None) is None
