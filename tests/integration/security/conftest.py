"""Two gateway replicas on the real store, for what the gateway keeps itself (API keys,
staff accounts): a change made through one must hold for the other at once."""

import pymongo
import pytest

from gateway import create_app
from gateway.auth import User, issue_token

SECRET = "integration-token-secret-0123456789abcdef"


class NoServices:
    def call(self, service, method, *args, timeout=None, **kwargs):
        return {"tasks": [], "total": 0, "limit": 50, "offset": 0}


@pytest.fixture
def replicas(service_config):
    pymongo.MongoClient(service_config["MONGO_URI"]).drop_database(f"{service_config['MONGO_DB_PREFIX']}_gateway")
    config = dict(
        service_config,
        TESTING=True,
        RPC_CLIENT=NoServices(),
        TOKEN_SECRET=SECRET,
        AMQP_URI="amqp://hall:x@127.0.0.1:1/",
    )
    return create_app(config).test_client(), create_app(config).test_client()


@pytest.fixture
def admin():
    """An admin's request headers."""
    return {"Authorization": "Bearer " + issue_token(User("root", "Admin", ("admin",), "hall", ""), SECRET, 600)}
