"""The gateway fixtures (Flask app with a fake RPC client) for the queue's gateway tests."""

from tests.unit.gateway.conftest import app, app_config, bearer, client, fake_rpc, login  # noqa: F401
