"""API keys on the real document store: two gateway replicas share them, so a key issued
by one works on the other at once, and a revocation on one is refused by the other."""
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
    config = dict(service_config, TESTING=True, RPC_CLIENT=NoServices(), TOKEN_SECRET=SECRET,
                  AMQP_URI="amqp://hall:x@127.0.0.1:1/")
    return create_app(config).test_client(), create_app(config).test_client()


def admin_headers():
    return {"Authorization": "Bearer " + issue_token(User("root", "Admin", ("admin",), "hall", ""), SECRET, 600)}


def test_a_key_issued_on_one_replica_is_revoked_for_both(replicas):
    first, second = replicas
    issued = first.post("/api/v1/admin/api-keys", headers=admin_headers(), json={
        "name": "税务局征管系统", "department": "taxation", "permissions": ["reviewer"], "expires_in_days": 7})
    assert issued.status_code == 201
    key = {"X-API-Key": issued.get_json()["api_key"]}

    assert second.get("/api/v1/tasks", headers=key).status_code == 200
    assert second.post(f"/api/v1/admin/api-keys/{issued.get_json()['key_id']}/revoke",
                       headers=admin_headers()).status_code == 200
    assert first.get("/api/v1/tasks", headers=key).status_code == 401
    assert [k["revoked_at"] is not None for k in first.get("/api/v1/admin/api-keys",
                                                           headers=admin_headers()).get_json()["keys"]] == [True]
