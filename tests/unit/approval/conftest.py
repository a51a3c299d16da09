"""The gateway's unit-test fixtures (Flask app with a fake RPC client), for the approval routes."""

from tests.unit.gateway.conftest import app, app_config, bearer, client, fake_rpc, login  # noqa: F401
