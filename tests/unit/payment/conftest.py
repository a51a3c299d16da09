"""The gateway's payment endpoints are tested with the gateway's own fixtures (the Flask
app with a fake RPC client)."""

from tests.unit.gateway.conftest import app, app_config, bearer, client, fake_rpc, login  # noqa: F401
