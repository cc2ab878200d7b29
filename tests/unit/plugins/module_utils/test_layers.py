"""The shape of plugins/ (issue 17), held: each layer imports only from the layers under it, no class of the
resource layer takes a module, no file is over 300 lines, and each resource's API file has its own tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"
UTILS = PLUGINS / "module_utils"
BASE = "ansible_collections.azure_cmk.batch.plugins.module_utils"

# What each layer may not import: nothing above it.
FORBIDDEN = {
    "_services": ("_controllers", "_audit", "_compliance", "_guards", "_converge", "_module"),
    "_controllers": ("_converge", "_compliance", "_module"),
    "_audit": ("_controllers", "_compliance", "_guards", "_converge", "_module"),
    # An estate's reads and their facts: the audit's layer, for many subscriptions.
    "_estate": ("_controllers", "_compliance", "_guards", "_converge", "_module", "_estate_facts"),
    "_estate_facts": ("_controllers", "_compliance", "_guards", "_converge", "_module"),
    "_guards": ("_controllers", "_audit", "_compliance", "_converge", "_module"),
    "_compliance": ("_controllers", "_guards", "_converge", "_module"),
    # An account's pools in a report: the audit's layer, under the report.
    "_pools": ("_controllers", "_compliance", "_guards", "_converge", "_module"),
    "_pool_rules": ("_services", "_controllers", "_audit", "_compliance", "_guards", "_converge", "_module"),
    "_converge": ("_controllers", "_compliance", "_audit", "_guards", "_services", "_module"),
    "_rules": (
        "_services",
        "_controllers",
        "_audit",
        "_compliance",
        "_guards",
        "_converge",
        "_module",
        "_context",
        "_clients",
    ),
}


def _imports(path):
    """The module_utils layers ``path`` imports from (``from ...module_utils import _lro`` names _lro)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        if node.module == BASE:
            found.update(alias.name for alias in node.names)
        elif node.module.startswith(BASE + "."):
            found.add(node.module[len(BASE) + 1 :].split(".")[0])
    return found


def _layer(path):
    relative = path.relative_to(UTILS)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


@pytest.mark.parametrize("path", sorted(UTILS.rglob("*.py")), ids=lambda p: str(p.relative_to(UTILS)))
def test_no_layer_imports_one_above_it(path):
    above = set(FORBIDDEN.get(_layer(path), ())) & _imports(path)
    assert not above, f"{path.relative_to(PLUGINS)} imports {sorted(above)}, a layer above it"


@pytest.mark.parametrize("path", sorted(PLUGINS.rglob("*.py")), ids=lambda p: str(p.relative_to(PLUGINS)))
def test_no_file_is_over_300_lines(path):
    assert len(path.read_text().splitlines()) <= 300


@pytest.mark.parametrize(
    "path",
    sorted(list((UTILS / "_services").glob("*.py")) + list((UTILS / "_controllers").glob("*.py"))),
    ids=lambda p: p.name,
)
def test_no_class_of_the_resource_layer_takes_a_module(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            assert "module" not in [arg.arg for arg in node.args.args], f"{path.name}: a class built from a module"


@pytest.mark.parametrize(
    "path", [p for p in sorted((UTILS / "_services").glob("*.py")) if not p.name.startswith("__")], ids=lambda p: p.name
)
def test_each_api_file_has_its_own_tests(path):
    name = path.stem.lstrip("_")
    assert (Path(__file__).parent / "services" / f"test_{name}.py").exists(), f"no tests/.../services/test_{name}.py"


MODULES = PLUGINS / "modules"
MUTATING = ["user_identity", "keyvault", "keyvault_access_policy", "keyvault_cmk_key", "batch_account_cmk"]


def _returned(module, key):
    import yaml

    namespace = {}
    exec(compile((MODULES / f"{module}.py").read_text(), module, "exec"), {"__name__": "doc"}, namespace)  # noqa: S102
    return yaml.safe_load(namespace["RETURN"])[key]


@pytest.mark.parametrize(
    ("key", "modules"), [("action", MUTATING), ("absorbed", [p.stem for p in sorted(MODULES.glob("*.py"))])]
)
def test_the_return_values_every_module_shares_are_documented_alike(key, modules):
    """RETURN cannot use doc fragments: each module states them, and the copies must not drift apart."""
    first = _returned(modules[0], key)
    assert all(_returned(module, key) == first for module in modules[1:])
