"""The gateway's modules import without a cycle, so none works only because of line order."""

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[3]
API_MODULES = sorted(
    f"gateway.api.{path.stem}" for path in (ROOT / "gateway" / "api").glob("*.py") if path.stem != "__init__"
)


def test_no_gateway_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph("gateway")
    cycles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert cycles == []


def test_each_api_module_imports_first_in_a_fresh_interpreter():
    """One interpreter for all (each would take a second): before each, the package, the API
    modules and what lists them are forgotten (the gateway's other modules, e.g. its metrics
    registered once, stay)."""
    script = (
        "import importlib, sys\n"
        "again = ('gateway.api', 'gateway.domains', 'gateway.openapi', 'gateway.web')\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'gateway' or m.startswith(again)]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    modules = [*API_MODULES, "gateway.api", "gateway.domains", "gateway.openapi"]
    result = subprocess.run(
        [sys.executable, "-c", script, *modules], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
