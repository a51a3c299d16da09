"""The code's own rules, checked on the whole tree: ruff's lint rules and format, and the import
layers (``[tool.ruff]`` and ``[tool.importlinter]`` in pyproject.toml). Format with
``.venv/bin/ruff format .``."""

import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*argv):
    return subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_the_tree_passes_the_lint_rules():
    result = run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_is_formatted():
    result = run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_keeps_its_import_layers():
    contracts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout
