"""Each role's README is what scripts/role_readmes.py renders from its argument spec (issue 7: the spec is
the one source; the README shows its options and an example)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_role_readmes_match_their_argument_specs():
    done = subprocess.run(
        [sys.executable, "scripts/role_readmes.py", "--check"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
