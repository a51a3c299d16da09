"""Staff accounts on the real document store: two gateway replicas share them, so an account
created on one signs in on the other, and disabling it on one ends its token on both."""
import pymongo
import pytest

from gateway import create_app
from gateway.auth import User, issue_token

SECRET = "integration-token-secret-0123456789abcdef"
ACCOUNT = {"username": "zhao.min", "display_name": "税务审查员 赵敏", "roles": ["reviewer"], "department": "taxation",
           "password": "zhao-min-password"}


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


def test_an_account_created_on_one_replica_is_disabled_for_both(replicas):
    first, second = replicas
    assert first.post("/api/v1/admin/staff", headers=admin_headers(), json=ACCOUNT).status_code == 201
    assert second.post("/api/v1/admin/staff", headers=admin_headers(), json=ACCOUNT).status_code == 409

    signed_in = second.post("/api/v1/auth/token", json={"username": "zhao.min", "password": ACCOUNT["password"]})
    assert signed_in.status_code == 200 and signed_in.get_json()["department"] == "taxation"
    token = {"Authorization": "Bearer " + signed_in.get_json()["access_token"]}
    assert first.get("/api/v1/tasks", headers=token).status_code == 200

    assert second.post("/api/v1/admin/staff/zhao.min/disable", headers=admin_headers()).status_code == 200

    assert first.get("/api/v1/tasks", headers=token).status_code == 401
    assert first.post("/api/v1/auth/token", json={"username": "zhao.min",
                                                  "password": ACCOUNT["password"]}).status_code == 401
    [listed] = second.get("/api/v1/admin/staff", headers=admin_headers()).get_json()["accounts"]
    assert listed["disabled"] and listed["disabled_by"] == "root" and listed["created_by"] == "root"
