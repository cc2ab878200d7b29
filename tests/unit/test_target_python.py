"""Module code must run on the target Pythons: the collection declares 3.10+ (the pinned SDKs' floor),
and the house style keeps plugins/ to Python 3.8 syntax. ansible-test sanity compiles only with the
interpreters this machine has (3.11), so the grammar of older versions is checked here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLUGINS = sorted((REPO / "plugins").rglob("*.py"))


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: str(p.relative_to(REPO)))
def test_plugins_parse_with_python_3_8_grammar(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 8))


def test_declared_floor_matches_the_pins():
    assert yaml.safe_load((REPO / "tests" / "config.yml").read_text())["modules"]["python_requires"] == ">=3.10"
