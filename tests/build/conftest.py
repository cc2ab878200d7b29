"""The built collection: what the tarball holds, and a playbook run from the installed copy."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

pytest_plugins = ["azure_emulator.testing"]
