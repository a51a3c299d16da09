"""Session fixtures: the real broker and document store, started once on free ports with
throw-away data, and stopped at the end even when tests fail.

nameko's containers run on eventlet, so the test process is monkey-patched first, as
``nameko test`` would do.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from services.common.config import load_settings  # noqa: E402
from stack.broker import RabbitNode  # noqa: E402
from stack.store import DocumentStore  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    node = RabbitNode(tmp_path_factory.mktemp("rabbitmq"), name="test").start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    server = DocumentStore(tmp_path_factory.mktemp("store")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service_config(broker, store):
    """The config every service container under test gets (what ``load_settings`` builds)."""
    return load_settings(
        environ={},
        AMQP_URI=broker.amqp_uri,
        MONGO_URI=store.mongo_uri,
        MONGO_DB_PREFIX="test",
        BPMN_DIR=str(REPO_ROOT / "bpmn"),
        CATALOG_DIR=str(REPO_ROOT / "catalog"),
    )
