"""The gateway's fixtures (the app with a fake RPC client), for the tests of intake's endpoints."""

from tests.unit.gateway.conftest import app, app_config, bearer, client, fake_rpc, login  # noqa: F401
