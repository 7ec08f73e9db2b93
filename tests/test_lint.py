"""Lint is part of the test run (.ci/run runs the tests): ruff (pyflakes, bugbear, complexity ≤ 15) and vulture
(dead code) over the project, configured in pyproject.toml. A finding fails the run and names the line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "--no-cache", "toolkit", "scripts", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_vulture_finds_no_dead_code():
    done = _run("vulture")  # paths, whitelist and confidence from [tool.vulture]
    assert done.returncode == 0, done.stdout + done.stderr
