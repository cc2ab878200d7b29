"""The test matrix and what the collection declares agree: each end runs on exactly what its constraints
file pins, requirements.txt's floor is what the tests install, meta/runtime.yml and the README state the
tested range, sanity covers the target Pythons, and the execution environment's requirements hold."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from playbook_runner import REPO

CONSTRAINTS = REPO / "tests" / "constraints"
ENDS = sorted(p.stem for p in CONSTRAINTS.glob("*.txt") if p.stem != "common")
# Target Pythons that the newest ansible-core supports and the SDKs install on, but that sanity cannot
# run: CI machines (pyenv 3.8 to 3.13) have no Python 3.14.
UNCOVERED_TARGET_PYTHONS = {"3.14"}


def pins(end: str) -> dict[str, str]:
    """Name -> version of every `==` pin of an end, following its `-c` includes."""
    found: dict[str, str] = {}
    lines = (CONSTRAINTS / f"{end}.txt").read_text().splitlines()
    for line in (raw.split("#")[0].strip() for raw in lines):
        if line.startswith("-c "):
            found.update(pins(Path(line[3:].strip()).stem))
        elif line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{end}.txt: {line} is not a pin"
            found[canonical(req.name)] = spec.version
    return found


def python_of(end: str) -> str:
    (version,) = re.findall(r"^# python: *(\S+)$", (CONSTRAINTS / f"{end}.txt").read_text(), re.M)
    return version


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements() -> list[Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def current_end() -> str:
    """The end whose ansible-core and Python this interpreter has; exactly one must match."""
    here = (metadata.version("ansible-core"), f"{sys.version_info[0]}.{sys.version_info[1]}")
    matching = [end for end in ENDS if (pins(end)["ansible-core"], python_of(end)) == here]
    assert len(matching) == 1, f"ansible-core {here[0]} on Python {here[1]} is no end of the matrix ({ENDS})"
    return matching[0]


def test_this_run_is_on_an_end_of_the_matrix_with_every_pin_installed():
    end = current_end()
    assert os.environ.get("AZURE_CMK_MATRIX", end) == end
    installed = {name: metadata.version(name) for name in pins(end)}
    assert installed == pins(end)


def test_the_ends_are_the_declared_floor_and_the_newest():
    cores = {end: Version(pins(end)["ansible-core"]) for end in ENDS}
    assert set(ENDS) == {"floor", "newest"}
    assert cores["floor"] == min(cores.values()) and cores["newest"] == max(cores.values())
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == f">={minor(str(cores['floor']))}.0"


def test_the_readme_states_the_tested_range():
    core = {end: minor(pins(end)["ansible-core"]) for end in ENDS}
    stated = (
        f"ansible-core {core['floor']} to {core['newest']}; tested on both ends, ansible-core {core['floor']} on "
        f"Python {python_of('floor')} and ansible-core {core['newest']} on Python {python_of('newest')}"
    )
    readme = " ".join((REPO / "README.md").read_text().split())
    assert stated in readme


@pytest.mark.parametrize("requirement", runtime_requirements(), ids=str)
def test_runtime_requirements_are_ranges_from_the_tested_floor(requirement):
    operators = {spec.operator: spec.version for spec in requirement.specifier}
    assert set(operators) == {">=", "<"}, "a range, not a pin that clashes with other collections' needs"
    floor = operators[">="]
    assert floor == pins("floor")[canonical(requirement.name)], "the floor is the version the matrix installs"
    assert Version(operators["<"]) == Version(f"{Version(floor).major + 1}")


def test_sanity_runs_every_target_python_it_can():
    from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
    from ansible_test._internal.content_config import parse_python_requires

    python_requires = yaml.safe_load((REPO / "tests" / "config.yml").read_text())["modules"]["python_requires"]
    targets = set(parse_python_requires(python_requires)) & set(SUPPORTED_PYTHON_VERSIONS)
    makefile = (REPO / "Makefile").read_text()
    (listed,) = re.findall(r"^SANITY_PYTHONS := (.*)$", makefile, re.M)
    if current_end() == "newest":
        assert set(listed.split()) == targets - UNCOVERED_TARGET_PYTHONS
    else:
        assert set(listed.split()) <= targets


def test_python_requires_is_the_lowest_python_the_pinned_sdks_install_on():
    """Requires-Python of each runtime requirement at its tested floor. What they pull in is left out: pip
    picks releases of those for the Python at hand (pycparser's newest needs 3.11, an older one serves 3.10)."""
    declared = {
        req.name: SpecifierSet(metadata.metadata(req.name).get("Requires-Python") or "")
        for req in runtime_requirements()
    }
    lowest = next(f"3.{n}" for n in range(6, 20) if all(spec.contains(f"3.{n}.0") for spec in declared.values()))
    config = yaml.safe_load((REPO / "tests" / "config.yml").read_text())
    assert config["modules"]["python_requires"] == f">={lowest}", {name: str(spec) for name, spec in declared.items()}


def test_the_execution_environment_needs_what_this_end_has():
    """ansible-builder reads the collection's requirements as an execution environment build would; this
    environment, where the whole suite runs on this end's ansible-core, satisfies every one of them."""
    builder = Path(sys.executable).parent / "ansible-builder"
    collections = REPO / "build" / "collections"
    done = subprocess.run([str(builder), "introspect", str(collections)], capture_output=True, text=True, check=True)
    data = yaml.safe_load(done.stdout)
    python = [Requirement(line.split("#")[0]) for line in data["python"]]
    assert [str(r) for r in python] == [str(r) for r in runtime_requirements()]
    for req in python:
        assert req.specifier.contains(metadata.version(req.name)), req
    assert any(line.startswith("python3 ") for line in data["system"])
