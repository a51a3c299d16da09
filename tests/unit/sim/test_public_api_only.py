"""The simulation speaks to the platform through HTTP only: no module of `sim/` imports the
services or the gateway (only `python -m sim` without `--url` starts a platform, by `stack`)."""

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[3] / "sim"


def imported_packages(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module.split(".")[0]


def test_no_simulation_module_imports_the_services_or_the_gateway():
    modules = sorted(SIM.glob("*.py"))
    assert len(modules) > 10
    for module in modules:
        assert not {"services", "gateway"} & set(imported_packages(module)), module.name
