"""Where the repository's data lives, for tests that read it."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = REPO_ROOT / "catalog"
BPMN_DIR = REPO_ROOT / "bpmn"
